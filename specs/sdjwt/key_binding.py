"""Key Binding JWT (RFC 9901 §4.3, §7.3): ``typ: kb+jwt`` with ``iat``, ``aud``, ``nonce``, ``sd_hash``."""

from __future__ import annotations

import datetime as dt

from specs.crypto import PublicKey, Signer
from specs.errors import CryptoError, JoseDecodeError, KeyBindingError
from specs.jose import b64url_encode, sign_compact
from specs.jose.jws import parse_parts, verify_parts
from specs.sdjwt.disclosure import HASHERS
from specs.sdjwt.sd_jwt import SdJwt

__all__ = ["KB_TYPE", "check_kb_jwt", "create_kb_jwt", "sd_hash", "verify_kb_jwt"]

KB_TYPE = "kb+jwt"


def sd_hash(sd_jwt: SdJwt, alg: str = "sha-256") -> str:
    return _sd_hash_of(sd_jwt.without_kb(), alg)


def _sd_hash_of(presented: str, alg: str) -> str:
    return b64url_encode(HASHERS[alg](presented.encode("ascii")).digest())


def create_kb_jwt(holder: Signer, sd_jwt: SdJwt, *, aud: str, nonce: str, iat: dt.datetime) -> SdJwt:
    """The presentation with its KB-JWT appended (§4.3)."""
    payload = {"iat": int(iat.timestamp()), "aud": aud, "nonce": nonce, "sd_hash": sd_hash(sd_jwt)}
    return sd_jwt.with_kb(sign_compact(holder, {"typ": KB_TYPE}, payload))


def verify_kb_jwt(kb_jwt: str | None, presented: str, holder_key: PublicKey, *, alg: str, now: dt.datetime,
                  aud: str | None, nonce: str | None, max_age: dt.timedelta, leeway: dt.timedelta) -> None:
    """§7.3: every check of the KB-JWT as it arrived, each with its own ``sdjwt.kb_*`` code. ``presented`` is the
    ``<JWT>~<D1>~...~<DN>~`` text its ``sd_hash`` must cover (§4.3.1), as it arrived too (``SdJwt.without_kb()``
    for a parsed presentation)."""
    check_kb_jwt(kb_jwt, presented, holder_key, alg, now.timestamp(), leeway.total_seconds(), max_age.total_seconds(),
                 aud, nonce)


def check_kb_jwt(kb_jwt: str | None, presented: str, holder_key: PublicKey, alg: str, stamp: float, slack: float,
                 max_age: float, aud: str | None, nonce: str | None) -> None:
    """``verify_kb_jwt`` with the times as seconds (``now.timestamp()``, the leeway and the accepted age), taken
    positionally: the form ``verify_sd_jwt`` calls once per presentation."""
    if kb_jwt is None:
        raise KeyBindingError("key binding is required and no KB-JWT was presented", code="sdjwt.kb_missing")
    try:
        header, claims, signing_input, signature = parse_parts(kb_jwt)
    except JoseDecodeError:
        raise KeyBindingError("the KB-JWT is malformed", code="sdjwt.kb_malformed") from None
    if header.get("typ") != KB_TYPE:  # Jws.typ: None unless text, so never kb+jwt
        raise KeyBindingError("the KB-JWT typ must be kb+jwt", code="sdjwt.kb_type")
    try:
        verify_parts(header, signing_input, signature, holder_key)
    except CryptoError:
        raise KeyBindingError("the KB-JWT is not signed by the credential's holder key",
                              code="sdjwt.kb_signature_invalid") from None
    iat = claims.get("iat")
    if type(iat) is not int:
        raise KeyBindingError("the KB-JWT iat must be a NumericDate", code="sdjwt.kb_iat")
    # Compared as numbers, as verify's exp/nbf/iat are: an int against a float compares exactly whatever its size,
    # so an iat beyond the datetime range is refused with this code rather than escaping as an OverflowError.
    if iat > stamp + slack or iat < stamp - slack - max_age:
        raise KeyBindingError("the KB-JWT was not made within the accepted window", code="sdjwt.kb_iat")
    if nonce is not None and claims.get("nonce") != nonce:
        raise KeyBindingError("the KB-JWT nonce is not the one this verifier issued", code="sdjwt.kb_nonce")
    if aud is not None and claims.get("aud") != aud:
        raise KeyBindingError("the KB-JWT audience is another verifier", code="sdjwt.kb_aud")
    if claims.get("sd_hash") != _sd_hash_of(presented, alg):
        raise KeyBindingError("the KB-JWT sd_hash does not cover this presentation", code="sdjwt.kb_sd_hash")
