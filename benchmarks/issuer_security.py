"""What the abuse defences cost issuance (issue: issuer security): throughput with the shared rate limiter
counting every request, against the same service with every limit switched off.

    .venv/bin/python benchmarks/issuer_security.py [--backends postgresql,sqlite] [--rounds 2] [--flows 300]
                                                   [--clients 20] [--json]

Each round runs the full OpenID4VCI flow of ``benchmarks/issuance.py`` (POST /token, /nonce, /credential over
loopback, uvicorn in a subprocess, a fresh database each run) twice: limits off (every ``MOBILEID_RATE_LIMIT_*``
0) and limits on (set far above the load, so every request is counted in ``rate_limits`` but none is
refused: the cost measured is the counting). Runs alternate off/on so a drift of the machine's load hits
both. The figure is credentials per server CPU-second (uvicorn processes only; PostgreSQL's own CPU is
reported beside it), the median of the rounds; the cost is 1 - on/off. The input guard runs in both.

``--addresses many`` gives each flow its own client address (X-Forwarded-For, which uvicorn takes from
loopback) and runs "on" with the default limits: every request then needs its client's counter in the
database (a wallet sends one request of each kind a window), while from one address the blocks leased per
worker serve nearly every request from memory.

Goal: the limiter costs < 5 % of issuance throughput. Server-side console sessions are not on the issuance
path (the wallet never holds one), so they add nothing here; their cost is per console request.
The load average is printed beside every figure: on a shared machine it moves the figures more than the
limiter does, so compare the two columns of one run, never runs of different days.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "benchmarks"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import issuance  # noqa: E402  (benchmarks/issuance.py: offers, server, clients, CPU accounting)

GOAL = 0.05
KINDS = ("token", "nonce", "credential", "remote", "login")


def limit_env(on: bool, many: bool) -> dict[str, str]:
    """Off: every limit 0. On: far above the load from one address; from many addresses, the default limits."""
    if on and many:
        return {}
    value = str(10**9) if on else "0"
    return {f"MOBILEID_RATE_LIMIT_{k.upper()}_{s}": value for k in KINDS for s in ("PER_CLIENT", "OVERALL")}


def _buckets(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM rate_limits")) or 0)
    finally:
        engine.dispose()


def one_run(backend: str, limits_on: bool, flows: int, clients: int, people: int, pg_url: str,
            many: bool = False) -> dict[str, Any]:
    from issuer.keys import tx_code_pepper
    from issuer.settings import Settings
    from issuer.web.app import bootstrap
    from specs.crypto import SoftwareSigner

    tmp = Path(tempfile.mkdtemp(prefix="mobileid-bench-"))
    schema = f"bench_{secrets.token_hex(6)}"
    url = issuance._pg_schema_url(pg_url, schema) if backend == "postgresql" else None
    proc = None
    try:
        port = issuance._free_port()
        public_url = f"http://127.0.0.1:{port}"
        settings = Settings(data_dir=tmp / "data", database_url=url, public_url=public_url, seed_people=people,
                            port=port)
        bootstrap(settings)
        warmup = 20
        offers = issuance.make_offers(settings.sqlalchemy_url, public_url, warmup + flows, "mdl",
                                      tx_code_pepper(tmp / "data"))
        signers = [SoftwareSigner.generate() for _ in offers]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOBILEID_")}
        env |= {"MOBILEID_DATA_DIR": str(tmp / "data"), "MOBILEID_PUBLIC_URL": public_url, "MOBILEID_PORT": str(port),
                "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        env |= limit_env(limits_on, many) | ({"MOBILEID_DATABASE_URL": url} if url else {})
        proc = issuance.start_server(env, port, 1, tmp / "uvicorn.log")
        asyncio.run(issuance.drive(public_url, public_url, offers[:warmup], signers[:warmup], "mdl", 10))
        server0 = issuance._tree_cpu(proc.pid)[0]
        machine0, client0, wall0 = issuance._machine_busy(), time.process_time(), time.perf_counter()
        stats = asyncio.run(issuance.drive(public_url, public_url, offers[warmup:], signers[warmup:], "mdl", clients,
                                           one_address_per_flow=many))
        wall = time.perf_counter() - wall0
        server = issuance._tree_cpu(proc.pid)[0] - server0
        other = max(issuance._machine_busy() - machine0 - (time.process_time() - client0) - server, 0.0)
        buckets = _buckets(settings.sqlalchemy_url)
    finally:
        if proc is not None:
            issuance.stop_server(proc)
        if backend == "postgresql":
            issuance._pg_drop(pg_url, schema)
        shutil.rmtree(tmp, ignore_errors=True)
    return {"backend": backend, "limits": limits_on, "ok": stats.ok, "errors": dict(stats.errors),
            "per_core": stats.ok / server if server else float("nan"), "credentials_per_s": stats.ok / wall,
            "server_ms": 1000 * server / max(stats.ok, 1), "other_ms": 1000 * other / max(stats.ok, 1),
            "load": os.getloadavg(), "buckets": buckets}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--flows", type=int, default=300)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--postgres-url", default=issuance.DEFAULT_PG_URL)
    parser.add_argument("--addresses", choices=("one", "many"), default="one",
                        help="one: every request from 127.0.0.1, limits far above the load; many: each flow its "
                             "own address (X-Forwarded-For), the default limits")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = []
    for backend in args.backends.split(","):
        for _ in range(args.rounds):
            for on in (False, True):
                run = one_run(backend, on, args.flows, args.clients, args.people, args.postgres_url,
                              args.addresses == "many")
                runs.append(run)
                print(f"{backend:10} limits {'on ' if on else 'off'}: {run['per_core']:6.1f} credentials/server-CPU-s "
                      f"({run['server_ms']:.1f} ms server, {run['other_ms']:.1f} ms database/other per credential, "
                      f"{run['credentials_per_s']:.1f}/s, errors {run['errors'] or 0}, {run['buckets']} counter rows); "
                      f"load {run['load'][0]:.1f}", flush=True)
    met = True
    for backend in args.backends.split(","):
        off = statistics.median(r["per_core"] for r in runs if r["backend"] == backend and not r["limits"])
        on = statistics.median(r["per_core"] for r in runs if r["backend"] == backend and r["limits"])
        cost = 1 - on / off
        met &= cost < GOAL
        addresses = "one address" if args.addresses == "one" else "an address per flow"
        print(f"{backend} ({addresses}): limiter cost {100 * cost:+.1f} % of issuance per server CPU-second "
              f"(median of {args.rounds}: off {off:.1f}, on {on:.1f}); goal < {100 * GOAL:.0f} %: "
              f"{'met' if cost < GOAL else 'not met'}; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores")
    if args.json:
        print(json.dumps(runs))
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
