"""Loading --trust: PEM certificates, folders, PEM public keys, JWK and JWK Sets; bad files are InputError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from specs.crypto import SoftwareSigner
from specs.errors import InputError
from specs.jose import jwk_from_key
from verifier.trust import VerifierTrust


def test_folder_of_everything(tmp_path: Path, pki) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "iaca.pem").write_bytes(pki.iaca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "root.der").write_bytes(pki.reader_root.public_bytes(serialization.Encoding.DER))
    key = SoftwareSigner.generate().public_key()
    (tmp_path / "key.pem").write_bytes(key.public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo))
    jwks = {"keys": [{**jwk_from_key(SoftwareSigner.generate().public_key()), "kid": "a"}]}
    (tmp_path / "keys.json").write_text(json.dumps(jwks))
    trust = VerifierTrust.from_path(tmp_path)
    assert set(trust.anchors.anchors) == {pki.iaca, pki.reader_root}
    assert [k.kid for k in trust.keys] == [None, "a"]  # files are read in name order
    assert len(trust.key_candidates("a")) == 1


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"kty": "RSA", "n": "x", "e": "AQAB"}', b"\x30\x03abc",
                                     b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_bad_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "t"
    path.write_bytes(content)
    with pytest.raises(InputError):
        VerifierTrust.from_path(path)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        VerifierTrust.from_path(tmp_path / "nope")
