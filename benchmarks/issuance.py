"""Issuance throughput (issue: issuer load): the full OpenID4VCI HTTP path on loopback with concurrent clients.

    .venv/bin/python benchmarks/issuance.py [--backends sqlite,postgresql] [--workers 1,2] [--clients 50]
                                            [--flows 500] [--repeat 1] [--config mdl] [--json]

For every (backend, workers) pair the script bootstraps a fresh issuer (data folder, database or PostgreSQL
schema, keys, ``--people`` synthetic people), records in-person checks and creates one offer per flow straight
in the database (as the clerk's counter does), starts ``uvicorn --workers N`` as a subprocess, and drives
``--clients`` concurrent asyncio/httpx clients through the wallet's whole flow: GET the offer by reference
-> POST /token -> POST /nonce -> (sign proof) -> POST /credential (batch 1) -> POST /notification. Device keys
are generated before timing; each proof is signed during the flow, because the c_nonce is fresh.

Reported per run: credentials/s, latency p50/p95/p99 of the whole flow and of each request, CPU seconds used
by the client (this process), by the uvicorn processes and by the whole machine, the load average before
and after, every non-2xx answer or transport error (counted, never hidden), and per step of the flow the
database work counted inside the server (statements by kind, commits, rows fetched; ``_statements.py``).
"Per core" = credentials per CPU-second of the uvicorn processes;
"per core incl. DB" also charges the rest of the machine's busy time that is not the client (PostgreSQL).

Targets: >= 150 credentials/s per core on PostgreSQL (batch 1); p99 < 200 ms at 50 concurrent clients;
near-linear with workers (2 workers >= 1.8x of 1). The client runs on the same cores as the server, so on
a small machine the workers scaling is bounded by the cores that are left.

The module also serves as uvicorn's app factory (``issuance:app_factory``, settings from ``MOBILEID_*``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PG_URL = os.environ.get("MOBILEID_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
TARGET_PER_CORE = 150.0
TARGET_P99_MS = 200.0
TARGET_SCALING = 1.8
CLK_TCK = os.sysconf("SC_CLK_TCK")


def app_factory() -> Any:
    """uvicorn ``--factory`` entry point: the issuer app with settings from the environment, its database
    statements counted per step of the flow."""
    from _statements import install

    from issuer.settings import Settings
    from issuer.web.app import create_app

    return install(create_app(Settings()))


# ---------------------------------------------------------------------------------------------------- CPU

def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system CPU seconds) of one process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def _tree_cpu(root: int) -> tuple[float, int]:
    """CPU seconds of ``root`` and all its descendants, and the number of descendants."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat:
                parents[int(entry)], cpu[int(entry)] = stat
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(cpu.get(p, 0.0) for p in tree), len(tree) - 1


