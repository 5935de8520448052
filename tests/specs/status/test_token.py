"""Status List Tokens: the draft's JWT and CWT verify; ours round-trip; each check has a negative case."""

from __future__ import annotations

import datetime as dt

import pytest

from specs.cbor import decode
from specs.crypto import SoftwareSigner
from specs.errors import CredentialStatusError, MobileIdError
from specs.jose import key_from_jwk
from specs.status import StatusList, StatusReference, TokenHeader, issue_cwt, issue_jwt, require_valid
from specs.status import verify_status_list_token as verify

SUB = "https://example.com/statuslists/1"
NOW = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def draft_key(status_vectors):  # type: ignore[no-untyped-def]
    return key_from_jwk(status_vectors.json("status_list_issuer_key.jwk.json"))


def test_draft_jwt_and_cwt(status_vectors, draft_key) -> None:  # type: ignore[no-untyped-def]
    seen: list[TokenHeader] = []

    def resolve(header: TokenHeader):  # type: ignore[no-untyped-def]
        seen.append(header)
        return [draft_key]

    jwt = verify(status_vectors.text("status_list_token.jwt"), resolve, now=NOW, expected_subject=SUB)
    cwt = verify(status_vectors.hex("status_list_token.cwt.hex"), resolve, now=NOW, expected_subject=SUB)
    for token in (jwt, cwt):
        assert token.status_list.get(0) == 1 and token.status_list.get(1) == 0 and token.ttl == 43200
    assert [h.kid for h in seen] == ["12", "12"]


def test_referenced_tokens_point_at_revoked_index(status_vectors) -> None:  # type: ignore[no-untyped-def]
    sign1 = decode(status_vectors.hex("referenced_token.cwt.hex"), allowed_tags=(18,)).value
    claims = decode(sign1[2], allowed_tags=())
    ref = StatusReference.from_value(claims[65535])
    assert ref == StatusReference(SUB, 0)
    status = StatusList.empty(16).with_statuses({0: 1})
    with pytest.raises(CredentialStatusError) as info:
        require_valid(status.get(ref.idx))
    assert info.value.code == "status.revoked"


@pytest.mark.parametrize("form", ["jwt", "cwt"])
def test_our_tokens_round_trip(form: str) -> None:
    signer = SoftwareSigner.generate()
    lst = StatusList.empty(1000, 2).with_statuses({7: 2})
    make = issue_jwt if form == "jwt" else issue_cwt
    token = make(signer, subject=SUB, status_list=lst, issued_at=NOW, expires_at=NOW + dt.timedelta(hours=1),
                 ttl=600)
    parsed = verify(token, lambda h: [signer.public_key()], now=NOW, expected_subject=SUB)
    assert parsed.form == form and parsed.status_list.get(7) == 2
    with pytest.raises(CredentialStatusError) as info:
        require_valid(parsed.status_list.get(7))
    assert info.value.code == "status.suspended"


def _code(token, key, **kw) -> str:  # type: ignore[no-untyped-def]
    options = {"now": NOW, "expected_subject": SUB, **kw}
    with pytest.raises(MobileIdError) as info:
        verify(token, lambda h: [key], **options)
    return info.value.code


@pytest.mark.parametrize("form", ["jwt", "cwt"])
def test_each_check(form: str) -> None:
    signer, stranger = SoftwareSigner.generate(), SoftwareSigner.generate()
    make = issue_jwt if form == "jwt" else issue_cwt
    lst = StatusList.empty(16)
    token = make(signer, subject=SUB, status_list=lst, issued_at=NOW - dt.timedelta(days=2),
                 expires_at=NOW + dt.timedelta(hours=1))
    assert _code(token, stranger.public_key()) == "status.token_signature"
    assert _code(token, signer.public_key(), expected_subject="https://other") == "status.token_subject"
    assert _code(token, signer.public_key(), now=NOW + dt.timedelta(hours=2)) == "status.token_expired"
    assert _code(token, signer.public_key(), max_age=dt.timedelta(days=1)) == "status.token_stale"


def test_wrong_typ_and_alg_none(status_vectors) -> None:  # type: ignore[no-untyped-def]
    from specs.jose import b64url_encode

    signer = SoftwareSigner.generate()
    lst = StatusList.empty(16)
    from specs.jose import sign_compact

    wrong_typ = sign_compact(signer, {"typ": "JWT"}, {"sub": SUB, "iat": 1, "status_list": lst.to_json_value()})
    assert _code(wrong_typ, signer.public_key()) == "status.token_type"
    header = b64url_encode(b'{"alg":"none","typ":"statuslist+jwt"}')
    body = wrong_typ.split(".")[1]
    assert _code(f"{header}.{body}.", signer.public_key()) == "status.token_signature"


@pytest.mark.parametrize("name", ["iat", "exp"])
@pytest.mark.parametrize("value", [10 ** 400, 10 ** 12, 2 ** 63], ids=["huge", "year-31690", "2**63"])
def test_time_beyond_any_date(name: str, value: int) -> None:
    """A signed NumericDate past year 9999 (or beyond a C long) is refused as a malformed claim, not escaping as an
    OverflowError or ValueError from datetime."""
    from specs.jose import sign_compact

    signer = SoftwareSigner.generate()
    payload = {"sub": SUB, "iat": int(NOW.timestamp()), "status_list": StatusList.empty(8).to_json_value(),
               name: value}
    token = sign_compact(signer, {"typ": "statuslist+jwt"}, payload)
    with pytest.raises(MobileIdError) as info:
        verify(token, lambda h: [signer.public_key()], now=NOW, expected_subject=SUB)
    assert info.value.code == "status.token_claims"
