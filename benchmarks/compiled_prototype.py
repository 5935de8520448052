"""Prototype: the mdoc verification hot path compiled to C with mypyc, measured against the same code interpreted.

    .venv/bin/python benchmarks/compiled_prototype.py [--rounds 200] [--batch-ms 2]

The modules on the path of ``verify_device_response`` (CBOR codec, COSE, the mdoc structures, path validation)
are copied to a temporary folder and compiled there with mypyc (part of mypy, a dev dependency; a C compiler is
needed). The mdoc case of ``benchmarks/verify.py`` then runs twice, each in its own process: once importing the
compiled copy, once the project's own source. Nothing in the project is changed or installed; the verdict is
printed (the library is not compiled because of it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Interpreted still: specs/crypto/algorithms.py (mypyc rejects its Enum) and specs/mdoc/items.py (its slot-setting
# constructor is for Python classes; mypyc makes native ones).
MODULES = ["specs/cbor/codec.py", "specs/cbor/raw.py", "specs/mdoc/mso.py", "specs/mdoc/issuer_signed.py",
           "specs/mdoc/device_signed.py", "specs/mdoc/response.py", "specs/mdoc/verify.py", "specs/cose/headers.py",
           "specs/cose/sign1.py", "specs/cose/key.py", "specs/x509/validate.py"]

MEASURE = """
import json, os, sys
sys.path.insert(0, {bench!r})
import verify
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})
import specs.mdoc.verify as hot
figures = verify.mdoc_cases({rounds}, {batch_ms})
print(json.dumps({{"compiled": hot.__file__.endswith(".so"), **{{k: figures[k] for k in ("floor", "ours")}}}}))
"""


def build(target: Path) -> float:
    shutil.copytree(ROOT / "specs", target / "specs", ignore=shutil.ignore_patterns("__pycache__"))
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "mypyc"), *MODULES], cwd=target, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(path: Path, rounds: int, batch_ms: float) -> dict[str, object]:
    code = MEASURE.format(bench=str(ROOT / "benchmarks"), rounds=rounds, batch_ms=batch_ms)
    env = {**os.environ, "PYTHONPATH": str(path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=path, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--batch-ms", type=float, default=2.0)
    args = parser.parse_args()
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        sys.exit("no C compiler: mypyc cannot build the prototype here")
    with tempfile.TemporaryDirectory() as tmp:
        seconds = build(Path(tmp))
        print(f"mypyc built {len(MODULES)} modules in {seconds:.0f} s; load average {os.getloadavg()}")
        for _ in range(2):  # interpreted and compiled, alternately
            for label, path in (("interpreted", ROOT), ("mypyc", Path(tmp))):
                r = measure(path, args.rounds, args.batch_ms)
                floor, ours = r["floor"]["best_us"], r["ours"]["best_us"]  # type: ignore[index]
                print(f"{label:11s} (compiled modules loaded: {r['compiled']}): ours {ours:.1f} us, "
                      f"floor {floor:.1f} us, {ours / floor:.2f}x")


if __name__ == "__main__":
    main()
