"""Faults under load (issue: issuer reliability): kill -9 a uvicorn worker and restart PostgreSQL mid-load.

    .venv/bin/python benchmarks/faults.py [--clients 30] [--duration 75] [--kill-at 20] [--pg-restart-at 45]
                                          [--workers 2] [--retries 3] [--json]

Reuses benchmarks/issuance.py: a fresh PostgreSQL schema and data folder, seeded people, one offer per flow
created straight in the database, ``uvicorn --workers 2`` (app factory) as a subprocess. ``--clients`` asyncio
/httpx clients run the OpenID4VCI flow (POST /token -> POST /nonce -> sign proof -> POST /credential, batch 1,
one fresh device key per flow) for ``--duration`` seconds. Faults, from a separate thread:

* at ``--kill-at`` s, SIGKILL one uvicorn worker (uvicorn's supervisor is expected to start a new one);
* at ``--pg-restart-at`` s, ``pg_ctlcluster <version> <cluster> restart`` (fast shutdown: every connection drops).
  The cluster is started again in a ``finally`` if it is not online when the script ends.

The client behaves like a wallet: a request that fails by transport error or 5xx is retried (``--retries``
times, backoff 0.5/1/2 s); /token with the same pre-authorized code, /credential with the same access token and
key but a fresh c_nonce. Every attempt is recorded (time, step, outcome) and every flow's end result.

Afterwards the database is checked against what the client saw, flow by flow (offer <- code hash, access
token <- offer_id, credential rows <- holder key thumbprint, which is unique per flow):
  lost            the client got a credential, the database has no row for it        (must be 0)
  undelivered     rows the issuer committed whose response never reached the client (orphans; reported)
  doubled         flows with more than one credential row (a retry after an undelivered issuance)
  stranded        offers redeemed (access token row) whose token never reached the client
  offers redeemed more than once, duplicate (status_list_id, status_index), audit chain (verify_chain),
  audit entries vs rows (offer.redeem = access tokens, credential.batch = credentials).
Reported too: credentials/s before, during and after each fault, errors by kind per phase, worker restart
time, time from the PostgreSQL restart to the first successful /credential, exceptions in the server log.
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
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from issuance import (
    DEFAULT_PG_URL,
    PRE_AUTH,
    ROOT,
    Offer,
    _exceptions,
    _free_port,
    _pct,
    _pg_drop,
    _pg_schema_url,
    make_offers,
    start_server,
    stop_server,
)

BACKOFF = (0.5, 1.0, 2.0, 2.0, 2.0)
FAULT_WINDOW = 5.0  # seconds after a fault that count as "during"


# ---------------------------------------------------------------------------------------------------- processes

def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def worker_pids(master: int) -> list[int]:
    """The uvicorn worker processes: children of the master started by multiprocessing spawn."""
    return sorted(p for p in _children(master) if "spawn_main" in _cmdline(p) and "resource_tracker" not in _cmdline(p))


def pg_cluster() -> tuple[str, str]:
    """(version, name) of the cluster on port 5432, from pg_lsclusters."""
    rows = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True).stdout
    for line in rows.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] == "5432":
            return parts[0], parts[1]
    raise RuntimeError(f"no PostgreSQL cluster on port 5432:\n{rows}")


def pg_online(cluster: tuple[str, str]) -> bool:
    rows = subprocess.run(["pg_lsclusters", "--no-header", *cluster], capture_output=True, text=True).stdout
    return "online" in rows


def pg_ensure_up(cluster: tuple[str, str]) -> None:
    if not pg_online(cluster):
        print(f"PostgreSQL {cluster} is not online: starting it", file=sys.stderr, flush=True)
        subprocess.run(["pg_ctlcluster", *cluster, "start"], check=False, timeout=120)


# ---------------------------------------------------------------------------------------------------- faults

@dataclass
class Events:
    t0: float = 0.0
    log: list[tuple[float, str]] = field(default_factory=list)
    workers: list[tuple[float, list[int]]] = field(default_factory=list)
    kill_at: float | None = None
    killed_pid: int | None = None
    worker_back_at: float | None = None
    pg_restart_begin: float | None = None
    pg_restart_end: float | None = None
    pg_restart_rc: int | None = None
    pg_restart_output: str = ""

    def now(self) -> float:
        return time.monotonic() - self.t0

    def note(self, what: str) -> None:
        self.log.append((round(self.now(), 3), what))
        print(f"[{self.now():6.2f} s] {what}", file=sys.stderr, flush=True)


def fault_thread(ev: Events, master: int, workers: int, kill_at: float, pg_at: float, duration: float,
                 cluster: tuple[str, str], stop: threading.Event) -> None:
    last: list[int] = worker_pids(master)
    ev.workers.append((0.0, last))
    killed = pg_done = False
    while not stop.is_set() and ev.now() < duration + 5:
        now = ev.now()
        pids = worker_pids(master)
        if pids != last:
            ev.workers.append((round(now, 3), pids))
            ev.note(f"workers now {pids}")
            last = pids
            if ev.killed_pid is not None and ev.worker_back_at is None and ev.killed_pid not in pids \
                    and len(pids) >= workers:
                ev.worker_back_at = now
        if not killed and kill_at >= 0 and now >= kill_at:
            killed = True
            if pids:
                ev.killed_pid = pids[0]
                ev.kill_at = ev.now()
                os.kill(pids[0], signal.SIGKILL)
                ev.note(f"kill -9 worker {pids[0]}")
            else:
                ev.note("no worker to kill")
        if not pg_done and pg_at >= 0 and now >= pg_at:
            pg_done = True
            ev.pg_restart_begin = ev.now()
            ev.note(f"pg_ctlcluster {' '.join(cluster)} restart")
            try:
                done = subprocess.run(["pg_ctlcluster", *cluster, "restart"], capture_output=True, text=True,
                                      timeout=120)
                ev.pg_restart_rc, ev.pg_restart_output = done.returncode, (done.stdout + done.stderr)[-500:]
            finally:
                ev.pg_restart_end = ev.now()
                ev.note(f"PostgreSQL restart returned {ev.pg_restart_rc} after "
                        f"{ev.pg_restart_end - ev.pg_restart_begin:.2f} s")
        stop.wait(0.1)


# ---------------------------------------------------------------------------------------------------- load

@dataclass
class Flow:
    index: int
    start: float = 0.0
    end: float = 0.0
    token: bool = False          # an access token reached the client
    credentials: int = 0         # credentials that reached the client
    outcome: str = "not-run"     # ok | "<step> <kind>" of the last failure
    access: str = ""             # the access token (kept for the reuse probe; never printed)
    attempts: list[tuple[float, str, str]] = field(default_factory=list)  # (t, step, "200" | kind)


def _kind(exc: Exception) -> str:
    return type(exc).__name__


def _retryable(status: int | None) -> bool:
    return status is None or status >= 500


async def _post(http: Any, ev: Events, flow: Flow, step: str, url: str, **kw: Any) -> tuple[int | None, Any, str]:
    """One attempt: (status or None, response, kind), recorded on the flow."""
    try:
        r = await http.post(url, **kw)
    except Exception as exc:  # transport errors and timeouts are results too
        flow.attempts.append((ev.now(), step, _kind(exc)))
        return None, None, _kind(exc)
    kind = str(r.status_code)
    if r.status_code != 200:
        try:
            err = r.json().get("error")
            if err:
                kind = f"{r.status_code} {err}"
        except Exception:
            pass
    flow.attempts.append((ev.now(), step, kind))
    return r.status_code, r, kind


async def one_flow(http: Any, ev: Events, flow: Flow, offer: Offer, signer: Any, config: str, aud: str,
                   retries: int) -> None:
    from wallet.oid4vci import _proof

    flow.start = ev.now()
    try:
        access = None
        for attempt in range(retries + 1):
            status, r, kind = await _post(http, ev, flow, "token", "/token", data={
                "grant_type": PRE_AUTH, "pre-authorized_code": offer.code, "tx_code": offer.tx_code})
            if status == 200:
                access = r.json()["access_token"]
                break
            flow.outcome = f"token {kind}"
            if not _retryable(status) or attempt == retries:
                return
            await asyncio.sleep(BACKOFF[attempt])
        flow.token, flow.access = True, access
        auth = {"Authorization": f"Bearer {access}"}
        for attempt in range(retries + 1):
            status, r, kind = await _post(http, ev, flow, "nonce", "/nonce")
            if status == 200:
                proof = _proof(signer, aud, r.json()["c_nonce"], dt.datetime.now(dt.UTC))
                status, r, kind = await _post(http, ev, flow, "credential", "/credential", headers=auth, json={
                    "credential_configuration_id": config, "proofs": {"jwt": [proof]}})
                if status == 200:
                    flow.credentials += len(r.json().get("credentials", []))
                    flow.outcome = "ok" if flow.credentials == 1 else f"credential bad-count {flow.credentials}"
                    return
                flow.outcome = f"credential {kind}"
            else:
                flow.outcome = f"nonce {kind}"
            if not _retryable(status) or attempt == retries:
                return
            await asyncio.sleep(BACKOFF[attempt])
    finally:
        flow.end = ev.now()


async def drive(base_url: str, ev: Events, offers: list[Offer], signers: list[Any], config: str, clients: int,
                duration: float, retries: int) -> list[Flow]:
    import httpx

    flows: list[Flow] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(offers)):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as http:
        async def worker() -> None:
            while ev.now() < duration:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    ev.note("ran out of offers")
                    return
                flow = Flow(i)
                flows.append(flow)
                await one_flow(http, ev, flow, offers[i], signers[i], config, base_url, retries)

        await asyncio.gather(*(worker() for _ in range(clients)))
    return flows


async def reuse_probe(base_url: str, ev: Events, flow: Flow, offer: Offer, signer: Any, config: str
                      ) -> dict[str, Any]:
    """After the load: what a wallet retry meets. The same pre-authorized code again, and a second
    /credential with the access token of a flow that already received its credential (fresh c_nonce)."""
    import httpx

    from wallet.oid4vci import _proof

    probe = Flow(flow.index)
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as http:
        _, _, kind = await _post(http, ev, probe, "token", "/token", data={
            "grant_type": PRE_AUTH, "pre-authorized_code": offer.code, "tx_code": offer.tx_code})
        _, r, _ = await _post(http, ev, probe, "nonce", "/nonce")
        proof = _proof(signer, base_url, r.json()["c_nonce"], dt.datetime.now(dt.UTC))
        status2, r2, kind2 = await _post(http, ev, probe, "credential", "/credential",
                                         headers={"Authorization": f"Bearer {flow.access}"},
                                         json={"credential_configuration_id": config, "proofs": {"jwt": [proof]}})
    got = len(r2.json().get("credentials", [])) if status2 == 200 else 0
    return {"flow": flow.index, "token_again": kind, "credential_again": kind2, "credentials_again": got}


# ---------------------------------------------------------------------------------------------------- checks

def check_db(url: str, offers: list[Offer], signers: list[Any], flows: list[Flow],
             probe_index: int | None = None) -> dict[str, Any]:
    from sqlalchemy import func, select, text
    from sqlalchemy.orm import Session

    from issuer.audit import verify_chain
    from issuer.credentials import thumbprint
    from issuer.db import make_engine
    from issuer.db.models import AccessToken, AuditEntry, Credential
    from issuer.db.models import Offer as OfferRow
    from issuer.security import token_hash

    engine = make_engine(url)
    try:
        with Session(engine) as s:
            offer_ids = dict(s.execute(select(OfferRow.code_hash, OfferRow.id)).all())
            offer_state = dict(s.execute(select(OfferRow.id, OfferRow.state)).all())
            tokens_per_offer = Counter(s.scalars(select(AccessToken.offer_id)))
            creds_per_key = Counter(s.scalars(select(Credential.holder_key_thumbprint)))
            n_tokens = s.scalar(select(func.count()).select_from(AccessToken)) or 0
            n_creds = s.scalar(select(func.count()).select_from(Credential)) or 0
            dup_index = s.execute(select(Credential.status_list_id, Credential.status_index, func.count())
                                  .group_by(Credential.status_list_id, Credential.status_index)
                                  .having(func.count() > 1)).all()
            constraint = s.execute(text(
                "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                "WHERE t.relname = 'credentials' AND t.relnamespace = current_schema()::regnamespace "
                "AND c.contype = 'u'")).scalars().all()
            actions = Counter(s.scalars(select(AuditEntry.action)))
            batch_counts = sum(int(d.get("count", 0)) for d in s.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == "credential.batch")))
            n_audit = sum(actions.values())
            broken = verify_chain(s)
            probe_key = thumbprint(signers[probe_index].public_key()) if probe_index is not None else None
            probe_statuses = list(s.scalars(select(Credential.status).where(
                Credential.holder_key_thumbprint == probe_key).order_by(Credential.id)))
    finally:
        engine.dispose()

    lost = undelivered = doubled = stranded = 0
    stranded_flows: list[int] = []
    per_flow: Counter[str] = Counter()
    failed_before_token: Counter[str] = Counter()  # offer state of flows that never got a token
    failed_after_token = 0  # flows that hold a token (valid 10 min) but no credential
    seen_keys: set[str] = set()
    for flow in flows:
        offer = offers[flow.index]
        oid = offer_ids.get(token_hash(offer.code))
        tok_rows = tokens_per_offer.get(oid, 0)
        key = thumbprint(signers[flow.index].public_key())
        seen_keys.add(key)
        rows = creds_per_key.get(key, 0)
        if flow.credentials > rows:
            lost += flow.credentials - rows
        if rows > flow.credentials:
            undelivered += rows - flow.credentials
        if rows > max(1, flow.credentials):  # the reuse probe's flow asked twice on purpose
            doubled += 1
        if tok_rows and not flow.token:
            stranded += 1
            stranded_flows.append(flow.index)
        if flow.outcome != "ok":
            if not flow.token:
                failed_before_token[offer_state.get(oid, "?")] += 1
            else:
                failed_after_token += 1
        per_flow[f"client {flow.outcome} / db tokens={tok_rows} creds={rows}"] += 1
    unknown_rows = sum(v for k, v in creds_per_key.items() if k not in seen_keys)
    flow_offer_ids = {offer_ids.get(token_hash(offers[f.index].code)) for f in flows}
    unrun_redeemed = sum(1 for k in tokens_per_offer if k is not None and k not in flow_offer_ids)
    return {
        "flows": len(flows),
        "client_credentials": sum(f.credentials for f in flows),
        "db_access_tokens": n_tokens, "db_credentials": n_creds,
        "lost": lost, "undelivered_rows": undelivered, "doubled_flows": doubled,
        "stranded_tokens": stranded,
        "failed_flows_without_token_by_offer_state": dict(failed_before_token),
        "failed_flows_holding_token": failed_after_token, "stranded_flow_ids": stranded_flows[:20],
        "credential_rows_of_unknown_keys": unknown_rows,
        "redeemed_offers_without_flow": unrun_redeemed,
        "offers_redeemed_more_than_once": sum(1 for k, v in tokens_per_offer.items() if k is not None and v > 1),
        "tokens_without_offer": tokens_per_offer.get(None, 0),
        "duplicate_status_indices": len(dup_index),
        "unique_constraints_on_credentials": constraint,
        "audit_entries": n_audit, "audit_actions": dict(actions),
        "audit_offer_redeem_vs_tokens": [actions.get("offer.redeem", 0), n_tokens],
        "audit_credential_batch_count_vs_rows": [batch_counts, n_creds],
        "audit_chain_first_broken_id": broken,
        "per_flow_outcomes": dict(per_flow.most_common()),
        "probe_credential_statuses": probe_statuses,  # the reuse probe's key, oldest first
    }


# ---------------------------------------------------------------------------------------------------- figures

def phases(ev: Events, duration: float) -> list[tuple[str, float, float]]:
    marks: list[tuple[str, float, float]] = []
    t = 0.0
    for name, at in (("kill -9 worker", ev.kill_at), ("PostgreSQL restart", ev.pg_restart_begin)):
        if at is None:
            continue
        end = at + FAULT_WINDOW
        if name == "PostgreSQL restart" and ev.pg_restart_end is not None:
            end = max(end, ev.pg_restart_end + FAULT_WINDOW)
        marks.append(("before" if not marks else "between", t, at))
        marks.append((f"{name} (+{end - at:.0f} s)", at, end))
        t = end
    marks.append(("after" if marks else "steady", t, duration))
    return [(n, a, b) for n, a, b in marks if b > a]


def figures(ev: Events, flows: list[Flow], duration: float) -> dict[str, Any]:
    oks = sorted(f.end for f in flows if f.outcome == "ok")
    attempts = [a for f in flows for a in f.attempts]
    rows = []
    for name, a, b in phases(ev, duration):
        ok = sum(1 for t in oks if a <= t < b)
        in_phase = [x for x in attempts if a <= x[0] < b]
        errs = Counter(f"{step} {kind}" for t, step, kind in in_phase if kind != "200")
        rows.append({"phase": name, "from_s": round(a, 2), "to_s": round(b, 2), "credentials": ok,
                     "per_s": ok / (b - a), "requests": len(in_phase), "failed_requests": sum(errs.values()),
                     "error_rate": sum(errs.values()) / max(len(in_phase), 1), "errors": dict(errs)})
    per_second_ok = Counter(int(t) for t in oks)
    per_second_err = Counter(int(x[0]) for x in attempts if x[2] != "200")
    horizon = int(max([duration, *(f.end for f in flows)])) + 1
    recovery: dict[str, Any] = {}
    if ev.kill_at is not None:
        recovery["worker_replaced_after_s"] = None if ev.worker_back_at is None else ev.worker_back_at - ev.kill_at
        errs = [x[0] for x in attempts if x[2] != "200" and ev.kill_at <= x[0] < ev.kill_at + FAULT_WINDOW]
        recovery["kill_last_error_after_s"] = (max(errs) - ev.kill_at) if errs else None
        recovery["kill_failed_requests"] = len(errs)
    if ev.pg_restart_begin is not None:
        begin, end = ev.pg_restart_begin, ev.pg_restart_end or ev.pg_restart_begin
        cred_ok = sorted(x[0] for x in attempts if x[1] == "credential" and x[2] == "200")
        errs = sorted(x[0] for x in attempts if x[2] != "200" and begin <= x[0] < end + 30)
        recovery["pg_restart_command_s"] = end - begin
        recovery["pg_failed_requests"] = len(errs)
        if errs:
            recovery["pg_first_error_after_restart_began_s"] = errs[0] - begin
            recovery["pg_last_error_after_restart_began_s"] = errs[-1] - begin
            back = next((t for t in cred_ok if t > errs[-1]), None)
            # issuance is back: the first credential delivered after the last failed request of the window
            recovery["pg_first_credential_after_last_error_s"] = None if back is None else back - begin
        first_after = next((t for t in cred_ok if t >= end), None)
        recovery["pg_first_credential_after_restart_returned_s"] = None if first_after is None else first_after - end
        gaps = [b - a for a, b in pairwise(cred_ok) if b >= begin and a <= end + 30]
        recovery["pg_longest_gap_without_credential_s"] = max(gaps) if gaps else None
    flow_ms = [1000 * (f.end - f.start) for f in flows if f.outcome == "ok"]
    return {"phases": rows, "recovery": recovery,
            "timeline_ok_per_s": [per_second_ok.get(i, 0) for i in range(horizon)],
            "timeline_failed_requests_per_s": [per_second_err.get(i, 0) for i in range(horizon)],
            "flow_ms": {"p50": _pct([x / 1000 for x in flow_ms], 50), "p99": _pct([x / 1000 for x in flow_ms], 99)},
            "outcomes": dict(Counter(f.outcome for f in flows).most_common())}


# ---------------------------------------------------------------------------------------------------- run

def run(args: argparse.Namespace) -> dict[str, Any]:
    from issuer.settings import Settings
    from issuer.web.app import bootstrap
    from specs.crypto import SoftwareSigner

    cluster = pg_cluster()
    tmp = Path(tempfile.mkdtemp(prefix="mobileid-faults-"))
    schema = f"faults_{secrets.token_hex(6)}"
    proc = None
    stop = threading.Event()
    thread = None
    ev = Events()
    try:
        url = _pg_schema_url(args.postgres_url, schema)
        port = _free_port()
        public_url = f"http://127.0.0.1:{port}"
        data_dir = tmp / "data"
        settings = Settings(data_dir=data_dir, database_url=url, public_url=public_url, seed_people=args.people,
                            port=port)
        t_setup = time.monotonic()
        bootstrap(settings)
        print(f"creating {args.offers} offers ...", file=sys.stderr, flush=True)
        offers = make_offers(settings.sqlalchemy_url, public_url, args.offers, args.config)
        signers = [SoftwareSigner.generate() for _ in offers]
        setup_s = time.monotonic() - t_setup
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOBILEID_")}
        env |= {"MOBILEID_DATA_DIR": str(data_dir), "MOBILEID_PUBLIC_URL": public_url,
                "MOBILEID_SEED_PEOPLE": str(args.people), "MOBILEID_PORT": str(port),
                "MOBILEID_DATABASE_URL": url,
                "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        proc = start_server(env, port, args.workers, tmp / "uvicorn.log")
        ev.t0 = time.monotonic()
        ev.note(f"uvicorn master {proc.pid}, workers {worker_pids(proc.pid)}; load starts")
        thread = threading.Thread(target=fault_thread, args=(ev, proc.pid, args.workers, args.kill_at,
                                                             args.pg_restart_at, args.duration, cluster, stop),
                                  daemon=True)
        thread.start()
        flows = asyncio.run(drive(public_url, ev, offers, signers, args.config, args.clients, args.duration,
                                  args.retries))
        ev.note(f"load ended: {len(flows)} flows")
        probe_flow = next((f for f in flows if f.outcome == "ok"), None)
        probe = None
        if probe_flow is not None:
            probe = asyncio.run(reuse_probe(public_url, ev, probe_flow, offers[probe_flow.index],
                                            signers[probe_flow.index], args.config))
        stop.set()
        thread.join(timeout=150)
        pg_ensure_up(cluster)
        workers_end = worker_pids(proc.pid)
        server_alive = proc.poll() is None
        log_text = (tmp / "uvicorn.log").read_text(errors="replace")
        if probe is not None and probe_flow is not None:  # the probe's second credential is not a fault's doing
            probe_flow.credentials += probe["credentials_again"]
        checks = check_db(url, offers, signers, flows, probe_flow.index if probe_flow is not None else None)
        if probe is not None and probe_flow is not None:
            probe_flow.credentials -= probe["credentials_again"]
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=150)
        try:
            pg_ensure_up(cluster)
        finally:
            if proc is not None:
                stop_server(proc)
            try:
                _pg_drop(args.postgres_url, schema)
            except Exception as exc:
                print(f"could not drop schema {schema}: {exc}", file=sys.stderr)
            shutil.rmtree(tmp, ignore_errors=True)
    fig = figures(ev, flows, args.duration)
    return {
        "cores": os.cpu_count(), "loadavg_after": os.getloadavg(), "cluster": list(cluster),
        "workers": args.workers, "clients": args.clients, "duration_s": args.duration, "retries": args.retries,
        "offers": len(offers), "setup_s": setup_s, "events": ev.log,
        "worker_pids": ev.workers, "workers_at_end": workers_end, "server_alive_at_end": server_alive,
        "killed_pid": ev.killed_pid, "pg_restart_rc": ev.pg_restart_rc, "pg_restart_output": ev.pg_restart_output,
        **fig, "checks": checks, "reuse_probe": probe, "server_exceptions": _exceptions(log_text),
        "server_log_tail": log_text[-1500:],
    }


def verdicts(r: dict[str, Any]) -> list[str]:
    c, rec = r["checks"], r["recovery"]
    out = []

    def v(ok: bool, text: str) -> None:
        out.append(f"{'OK' if ok else 'FAIL'}: {text}")

    v(c["lost"] == 0, f"no issuance lost: {c['lost']} credentials the client received have no row")
    v(c["doubled_flows"] == 0, f"no issuance doubled: {c['doubled_flows']} flows have more than one credential row "
      f"({c['undelivered_rows']} rows committed but never delivered)")
    v(c["stranded_tokens"] == 0, f"no stranded redemption: {c['stranded_tokens']} offers redeemed whose token never "
      "reached the client (the code is then spent)")
    fb = c["failed_flows_without_token_by_offer_state"]
    v(set(fb) <= {"open"}, f"failed flows can be resumed: {sum(fb.values())} failed before a token, offers "
      f"{fb or 'none'} (open = the same code works again); {c['failed_flows_holding_token']} failed after the token "
      "(it stays valid for /credential)")
    v(c["offers_redeemed_more_than_once"] == 0, f"offers redeemed at most once: "
      f"{c['offers_redeemed_more_than_once']} redeemed twice")
    v(c["duplicate_status_indices"] == 0, f"status indices unique: {c['duplicate_status_indices']} duplicates "
      f"among {c['db_credentials']} credentials (constraint: {', '.join(c['unique_constraints_on_credentials'])})")
    v(c["audit_chain_first_broken_id"] is None, f"audit chain verifies over {c['audit_entries']} entries "
      f"(first broken id: {c['audit_chain_first_broken_id']})")
    a, b = c["audit_offer_redeem_vs_tokens"], c["audit_credential_batch_count_vs_rows"]
    v(a[0] == a[1] and b[0] == b[1], f"audit matches rows: offer.redeem {a[0]} / access tokens {a[1]}, "
      f"credential.batch count {b[0]} / credentials {b[1]}")
    if "worker_replaced_after_s" in rec:
        w = rec["worker_replaced_after_s"]
        v(w is not None, "killed worker replaced by uvicorn" + (f" after {w:.2f} s" if w is not None else ": NOT"))
    if "pg_first_credential_after_restart_returned_s" in rec:
        f = rec["pg_first_credential_after_restart_returned_s"]
        b = rec.get("pg_first_credential_after_last_error_s")
        v(f is not None, "issuance resumed after the PostgreSQL restart" +
          (f": restart command took {rec['pg_restart_command_s']:.2f} s, failed requests from "
           f"+{rec.get('pg_first_error_after_restart_began_s', 0):.2f} to "
           f"+{rec.get('pg_last_error_after_restart_began_s', 0):.2f} s, "
           f"first credential after the last failure at +{b if b is not None else float('nan'):.2f} s"
           if f is not None else ": NOT"))
    p = r.get("reuse_probe")
    if p:
        out.append(f"NOTE: retry semantics (probe after the load): same pre-authorized code again -> "
                   f"{p['token_again']}; "
                   f"second /credential with a used access token and a fresh c_nonce -> {p['credential_again']} "
                   f"({p['credentials_again']} more credential); that key's credentials, oldest first: "
                   f"{', '.join(r['checks'].get('probe_credential_statuses', [])) or 'none'} (a retry with the same "
                   "key supersedes the credential the wallet never saw)")
    return out


def table(r: dict[str, Any]) -> str:
    lines = [f"{r['workers']} workers, {r['clients']} clients, {r['duration_s']:.0f} s, retries {r['retries']}, "
             f"{r['cores']} cores shared by client, uvicorn, PostgreSQL (cluster {' '.join(r['cluster'])})",
             f"{'phase':<30} {'from-to s':>11} {'cred':>5} {'cred/s':>7} {'req':>6} {'failed':>6} {'rate':>6}  errors"]
    for p in r["phases"]:
        errs = ", ".join(f"{v} x {k}" for k, v in sorted(p["errors"].items(), key=lambda kv: -kv[1]))
        lines.append(f"{p['phase']:<30} {p['from_s']:>5.1f}-{p['to_s']:<5.1f} {p['credentials']:>5} "
                     f"{p['per_s']:>7.1f} {p['requests']:>6} {p['failed_requests']:>6} {100 * p['error_rate']:>5.1f}%"
                     f"  {errs}")
    rec = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in r["recovery"].items()}
    lines.append(f"recovery: {rec}")
    lines.append(f"flow outcomes: {r['outcomes']}")
    c = r["checks"]
    lines.append(f"client credentials {c['client_credentials']}, db credentials {c['db_credentials']}, "
                 f"db access tokens {c['db_access_tokens']}, flows {c['flows']}")
    for k, n in r["server_exceptions"].items():
        lines.append(f"server log: {n} x {k[:150]}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--duration", type=float, default=75.0, help="seconds of load")
    parser.add_argument("--kill-at", type=float, default=20.0, help="seconds; negative: no kill")
    parser.add_argument("--pg-restart-at", type=float, default=45.0, help="seconds; negative: no restart")
    parser.add_argument("--retries", type=int, default=3, help="wallet retries per step on transport error / 5xx")
    parser.add_argument("--offers", type=int, default=4000, help="offers created up front (upper bound on flows)")
    parser.add_argument("--config", default="mdl")
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--postgres-url", default=DEFAULT_PG_URL)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--save", type=Path, help="also write the JSON result to this file")
    args = parser.parse_args()
    args.retries = min(args.retries, len(BACKOFF))
    result = run(args)
    result["verdicts"] = verdicts(result)
    if args.save:
        args.save.write_text(json.dumps(result, indent=2, default=str))
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(table(result))
        print()
        for line in result["verdicts"]:
            print(line)
    return 1 if any(v.startswith("FAIL") for v in result["verdicts"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