def _postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL server process on this machine (all databases: other jobs' too)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() != "postgres":
                    continue
            except OSError:
                continue
            stat = _proc_stat(int(entry))
            total += stat[1] if stat else 0.0
    return total


def _machine_busy() -> float:
    """Busy CPU seconds of the whole machine since boot (all cores), from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return (sum(parts[:8]) - idle) / CLK_TCK


# ---------------------------------------------------------------------------------------------------- setup

@dataclass
class Offer:
    code: str
    tx_code: str
    reference: str = ""  # the random part of the offer's credential_offer_uri


def _pg_schema_url(base: str, schema: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def _pg_drop(base: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def make_offers(url: str, public_url: str, count: int, config: str, pepper: bytes) -> list[Offer]:
    """One in-person check and one offer per flow, for people who hold a licence (round robin)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from issuer.db import make_engine
    from issuer.db.models import Licence, Person, Staff
    from issuer.offers import create_offer, record_check

    engine = make_engine(url)
    out: list[Offer] = []
    with Session(engine) as session:
        staff = session.scalars(select(Staff).where(Staff.username == "clerk1")).one()
        ids = sorted(set(session.scalars(select(Licence.person_id))))
        people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}
        now = dt.datetime.now(dt.UTC)
        for i in range(count):
            person = people[ids[i % len(ids)]]
            check = record_check(session, staff=staff, person=person, document_kind="id_card",
                                 document_number=f"bench-{i:06d}", photo_match=True, notes="", now=now)
            created = create_offer(session, check=check, staff=staff, configurations=[config],
                                   issuer_url=public_url, ttl_seconds=3600, now=now, pepper=pepper)
            body = json.loads(urllib.parse.parse_qs(urllib.parse.urlsplit(created.offer_uri).query)
                              ["credential_offer"][0])
            out.append(Offer(body["grants"][PRE_AUTH]["pre-authorized_code"], created.tx_code, created.reference))
        session.commit()
    engine.dispose()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str], port: int, workers: int, log: Path, *,
                 root: Path = ROOT) -> subprocess.Popen[bytes]:
    """``uvicorn`` serving the issuer of the source tree ``root`` (another checkout: the code before a change)."""
    env = env | {"PYTHONPATH": os.pathsep.join([str(root), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                                                             if p and p != str(ROOT))])}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "issuance:app_factory",
           "--app-dir", str(root / "benchmarks"), "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning", "--no-access-log",
           # longer than any latency seen, so the server never closes a pooled connection the client reuses
           "--timeout-keep-alive", "120"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                # with several workers, wait until all of them have started (each answers /healthz)
                if workers == 1 or _tree_cpu(proc.pid)[1] >= workers:
                    time.sleep(0.5 if workers > 1 else 0)
                    return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError("uvicorn did not answer /healthz within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # the session we started for it: uvicorn and its workers
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# ---------------------------------------------------------------------------------------------------- load

@dataclass
class Stats:
    flow: list[float] = field(default_factory=list)
    offer: list[float] = field(default_factory=list)
    token: list[float] = field(default_factory=list)
    nonce: list[float] = field(default_factory=list)
    credential: list[float] = field(default_factory=list)
    notification: list[float] = field(default_factory=list)
    proof_sign: list[float] = field(default_factory=list)
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    def fail(self, step: str, what: str, detail: str) -> None:
        self.errors[f"{step} {what}"] += 1
        if len(self.samples) < 5:
            self.samples.append(f"{step} {what}: {detail[:200]}")


async def one_flow(http: Any, offer: Offer, signer: Any, config: str, aud: str, stats: Stats) -> None:
    from wallet.oid4vci import _proof

    step = "offer"
    try:
        t0 = time.perf_counter()
        r = await http.get(f"/credential-offer/{offer.reference}")
        tb = time.perf_counter()
        if r.status_code != 200:
            return stats.fail(step, str(r.status_code), r.text)
        code = r.json()["grants"][PRE_AUTH]["pre-authorized_code"]
        step = "token"
        r = await http.post("/token", data={"grant_type": PRE_AUTH, "pre-authorized_code": code,
                                            "tx_code": offer.tx_code})
        t1 = time.perf_counter()
        if r.status_code != 200:
            return stats.fail(step, str(r.status_code), r.text)
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        step = "nonce"
        r = await http.post("/nonce")
        t2 = time.perf_counter()
        if r.status_code != 200:
            return stats.fail(step, str(r.status_code), r.text)
        proof = _proof(signer, aud, r.json()["c_nonce"], dt.datetime.now(dt.UTC))
        t3 = time.perf_counter()
        step = "credential"
        r = await http.post("/credential", headers=auth,
                            json={"credential_configuration_id": config, "proofs": {"jwt": [proof]}})
        t4 = time.perf_counter()
        if r.status_code != 200:
            return stats.fail(step, str(r.status_code), r.text)
        if len(r.json().get("credentials", [])) != 1:
            return stats.fail(step, "bad-body", r.text)
        step = "notification"
        r = await http.post("/notification", headers=auth, json={"notification_id": r.json()["notification_id"],
                                                                 "event": "credential_accepted"})
        t5 = time.perf_counter()
        if r.status_code != 204:
            return stats.fail(step, str(r.status_code), r.text)
    except Exception as exc:  # transport errors and timeouts are results too
        return stats.fail(step, type(exc).__name__, repr(exc))
    stats.ok += 1
    stats.flow.append(t5 - t0)
    stats.offer.append(tb - t0)
    stats.token.append(t1 - tb)
    stats.nonce.append(t2 - t1)
    stats.proof_sign.append(t3 - t2)
    stats.credential.append(t4 - t3)
    stats.notification.append(t5 - t4)
    return None


class Forwarded:
    """``http`` with every request of one flow claiming the client address ``address``: uvicorn takes
    X-Forwarded-For from loopback peers (its default ``--forwarded-allow-ips``), so each flow is its own client."""

    def __init__(self, http: Any, address: str) -> None:
        self.http, self.address = http, address

    async def get(self, url: str, **kw: Any) -> Any:
        headers = {**kw.pop("headers", {}), "X-Forwarded-For": self.address}
        return await self.http.get(url, headers=headers, **kw)

    async def post(self, url: str, **kw: Any) -> Any:
        headers = {**kw.pop("headers", {}), "X-Forwarded-For": self.address}
        return await self.http.post(url, headers=headers, **kw)


async def drive(base_url: str, aud: str, offers: list[Offer], signers: list[Any], config: str,
                clients: int, *, one_address_per_flow: bool = False, client: str = "httpx") -> Stats:
    """``clients`` closed-loop wallets through the flows; ``client``: httpx (one pooled AsyncClient) or lean
    (``_lean_http``: one keep-alive connection per wallet, a fraction of httpx's CPU)."""
    import httpx
    from _lean_http import LeanClient

    stats = Stats()
    queue: asyncio.Queue[tuple[Offer, Any]] = asyncio.Queue()
    for item in zip(offers, signers, strict=True):
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0) as pooled:
        async def worker() -> None:
            http: Any = LeanClient(base_url) if client == "lean" else pooled
            try:
                while True:
                    try:
                        offer, signer = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    n = queue.qsize()  # distinct per flow: 10.x.y.z from the number of flows still queued
                    via = Forwarded(http, f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}") if one_address_per_flow \
                        else http
                    await one_flow(via, offer, signer, config, aud, stats)
            finally:
                if http is not pooled:
                    await http.aclose()

        await asyncio.gather(*(worker() for _ in range(clients)))
    return stats


