"""Online presentation (OpenID4VP 1.0): full transactions per second on one core, and the verifier
service's latency with 50 transactions in flight.

1. One core: in one process, ``--transactions`` times: the business backend creates a transaction
   (POST /transactions, preset ``age19`` or ``bank_account_opening``), the wallet fetches and checks the
   signed request, builds fresh presentations, encrypts and posts them, the service decrypts and verifies
   them, and the backend reads the result. Verifier app and wallet share the process (in-process HTTP, no
   sockets), so the figure is transactions per CPU-second of both sides together.
2. 50 in flight: the service under uvicorn (one worker process), 50 client threads, each with its own
   wallet, running whole transactions back to back; the latency of each server call and of each
   transaction, p50/p95/p99, and the server process's CPU per transaction.

The wallet's PIN KDF is lowered (argon2id t=1, 8 MiB) so the phone-side PIN check does not dominate;
everything else is the production code. Run: ``.venv/bin/python benchmarks/online.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PIN = "482913"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def app_factory() -> Any:
    """uvicorn ``--factory`` entry point: the verifier service with settings from the environment."""
    from verifier.web.app import create_app
    from verifier.web.settings import VerifierSettings

    return create_app(VerifierSettings())


class Issuer:
    """The issuer in process (SQLite), enough of it to give wallets real credentials and a trust bundle."""

    def __init__(self, folder: Path) -> None:
        from fastapi.testclient import TestClient

        from issuer.settings import Settings
        from issuer.web.app import bootstrap, create_app

        self.settings = Settings(data_dir=folder, public_url="http://issuer.bench", seed_people=300,
                                 status_list_size=4096)
        bootstrap(self.settings)
        self.client = TestClient(create_app(self.settings), base_url="http://issuer.bench").__enter__()

    def wallet(self, folder: Path, configurations: list[str]) -> Any:
        from sqlalchemy import create_engine, select
        from sqlalchemy.orm import Session

        from issuer.db.models import Licence, Person, Staff
        from issuer.keys import tx_code_pepper
        from issuer.offers import create_offer, record_check
        from wallet.pin import KdfParams
        from wallet.wallet import Wallet

        engine = create_engine(self.settings.sqlalchemy_url)
        with Session(engine) as session:
            staff = session.scalars(select(Staff)).first()
            person = session.get(Person, session.scalars(select(Licence.person_id)).first())
            assert staff is not None and person is not None
            check = record_check(session, staff=staff, person=person, document_kind="id_card",
                                 document_number="bench", photo_match=True, notes="", now=dt.datetime.now(dt.UTC))
            offer = create_offer(session, check=check, staff=staff, configurations=configurations,
                                 issuer_url="http://issuer.bench", ttl_seconds=600, now=dt.datetime.now(dt.UTC),
                                 pepper=tx_code_pepper(self.settings.data_dir))
            session.commit()
        engine.dispose()
        wallet = Wallet(folder, kdf=KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1))
        wallet.init(PIN, trust_pem=self.client.get("/trust/root.pem").content)
        wallet.receive(offer.offer_uri, offer.tx_code, PIN, http=self.client, batch={"age_attestation": 2})
        return wallet

    def export(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "bundle.cbor").write_bytes(self.client.get("/trust/bundle").content)
        (folder / "root.pem").write_bytes(self.client.get("/trust/root.pem").content)
        return folder


class Timed:
    """The HTTP client with each server call timed by kind (as the client sees it: queueing included)."""

    def __init__(self, http: Any, times: dict[str, list[float]]) -> None:
        self.http, self.times = http, times

    def _timed(self, kind: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        answer = call(*args, **kwargs)
        self.times[kind].append(time.perf_counter() - start)
        return answer

    def get(self, url: str, *, headers: Any = None) -> Any:
        kind = "GET request object" if "/request/" in url else "GET result"
        return self._timed(kind, self.http.get, url, headers=headers)

    def post(self, url: str, *, data: Any = None, json: Any = None, headers: Any = None) -> Any:
        kind = "POST response" if "/response/" in url else "POST /transactions"
        return self._timed(kind, self.http.post, url, data=data, json=json, headers=headers)


KINDS = ("POST /transactions", "GET request object", "POST response", "GET result", "whole transaction")


def transaction(http: Timed, token: str, presenter: Any, roots: Any, preset: str) -> bool:
    """One whole transaction: create, fetch and check the request, answer, read the result."""
    from wallet.oid4vp import fetch_request

    headers = {"Authorization": f"Bearer {token}"}
    start = time.perf_counter()
    created = http.post("/transactions", json={"preset": preset}, headers=headers).json()
    received = fetch_request(created["cross_device_uri"], http=http, reader_roots=roots, now=dt.datetime.now(dt.UTC))
    outcome = presenter.respond(PIN, presenter.plan(PIN, received), http=http)
    view = http.get(f"/transactions/{created['transaction_id']}", headers=headers).json()
    http.times["whole transaction"].append(time.perf_counter() - start)
    return bool(outcome.delivered and view["result"]["accepted"])


def one_core(work: Path, wallet: Any, bundle: Path, count: int, preset: str) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from specs.x509 import TrustStore
    from verifier.web.app import create_app
    from verifier.web.settings import VerifierSettings
    from wallet.oid4vp import OnlinePresenter

    settings = VerifierSettings(data_dir=work / f"v-{preset}", public_url="http://bank.bench", trust=bundle)
    presenter = OnlinePresenter(wallet)
    with TestClient(create_app(settings), base_url="http://bank.bench") as client:
        http = Timed(client, {k: [] for k in KINDS})
        roots = TrustStore.from_path(settings.data_dir / "reader" / "reader_root.pem")
        token = (settings.data_dir / "api.token").read_text().strip()
        transaction(http, token, presenter, roots, preset)  # warm-up
        cpu, wall = time.process_time(), time.perf_counter()
        ok = sum(transaction(http, token, presenter, roots, preset) for _ in range(count))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"preset": preset, "transactions": count, "accepted": ok, "cpu_s": cpu, "wall_s": wall,
            "per_cpu_second": count / cpu, "ms_per_transaction": 1000 * cpu / count}


def _cpu_of(pid: int) -> float:
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def concurrent(work: Path, wallets: list[Any], bundle: Path, seconds: float, preset: str) -> dict[str, Any]:
    import httpx

    from specs.x509 import TrustStore
    from wallet.oid4vp import OnlinePresenter

    port = _free_port()
    data = work / "v-served"
    env = {**os.environ, "MOBILEID_VERIFIER_DATA_DIR": str(data), "MOBILEID_VERIFIER_TRUST": str(bundle),
           "MOBILEID_VERIFIER_PUBLIC_URL": f"http://127.0.0.1:{port}", "MOBILEID_VERIFIER_PORT": str(port)}
    log = (work / "uvicorn.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "online:app_factory", "--app-dir",
                               str(ROOT / "benchmarks"), "--host", "127.0.0.1", "--port", str(port),
                               "--log-level", "warning", "--no-access-log", "--timeout-keep-alive", "120"],
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait(port, server)
        clients = len(wallets)
        roots = TrustStore.from_path(data / "reader" / "reader_root.pem")
        token = (data / "api.token").read_text().strip()
        times: dict[str, list[float]] = {k: [] for k in KINDS}
        failures: list[str] = []
        stop = time.monotonic() + seconds
        lock = threading.Lock()

        def client(presenter: Any) -> None:
            local: dict[str, list[float]] = {k: [] for k in times}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                http = Timed(client, local)
                while time.monotonic() < stop:
                    try:
                        if not transaction(http, token, presenter, roots, preset):
                            failures.append("not accepted")
                    except Exception as exc:  # counted and reported, never hidden
                        failures.append(type(exc).__name__)
            with lock:
                for key, values in local.items():
                    times[key].extend(values)

        cpu0, load0 = _cpu_of(server.pid), os.getloadavg()
        threads = [threading.Thread(target=client, args=(OnlinePresenter(w),)) for w in wallets]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        server_cpu = _cpu_of(server.pid) - cpu0
        done = len(times["whole transaction"])
        return {"preset": preset, "clients": clients, "transactions": done, "failures": len(failures),
                "failure_kinds": sorted(set(failures)), "wall_s": wall, "per_second": done / wall,
                "server_cpu_ms_per_transaction": 1000 * server_cpu / max(done, 1),
                "load_before": load0, "load_after": os.getloadavg(),
                "latency_ms": {k: _pcts(v) for k, v in times.items()}}
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def _pcts(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    pick = lambda p: 1000 * ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]  # noqa: E731
    return {"p50": pick(50), "p95": pick(95), "p99": pick(99), "max": 1000 * ordered[-1],
            "mean": 1000 * statistics.fmean(ordered)}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, server: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("uvicorn exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the verifier did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=200, help="one-core run, per preset")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}, cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        issuer = Issuer(work / "issuer")
        docs = ["mdl", "age_attestation", "resident_card", "income_certificate"]
        mine = issuer.wallet(work / "w", docs)
        theirs = [issuer.wallet(work / f"c{i}", docs[1:2]) for i in range(args.clients)]
        bundle = issuer.export(work / "bundle")  # after issuing: the bundle carries the status lists used
        for preset in ("age19", "bank_account_opening"):
            r = one_core(work, mine, bundle, args.transactions, preset)
            print(f"one core, {preset}: {r['accepted']}/{r['transactions']} accepted, "
                  f"{r['per_cpu_second']:.1f} transactions per CPU-second ({r['ms_per_transaction']:.1f} ms CPU each, "
                  f"both sides), wall {r['wall_s']:.1f} s")
        r = concurrent(work, theirs, bundle, args.seconds, "age19")
        print(f"{r['clients']} in flight, age19: {r['transactions']} transactions in {r['wall_s']:.1f} s "
              f"({r['per_second']:.1f}/s), failures {r['failures']} {r['failure_kinds']}, "
              f"server CPU {r['server_cpu_ms_per_transaction']:.1f} ms per transaction")
        for name, pct in r["latency_ms"].items():
            print(f"  {name:20s} p50 {pct.get('p50', 0):8.1f}  p95 {pct.get('p95', 0):8.1f}  "
                  f"p99 {pct.get('p99', 0):8.1f}  max {pct.get('max', 0):8.1f} ms")
        print(f"load average before/after the concurrent run: {r['load_before']} / {r['load_after']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
