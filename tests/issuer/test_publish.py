"""The published folder (``issuer.publish``): signed again only when something changed, served with ETag,
Cache-Control from the ttl and 304, the same bytes a static server would serve, consistent under concurrent
publications."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from issuer.cli import issuer_app
from issuer.db.models import StatusListRow
from issuer.keys import load_keys
from issuer.publish import TTL_SECONDS
from issuer.status import current_list
from issuer.trust_bundle import publish_from_db
from specs.status import StatusList
from specs.trust.index import verify_trust_index
from specs.x509 import TrustStore

from .conftest import ISSUER_URL, Service


def _two_lists(service: Service) -> None:
    with service.session() as session:
        current_list(session, ISSUER_URL, 4096)
        session.add(StatusListRow(uri=f"{ISSUER_URL}/status/2", bits=2, size=4096,
                                  data=StatusList.empty(4096, 2).data))
        session.commit()


def _revoke(service: Service, number: int, index: int) -> None:
    with service.session() as session:
        row = session.scalars(select(StatusListRow).where(StatusListRow.uri == f"{ISSUER_URL}/status/{number}")).one()
        row.data = StatusList(row.bits, row.data).with_statuses({index: 1}).data
        session.commit()


def _publish(service: Service) -> tuple[str, ...]:
    with service.session() as session:
        keys = load_keys(session, service.settings.data_dir)
        return publish_from_db(session, keys, data_dir=service.settings.data_dir, public_url=ISSUER_URL,
                               now=service.clock.now).signed


def test_only_what_changed_is_signed_again(service: Service) -> None:
    _two_lists(service)
    first = _publish(service)
    assert {"status/1", "status/1.cwt", "status/2", "status/2.cwt", "trust/base", "trust/index",
            "trust/bundle", "trust/root.pem"} == set(first)
    folder = service.settings.data_dir / "publish"
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != ".lock"}
    assert _publish(service) == ()  # nothing changed: nothing signed, nothing written
    assert before == {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != ".lock"}

    _revoke(service, 2, 11)
    signed = set(_publish(service))
    logs = {p for p in signed if p.startswith("trust/changes/")}  # the change log from the first publication
    assert signed - logs == {"status/2", "status/2.cwt", "trust/index", "trust/bundle"} and len(logs) == 1
    assert (folder / "status/1.cwt").read_bytes() == before[folder / "status/1.cwt"]

    service.clock.advance(hours=13)  # past half a token's 24 h lifetime: everything is signed afresh
    assert {"status/1.cwt", "status/2.cwt", "trust/base", "trust/index"} <= set(_publish(service))


def test_endpoints_serve_the_published_files_with_etag_and_304(service: Service) -> None:
    _two_lists(service)
    folder = service.settings.data_dir / "publish"
    for path, headers, file in (("/status/1", {}, "status/1"), ("/status/1.cwt", {}, "status/1.cwt"),
                                ("/status/1", {"Accept": "application/statuslist+cwt"}, "status/1.cwt"),
                                ("/status/2.jwt", {}, "status/2"), ("/trust/index", {}, "trust/index"),
                                ("/trust/base", {}, "trust/base"), ("/trust/bundle", {}, "trust/bundle")):
        response = service.client.get(path, headers=headers)
        assert response.status_code == 200 and response.content == (folder / file).read_bytes(), path
        tag = response.headers["etag"]
        assert tag == f'"{hashlib.sha256(response.content).hexdigest()}"'
        assert response.headers["cache-control"] == f"public, max-age={TTL_SECONDS}"
        again = service.client.get(path, headers={**headers, "If-None-Match": f'"other", {tag}'})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
        assert service.client.get(path, headers={**headers, "If-None-Match": '"other"'}).status_code == 200
    media = service.client.get("/status/1.cwt").headers["content-type"]
    assert media == "application/statuslist+cwt"
    old = service.client.get("/status/2").headers["etag"]
    _revoke(service, 2, 5)
    changed = service.client.get("/status/2", headers={"If-None-Match": old})
    assert changed.status_code == 200 and changed.headers["etag"] != old
    for missing in ("/status/9", "/status/x", "/status/1.xml", "/status/-1", "/status/1234567890", "/status/\u0661"):
        assert service.client.get(missing).status_code == 404, missing


def test_concurrent_publications_leave_a_consistent_index(service: Service) -> None:
    _two_lists(service)
    _publish(service)
    _revoke(service, 1, 3)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _publish(service)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    folder = service.settings.data_dir / "publish"
    root = TrustStore.from_pem((folder / "trust/root.pem").read_bytes())
    index = verify_trust_index((folder / "trust/index").read_bytes(), root, now=service.clock.now)
    for entry in index.entries():
        assert hashlib.sha256((folder / entry.path).read_bytes()).digest() == entry.sha256, entry.path


def test_publish_command(service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if service.settings.database_url:  # the command finds the service's database as the service does
        monkeypatch.setenv("MOBILEID_DATABASE_URL", service.settings.database_url)
    _two_lists(service)
    args = ["publish", "--data-dir", str(service.settings.data_dir)]
    first = CliRunner().invoke(issuer_app, args)
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert report["lists"] == 2 and "trust/index" in report["signed"] and report["bytes"] > 0
    second = json.loads(CliRunner().invoke(issuer_app, args).output)
    assert second["signed"] == [] and second["sequence"] == report["sequence"]


def test_a_lost_state_file_does_not_restart_the_sequence(service: Service) -> None:
    _two_lists(service)
    folder = service.settings.data_dir / "publish"
    root = TrustStore.from_pem(service.client.get("/trust/root.pem").content)

    def sequence() -> int:
        return verify_trust_index((folder / "trust/index").read_bytes(), root, now=service.clock.now).sequence

    _publish(service)
    _revoke(service, 1, 1)
    _publish(service)
    before = sequence()
    (folder / ".state.json").unlink()  # a new machine on the shared folder, a restored backup
    service.clock.advance(seconds=1)
    assert "trust/index" in _publish(service) and sequence() > before


def test_a_register_too_big_for_one_file_is_published_split_only(service: Service, tmp_path: Path) -> None:
    import os

    from issuer.publish import ListSource, publish

    with service.session() as session:
        keys = load_keys(session, service.settings.data_dir)
    small = [ListSource(f"{ISSUER_URL}/status/1", StatusList.empty(1024, 2))]
    folder = tmp_path / "publish"
    assert "trust/bundle" in publish(folder, keys, public_url=ISSUER_URL, lists=small, now=service.clock.now).signed
    big = [*small, ListSource(f"{ISSUER_URL}/status/2", StatusList(8, os.urandom(2_500_000)))]  # incompressible
    report = publish(folder, keys, public_url=ISSUER_URL, lists=big, now=service.clock.now)
    assert "status/2.cwt" in report.signed and "trust/index" in report.signed
    assert "trust/bundle" not in report.signed and not (folder / "trust/bundle").exists()
