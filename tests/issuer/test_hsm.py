"""The PKCS#11 signer against a throwaway SoftHSM2 token: signatures, COSE_Sign1, a DS certificate, errors."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from issuer.hsm import HsmError, Pkcs11Signer, generate_key
from specs.cose.sign1 import CoseSign1
from specs.crypto import Algorithm, Signer, SoftwareSigner, verify_signature
from specs.errors import SignatureError
from specs.x509 import CertificateRole, TrustStore, create_document_signer, create_iaca, validate_chain

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN, PIN, SO_PIN = "test", "1234", "5678"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SoftHSM2 token in ``tmp_path``; returns the module path."""
    if not Path(MODULE).exists():
        pytest.fail(f"SoftHSM2 is not installed ({MODULE} not found): run scripts/system-deps.sh")
    util = shutil.which("softhsm2-util")
    assert util is not None, "softhsm2-util is missing although the SoftHSM2 module is installed"
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run([util, "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN],
                   check=True, capture_output=True)
    return MODULE


@pytest.fixture
def signer(token: str) -> Iterator[Pkcs11Signer]:
    hsm = generate_key(token, TOKEN, PIN, "ds-key")
    yield hsm
    hsm.close()


def test_sign_and_verify(signer: Pkcs11Signer) -> None:
    assert isinstance(signer, Signer)
    assert signer.algorithm is Algorithm.ES256
    data = b"mobileid document signer"
    sig = signer.sign(data)
    assert len(sig) == 64
    verify_signature(Algorithm.ES256, signer.public_key(), sig, data)
    with pytest.raises(SignatureError):
        verify_signature(Algorithm.ES256, signer.public_key(), sig, data + b"!")


def test_reopen_finds_the_same_key(signer: Pkcs11Signer, token: str) -> None:
    again = Pkcs11Signer.open(token, TOKEN, PIN, "ds-key")
    assert again.public_key() == signer.public_key()
    sig = again.sign(b"x")
    again.close()
    verify_signature(Algorithm.ES256, signer.public_key(), sig, b"x")
    verify_signature(Algorithm.ES256, signer.public_key(), signer.sign(b"y"), b"y")  # first session still works


def test_cose_sign1(signer: Pkcs11Signer) -> None:
    msg = CoseSign1.sign(signer, b"payload")
    CoseSign1.from_cbor(msg.to_cbor()).verify(signer.public_key())
    with pytest.raises(SignatureError):
        msg.verify(SoftwareSigner.generate().public_key())


def test_document_signer_certificate(signer: Pkcs11Signer) -> None:
    iaca_signer = SoftwareSigner.generate()
    iaca = create_iaca(iaca_signer, country="KR", common_name="HSM test IACA", not_before=START,
                       not_after=START + dt.timedelta(days=3650))
    ds = create_document_signer(iaca_signer, iaca, signer.public_key(), common_name="HSM DS", not_before=START,
                                not_after=START + dt.timedelta(days=400))
    validate_chain([ds], TrustStore.of([iaca]), now=START + dt.timedelta(days=10))
    # and the HSM key, certified, signs what a verifier checks against the certificate's key
    msg = CoseSign1.from_cbor(CoseSign1.sign(signer, b"mso", x5chain=[ds.public_bytes(Encoding.DER)]).to_cbor())
    assert msg.x5chain == (ds.public_bytes(Encoding.DER),)
    leaf_key = ds.public_key()
    assert isinstance(leaf_key, ec.EllipticCurvePublicKey)
    msg.verify(leaf_key)


def test_iaca_signed_by_the_hsm(signer: Pkcs11Signer) -> None:
    iaca = create_iaca(signer, country="KR", common_name="HSM IACA", not_before=START,
                       not_after=START + dt.timedelta(days=3650))
    ds = create_document_signer(signer, iaca, SoftwareSigner.generate().public_key(), common_name="DS",
                                not_before=START, not_after=START + dt.timedelta(days=400))
    ds.verify_directly_issued_by(iaca)
    validate_chain([ds], TrustStore.of([iaca]), now=START + dt.timedelta(days=10),
                   role=CertificateRole.DOCUMENT_SIGNER)


def test_wrong_pin(token: str) -> None:
    generate_key(token, TOKEN, PIN, "k").close()
    with pytest.raises(HsmError) as info:
        Pkcs11Signer.open(token, TOKEN, "0000", "k")
    assert info.value.code == "hsm.wrong_pin"
    assert "0000" not in str(info.value)
    held = Pkcs11Signer.open(token, TOKEN, PIN, "k")  # the module is still usable afterwards
    with pytest.raises(HsmError) as info:  # joining this process's existing login still checks the PIN
        Pkcs11Signer.open(token, TOKEN, "0000", "k")
    assert info.value.code == "hsm.wrong_pin"
    held.close()


def test_unknown_key_label(signer: Pkcs11Signer, token: str) -> None:
    with pytest.raises(HsmError) as info:
        Pkcs11Signer.open(token, TOKEN, PIN, "no-such-key")
    assert info.value.code == "hsm.no_key"
    verify_signature(Algorithm.ES256, signer.public_key(), signer.sign(b"z"), b"z")


def test_unknown_token(token: str) -> None:
    with pytest.raises(HsmError) as info:
        Pkcs11Signer.open(token, "nope", PIN, "k")
    assert info.value.code == "hsm.no_token"


def test_closed_signer(token: str) -> None:
    hsm = generate_key(token, TOKEN, PIN, "k")
    hsm.close()
    hsm.close()
    with pytest.raises(HsmError):
        hsm.sign(b"x")
