"""Receives that survive interruption: a real ``mobileid wallet receive`` process is killed (SIGKILL) right
after each step of the flow and the same command is run again; the wallet ends with the full grant and the
issuer issued each copy once (or, when the kill fell between reading an answer and storing it, superseded
exactly the copies that were never stored). Real issuer over sockets, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from issuer.credentials import thumbprint
from issuer.db.models import AuditEntry, Credential, GrantItem, IssuanceBatch
from tests.issuer.conftest import Service, enroll, iaca_pem, person_with_licence
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.redemption import CRASH_AFTER
from wallet.wallet import Wallet

pytestmark = pytest.mark.slow

GRANT = {"mdl": 1, "age_attestation": 3}
TYPES = {"org.iso.18013.5.1.mDL": "mdl", "kr.mobileid.age.1": "age_attestation"}


def _receive(folder: Path, uri: str, tx_code: str, crash_after: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOBILEID_")}
    if crash_after:
        env[CRASH_AFTER] = crash_after
    return subprocess.run([sys.executable, "-m", "mobileid", "wallet", "receive", uri, "--tx-code", tx_code,
                           "--data-dir", str(folder), "--pin", PIN, "--json"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def _issued(service: Service, person: int) -> tuple[dict[str, int], int, set[str]]:
    """(valid copies per configuration, revoked copies, thumbprints of the valid ones) for ``person``."""
    with service.session() as session:
        rows = session.scalars(select(Credential).where(Credential.person_id == person)).all()
    valid: dict[str, int] = {}
    for row in rows:
        if row.status == "valid":
            valid[row.type_id] = valid.get(row.type_id, 0) + 1
    return valid, sum(r.status == "revoked" for r in rows), {r.holder_key_thumbprint for r in rows
                                                              if r.status == "valid"}


@pytest.mark.parametrize("step", ["token", "response:mdl", "stored:mdl", "credential:mdl",
                                  "response:age_attestation", "credential:age_attestation"])
def test_killed_receive_resumes_to_the_full_grant(service: Service, live_issuer: str, tmp_path: Path,
                                                  step: str) -> None:
    folder = tmp_path / "phone"
    Wallet(folder, kdf=FAST_KDF).init(PIN, trust_pem=iaca_pem(service))
    person = person_with_licence(service)
    with service.session() as session:
        issued_before = session.scalar(select(func.count()).select_from(Credential).where(
            Credential.person_id == person))
    assert issued_before == 0
    uri, tx_code = enroll(service, person, list(GRANT), copies={"age_attestation": 3}, issuer_url=live_issuer)

    killed = _receive(folder, uri, tx_code, step)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (folder / "redemptions").is_dir()  # what the next run needs survived the kill
    again = _receive(folder, uri, tx_code, None)
    assert again.returncode == 0, again.stderr
    received = json.loads(again.stdout)["received"]
    assert sorted(r["type"] for r in received) == ["age_attestation"] * 3 + ["mdl"]
    assert not (folder / "redemptions").exists()

    wallet = Wallet(folder, kdf=FAST_KDF)
    held = wallet.credentials(PIN)
    assert sorted(TYPES[r.type_id] for r in held) == ["age_attestation"] * 3 + ["mdl"]
    device = wallet.device_keys(PIN, wallet.unlock(PIN))
    keys = {thumbprint(device.signer(r.device_key_alias).public_key()) for r in held}
    valid, revoked, live = _issued(service, person)
    assert valid == {"mdl": 1, "age_attestation": 3} and live == keys  # the wallet holds exactly the live copies
    lost = {"response:mdl": 1, "response:age_attestation": 3}.get(step, 0)
    assert revoked == lost  # issued once each; an answer read but never stored was superseded, nothing more
    with service.session() as session:
        counted = {i.configuration: (i.issued, i.copies) for i in session.scalars(select(GrantItem))}
        events = session.scalars(select(IssuanceBatch.event).order_by(IssuanceBatch.id)).all()
        issues = session.scalar(select(func.count()).select_from(AuditEntry)
                                .where(AuditEntry.action == "credential.issue"))
    assert counted == {"mdl": (1, 1), "age_attestation": (3, 3)}
    assert issues == 4 + lost
    assert events[-1] == "credential_accepted"  # the wallet told the issuer it kept the last batch
