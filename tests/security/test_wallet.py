"""Security suite, the holder wallet (docs: wallet key hierarchy in wallet/pin.py): PIN guessing, tampering,
and personal data kept out of logs and audit rows."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from issuer.db.models import AuditEntry, Licence, Person
from specs.errors import LockedError, PinError, StoreCorruptedError
from tests.issuer.conftest import Service, enroll, person_with_licence
from tests.wallet.conftest import FAST_KDF, PIN
from wallet import pin as pin_module
from wallet.pin import DEFAULT_KDF, PinVault
from wallet.present import Presenter
from wallet.wallet import Wallet

SQLITE = pytest.mark.parametrize("service", ["sqlite"], indirect=True)


def _walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    out = [(path, value)]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _walk(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _walk(v, f"{path}/{i}")
    return out


def test_wallet_offline_pin_guessing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Copied wallet files: every PIN guess costs one full argon2id derivation, no cheaper check (RFC 9106 §4)."""
    PinVault(tmp_path / "phone").initialize(PIN)  # created with the defaults
    state = json.loads((tmp_path / "phone" / "pin.json").read_text())
    assert state["kdf"]["alg"] == "argon2id"
    assert state["kdf"]["t"] >= DEFAULT_KDF.time_cost and state["kdf"]["m"] >= DEFAULT_KDF.memory_kib
    assert state["kdf"]["p"] >= DEFAULT_KDF.parallelism and DEFAULT_KDF.memory_kib >= 19 * 1024  # OWASP floor
    # The only PIN-dependent value on disk is the GCM-wrapped master key: no hash, verifier or PIN field.
    names = {path.rsplit("/", 1)[-1].lower() for f in (tmp_path / "phone").rglob("*.json")
             for path, _ in _walk(json.loads(f.read_text()))}
    assert not names & {"hash", "pin", "pin_hash", "verifier", "check", "kcv", "digest", "mac", "hmac"}
    assert PIN not in "".join(f.read_text() for f in (tmp_path / "phone").rglob("*.json"))

    calls: list[tuple[int, int]] = []
    real = pin_module.hash_secret_raw

    def counting(secret: bytes, salt: bytes, t: int, m: int, p: int, size: int, kind: Any) -> bytes:
        calls.append((t, m))
        return real(secret, salt, t, m, p, size, kind)

    monkeypatch.setattr(pin_module, "hash_secret_raw", counting)
    attacker = tmp_path / "copy"
    guesses = ["0000", "1234", "111111", "482912"]
    for guess in guesses:
        shutil.rmtree(attacker, ignore_errors=True)
        shutil.copytree(tmp_path / "phone", attacker)  # reset the counter by restoring the copy
        with pytest.raises(PinError) as info:
            PinVault(attacker).unlock(guess)
        assert info.value.code == "wallet.wrong_pin"
    assert calls == [(DEFAULT_KDF.time_cost, DEFAULT_KDF.memory_kib)] * len(guesses)


def test_wallet_online_pin_guessing_locks(tmp_path: Path) -> None:
    """On the device, max_attempts wrong PINs crypto-erase the master key; the right PIN then fails too."""
    vault = PinVault(tmp_path / "phone", kdf=FAST_KDF, max_attempts=3)
    vault.initialize(PIN)
    for _ in range(2):
        with pytest.raises(PinError):
            vault.unlock("0000")
    with pytest.raises(LockedError) as info:
        vault.unlock("0000")
    assert info.value.code == "wallet.locked"
    with pytest.raises(LockedError):
        vault.unlock(PIN)
    assert json.loads((tmp_path / "phone" / "pin.json").read_text())["master"] is None


def test_wallet_weakened_kdf_params(tmp_path: Path) -> None:
    """Editing pin.json to cheaper argon2id params breaks the wrap (params are bound as AES-GCM AAD):
    the right PIN fails like a wrong one, so a downgraded copy gives the attacker nothing."""
    PinVault(tmp_path / "phone", kdf=FAST_KDF).initialize(PIN)
    path = tmp_path / "phone" / "pin.json"
    doc = json.loads(path.read_text())
    doc["kdf"]["t"] = 1
    doc["kdf"]["m"] = 1024
    path.write_text(json.dumps(doc))
    with pytest.raises(PinError) as info:
        PinVault(tmp_path / "phone", kdf=FAST_KDF).unlock(PIN)
    assert info.value.code == "wallet.wrong_pin"


@pytest.fixture
def received(service: Service, tmp_path: Path) -> tuple[Service, Wallet, str, str, str]:
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"])
    return service, wallet, uri, tx_code, str(tmp_path / "phone")


@SQLITE
@pytest.mark.parametrize(("victim", "field"), [("credentials/credentials.json", "records"),
                                               ("credentials/credentials.json", "data_key"),
                                               ("keys/mdl-*.json", "private"), ("keys/mdl-*.json", "public")])
def test_wallet_tampered_store(received: tuple[Service, Wallet, str, str, str], victim: str, field: str) -> None:
    """One changed byte in a sealed wallet file is detected, never decrypted to garbage (NIST SP 800-38D GCM tag)."""
    service, wallet, uri, tx_code, _ = received
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    (path,) = wallet.folder.glob(victim)
    doc = json.loads(path.read_text())
    blob = doc[field]
    doc[field] = blob[:20] + ("A" if blob[20] != "A" else "B") + blob[21:]
    path.write_text(json.dumps(doc))
    with pytest.raises(StoreCorruptedError) as info:
        if victim.startswith("keys/"):
            wallet.keys.signer(path.stem, PIN)
        else:
            wallet.credentials(PIN)
    assert info.value.code == "wallet.store_corrupted"


@SQLITE
def _appears(value: str, text: str) -> bool:
    """``value`` as a word of ``text``: a short romanized family name ("Oh") or a 6-digit code inside a random
    token or a float is chance, not a leak (it made this test fail about once in a hundred runs)."""
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", text) is not None


def test_wallet_no_personal_data_in_logs(received: tuple[Service, Wallet, str, str, str],
                                         caplog: pytest.LogCaptureFixture) -> None:
    """A full receive + present at DEBUG logs no claim, PIN, tx_code or pre-authorized code (GDPR art. 5(1)(c))."""
    service, wallet, uri, tx_code, _ = received
    from wallet.oid4vci import CredentialOffer

    code = CredentialOffer.parse(uri).pre_authorized_code
    person_id = person_with_licence(service)
    with service.session() as session:
        person = session.get(Person, person_id)
        licence = session.scalars(select(Licence).where(Licence.person_id == person_id)).one()
        assert person is not None
        secrets_ = {"family_name": person.family_name + person.given_name,
                    "family_name_latin": person.family_name_latin,
                    "birth_date": person.birth_date.isoformat(), "document_number": licence.number,
                    "resident_number": person.resident_number, "PIN": PIN, "tx_code": tx_code,
                    "pre-authorized_code": code}
    with caplog.at_level(logging.DEBUG):
        wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
        presenter = Presenter(wallet, clock=lambda: service.clock.now)
        presenter.present(PIN, preset="age19")
        presenter.present(PIN, preset="name_photo")
    assert caplog.records, "expected some DEBUG records (httpx, the issuer) to inspect"
    text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    leaked = sorted(name for name, value in secrets_.items() if value and _appears(value, text))
    assert leaked == []
    with service.session() as session:
        rows = "\n".join(f"{e.action} {e.target} {e.detail}" for e in session.scalars(select(AuditEntry)))
    assert rows
    # the clerk's in-person check number is fixed by enroll(); claims and codes must not be audited
    assert sorted(name for name, value in secrets_.items() if value and _appears(value, rows)) == []
