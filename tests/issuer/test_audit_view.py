"""The audit page (issuer/audit_view.py) on SQLite and PostgreSQL: pages by id, and the chain verified from a
checkpoint, so a view walks only what was added since; tampering is still found."""

from __future__ import annotations

import re

from sqlalchemy import select, update
from typer.testing import CliRunner

from issuer import audit
from issuer.audit_view import PAGE, check
from issuer.cli import issuer_app
from issuer.db.models import AuditEntry
from tests.issuer.conftest import Service

ENTRIES = 2 * PAGE + 7


def _fill(service: Service, count: int) -> None:
    with service.session() as session:
        for i in range(count):
            audit.append(session, actor="system", action="test.entry", target=f"n:{i}", now=service.clock.now)
        session.commit()


def test_pages_follow_the_older_link(service: Service) -> None:
    _fill(service, ENTRIES)
    service.login()
    seen: list[int] = []
    url: str | None = "/console/audit?lang=en"
    while url is not None:
        page = service.client.get(url)
        assert page.status_code == 200 and "Hash chain verified" in page.text
        ids = [int(i) for i in re.findall(r"<tr><td>(\d+)</td>", page.text)]
        assert 0 < len(ids) <= PAGE and ids == sorted(ids, reverse=True)
        seen += ids
        link = re.search(r'href="(/console/audit\?before=\d+&amp;lang=en)"', page.text)
        url = link.group(1).replace("&amp;", "&") if link else None
    with service.session() as session:
        assert seen == sorted(session.scalars(select(AuditEntry.id)), reverse=True)  # every entry once


def test_checkpoint_walks_only_new_entries(service: Service) -> None:
    _fill(service, ENTRIES)
    with service.session() as session:
        first = check(session, service.clock.now)
        again = check(session, service.clock.now)
    assert first.broken is None and first.walked >= ENTRIES
    assert again.broken is None and again.walked == 0 and again.verified_to == first.verified_to
    _fill(service, 3)
    with service.session() as session:
        assert check(session, service.clock.now).walked == 3


def test_tampering_is_found(service: Service) -> None:
    _fill(service, 10)
    with service.session() as session:
        point = check(session, service.clock.now).verified_to
    _fill(service, 2)
    with service.session() as session:  # an entry after the checkpoint is changed: the next view finds it
        session.execute(update(AuditEntry).where(AuditEntry.id == point + 1).values(target="forged"))
        session.commit()
        assert check(session, service.clock.now).broken == point + 1
        session.execute(update(AuditEntry).where(AuditEntry.id == point + 1).values(target="n:0"))
        session.commit()
        repaired = check(session, service.clock.now)
        assert repaired.broken is None and repaired.verified_to == point + 2
        last = repaired.verified_to  # the checkpoint's own entry is changed: found at once
        session.execute(update(AuditEntry).where(AuditEntry.id == last).values(hash="0" * 64))
        session.commit()
        assert check(session, service.clock.now).broken == last


def test_cli_rewalks_everything(service: Service) -> None:
    """An old, already verified entry edited (the page does not walk it again); verify-audit does."""
    _fill(service, 5)
    with service.session() as session:
        check(session, service.clock.now)
        first = session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).first()
        session.execute(update(AuditEntry).where(AuditEntry.id == first).values(actor="forged"))
        session.commit()
        assert check(session, service.clock.now).broken is None  # the page's quick check
    result = CliRunner().invoke(issuer_app, ["verify-audit", "--data-dir", str(service.settings.data_dir)],
                                env={"MOBILEID_DATABASE_URL": service.settings.sqlalchemy_url})
    assert result.exit_code == 1 and f"broken at entry {first}" in result.output
