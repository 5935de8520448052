"""Status lists and the trust bundle for a nation (issue 16 item 3): every figure against its goal, in one run.

    nice .venv/bin/python benchmarks/national_scale.py [--scale 1.0] [--list-size 131072] [--fill 0.9] [--json]

A synthetic register of 680 M credentials (34 M holders x ~20 credentials): 1 % revoked, 0.5 % suspended, at
random indices of lists filled as the issuer fills them (``--fill``, 90 %), two bits an entry
(draft-ietf-oauth-status-list §4: VALID 0, INVALID 1, SUSPENDED 2). Lists are
made one at a time from a per-list seed, so memory stays bounded by one list, and published by the issuer's own
code (``issuer.publish``: a CWT and a JWT per list, the base, the signed index) into a folder that Python's
``http.server`` serves as any static server would. The verifier's real sync (``verifier.sync``, in a child process
for clean time and peak-memory figures) copies it, then a day of changes (0.01 % of the entries) is applied,
published again (with its signed status change log, ``issuer.changelog``) and synced again twice, from two
copies of the first sync: by the change log (what a verifier does) and by files (the spec's tokens only, for
comparison). Reported against the goals: full bundle <= 20 MB, a day's delta <= 1 MB (MB = 10^6 bytes);
informative: the republication time, the sync times and peaks, a status lookup's cost on the patched copy.

The math, first. The entries' entropy is H = -(0.985 lg 0.985 + 0.01 lg 0.01 + 0.005 lg 0.005) = 0.126 bit,
so 680 M entries carry 10.7 MB of information: no encoding of the full register goes below that. DEFLATE (the
one compression the spec allows) on two-bit lists costs ~11.9 bits per set entry (measured below), ~1.4x the
bound, i.e. ~15 MB of list data, plus each token's signature and certificate. One-bit lists (revoked and
suspended apart) are no smaller under DEFLATE. A gap code (Golomb-Rice over the distances between set entries,
one bit for which status) comes within a few percent of the bound; it is printed as "what would reach it".
The delta is where per-file sync cannot win: 68,000 changes at random indices touch every list of 131,072
(expected changes per list = 13), so a day's delta under the spec encoding is the whole bundle again, for any
list size. A signed change log (the changed positions, gap-coded, with their new values; a mobileid extension,
``specs.trust.changes``, not in the Token Status List spec) is what the delta sync fetches instead; its
Golomb-Rice bound is printed beside the published log (varint gaps, per list).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import http.server
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENTRIES = 680_000_000
REVOKED, SUSPENDED, DAILY = 0.01, 0.005, 0.0001
GOAL_FULL, GOAL_DELTA = 20_000_000, 1_000_000
URL = "https://issuer.mobileid.example.kr"
SAMPLE_LISTS = 48


@dataclass(frozen=True, slots=True)
class Register:
    """The synthetic register: ``lists`` lists of ``size`` two-bit entries, each made from its own seed, each
    with ``fill`` of its positions holding a credential (the issuer opens the next list at its
    ``status_list_max_fill``). The unused positions stay 0 like valid ones, and used positions are a uniformly
    random subset, so statuses and changes at uniformly random positions, at ``fill`` times the credential
    shares, have the same distribution as on the issuer's lists."""

    lists: int
    size: int
    seed: int
    changes: dict[int, dict[int, int]] = field(default_factory=dict)  # list -> index -> new status
    fill: float = 1.0

    @classmethod
    def of(cls, entries: int, size: int, seed: int, fill: float = 1.0) -> Register:
        return cls(max(1, round(entries / (size * fill))), size, seed, fill=fill)

    @property
    def entries(self) -> int:
        """Positions on the lists (used or not)."""
        return self.lists * self.size

    @property
    def credentials(self) -> int:
        return round(self.entries * self.fill)

    def list_data(self, number: int) -> bytearray:
        rng = random.Random(f"{self.seed}/{number}")
        revoked, suspended = round(self.size * self.fill * REVOKED), round(self.size * self.fill * SUSPENDED)
        data = bytearray(self.size // 4)
        for j, i in enumerate(rng.sample(range(self.size), revoked + suspended)):
            data[i >> 2] |= (1 if j < revoked else 2) << ((i & 3) << 1)
        for i, value in self.changes.get(number, {}).items():
            shift = (i & 3) << 1
            data[i >> 2] = (data[i >> 2] & ~(3 << shift)) | (value << shift)
        return data

    def with_a_day_of_changes(self) -> Register:
        """0.01 % of the credentials change: 60 % revoked, 30 % suspended, 10 % reinstated, random lists and indices."""
        rng = random.Random(f"{self.seed}/day")
        changes: dict[int, dict[int, int]] = {}
        for _ in range(round(self.credentials * DAILY)):
            value = rng.choices((1, 2, 0), (6, 3, 1))[0]
            changes.setdefault(rng.randrange(self.lists) + 1, {})[rng.randrange(self.size)] = value
        return Register(self.lists, self.size, self.seed, changes, self.fill)


def sources(register: Register, spent: list[float]) -> Iterator[Any]:
    """The lists one at a time, as the issuer's database would hand them over (time to make them kept apart)."""
    from issuer.publish import ListSource
    from specs.status import StatusList

    for number in range(1, register.lists + 1):
        start = time.perf_counter()
        status_list = StatusList(2, bytes(register.list_data(number)))
        spent[0] += time.perf_counter() - start
        yield ListSource(f"{URL}/status/{number}", status_list)


def make_keys() -> Any:
    from issuer.keys import IssuerKeys
    from specs.crypto import SoftwareSigner
    from specs.x509 import create_document_signer, create_iaca, create_vical_signer

    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(days=30), now + dt.timedelta(days=365)
    iaca_signer, ds_signer, vical_signer = (SoftwareSigner.generate() for _ in range(3))
    iaca = create_iaca(iaca_signer, country="KR", common_name="national bench IACA", not_before=start, not_after=end)
    ds = create_document_signer(iaca_signer, iaca, ds_signer.public_key(), common_name="national bench DS",
                                not_before=start, not_after=end)
    vical = create_vical_signer(iaca_signer, iaca, vical_signer.public_key(), common_name="national bench VICAL",
                                not_before=start, not_after=end)
    return IssuerKeys(iaca=iaca, ds=ds, ds_signer=ds_signer, previous_ds=(), vical=vical, vical_signer=vical_signer)


def publish(register: Register, keys: Any, folder: Path) -> dict[str, float]:
    from issuer.publish import publish as publish_folder

    spent = [0.0]
    start = time.perf_counter()
    report = publish_folder(folder, keys, public_url=URL, lists=sources(register, spent), now=dt.datetime.now(dt.UTC),
                            whole_bundle=False)
    seconds = time.perf_counter() - start
    return {"seconds": seconds - spent[0], "making_lists_seconds": spent[0], "signed_files": len(report.signed),
            "signed_lists": sum(1 for p in report.signed if p.endswith(".cwt")),
            "bytes": report.total_bytes + (folder / "trust/index").stat().st_size}


# -- encodings: the spec's, its bound, and what would reach the goals -------------------------------------------
def _rice_bits(gaps: list[int]) -> int:
    """Bits of the best Golomb-Rice code of ``gaps`` (unary quotient, k-bit remainder)."""
    return min(sum((g >> k) + 1 + k for g in gaps) for k in range(16)) if gaps else 0


def encodings(register: Register) -> dict[str, float]:
    """Sizes of the full register's status bits under each encoding, from a sample of lists, scaled."""
    import zlib

    sample = min(register.lists, SAMPLE_LISTS)
    two_bit = one_bit = rice = 0
    for number in range(1, sample + 1):
        data = register.list_data(number)
        two_bit += len(zlib.compress(bytes(data), 9))
        revoked, suspended = bytearray(register.size // 8), bytearray(register.size // 8)
        positions, previous = [], -1
        for i in range(register.size):
            value = (data[i >> 2] >> ((i & 3) << 1)) & 3
            if value:
                (revoked if value == 1 else suspended)[i >> 3] |= 1 << (i & 7)
                positions.append(i - previous - 1)
                previous = i
        one_bit += len(zlib.compress(bytes(revoked), 9)) + len(zlib.compress(bytes(suspended), 9))
        rice += math.ceil((_rice_bits(positions) + len(positions)) / 8)  # + one bit: revoked or suspended
    f = register.fill
    p = (1 - (REVOKED + SUSPENDED) * f, REVOKED * f, SUSPENDED * f)
    entropy = -sum(q * math.log2(q) for q in p) * register.entries / 8
    scale = register.lists / sample
    set_entries = register.size * (REVOKED + SUSPENDED) * f * sample
    return {"entropy_bytes": entropy, "zlib_2bit_bytes": two_bit * scale, "zlib_1bit_pair_bytes": one_bit * scale,
            "rice_bytes": rice * scale, "zlib_bits_per_set_entry": two_bit * 8 / set_entries}


def change_log_bytes(register: Register) -> int:
    """A day's changes as one log: global positions sorted, gap-coded, two bits for the new status each."""
    positions = sorted((n - 1) * register.size + i for n, changes in register.changes.items() for i in changes)
    gaps = [b - a - 1 for a, b in zip([-1, *positions], positions, strict=False)]
    return math.ceil((_rice_bits(gaps) + 2 * len(positions)) / 8)


# -- the verifier, in a child process ------------------------------------------------------------------------
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def child(args: list[str]) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    done = subprocess.run(["nice", *command], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _status_kb(field: str) -> int:
    """VmRSS / VmHWM of this process (Linux), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> int:
    """Start the peak (VmHWM) afresh from here (Linux >= 4.0: clear_refs 5); the resident size now."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def _peak_kb() -> int:
    return _status_kb("VmHWM")


def run_child(kind: str, rest: list[str]) -> dict[str, Any]:
    import httpx

    from verifier.sync import sync
    from verifier.trust import VerifierTrust
    from verifier.verify import _status

    baseline = _reset_peak()  # after the imports: the figures are what the work itself adds
    if kind == "sync":
        url, folder, max_logs = rest
        start = time.perf_counter()
        with httpx.Client(timeout=60) as http:
            report = sync(http, url, Path(folder), max_logs=int(max_logs))
        return {"seconds": time.perf_counter() - start, "peak_kb": _peak_kb(), "baseline_kb": baseline,
                "fetched": report.fetched, "fetched_bytes": report.fetched_bytes, "by": report.by}
    from specs.errors import CredentialStatusError
    from specs.status import StatusReference

    folder, lists = Path(rest[0]), int(rest[1])
    now = dt.datetime.now(dt.UTC)
    start = time.perf_counter()
    trust = VerifierTrust.from_path(folder, now=now)
    loaded = time.perf_counter() - start
    references = [StatusReference(f"{URL}/status/{n}", 4242) for n in range(1, min(lists, 200) + 1)]

    def look(reference: StatusReference) -> None:
        try:
            _status(reference, None, trust, now)
        except CredentialStatusError:
            pass  # revoked or suspended: the same work

    start = time.perf_counter()
    for reference in references:  # first lookup in each list: its token verified, its list inflated
        look(reference)
    first = (time.perf_counter() - start) / len(references)
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        for reference in references:
            look(reference)
    cached = (time.perf_counter() - start) / (rounds * len(references))
    return {"load_seconds": loaded, "first_lookup_s": first, "cached_lookup_s": cached, "peak_kb": _peak_kb(),
            "baseline_kb": baseline, "lists_looked_up": len(references)}


# -- the run --------------------------------------------------------------------------------------------------
def measure(scale: float, list_size: int, seed: int, work: Path, fill: float = 1.0) -> dict[str, Any]:
    started = time.perf_counter()
    register = Register.of(round(ENTRIES * scale), list_size, seed, fill)
    keys = make_keys()
    published, copy = work / "publish", work / "verifier"
    out: dict[str, Any] = {"entries": register.entries, "credentials": register.credentials, "fill": fill,
                           "lists": register.lists, "list_size": list_size}
    out["publish"] = publish(register, keys, published)
    server, url = serve(published)
    try:
        out["sync_full"] = child(["sync", url, str(copy), "8"])
        by_files = work / "verifier-by-files"
        shutil.copytree(copy, by_files, copy_function=os.link)  # the same copy, to sync by files below
        day = register.with_a_day_of_changes()
        out["changes"] = sum(len(c) for c in day.changes.values())
        out["lists_touched"] = len(day.changes)
        out["republish"] = publish(day, keys, published)
        out["lists_changed"] = out["republish"]["signed_lists"]  # a change may set what was there already
        logs = sorted((published / "trust/changes").iterdir())
        out["change_log_published_bytes"] = sum(p.stat().st_size for p in logs)
        out["sync_delta"] = child(["sync", url, str(copy), "8"])
        out["sync_delta_files"] = child(["sync", url, str(by_files), "0"])
    finally:
        server.shutdown()
        server.server_close()
    out["lookup"] = child(["lookup", str(copy), str(register.lists)])
    out["encodings"] = encodings(register)
    out["change_log_bytes"] = change_log_bytes(day)
    cwt_sizes = [p.stat().st_size for p in (published / "status").glob("*.cwt")]
    out["cwt_mean_bytes"] = sum(cwt_sizes) / len(cwt_sizes)
    out["index_bytes"] = (published / "trust/index").stat().st_size
    out["base_bytes"] = (published / "trust/base").stat().st_size
    out["total_seconds"] = time.perf_counter() - started
    return out


def _mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB"


def _verdict(value: float, goal: float) -> str:
    return "met" if value <= goal else "NOT met"


def report(r: dict[str, Any]) -> str:
    full, delta = r["sync_full"]["fetched_bytes"], r["sync_delta"]["fetched_bytes"]
    by_files = r["sync_delta_files"]["fetched_bytes"]
    enc = r["encodings"]
    per_token = r["cwt_mean_bytes"] - enc["zlib_2bit_bytes"] / r["lists"]
    rows = [
        *(["(a scaled run: the goals below are the full register's)"] if r["credentials"] < ENTRIES * 0.99 else []),
        f"register: {r['credentials']:,} credentials on {r['lists']:,} lists of {r['list_size']:,} (2 bits each, "
        f"{r['fill']:.0%} of the positions used); "
        f"a day = {r['changes']:,} changes, {r['lists_changed']:,} lists changed; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"full bundle (index {_mb(r['index_bytes'])} + base {r['base_bytes']:,} B + {r['lists']:,} CWTs): "
        f"{_mb(full)}   goal <= {_mb(GOAL_FULL)}: {_verdict(full, GOAL_FULL)}",
        f"a day's delta by {r['sync_delta']['by']} (index + the signed change log of "
        f"{r['change_log_published_bytes']:,} B): {_mb(delta)}   goal <= {_mb(GOAL_DELTA)}: "
        f"{_verdict(delta, GOAL_DELTA)}",
        f"a day's delta by {r['sync_delta_files']['by']} (index + changed CWTs; the spec's tokens alone): "
        f"{_mb(by_files)}",
        f"first publication: {r['publish']['seconds']:.1f} s signing and writing ({r['publish']['signed_files']:,} "
        f"files; making the synthetic lists {r['publish']['making_lists_seconds']:.1f} s more)",
        f"republication after a day: {r['republish']['seconds']:.1f} s ({r['republish']['signed_files']:,} files "
        f"signed again; making the lists {r['republish']['making_lists_seconds']:.1f} s more)",
    ]
    names = {"sync_full": "full", "sync_delta": "delta by change log", "sync_delta_files": "delta by files"}
    for name, what in names.items():
        s = r[name]
        above = (s["peak_kb"] - s["baseline_kb"]) / 1024
        rows.append(f"verifier sync, {what}: {s['seconds']:.1f} s, "
                    f"{s['fetched']:,} files, peak RSS {s['peak_kb'] / 1024:.0f} MiB ({above:.0f} MiB above the "
                    "process after its imports)")
    lk = r["lookup"]
    rows += [
        f"status lookup once loaded (copy patched by the change log): {lk['cached_lookup_s'] * 1e6:.1f} us; the first "
        f"in a list (token verified, list inflated) {lk['first_lookup_s'] * 1e3:.2f} ms; loading the copy (index, "
        f"base, anchor and log verified, files hashed) {lk['load_seconds']:.1f} s; peak RSS "
        f"{lk['peak_kb'] / 1024:.0f} MiB ({(lk['peak_kb'] - lk['baseline_kb']) / 1024:.0f} MiB above the imports; "
        f"{lk['lists_looked_up']} lists looked up)",
        f"encodings of the {r['entries']:,} positions' statuses: entropy bound {_mb(enc['entropy_bytes'])}; zlib "
        f"2-bit lists (spec, as published) {_mb(enc['zlib_2bit_bytes'])} "
        f"({enc['zlib_bits_per_set_entry']:.1f} bits per set entry); zlib 1-bit revoked + suspended lists "
        f"{_mb(enc['zlib_1bit_pair_bytes'])}; Golomb-Rice gaps "
        f"{_mb(enc['rice_bytes'])} (not in the spec); per token {per_token:.0f} B of signature, certificate and claims",
        f"the day's changes under one Golomb-Rice gap code over the whole register (what the published log's "
        f"per-list varints compare with): {r['change_log_bytes']:,} B",
        f"whole run: {r['total_seconds']:.0f} s   goal < 900 s on 2 cores: {_verdict(r['total_seconds'], 900)}",
    ]
    return "\n".join(rows)


def _issuer_fill() -> float:
    from issuer.settings import Settings

    return float(Settings.model_fields["status_list_max_fill"].default)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the 680 M entries (0.001: a quick run)")
    parser.add_argument("--list-size", type=int, default=131_072, help="entries per status list (a multiple of 8)")
    parser.add_argument("--fill", type=float, default=_issuer_fill(),
                        help="share of each list's positions used (default: the issuer's status_list_max_fill)")
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args.child[0], args.child[1:])))
        return 0
    if not 0 < args.scale <= 1 or args.list_size % 8 or args.list_size < 8 or not 0 < args.fill <= 1:
        parser.error("--scale and --fill must be in (0, 1] and --list-size a positive multiple of 8")
    work = args.keep or Path(tempfile.mkdtemp(prefix="national-"))
    try:
        result = measure(args.scale, args.list_size, args.seed, work, args.fill)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
