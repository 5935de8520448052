"""Issuer fixtures: a real service on SQLite and, when MOBILEID_TEST_POSTGRES_URL is set, on PostgreSQL.

Each PostgreSQL test run gets its own schema (dropped afterwards), so runs never see each other's rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from issuer.db.models import Office, Staff
from issuer.security import hash_password
from issuer.settings import Settings
from issuer.web.app import bootstrap, create_app

PG_URL = os.environ.get("MOBILEID_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
PEOPLE = 300
ISSUER_URL = "http://localhost"


@dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Service:
    client: TestClient
    settings: Settings
    clock: Clock
    clerk_password: str
    engine: Engine

    def session(self) -> Session:
        return Session(self.engine)

    def login(self, username: str = "clerk1", password: str | None = None) -> str:
        page = self.client.post("/console/login", data={"username": username,
                                                         "password": password or self.clerk_password},
                                follow_redirects=True)
        assert page.status_code == 200, page.text
        match = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert match
        return match.group(1)


def _pg_url(schema: str) -> str:
    assert PG_URL
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def _drop(schema: str) -> None:
    assert PG_URL
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    schema = f"t_{secrets.token_hex(6)}"
    url = _pg_url(schema) if request.param == "postgresql" else None
    settings = Settings(data_dir=tmp_path / "data", database_url=url, public_url=ISSUER_URL, seed_people=PEOPLE,
                        status_list_size=4096)
    result = bootstrap(settings)
    assert result.demo_password and result.people_loaded == PEOPLE
    engine = create_engine(settings.sqlalchemy_url)
    with Session(engine) as session:
        office = Office(code="BUSAN-01", name="부산 남부 운전면허시험장")
        session.add(office)
        session.flush()
        session.add(Staff(username="clerk2", role="clerk", office_id=office.id, password_hash=hash_password("pw-2")))
        session.commit()
    clock = Clock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    with TestClient(create_app(settings, clock=clock), base_url=ISSUER_URL) as client:
        yield Service(client, settings, clock, result.demo_password, engine)
    engine.dispose()
    if request.param == "postgresql":
        _drop(schema)


def person_with_licence(service: Service) -> int:
    from issuer.db.models import Licence

    with service.session() as session:
        return session.scalars(select(Licence.person_id).order_by(Licence.id)).first()  # type: ignore[return-value]


def enroll(service: Service, person_id: int, configurations: list[str], username: str = "clerk1",
           copies: dict[str, int] | None = None, issuer_url: str = ISSUER_URL,
           by_reference: bool = False) -> tuple[str, str]:
    """Record an in-person check and create an offer, as the counter does; returns (offer_uri, tx_code)."""
    from issuer.db.models import Person
    from issuer.keys import tx_code_pepper
    from issuer.offers import create_offer, record_check

    with service.session() as session:
        staff = session.scalars(select(Staff).where(Staff.username == username)).one()
        person = session.get(Person, person_id)
        assert person is not None
        check = record_check(session, staff=staff, person=person, document_kind="id_card",
                             document_number="test-0001", photo_match=True, notes="", now=service.clock.now)
        offer = create_offer(session, check=check, staff=staff, configurations=configurations,
                             issuer_url=issuer_url, ttl_seconds=service.settings.offer_ttl_seconds,
                             now=service.clock.now, copies=copies, pepper=tx_code_pepper(service.settings.data_dir))
        session.commit()
    return offer.reference_uri if by_reference else offer.offer_uri, offer.tx_code


def iaca_pem(service: Service) -> bytes:
    from cryptography.hazmat.primitives import serialization

    from issuer.keys import load_keys

    with service.session() as session:
        return load_keys(session, service.settings.data_dir).iaca.public_bytes(serialization.Encoding.PEM)


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(app: Any, port: int) -> Iterator[str]:
    """``app`` under uvicorn in a thread on 127.0.0.1:``port`` (real sockets, concurrent request handlers)."""
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive()


@pytest.fixture
def live_url(service: Service) -> Iterator[str]:
    """The service (same database and clock) under a real uvicorn server."""
    with serve(create_app(service.settings, clock=service.clock), free_port()) as url:
        yield url


@pytest.fixture
def live_issuer(service: Service) -> Iterator[str]:
    """The service (same database, real clock) under a real uvicorn server that names its own address as its
    public URL, as ``serve`` does: offers made with ``issuer_url=live_issuer`` are redeemable over sockets."""
    yield from _live(service, own_lists=False)


@pytest.fixture
def live_issuer_own_lists(service: Service) -> Iterator[str]:
    """``live_issuer`` for a peer that fetches status lists over sockets by the URI in the credential: the
    (still empty) lists the first start made at the service's nominal address are dropped, with what was
    published of them, so that the live start makes them at its own address. (Status lists stay where they
    were made when an issuer moves: they are published under one base, ``issuer.publish``.)"""
    yield from _live(service, own_lists=True)


def _live(service: Service, *, own_lists: bool) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    if own_lists:
        import shutil

        from sqlalchemy import delete

        from issuer.db.models import Credential, StatusListRow

        with service.session() as session:
            assert session.scalars(select(Credential.id)).first() is None, "lists with credentials stay"
            session.execute(delete(StatusListRow))
            session.commit()
        shutil.rmtree(service.settings.data_dir / "publish", ignore_errors=True)
    moved = service.settings.model_copy(update={"public_url": url})
    bootstrap(moved)  # as a restart at a new address does: the document signer is rotated to name it
    with serve(create_app(moved), port):
        yield url


def race_redemptions(url: str, code: str, tx_code: str, clients: int) -> list[tuple[int, str | None]]:
    """``clients`` threads POST /token with the same pre-authorized code at the same instant."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    barrier = threading.Barrier(clients)

    def redeem(_: int) -> tuple[int, str | None]:
        with httpx.Client(base_url=url, timeout=60) as client:
            barrier.wait()
            response = client.post("/token", data={
                "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                "pre-authorized_code": code, "tx_code": tx_code})
            return response.status_code, response.json().get("error")

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(redeem, range(clients)))


def refusals(service: Service, kind: str) -> int:
    """Refused anonymous requests of ``kind`` (``action:error``) counted so far (``issuer.limits``)."""
    from sqlalchemy import func

    from issuer.db.models import RefusalCount

    with service.session() as session:
        return int(session.scalar(select(func.coalesce(func.sum(RefusalCount.count), 0))
                                  .where(RefusalCount.kind == kind)) or 0)
