"""SD-JWT verification (RFC 9901 §7.1-§7.3): every check, each failing with its own error code.

``issuer_keys`` resolves the issuer's candidate keys from the JWT header and payload (a ``kid``, an
``x5c`` chain validated by the caller, or a pinned key). The algorithm is pinned by each key; ``none``
and HMAC can never verify. Nothing unverified is returned.

The disclosures' parsing and processing (§7.1 steps 3-5) have an optional C part, ``specs/sdjwt/_walk.c``: for a
presentation given as text it splits it as ``split_sd_jwt`` does (ASCII text with nothing to strip), parses the
disclosures and rebuilds the claims as ``Disclosure.parse``, ``index_disclosures`` and ``process`` would, and
defers anything else (every failed check included) to them (``_DEFER``), so the Python code alone refuses and says
why. ``MOBILEID_PURE_CBOR=1`` leaves it out, as it does
every C part of ``specs``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from specs import native
from specs.crypto import PublicKey
from specs.errors import (
    CryptoError,
    InvalidKeyError,
    JoseDecodeError,
    KeyBindingError,
    SdJwtClaimError,
    SdJwtIssuerSignatureError,
    SdJwtValidityError,
)
from specs.jose import jws as _jws
from specs.jose import key_from_jwk
from specs.jose.jws import parse_parts, verify_parts
from specs.sdjwt.disclosure import HASH_ALGORITHMS, HASHERS, Disclosure
from specs.sdjwt.key_binding import check_kb_jwt
from specs.sdjwt.processing import Path, index_disclosures, process
from specs.sdjwt.sd_jwt import SdJwt, split_sd_jwt
from specs.slots import builder

__all__ = ["KeyResolver", "VerifiedSdJwt", "verify_sd_jwt"]

KeyResolver = Callable[[Mapping[str, Any], Mapping[str, Any]], Sequence[PublicKey]]


@dataclass(frozen=True, slots=True)
class VerifiedSdJwt:
    header: Mapping[str, Any]
    claims: Mapping[str, Any]  # the processed payload (§7.1 step 5), _sd and _sd_alg removed
    disclosed: tuple[Path, ...]  # where each presented disclosure landed
    holder_key: PublicKey | None
    holder_bound: bool


_build = builder(VerifiedSdJwt)

_DEFER: object = object()
_native: ModuleType | None = native.load("specs.sdjwt._walk")
if _native is not None:
    _DEFER = _native.DEFER


def verify_sd_jwt(presentation: str | SdJwt, *, issuer_keys: KeyResolver | Sequence[PublicKey], now: dt.datetime,
                  expected_aud: str | None = None, expected_nonce: str | None = None,
                  require_key_binding: bool = False, max_kb_age: dt.timedelta = dt.timedelta(minutes=5),
                  leeway: dt.timedelta = dt.timedelta(seconds=60)) -> VerifiedSdJwt:
    b64 = _jws._native
    disclosed: object = _DEFER
    disclosures: Sequence[Disclosure] | None = None
    front = _DEFER if _native is None or b64 is None else \
        _native.present(presentation, b64.decode_text, _jws._SCAN, b64.DEFER)
    if front is not _DEFER:  # split and disclosed in C: nothing there for the Python code to refuse
        issuer_jwt, kb_jwt, presented, disclosed = front  # type: ignore[misc]
        encoded = None  # the parts, taken from disclosed only if the walk defers
    elif _native is not None and b64 is not None and presentation.__class__ is str:
        parts = split_sd_jwt(presentation)
        issuer_jwt, kb_jwt, encoded = parts[0], parts[-1] or None, parts[1:-1]
        parts[-1] = ""
        presented = "~".join(parts)  # <JWT>~<D1>~...~<DN>~ as it arrived: what sd_hash covers (§4.3.1)
        disclosed = _native.disclose(encoded, b64.decode_text, _jws._SCAN, b64.DEFER)
        if disclosed is _DEFER:  # Disclosure.parse refuses one of them, and says why
            disclosures = [Disclosure.parse(p) for p in encoded]
    else:
        sd_jwt = presentation if isinstance(presentation, SdJwt) else SdJwt.parse(presentation)
        issuer_jwt, kb_jwt, presented, disclosures = sd_jwt.issuer_jwt, sd_jwt.kb_jwt, sd_jwt.without_kb(), \
            sd_jwt.disclosures
    header, payload, signing_input, signature = parse_parts(issuer_jwt)
    keys = issuer_keys(header, payload) if callable(issuer_keys) else issuer_keys
    _verify_issuer(header, signing_input, signature, keys)
    alg = payload.get("_sd_alg", "sha-256")
    if not isinstance(alg, str) or alg not in HASH_ALGORITHMS:  # an array or object is unhashable: refused first
        raise SdJwtClaimError("_sd_alg names an unsupported hash", code="sdjwt.claim_sd_alg")
    walked = _DEFER if _native is None or b64 is None or disclosed is _DEFER else \
        _native.walk(disclosed, payload, HASHERS[alg], b64.encode)
    if walked is _DEFER:  # the Python code decides (and says what is wrong)
        if disclosures is None:
            parts = [entry[2] for entry in disclosed] if encoded is None else encoded  # type: ignore[attr-defined]
            disclosures = [Disclosure.parse(p) for p in parts]
        processed = process(payload, index_disclosures(disclosures, alg))
        claims, paths = processed.claims, tuple(processed.paths.values())
    else:
        claims, found = walked  # type: ignore[misc]
        paths = tuple(found)
    stamp, slack = now.timestamp(), leeway.total_seconds()
    _check_times(claims, stamp, slack)
    holder_key = _holder_key(claims)
    bound = False
    if kb_jwt is not None or require_key_binding or expected_nonce is not None or expected_aud is not None:
        if holder_key is None:
            raise KeyBindingError("key binding is required but the SD-JWT has no cnf key", code="sdjwt.kb_no_cnf")
        check_kb_jwt(kb_jwt, presented, holder_key, alg, stamp, slack, max_kb_age.total_seconds(), expected_aud,
                     expected_nonce)
        bound = True
    return _build(header, claims, paths, holder_key, bound)


def _verify_issuer(header: Mapping[str, Any], signing_input: bytes, signature: bytes,
                   keys: Sequence[PublicKey]) -> None:
    for key in keys:
        try:
            verify_parts(header, signing_input, signature, key)
            return
        except CryptoError:
            continue
    raise SdJwtIssuerSignatureError("the SD-JWT is not signed by a trusted issuer key")


def _check_times(claims: Mapping[str, Any], stamp: float, slack: float) -> None:
    for name in ("exp", "nbf", "iat"):  # present means a NumericDate (RFC 7519 §2): null is not one either
        if name in claims and (type(claims[name]) is not int or claims[name] < 0):
            raise SdJwtValidityError(f"{name} must be a NumericDate", code="sdjwt.claim_time_malformed")
    try:  # an int beyond a float's range (valid JSON) cannot take the leeway: not a usable NumericDate either
        if "exp" in claims and stamp >= claims["exp"] + slack:
            raise SdJwtValidityError("the SD-JWT has expired", code="sdjwt.expired")
        if "nbf" in claims and stamp < claims["nbf"] - slack:
            raise SdJwtValidityError("the SD-JWT is not yet valid", code="sdjwt.not_yet_valid")
        if "iat" in claims and stamp < claims["iat"] - slack:
            raise SdJwtValidityError("the SD-JWT was issued in the future", code="sdjwt.not_yet_valid")
    except OverflowError:  # the C part (_checks.h's times_wrong) defers on it, so this refusal is the one given
        raise SdJwtValidityError("a time claim is beyond any date", code="sdjwt.claim_time_malformed") from None


def _holder_key(claims: Mapping[str, Any]) -> PublicKey | None:
    cnf = claims.get("cnf")
    if cnf is None:
        return None
    if (cnf.__class__ is not dict and not isinstance(cnf, Mapping)) or "jwk" not in cnf:
        raise KeyBindingError("cnf must carry a jwk", code="sdjwt.kb_no_cnf")
    try:
        return key_from_jwk(cnf["jwk"])
    except (InvalidKeyError, CryptoError, JoseDecodeError) as exc:  # a coordinate that is not base64url included
        raise KeyBindingError(f"cnf jwk is unusable ({exc.message})", code="sdjwt.kb_no_cnf") from None
