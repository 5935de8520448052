"""The wallet PIN's argon2id cost per guess (wallet/pin.py ``DEFAULT_KDF``), and what it means for a copied wallet.

    .venv/bin/python benchmarks/kdf.py [--runs 9] [--json]

Each parameter set is derived ``--runs`` times on one core. The figure that matters for guessing is the CPU time
of one derivation (``time.process_time``: what one core spends, whatever else the shared machine runs); the
wall time is printed beside it. Target: the default costs at least 250 ms a guess here. From the median, the
time one core needs to try every 6-digit PIN (10^6 guesses) and every 8-character lower-case passphrase
(26^8). The earlier default (t=2, m=46 MiB) and the test suite's explicit ``FAST_KDF`` are measured alongside.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wallet.pin import DEFAULT_KDF, KdfParams

TARGET_MS = 250.0
CASES = {"default": DEFAULT_KDF, "earlier default (t=2, m=46 MiB)": KdfParams(2, 46 * 1024, 1),
         "tests' FAST_KDF (t=1, m=8 MiB)": KdfParams(1, 8 * 1024, 1)}


def measure(params: KdfParams, runs: int) -> dict[str, float]:
    cpu, wall = [], []
    params.derive("482913", bytes(16))  # warm-up: first touch of the memory
    for i in range(runs):
        c, w = time.process_time(), time.perf_counter()
        params.derive(f"{i:06d}", bytes(16))
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return {"cpu_ms": statistics.median(cpu) * 1000, "cpu_min_ms": min(cpu) * 1000,
            "wall_ms": statistics.median(wall) * 1000}


def run(runs: int) -> dict[str, Any]:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    out: dict[str, Any] = {"load_average": os.getloadavg()[0], "runs": runs, "cases": {}}
    for name, params in CASES.items():
        figures = measure(params, runs)
        seconds = figures["cpu_ms"] / 1000
        figures |= {"t": params.time_cost, "m_mib": params.memory_kib // 1024, "p": params.parallelism,
                    "six_digit_pins_core_days": seconds * 10**6 / 86400,
                    "eight_letter_passphrases_core_years": seconds * 26**8 / (86400 * 365)}
        out["cases"][name] = figures
    out["met"] = out["cases"]["default"]["cpu_ms"] >= TARGET_MS
    return out


def report(results: dict[str, Any]) -> list[str]:
    lines = [f"argon2id, one core, {results['runs']} runs each (load average {results['load_average']:.2f})"]
    for name, c in results["cases"].items():
        lines.append(f"  {name:<34} t={c['t']} m={c['m_mib']} MiB p={c['p']}: {c['cpu_ms']:.0f} ms CPU a guess "
                     f"(min {c['cpu_min_ms']:.0f}, wall {c['wall_ms']:.0f}); all 6-digit PINs "
                     f"{c['six_digit_pins_core_days']:.1f} core-days, 8 lower-case letters "
                     f"{c['eight_letter_passphrases_core_years']:,.0f} core-years")
    default = results["cases"]["default"]
    lines.append(f"{'MET    ' if results['met'] else 'NOT MET'} default >= {TARGET_MS:.0f} ms a guess: "
                 f"{default['cpu_ms']:.0f} ms")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.runs)
    print(json.dumps(results, indent=2) if args.json else "\n".join(report(results)))


if __name__ == "__main__":
    main()
