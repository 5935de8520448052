"""Refilling single-use age attestations remotely, once the batch received at the counter runs out; and
the same wallet flows with device keys in an injected (non-software) KeyStore, as on a phone."""

from __future__ import annotations

from pathlib import Path

import pytest

from specs.x509 import TrustStore
from tests.issuer.conftest import ISSUER_URL, Service, enroll, person_with_licence
from tests.wallet.conftest import FAST_KDF, PIN, MemoryKeyStore
from verifier.qr import Verifier
from verifier.trust import VerifierTrust
from wallet.keystore import KeyStore
from wallet.oid4vci import IssuanceError
from wallet.present import Presenter
from wallet.remote import refill
from wallet.wallet import Wallet

AGE = "kr.mobileid.age.1"


def _aliases(wallet: Wallet) -> tuple[str, ...]:
    return wallet.device_keys(PIN, wallet.unlock(PIN)).aliases()


def _verifier(service: Service) -> Verifier:
    bundle = service.client.get("/trust/bundle").content
    root = TrustStore.from_pem(service.client.get("/trust/root.pem").content)
    return Verifier(VerifierTrust.from_bundle(bundle, root, now=service.clock.now), clock=lambda: service.clock.now)


def _wallet(service: Service, folder: Path, keystore: KeyStore | None = None) -> Wallet:
    wallet = Wallet(folder, kdf=FAST_KDF, keystore=keystore)
    wallet.init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"])
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now, batch={"age_attestation": 2})
    return wallet


def _refill_story(service: Service, wallet: Wallet) -> None:
    presenter = Presenter(wallet, clock=lambda: service.clock.now)
    first = presenter.present(PIN, preset="age19")
    second = presenter.present(PIN, preset="age19")
    assert first.type_id == second.type_id == "age_attestation"
    assert second.needs_refill
    old = [r for r in wallet.credentials(PIN) if r.type_id == AGE]
    assert len(old) == 2

    new = refill(wallet, PIN, ISSUER_URL, http=service.client, now=service.clock.now)
    assert len(new) == 5 and {r.type_id for r in new} == {AGE} and not any(r.used for r in new)
    assert len({r.batch_group for r in new}) == 1 and len({r.device_key_alias for r in new}) == 5
    held = wallet.credentials(PIN)
    assert sorted(r.id for r in held if r.type_id == AGE) == sorted(r.id for r in new)  # exhausted batch gone
    assert not {r.device_key_alias for r in old} & set(_aliases(wallet))  # with its device keys
    assert sum(r.type_id != AGE for r in held) == 1  # the licence stays

    shown = presenter.present(PIN, preset="age19")
    assert not shown.needs_refill
    result = _verifier(service).verify_qr(shown.texts[0])
    assert result.valid, result.errors
    assert result.status == "valid" and result.holder_bound
    used = [r for r in wallet.credentials(PIN) if r.used]
    assert len(used) == 1 and used[0].id in {r.id for r in new}


def test_refill_after_the_batch_runs_out(service: Service, tmp_path: Path) -> None:
    _refill_story(service, _wallet(service, tmp_path / "phone"))


def test_refill_with_an_injected_keystore(service: Service, tmp_path: Path) -> None:
    keys = MemoryKeyStore()
    wallet = _wallet(service, tmp_path / "phone", keys)
    assert len(keys.aliases()) == 3 and not (tmp_path / "phone" / "keys").exists()
    assert keys.pin_uses == 6  # create + signer per key: the store gets the PIN, not the master key
    _refill_story(service, wallet)
    assert len(keys.aliases()) == 6  # the licence and the new batch (its used copy keeps its key)


def test_refused_refill_changes_nothing(service: Service, tmp_path: Path) -> None:
    wallet = _wallet(service, tmp_path / "phone")
    before = wallet.credentials(PIN)
    aliases = _aliases(wallet)
    with pytest.raises(IssuanceError) as err:  # the licence is counter-only
        refill(wallet, PIN, ISSUER_URL, http=service.client, now=service.clock.now, configuration="mdl")
    assert err.value.code == "credential.remote_offer"
    assert wallet.credentials(PIN) == before and _aliases(wallet) == aliases
