"""The sweep (issuer/sweep.py) on SQLite and PostgreSQL: what has expired goes, what is still needed stays;
``mobileid issuer sweep``; the service sweeping by itself."""

from __future__ import annotations

import datetime as dt
import json
import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from issuer.cli import issuer_app
from issuer.db.models import GrantItem, Nonce, Offer, RateCounter, RefusalCount
from issuer.offers import PRE_AUTH_GRANT
from issuer.sweep import SWEPT, sweep
from issuer.web.app import create_app
from tests.issuer.conftest import ISSUER_URL, Service, enroll, person_with_licence
from wallet.oid4vci import CredentialOffer


def _count(service: Service, model: type) -> int:
    with service.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _offer(service: Service) -> tuple[int, str, str]:
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    with service.session() as session:
        offer_id = session.scalars(select(Offer.id).order_by(Offer.id.desc())).first()
    assert offer_id is not None
    return offer_id, CredentialOffer.parse(uri).pre_authorized_code, tx_code


def test_sweep_deletes_only_what_expired(service: Service) -> None:
    settings = service.settings
    client = service.client
    service.login()  # a console session, idle from now on
    assert client.post("/nonce").status_code == 200 and client.post("/remote/challenge").status_code == 200
    never, _, _ = _offer(service)  # lapses unredeemed
    redeemed, code, tx_code = _offer(service)
    assert client.post("/token", data={"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": code,
                                       "tx_code": tx_code}).status_code == 200
    burned, code, _ = _offer(service)
    for _ in range(settings.tx_code_attempts):
        client.post("/token", data={"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": code, "tx_code": "0"})
    with service.session() as session:
        assert session.get(Offer, burned).state == "burned"  # type: ignore[union-attr]
    with service.session() as session:  # nothing has expired yet
        assert not any(sweep(session, settings, service.clock.now).values())
        session.add(RefusalCount(minute=service.clock.now - dt.timedelta(days=91), kind="old", count=3))
        session.add(RefusalCount(minute=service.clock.now, kind="recent", count=1))
        session.add(RateCounter(bucket="token|*", window_start=int(service.clock.now.timestamp()) - 3600, hits=9))
        session.commit()

    service.clock.advance(seconds=settings.offer_ttl_seconds + 1)  # nonces and offers expired; offers kept a while
    with service.session() as session:
        deleted = sweep(session, settings, service.clock.now)
    assert deleted["nonces"] == 2 and deleted["offers"] == 0 and deleted["rate_limits"] > 1  # the requests' too
    assert deleted["console_sessions"] == 0  # idle 10 minutes of 30
    assert _count(service, RateCounter) == 0
    assert deleted["refusal_counts"] == 1

    service.clock.advance(seconds=settings.offer_retention_seconds)
    fresh = client.post("/nonce").json()["c_nonce"]
    with service.session() as session:
        deleted = sweep(session, settings, service.clock.now)
        offers = set(session.scalars(select(Offer.id)))
        nonces = list(session.scalars(select(Nonce.value)))
        items = set(session.scalars(select(GrantItem.offer_id)))
    assert deleted["offers"] == 2 and deleted["grant_items"] == 2 and deleted["console_sessions"] == 1
    assert never not in offers and burned not in offers and redeemed in offers  # the redeemed one stays
    assert items == {redeemed} and nonces == [fresh]
    assert _count(service, RefusalCount) == 1


def test_one_line_adds_a_table() -> None:
    assert [entry.model.__tablename__ for entry in SWEPT] == ["nonces", "offers", "refusal_counts",
                                                              "console_sessions"]


def test_cli_sweep(service: Service) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    with service.session() as session:
        session.add_all([Nonce(value=f"old-{i}", expires_at=past) for i in range(3)])
        session.add(Nonce(value="still-good", expires_at=past + dt.timedelta(hours=1)))
        session.commit()
    result = CliRunner().invoke(issuer_app, ["sweep", "--data-dir", str(service.settings.data_dir)],
                                env={"MOBILEID_DATABASE_URL": service.settings.sqlalchemy_url})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["deleted"]["nonces"] == 3
    with service.session() as session:
        assert list(session.scalars(select(Nonce.value))) == ["still-good"]


def test_service_sweeps_by_itself(service: Service) -> None:
    settings = service.settings.model_copy(update={"sweep_interval_seconds": 1})
    with TestClient(create_app(settings, clock=service.clock), base_url=ISSUER_URL) as client:
        assert client.post("/nonce").status_code == 200
        with service.session() as session:
            session.execute(update(Nonce).values(expires_at=service.clock.now - dt.timedelta(seconds=1)))
            session.commit()
        deadline = time.monotonic() + 15
        while _count(service, Nonce) and time.monotonic() < deadline:
            time.sleep(0.2)
    assert _count(service, Nonce) == 0
