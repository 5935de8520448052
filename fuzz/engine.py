"""The fuzz loop: mutate a seed, run the target, time it, keep what escapes or runs slow."""

from __future__ import annotations

import hashlib
import random
import re
import resource
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from fuzz.mutate import MUTATORS, guarded
from fuzz.targets import CRASHES, TARGETS, seeds

LIMIT_MS = 50.0
MAX_CORPUS = 400


@dataclass
class Finding:
    target: str
    kind: str  # "crash" or "slow"
    summary: str
    path: Path | None


@dataclass
class Stats:
    target: str
    inputs: int = 0
    seconds: float = 0.0
    max_ms: float = 0.0  # first timing of the slowest input
    max_retimed_ms: float = 0.0  # per input: the lesser of its first timing and a re-run (over the limit only)
    max_input: bytes = b""
    findings: list[Finding] = field(default_factory=list)
    behaviours: int = 0
    peak_rss_mb: float = 0.0

    @property
    def rate(self) -> float:
        return self.inputs / self.seconds if self.seconds else 0.0

    @property
    def crashes(self) -> int:
        return sum(f.kind == "crash" for f in self.findings)

    @property
    def slow(self) -> int:
        return sum(f.kind == "slow" for f in self.findings)



_ROOT = str(Path(__file__).resolve().parent.parent) + "/"


def _relative(text: str) -> str:
    """``text`` with this checkout's folder, ``.../site-packages/`` and the standard library's folder cut from
    file names."""
    text = re.sub(r'"[^"]*/site-packages/', '"site-packages/', text.replace(_ROOT, ""))
    return re.sub(r'"[^"]*/lib/(python3\.\d+)/', r'"\1/', text)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _save(target: str, data: bytes, note: str, folder: Path | None) -> Path | None:
    if folder is None:
        return None
    out = folder / target
    out.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(data).hexdigest()[:16]
    (out / f"{name}.bin").write_bytes(data)
    (out / f"{name}.txt").write_text(note)
    return out / f"{name}.bin"


def _behaviour(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    return f"{type(exc).__name__}:{getattr(exc, 'code', '')}"


def run(name: str, *, inputs: int, seconds: float, rng_seed: int = 1, crash_dir: Path | None = CRASHES,
        limit_ms: float = LIMIT_MS, max_findings: int = 20) -> Stats:
    """Fuzz ``name`` until ``inputs`` inputs ran or ``seconds`` passed, whichever comes first."""
    target = TARGETS[name]
    limit_ms *= target.time_scale
    call = target.setup()
    allowed = target.allowed
    corpus = seeds(name)
    if not corpus:
        raise RuntimeError(f"no seeds for {name} (run benchmarks/fuzz.py --make-seeds)")
    pool = list(corpus)
    mutate = guarded(MUTATORS[target.kind])
    rng = random.Random(rng_seed)  # noqa: S311  (reproducible inputs, not secrets)
    stats = Stats(name)
    seen: set[str] = set()
    seen_crash: set[str] = set()
    for seed in corpus:  # warm-up: lazy imports and caches are not the input's cost
        try:
            call(seed)
        except BaseException:  # noqa: S110
            pass
    perf = time.perf_counter
    start = perf()
    deadline = start + seconds
    while stats.inputs < inputs:
        if stats.inputs % 64 == 0 and perf() > deadline:
            break
        data = mutate(rng, rng.choice(corpus), pool)
        exc: BaseException | None = None
        t0 = perf()
        try:
            call(data)
        except allowed as e:
            exc = e
        except (Exception, RecursionError, MemoryError) as e:
            exc = e
            where = traceback.extract_tb(e.__traceback__)[-1]
            key = f"{type(e).__name__}@{_relative(where.filename)}:{where.lineno}"
            if key not in seen_crash and len(stats.findings) < max_findings:
                seen_crash.add(key)
                # Paths relative to the project (and site-packages): a saved crash names no machine's folders.
                detail = _relative("".join(traceback.format_exception(e)))
                path = _save(name, data, detail, crash_dir)
                stats.findings.append(Finding(name, "crash", f"{type(e).__name__}: {e} at {_relative(where.filename)}:"
                                                          f"{where.lineno} in {where.name}", path))
        elapsed = (perf() - t0) * 1000
        stats.inputs += 1
        if elapsed > stats.max_ms:
            stats.max_ms, stats.max_input = elapsed, data
        retimed = elapsed
        if elapsed > limit_ms:
            again = perf()  # confirm: a GC pause or a noisy neighbour is not the input's fault
            try:
                call(data)
            except BaseException:  # noqa: S110
                pass
            again_ms = (perf() - again) * 1000
            retimed = min(elapsed, again_ms)
            if again_ms > limit_ms and len(stats.findings) < max_findings:
                path = _save(name, data, f"{elapsed:.1f} ms then {again_ms:.1f} ms\n", crash_dir)
                stats.findings.append(Finding(name, "slow", f"{elapsed:.1f} ms / {again_ms:.1f} ms "
                                                            f"({len(data)} bytes)", path))
        stats.max_retimed_ms = max(stats.max_retimed_ms, retimed)
        b = _behaviour(exc)
        if b not in seen:  # a crude feedback: keep inputs that end in a new way
            seen.add(b)
            if len(corpus) < MAX_CORPUS:
                corpus.append(data)
    stats.seconds = perf() - start
    stats.behaviours = len(seen)
    stats.peak_rss_mb = peak_rss_mb()
    return stats
