"""Interop with an OpenID4VCI 1.0 wallet this project did not write: the OpenWallet Foundation TypeScript
libraries (``@openid4vc/openid4vci`` as the wallet, ``@animo-id/mdoc`` and ``@sd-jwt/sd-jwt-vc`` verifying
what it received, against the pinned IACA) receive every credential type from the real issuer over sockets,
following the offer by reference, and tell the issuer they accepted each batch (interop/oid4vci/receive.mjs)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from issuer.credentials import CONFIGURATIONS
from issuer.db.models import Business, GrantItem, IssuanceBatch, Licence

from .conftest import Service, enroll, iaca_pem

pytestmark = pytest.mark.slow
INTEROP = Path(__file__).resolve().parents[2] / "interop" / "oid4vci"


@pytest.fixture(scope="module")
def node_wallet() -> Path:
    node = shutil.which("node")
    assert node is not None, "node is not installed: run scripts/node-deps.sh interop/oid4vci"
    if not (INTEROP / "node_modules" / "@openid4vc" / "openid4vci").exists():
        subprocess.run(["bash", "scripts/node-deps.sh", "interop/oid4vci"], cwd=INTEROP.parents[1], check=True,
                       timeout=600)
    return INTEROP / "receive.mjs"


def test_owf_wallet_receives_and_verifies_every_credential_type(service: Service, live_issuer_own_lists: str,
                                                                 node_wallet: Path, tmp_path: Path) -> None:
    with service.session() as session:
        person = session.scalars(select(Business.representative_id).join(
            Licence, Licence.person_id == Business.representative_id).order_by(Business.id)).first()
    assert person is not None
    live_issuer = live_issuer_own_lists
    uri, tx_code = enroll(service, person, list(CONFIGURATIONS), copies={"age_attestation": 2},
                          issuer_url=live_issuer, by_reference=True)
    root = tmp_path / "root.pem"
    root.write_bytes(iaca_pem(service))
    run = subprocess.run(["node", str(node_wallet), uri, tx_code, str(root)], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["credential_issuer"] == live_issuer
    received = report["received"]
    assert {k: v["count"] for k, v in received.items()} == {c: 2 if c == "age_attestation" else 1
                                                            for c in CONFIGURATIONS}
    for config, (_, fmt) in CONFIGURATIONS.items():
        assert received[config]["format"] == fmt
        names = {d["locale"]: d["name"] for d in received[config]["display"]}  # read from credential_metadata
        assert set(names) == {"ko", "en"} and all(names.values())
    assert received["mdl"]["verified"][0]["docType"] == "org.iso.18013.5.1.mDL"
    sd_jwt = received["business_registration"]["verified"][0]
    assert sd_jwt["iss"] == live_issuer and "registration_number" in sd_jwt["claims"]
    with service.session() as session:
        assert session.scalars(select(IssuanceBatch.event)).all() == ["credential_accepted"] * len(CONFIGURATIONS)
        assert all(i.issued == i.copies for i in session.scalars(select(GrantItem)))
