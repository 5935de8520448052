"""Security suite, Token Status List (draft-ietf-oauth-status-list) and the signed trust bundle."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from specs.crypto import SoftwareSigner
from specs.errors import MobileIdError, StatusListError, StatusTokenError
from specs.jose import b64url_encode, sign_compact
from specs.sdjwt import SD, issue_sd_jwt_vc
from specs.status import StatusList, StatusReference, issue_cwt, issue_jwt
from specs.status import verify_status_list_token as verify_token
from specs.trust import (
    CertificateInfo,
    StatusListToken,
    TrustBundle,
    TrustBundleError,
    Vical,
    sign_trust_bundle,
    sign_vical,
    verify_trust_bundle,
)
from specs.x509 import TrustStore, create_document_signer, create_iaca, create_vical_signer
from tests.conftest import Pki
from verifier.trust import TrustedKey, VerifierTrust
from verifier.verify import verify_sd_jwt_presentation

URI = "https://issuer.example.kr/status/1"
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
ISSUER = SoftwareSigner.generate()
TRUST = VerifierTrust(TrustStore.of([]), (TrustedKey(ISSUER.public_key(), None),))


def _token_error(code: str, token: str | bytes, key: Any = None, **kw: Any) -> None:
    options: dict[str, Any] = {"now": NOW, "expected_subject": URI, **kw}
    with pytest.raises(StatusTokenError) as info:
        verify_token(token, lambda header: [key or ISSUER.public_key()], **options)
    assert info.value.code == code


def _presented(idx: int, token: str | bytes) -> Any:
    """An SD-JWT VC pointing at ``idx`` of URI, checked by the verifier against ``token``."""
    vc = issue_sd_jwt_vc(ISSUER, vct="urn:test", claims={"family_name": SD("김")},
                         holder_key=SoftwareSigner.generate().public_key(), issued_at=NOW,
                         status=StatusReference(URI, idx))
    raw = token.encode() if isinstance(token, str) else token
    return verify_sd_jwt_presentation(vc.serialize(), trust=TRUST, now=NOW, status_token=raw)


def _failed(result: Any, code: str) -> None:
    assert result.valid is False and result.claims == {}
    assert [e.code for e in result.errors] == [code]


@pytest.mark.parametrize("form", ["jwt", "cwt"])
def test_status_foreign_signer(form: str) -> None:
    """A status list signed by anyone but the trusted issuer is refused (status-list §8.3 step 3)."""
    make = issue_jwt if form == "jwt" else issue_cwt
    forged = make(SoftwareSigner.generate(), subject=URI, status_list=StatusList.empty(64), issued_at=NOW)
    _token_error("status.token_signature", forged)
    _failed(_presented(3, forged), "status.token_signature")


def test_status_list_substituted_subject() -> None:
    """A genuine token for another list cannot stand in for this one (status-list §8.3 step 4, sub)."""
    other = issue_jwt(ISSUER, subject="https://issuer.example.kr/status/2", status_list=StatusList.empty(64),
                      issued_at=NOW)
    _token_error("status.token_subject", other)
    _failed(_presented(3, other), "status.token_subject")


def test_status_index_out_of_range() -> None:
    """An idx beyond the list is an error, never "valid" (status-list §8.3 step 6)."""
    with pytest.raises(StatusListError) as info:
        StatusList.empty(64).get(64)
    assert info.value.code == "status.list_index_out_of_range"
    token = issue_jwt(ISSUER, subject=URI, status_list=StatusList.empty(64), issued_at=NOW)
    _failed(_presented(10_000, token), "status.list_index_out_of_range")


@pytest.mark.parametrize(("kw", "code"), [
    ({"now": NOW + dt.timedelta(hours=2)}, "status.token_expired"),
    ({"max_age": dt.timedelta(minutes=30), "now": NOW + dt.timedelta(minutes=45)}, "status.token_stale"),
])
def test_status_stale_list(kw: dict[str, Any], code: str) -> None:
    """An expired or too-old list (replaying an older, pre-revocation list) is refused (§8.3 step 5, §13.7)."""
    token = issue_jwt(ISSUER, subject=URI, status_list=StatusList.empty(64).with_statuses({3: 1}), issued_at=NOW,
                      expires_at=NOW + dt.timedelta(hours=1))
    _token_error(code, token, **kw)


def test_status_revoked_is_reported() -> None:
    """A revoked index yields status.revoked with no claims (status-list §7.1 INVALID)."""
    token = issue_jwt(ISSUER, subject=URI, status_list=StatusList.empty(64).with_statuses({3: 1}), issued_at=NOW)
    result = _presented(3, token)
    _failed(result, "status.revoked")
    assert result.status == "revoked"


def test_status_inflation_bomb() -> None:
    """A few KB of zlib that inflate past the cap are refused without inflating them (status-list §11.4)."""
    bomb = zlib.compress(bytes(17 * 1024 * 1024), 9)  # 17 MiB of zeros, over the 16 MiB default cap
    assert len(bomb) < 64 * 1024
    with pytest.raises(StatusListError) as info:
        StatusList.from_compressed(bomb, 1)
    assert info.value.code == "status.list_too_large"
    token = sign_compact(ISSUER, {"typ": "statuslist+jwt"},
                         {"sub": URI, "iat": int(NOW.timestamp()), "status_list": {"bits": 1,
                                                                                   "lst": b64url_encode(bomb)}})
    with pytest.raises(StatusListError) as tok:
        verify_token(token, lambda header: [ISSUER.public_key()], now=NOW, expected_subject=URI)
    assert tok.value.code == "status.list_too_large"
    _failed(_presented(3, token), "status.list_too_large")


def test_status_alg_none_token() -> None:
    """An unsigned (alg none) status list is refused (status-list §8.3, RFC 8725 §3.1)."""
    body = b64url_encode(b'{"sub":"' + URI.encode() + b'","iat":1,"status_list":{"bits":1,"lst":"eNoDAAAAAAE"}}')
    head = b64url_encode(b'{"alg":"none","typ":"statuslist+jwt"}')
    _token_error("status.token_signature", f"{head}.{body}.")


# --- trust bundle ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def vical_key(pki: Pki) -> tuple[SoftwareSigner, Any]:
    signer = SoftwareSigner.generate()
    return signer, create_vical_signer(pki.iaca_signer, pki.iaca, signer.public_key(), common_name="VICAL",
                                       not_before=pki.not_before, not_after=pki.not_before + dt.timedelta(days=700))


def _bundle(pki: Pki, vical_key: tuple[SoftwareSigner, Any], **changes: Any) -> TrustBundle:
    signer, cert = vical_key
    vical = sign_vical(Vical("test", pki.now, (CertificateInfo.for_certificate(pki.iaca, ("org.iso.18013.5.1.mDL",)),),
                             next_update=pki.now + dt.timedelta(days=2)), signer, (cert,))
    bundle = TrustBundle(issuer="https://issuer.test", issued_at=pki.now, next_update=pki.now + dt.timedelta(days=1),
                         vical=vical, document_signers=(pki.ds.public_bytes(Encoding.DER),),
                         status_lists=(StatusListToken(URI, jwt="a.b.c"),))
    return dataclasses.replace(bundle, **changes)


def _sign(bundle: TrustBundle, vical_key: tuple[SoftwareSigner, Any]) -> bytes:
    signer, cert = vical_key
    return sign_trust_bundle(bundle, signer, (cert,))


def _bundle_error(code: str, data: bytes, pki: Pki, **kw: Any) -> None:
    options: dict[str, Any] = {"now": pki.now, **kw}
    with pytest.raises(TrustBundleError) as info:
        verify_trust_bundle(data, TrustStore.of([pki.iaca]), **options)
    assert info.value.code == code
    with pytest.raises(MobileIdError) as load:
        VerifierTrust.from_bundle(data, TrustStore.of([pki.iaca]), **options)
    assert load.value.code == code


def test_trust_bundle_bad_signature(pki: Pki, vical_key: tuple[SoftwareSigner, Any]) -> None:
    """A bit flipped in the signed bundle is refused (RFC 9052 §4.4; fail closed, docs trust-bundle)."""
    data = bytearray(_sign(_bundle(pki, vical_key), vical_key))
    data[-2] ^= 0x40
    _bundle_error("trust.bundle_signature", bytes(data), pki)


def test_trust_bundle_signed_by_foreign_root(pki: Pki, vical_key: tuple[SoftwareSigner, Any]) -> None:
    """A bundle signed under another root, or by a mere document signer, is refused (pinned root, Annex B)."""
    rogue = SoftwareSigner.generate()
    rogue_root = create_iaca(rogue, country="KR", common_name="mobileid test IACA", not_before=pki.not_before,
                             not_after=pki.not_before + dt.timedelta(days=3650))
    rogue_vical = create_vical_signer(rogue, rogue_root, rogue.public_key(), common_name="VICAL",
                                      not_before=pki.not_before, not_after=pki.not_before + dt.timedelta(days=700))
    _bundle_error("trust.bundle_signature", sign_trust_bundle(_bundle(pki, vical_key), rogue, (rogue_vical,)), pki)
    _bundle_error("trust.bundle_signature", sign_trust_bundle(_bundle(pki, vical_key), pki.ds_signer, (pki.ds,)),
                  pki)


def test_trust_bundle_foreign_document_signer(pki: Pki, vical_key: tuple[SoftwareSigner, Any]) -> None:
    """A listed document signer not issued by the trusted IACA is refused (18013-5 Annex B.1.4)."""
    other_key = SoftwareSigner.generate()
    other = create_iaca(other_key, country="KR", common_name="other", not_before=pki.not_before,
                        not_after=pki.not_before + dt.timedelta(days=3650))
    foreign = create_document_signer(other_key, other, SoftwareSigner.generate().public_key(), common_name="x",
                                     not_before=pki.not_before, not_after=pki.not_before + dt.timedelta(days=400))
    bundle = _bundle(pki, vical_key, document_signers=(foreign.public_bytes(Encoding.DER),))
    _bundle_error("trust.bundle_signer", _sign(bundle, vical_key), pki)


@pytest.mark.parametrize(("later", "max_age"), [(dt.timedelta(days=1, seconds=1), dt.timedelta(days=7)),
                                                (dt.timedelta(hours=2), dt.timedelta(hours=1)),
                                                (-dt.timedelta(hours=1), dt.timedelta(days=7))],
                         ids=["past-next-update", "older-than-max-age", "future-dated"])
def test_trust_bundle_stale(pki: Pki, vical_key: tuple[SoftwareSigner, Any], later: dt.timedelta,
                            max_age: dt.timedelta) -> None:
    """A stale (rollback) or future-dated bundle is refused (docs trust-bundle: next_update, max age)."""
    data = _sign(_bundle(pki, vical_key), vical_key)
    _bundle_error("trust.bundle_stale", data, pki, now=pki.now + later, max_age=max_age)