def _exceptions(log: str) -> dict[str, int]:
    """The final line of every traceback in the uvicorn log (warm-up and timed run), counted."""
    found: Counter[str] = Counter()
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j].strip()):
                j += 1
            k = j + 1
            while k < len(lines) and not lines[k].startswith("Traceback"):
                k += 1
            chained = any(x.startswith(("The above exception", "During handling")) for x in lines[j + 1:k])
            if j < len(lines) and not chained:  # count a chain once, by its outermost exception
                found[lines[j][:240]] += 1
    return dict(found)


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))] * 1000


def _statements(base_url: str, *, method: str) -> dict[str, dict[str, float]]:
    """Database work per request of each step, as counted inside the (single) server process during the
    warm-up (POST: reset and count, GET: read, DELETE: stop counting)."""
    import httpx

    r = httpx.request(method, f"{base_url}/_bench/statements", timeout=10)
    r.raise_for_status()
    out = {}
    for step, counts in r.json().items():
        n = counts.pop("requests", 0)
        if n:
            out[step] = {"requests": n} | {k: v / n for k, v in sorted(counts.items())}
    return out


def _lat(values: list[float]) -> dict[str, float]:
    return {"p50": _pct(values, 50), "p95": _pct(values, 95), "p99": _pct(values, 99)}


