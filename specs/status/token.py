"""Status List Token (draft-ietf-oauth-status-list §5): JWT (``statuslist+jwt``) and CWT forms.

Both are signed through a ``Signer`` and verified with a key the caller resolves from the token's
header (``kid`` or certificate chain): ``resolve(header) -> candidate keys``; the algorithm is pinned by
each key. Checks, each with its own code: signature (``status.token_signature``), type
(``status.token_type``), subject equal to the referenced list URI (``status.token_subject``), expiry
(``status.token_expired``) and, when a verifier sets one, a maximum age (``status.token_stale``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from specs.cbor import MAP, decode, encode
from specs.cose import CoseSign1
from specs.crypto import PublicKey, Signer
from specs.errors import CryptoError, StatusTokenError, StructureError
from specs.jose import Jws, sign_compact
from specs.status.status_list import StatusList

__all__ = [
    "CWT_TYPE", "JWT_TYPE", "StatusListToken", "TokenHeader", "issue_cwt", "issue_jwt", "verify_status_list_token",
]

JWT_TYPE = "statuslist+jwt"
CWT_TYPE = "application/statuslist+cwt"
_CWT_SUB, _CWT_EXP, _CWT_IAT, _CWT_TTL, _CWT_STATUS_LIST = 2, 4, 6, 65534, 65533
_COSE_TYP = 16


@dataclass(frozen=True, slots=True)
class TokenHeader:
    kid: str | None
    x5chain: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class StatusListToken:
    form: Literal["jwt", "cwt"]
    subject: str
    issued_at: dt.datetime
    expires_at: dt.datetime | None
    ttl: int | None
    status_list: StatusList


Resolver = Callable[[TokenHeader], Sequence[PublicKey]]


def _ts(value: dt.datetime) -> int:
    return int(value.timestamp())


def issue_jwt(signer: Signer, *, subject: str, status_list: StatusList, issued_at: dt.datetime,
              expires_at: dt.datetime | None = None, ttl: int | None = None, kid: str | None = None,
              issuer: str | None = None, x5c: Sequence[str] = ()) -> str:
    header: dict[str, Any] = {"typ": JWT_TYPE}
    if kid:
        header["kid"] = kid
    if x5c:
        header["x5c"] = list(x5c)
    payload: dict[str, Any] = {"sub": subject, "iat": _ts(issued_at)}
    if issuer:
        payload["iss"] = issuer
    if expires_at:
        payload["exp"] = _ts(expires_at)
    if ttl:
        payload["ttl"] = ttl
    payload["status_list"] = status_list.to_json_value()
    return sign_compact(signer, header, payload)


def issue_cwt(signer: Signer, *, subject: str, status_list: StatusList, issued_at: dt.datetime,
              expires_at: dt.datetime | None = None, ttl: int | None = None, kid: bytes | None = None,
              x5chain: Sequence[bytes] = ()) -> bytes:
    claims: dict[int, Any] = {_CWT_SUB: subject, _CWT_IAT: _ts(issued_at)}
    if expires_at:
        claims[_CWT_EXP] = _ts(expires_at)
    if ttl:
        claims[_CWT_TTL] = ttl
    claims[_CWT_STATUS_LIST] = status_list.to_cbor_value()
    unprotected = {4: kid} if kid else {}
    sign1 = CoseSign1.sign(signer, encode(claims), protected={_COSE_TYP: CWT_TYPE}, unprotected=unprotected,
                           x5chain=list(x5chain) or None)
    return sign1.to_cbor(tagged=True)


def verify_status_list_token(token: str | bytes, resolve: Resolver, *, now: dt.datetime, expected_subject: str,
                             max_age: dt.timedelta | None = None) -> StatusListToken:
    """Verify a JWT (text) or CWT (bytes) Status List Token for the list ``expected_subject``."""
    if isinstance(token, bytes) and (token[:2] == b"ey" or token.lstrip()[:2] == b"ey"):
        try:
            token = token.decode("ascii").strip()
        except UnicodeDecodeError:
            raise StatusTokenError("status list JWT is not ASCII", code="status.token_malformed") from None
    parsed = _verify_jwt(token, resolve) if isinstance(token, str) else _verify_cwt(token, resolve)
    if parsed.subject != expected_subject:
        raise StatusTokenError("status list token is for another list", code="status.token_subject")
    if parsed.expires_at is not None and now >= parsed.expires_at:
        raise StatusTokenError("status list token has expired", code="status.token_expired")
    if max_age is not None and now - parsed.issued_at > max_age:
        raise StatusTokenError("status list token is older than the verifier allows", code="status.token_stale")
    return parsed


def _check_any(keys: Sequence[PublicKey], check: Callable[[PublicKey], None]) -> None:
    for key in keys:
        try:
            check(key)
            return
        except CryptoError:
            continue
    raise StatusTokenError("status list token is not signed by a trusted key", code="status.token_signature")


def _verify_jwt(token: str, resolve: Resolver) -> StatusListToken:
    jws = Jws.parse(token)
    if jws.typ != JWT_TYPE:
        raise StatusTokenError("status list JWT typ must be statuslist+jwt", code="status.token_type")
    x5c = jws.header.get("x5c", [])
    try:
        chain = tuple(base64.b64decode(c, validate=True) for c in x5c) if isinstance(x5c, list) else ()
    except (binascii.Error, TypeError, ValueError):
        raise StructureError("status list JWT x5c must be base64 certificates") from None
    kid = jws.header.get("kid")
    _check_any(resolve(TokenHeader(kid if isinstance(kid, str) else None, chain)), jws.verify)
    claims = jws.payload
    return StatusListToken("jwt", _claim(claims, "sub", str), _time(claims, "iat", True),  # type: ignore[arg-type]
                           _time(claims, "exp", False), _ttl(claims.get("ttl")),
                           StatusList.from_json_value(claims.get("status_list")))


def _verify_cwt(token: bytes, resolve: Resolver) -> StatusListToken:
    sign1 = CoseSign1.from_cbor_value(decode(token, allowed_tags=(18,)))
    if sign1.protected.get(_COSE_TYP) != CWT_TYPE:
        raise StatusTokenError("status list CWT type must be application/statuslist+cwt", code="status.token_type")
    kid = sign1.kid
    header = TokenHeader(kid.decode("utf-8", "replace") if kid else None, sign1.x5chain)
    _check_any(resolve(header), sign1.verify)
    if sign1.payload is None:
        raise StructureError("status list CWT has no payload")
    raw = decode(sign1.payload, allowed_tags=())
    if not isinstance(raw, MAP):
        raise StructureError("status list CWT claims must be a map")
    claims = {str(k): v for k, v in raw.items()}
    return StatusListToken("cwt", _claim(claims, str(_CWT_SUB), str), _time(claims, str(_CWT_IAT), True),  # type: ignore[arg-type]
                           _time(claims, str(_CWT_EXP), False), _ttl(claims.get(str(_CWT_TTL))),
                           StatusList.from_cbor_value(claims.get(str(_CWT_STATUS_LIST))))


def _claim(claims: Mapping[str, Any], name: str, kind: type) -> Any:
    value = claims.get(name)
    if not isinstance(value, kind):
        raise StatusTokenError(f"status list token claim {name} is missing or mistyped", code="status.token_claims")
    return value


_MAX_TIME = 253402300799  # 9999-12-31T23:59:59Z, the last second a datetime holds


def _time(claims: Mapping[str, Any], name: str, required: bool) -> dt.datetime | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if type(value) is not int or not 0 <= value <= _MAX_TIME:  # past year 9999 datetime raises, not a verdict
        raise StatusTokenError(f"status list token {name} must be a NumericDate", code="status.token_claims")
    return dt.datetime.fromtimestamp(value, dt.UTC)


def _ttl(value: Any) -> int | None:
    if value is None:
        return None
    if type(value) is not int or value <= 0:
        raise StatusTokenError("status list token ttl must be a positive integer", code="status.token_claims")
    return value

