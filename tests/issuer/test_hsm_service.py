"""The HSM in the running service: ``mobileid issuer serve`` with MOBILEID_DS_KEY_STORE=pkcs11 signs with a
document-signer key generated on a SoftHSM2 token (none stored in the database), a wallet receives and
verifies what it issues, ``rotate-keys`` makes the next key on the token, and after a restart the service
signs with it while the old certificate stays published. Real processes, SQLite and PostgreSQL."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from issuer.db.models import Licence, SigningKey
from issuer.hsm import Pkcs11Signer
from specs.cbor import decode
from specs.mdoc.issuer_signed import IssuerSigned
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.wallet import Wallet

from .conftest import BACKENDS, _drop, _pg_url, free_port
from .test_hsm import PIN as HSM_PIN
from .test_hsm import TOKEN, token  # noqa: F401  (the SoftHSM2 token fixture)

pytestmark = pytest.mark.slow


@pytest.fixture(params=BACKENDS)
def hsm_env(request: pytest.FixtureRequest, token: str, tmp_path: Path) -> Iterator[dict[str, str]]:  # noqa: F811
    schema = f"t_{secrets.token_hex(6)}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOBILEID_")}
    env |= {"MOBILEID_DATA_DIR": str(tmp_path / "data"), "MOBILEID_SEED_PEOPLE": "60",
            "MOBILEID_DS_KEY_STORE": "pkcs11", "MOBILEID_PKCS11_MODULE": token, "MOBILEID_PKCS11_TOKEN": TOKEN,
            "MOBILEID_PKCS11_PIN": HSM_PIN, "MOBILEID_PKCS11_KEY_LABEL": "ds"}
    if request.param == "postgresql":
        env["MOBILEID_DATABASE_URL"] = _pg_url(schema)
    yield env
    if request.param == "postgresql":
        _drop(schema)


class Served:
    def __init__(self, env: dict[str, str]) -> None:
        self.env, self.port = env, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = Path(self.env["MOBILEID_DATA_DIR"]).parent / "serve.log"
        with log.open("a") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen([sys.executable, "-m", "mobileid", "issuer", "serve", "--port",
                                             str(self.port)], env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text()[-2000:]
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("the issuer did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def cli(self, *args: str) -> str:
        run = subprocess.run([sys.executable, "-m", "mobileid", "issuer", *args], env=self.env, capture_output=True,
                             text=True, timeout=120, check=False)
        assert run.returncode == 0, run.stderr
        return run.stdout

    def engine_url(self) -> str:
        return self.env.get("MOBILEID_DATABASE_URL") or f"sqlite:///{self.env['MOBILEID_DATA_DIR']}/issuer.sqlite3"


def _receive(served: Served, wallet: Wallet, person: int) -> x509.Certificate:
    """Enroll ``person`` from the CLI and receive the licence; returns the DS certificate it carries."""
    import json

    offer = json.loads(served.cli("enroll", "--clerk", "clerk1", "--applicant", str(person), "--doc", "mdl"))
    with httpx.Client(timeout=30) as http:
        [record] = wallet.receive(offer["credential_offer_uri"], offer["tx_code"], PIN, http=http)
    assert isinstance(record.credential, bytes)
    return IssuerSigned.from_cbor_value(decode(record.credential)).certificates()[0]


def _active_ds(url: str) -> SigningKey:
    engine = create_engine(url)
    with Session(engine) as session:
        row = session.scalars(select(SigningKey).where(SigningKey.kind == "ds", SigningKey.active)).one()
    engine.dispose()
    return row


def test_serve_issue_verify_and_rotate_with_the_keys_in_softhsm(hsm_env: dict[str, str], token: str,  # noqa: F811
                                                                tmp_path: Path) -> None:
    served = Served(hsm_env)
    served.start()
    try:
        engine = create_engine(served.engine_url())
        with Session(engine) as session:
            person = session.scalars(select(Licence.person_id).order_by(Licence.id)).first()
        engine.dispose()
        assert person is not None
        wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
        wallet.init(PIN, trust_pem=httpx.get(f"{served.url}/trust/root.pem").content)
        first = _receive(served, wallet, person)  # verified by the wallet against the IACA before it is kept
        row = _active_ds(served.engine_url())
        assert row.hsm_label is not None and row.hsm_label.startswith("ds-") and row.private_key_pem == ""
        on_token = Pkcs11Signer.open(token, TOKEN, HSM_PIN, row.hsm_label)
        try:
            assert first.public_key() == on_token.public_key()
        finally:
            on_token.close()

        assert "new document signer" in served.cli("rotate-keys")
        rotated = _active_ds(served.engine_url())
        assert rotated.hsm_label not in (None, row.hsm_label) and rotated.private_key_pem == ""
        served.stop()
        served.start()  # restart: the service signs with the new key from now on
        second = _receive(served, wallet, person)
        assert second != first
        assert second == x509.load_pem_x509_certificate(
            rotated.certificate_pem.encode())
        published = httpx.get(f"{served.url}/.well-known/jwt-vc-issuer").json()["jwks"]["keys"]
        assert len(published) == 2  # the old certificate stays trusted until it expires
    finally:
        served.stop()
