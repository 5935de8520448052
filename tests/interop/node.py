"""Running the OpenWallet Foundation TypeScript drivers of ``interop/oid4vp`` (installed by
``scripts/node-deps.sh``, which ``make test`` runs; the fixture runs it too when the link is missing)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DRIVERS = ROOT / "interop" / "oid4vp"


def ensure_installed() -> Path:
    if not (DRIVERS / "node_modules" / "@openid4vc" / "openid4vp").is_dir():
        subprocess.run(["bash", str(ROOT / "scripts" / "node-deps.sh"), str(DRIVERS)], check=True, cwd=ROOT,
                       timeout=600)
    return DRIVERS


def run_once(script: str, payload: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    """Run a driver that reads one JSON document and prints one."""
    done = subprocess.run(["node", script], input=json.dumps(payload), capture_output=True, text=True,
                          cwd=ensure_installed(), timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@contextmanager
def running(script: str, payload: dict[str, Any]) -> Iterator[tuple[dict[str, Any], subprocess.Popen[str]]]:
    """Start a driver that prints a first JSON line when ready (and a second one when done)."""
    process = subprocess.Popen(["node", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=ensure_installed())
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(json.dumps(payload))
    process.stdin.close()
    first = process.stdout.readline()
    try:
        assert first, process.stderr.read()[-4000:] if process.stderr else "no output"
        yield json.loads(first), process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def finish(process: subprocess.Popen[str], timeout: float = 60) -> dict[str, Any]:
    assert process.stdout is not None
    line = process.stdout.readline()
    process.wait(timeout=timeout)
    assert line, process.stderr.read()[-4000:] if process.stderr else "no output"
    return json.loads(line)  # type: ignore[no-any-return]