def run_one(backend: str, workers: int, clients: int, flows: int, warmup: int, config: str, people: int,
            pg_url: str, *, root: Path = ROOT, many: bool = True, client: str = "lean",
            threads: bool = False) -> dict[str, Any]:
    """One timed run against a fresh issuer served from the source tree ``root``; ``many``: each flow from its
    own client address (X-Forwarded-For) under the default rate limits, else every flow from 127.0.0.1 with
    the limits far above the load."""
    from issuer.keys import tx_code_pepper
    from issuer.settings import Settings
    from issuer.web.app import bootstrap
    from specs.crypto import SoftwareSigner

    tmp = Path(tempfile.mkdtemp(prefix="mobileid-bench-"))
    schema = f"bench_{secrets.token_hex(6)}"
    url = _pg_schema_url(pg_url, schema) if backend == "postgresql" else None
    proc = None
    try:
        port = _free_port()
        public_url = f"http://127.0.0.1:{port}"
        data_dir = tmp / "data"
        settings = Settings(data_dir=data_dir, database_url=url, public_url=public_url, seed_people=people,
                            port=port)
        bootstrap(settings)
        offers = make_offers(settings.sqlalchemy_url, public_url, warmup + flows, config, tx_code_pepper(data_dir))
        signers = [SoftwareSigner.generate() for _ in offers]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOBILEID_")}
        env |= {"MOBILEID_DATA_DIR": str(data_dir), "MOBILEID_PUBLIC_URL": public_url,
                "MOBILEID_SEED_PEOPLE": str(people), "MOBILEID_PORT": str(port),
                "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        if url:
            env["MOBILEID_DATABASE_URL"] = url
        if threads:
            env["MOBILEID_WALLET_IN_THREADS"] = "true"
        if not many:
            env |= {f"MOBILEID_RATE_LIMIT_{kind}_{scope}": str(10**9) for kind in ("TOKEN", "NONCE", "CREDENTIAL")
                    for scope in ("PER_CLIENT", "OVERALL")}
        proc = start_server(env, port, workers, tmp / "uvicorn.log", root=root)
        _statements(public_url, method="POST")  # count the warm-up's statements (only the warm-up's)
        if warmup:
            warm = asyncio.run(drive(public_url, public_url, offers[:warmup], signers[:warmup], config,
                                     min(clients, warmup), one_address_per_flow=many, client=client))
        else:
            warm = Stats()
        statements = _statements(public_url, method="GET") if workers == 1 else {}
        _statements(public_url, method="DELETE")
        load0 = os.getloadavg()
        server0, procs = _tree_cpu(proc.pid)
        machine0, client0, wall0 = _machine_busy(), time.process_time(), time.perf_counter()
        postgres0 = _postgres_cpu()
        stats = asyncio.run(drive(public_url, public_url, offers[warmup:], signers[warmup:], config, clients,
                                  one_address_per_flow=many, client=client))
        wall = time.perf_counter() - wall0
        client_cpu = time.process_time() - client0
        machine = _machine_busy() - machine0
        server_cpu = _tree_cpu(proc.pid)[0] - server0
        postgres = _postgres_cpu() - postgres0
        load1 = os.getloadavg()
        log_text = (tmp / "uvicorn.log").read_text(errors="replace")
    finally:
        if proc is not None:
            stop_server(proc)
        if backend == "postgresql":
            _pg_drop(pg_url, schema)
        shutil.rmtree(tmp, ignore_errors=True)
    rate = stats.ok / wall
    other = max(machine - client_cpu - server_cpu, 0.0)  # PostgreSQL and everything else on the machine
    return {
        "code": ("after" if root == ROOT else "before") + ("+threads" if threads else ""), "client": client,
        "backend": backend, "workers": workers, "server_processes": procs + 1, "clients": clients,
        "config": config, "flows": flows, "ok": stats.ok, "errors": dict(stats.errors),
        "error_samples": stats.samples, "warmup_errors": dict(warm.errors),
        "seconds": wall, "credentials_per_s": rate,
        "per_core": stats.ok / server_cpu if server_cpu else float("nan"),
        "per_core_incl_db": stats.ok / (server_cpu + other) if server_cpu + other else float("nan"),
        "cpu_s": {"client": client_cpu, "server": server_cpu, "other": other, "machine": machine},
        "cpu_ms_per_flow": {"client": 1000 * client_cpu / max(stats.ok, 1),
                            "server": 1000 * server_cpu / max(stats.ok, 1),
                            "other": 1000 * other / max(stats.ok, 1),
                            "postgres": 1000 * postgres / max(stats.ok, 1)},
        "latency_ms": {"flow": _lat(stats.flow), "offer": _lat(stats.offer), "token": _lat(stats.token),
                       "nonce": _lat(stats.nonce), "proof_sign": _lat(stats.proof_sign),
                       "credential": _lat(stats.credential), "notification": _lat(stats.notification)},
        "load_average": {"before": load0, "after": load1},
        "db_per_request": statements,
        "server_exceptions": _exceptions(log_text),
        "server_log_tail": log_text[-2000:],
    }


# ---------------------------------------------------------------------------------------------------- report

def verdicts(results: list[dict[str, Any]], clients: int) -> list[str]:
    """Each goal met or not, on this tree's runs (``--baseline`` runs are shown beside them, never judged)."""
    out = []
    codes = dict.fromkeys(r["code"] for r in results)
    if len(codes) > 1:
        for name in codes:
            out.append(f"{name}: " + "; ".join(
                f"{x['backend']} x{x['workers']} {x['per_core']:.1f} credentials per server CPU-second, "
                f"/credential p99 {x['latency_ms']['credential']['p99']:.0f} ms "
                f"(load {x['load_average']['before'][0]:.2f})"
                for x in results if x["code"] == name))
    results = [r for r in results if r["code"] == "after"]
    pg1 = [r for r in results if r["backend"] == "postgresql" and r["workers"] == 1]
    if pg1:
        r = sorted(pg1, key=lambda x: x["per_core"])[len(pg1) // 2]  # the median run (of --repeat runs)
        ok = r["per_core"] >= TARGET_PER_CORE and not r["errors"]
        runs = ", ".join(f"{x['per_core']:.1f}" for x in pg1)
        out.append(f"{'MET' if ok else 'NOT MET'}: >= {TARGET_PER_CORE:.0f} credentials/s per core on PostgreSQL "
                   f"(1 worker): {r['per_core']:.1f} per uvicorn CPU-second ({r['per_core_incl_db']:.1f} "
                   f"including PostgreSQL), {r['credentials_per_s']:.1f}/s wall; each run: {runs}")
    else:
        out.append("NOT MEASURED: credentials/s per core on PostgreSQL (no postgresql run)")
    for r in results:
        p99 = r["latency_ms"]["credential"]["p99"]
        ok = p99 < TARGET_P99_MS and not r["errors"]
        note = "" if clients == 50 else f" (measured at {clients} clients, target is at 50)"
        load = r["load_average"]
        out.append(f"{'MET' if ok else 'NOT MET'}: POST /credential p99 < {TARGET_P99_MS:.0f} ms, {r['backend']} "
                   f"x{r['workers']}: {p99:.0f} ms (whole flow p99 {r['latency_ms']['flow']['p99']:.0f} ms){note}; "
                   f"load average {load['before'][0]:.2f} before, {load['after'][0]:.2f} after")
    for backend in dict.fromkeys(r["backend"] for r in results):
        by = {r["workers"]: r for r in results if r["backend"] == backend}
        if 1 in by and 2 in by:
            ratio = by[2]["credentials_per_s"] / by[1]["credentials_per_s"]
            out.append(f"{'MET' if ratio >= TARGET_SCALING else 'NOT MET'}: near-linear with workers, {backend}: "
                       f"2 workers = {ratio:.2f}x of 1 (target >= {TARGET_SCALING}x)")
    errors = sum(sum(r["errors"].values()) for r in results)
    out.append(f"{'no' if not errors else errors} failed flows" + ("" if not errors else " (see errors above)"))
    return out


def table(results: list[dict[str, Any]], cores: int) -> str:
    head = (f"{'code':<6} {'backend':<10} {'wrk':>3} {'ok':>5} {'err':>4} {'cred/s':>7} {'/core':>6} {'/core+db':>8} "
            f"{'flow p50/p95/p99 ms':>20} {'cred p50/p95/p99 ms':>20} {'token p50/p99':>13} "
            f"{'cpu ms/flow cli/srv/oth (pg)':>29}")
    lines = [head, "-" * len(head)]
    for r in results:
        f, c, t, cpu = (r["latency_ms"]["flow"], r["latency_ms"]["credential"], r["latency_ms"]["token"],
                        r["cpu_ms_per_flow"])
        lines.append(
            f"{r['code']:<6} {r['backend']:<10} {r['workers']:>3} {r['ok']:>5} {sum(r['errors'].values()):>4} "
            f"{r['credentials_per_s']:>7.1f} {r['per_core']:>6.1f} {r['per_core_incl_db']:>8.1f} "
            f"{f['p50']:>6.0f}/{f['p95']:>5.0f}/{f['p99']:>6.0f} {c['p50']:>6.0f}/{c['p95']:>5.0f}/{c['p99']:>6.0f} "
            f"{t['p50']:>6.0f}/{t['p99']:>6.0f} {cpu['client']:>7.1f}/{cpu['server']:>6.1f}/{cpu['other']:>6.1f} "
            f"({cpu['postgres']:.1f})")
    lines.append(f"(machine: {cores} cores shared by client, uvicorn and PostgreSQL; /core = credentials per "
                 f"uvicorn CPU-second; /core+db also charges 'oth' = machine CPU that is neither client nor uvicorn: "
                 f"PostgreSQL, and anything else running on the machine)")
    for r in results:
        load = r["load_average"]
        lines.append(f"{r['code']}, {r['backend']} x{r['workers']}: load average (1/5/15 min) before "
                     f"{'/'.join(f'{x:.2f}' for x in load['before'])}, after "
                     f"{'/'.join(f'{x:.2f}' for x in load['after'])}")
        lat = r["latency_ms"]
        lines.append("  p50/p99 ms per step: " + ", ".join(
            f"{k} {lat[k]['p50']:.0f}/{lat[k]['p99']:.0f}" for k in ("offer", "token", "nonce", "credential",
                                                                       "notification")))
        for step, c in r["db_per_request"].items():
            kinds = ", ".join(f"{k} {v:.1f}" for k, v in c.items() if k not in ("requests", "statements"))
            lines.append(f"  db per {step} request ({c['requests']:.0f} warm-up requests): "
                         f"{c.get('statements', 0):.1f} statements ({kinds})")
        for k, v in r["errors"].items():
            lines.append(f"  {r['backend']} x{r['workers']}: {v} x {k}")
        for s in r["error_samples"]:
            lines.append(f"    e.g. {s}")
        if r["warmup_errors"]:
            lines.append(f"  {r['backend']} x{r['workers']} warm-up errors: {r['warmup_errors']}")
        for k, v in r["server_exceptions"].items():
            lines.append(f"  {r['backend']} x{r['workers']} server log (warm-up + run): {v} x {k}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--flows", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=1, help="runs per (backend, workers); verdicts on the median")
    parser.add_argument("--warmup", type=int, default=50,
                        help="untimed flows before each run (their database statements are counted)")
    parser.add_argument("--config", default="mdl", help="credential configuration (batch 1)")
    parser.add_argument("--people", type=int, default=2000, help="synthetic people to seed")
    parser.add_argument("--postgres-url", default=DEFAULT_PG_URL)
    parser.add_argument("--addresses", choices=("one", "many"), default="many",
                        help="many: each flow from its own client address (X-Forwarded-For, as wallets are), the "
                             "default rate limits; one: every flow from 127.0.0.1, the limits far above the load")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout of the project (the code before a change): each run is made against "
                             "it first, then against this tree, interleaved; verdicts are on this tree's runs")
    parser.add_argument("--client", choices=("lean", "httpx"), default="lean",
                        help="the wallets' HTTP client: lean (benchmarks/_lean_http.py, little client CPU) or httpx")
    parser.add_argument("--threads-too", action="store_true",
                        help="also run this tree with MOBILEID_WALLET_IN_THREADS=true (code 'after+threads')")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    results, skipped = [], []
    for backend in backends:
        if backend not in ("sqlite", "postgresql"):
            parser.error(f"unknown backend {backend}")
        for n in [w for w in workers for _ in range(args.repeat)]:
            print(f"running {backend} with {n} worker(s), {args.clients} clients, {args.flows} flows ...",
                  file=sys.stderr, flush=True)
            try:
                variants = [(args.baseline.resolve(), False)] if args.baseline else []
                variants += [(ROOT, False)] + ([(ROOT, True)] if args.threads_too else [])
                for root, threads in variants:
                    results.append(run_one(backend, n, args.clients, args.flows, args.warmup, args.config,
                                           args.people, args.postgres_url, root=root, many=args.addresses == "many",
                                           client=args.client, threads=threads))
            except Exception as exc:
                if backend != "postgresql" or "connect" not in str(exc).lower():
                    raise
                skipped.append(f"{backend}: {exc}")
                print(f"SKIPPED {backend}: cannot connect ({str(exc).splitlines()[0]})", file=sys.stderr)
                break
    cores = os.cpu_count() or 1
    if args.json:
        print(json.dumps({"cores": cores, "results": results, "skipped": skipped,
                          "verdicts": verdicts(results, args.clients)}, indent=2))
    else:
        print(table(results, cores))
        for s in skipped:
            print(f"SKIPPED {s}")
        print()
        for v in verdicts(results, args.clients):
            print(v)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
