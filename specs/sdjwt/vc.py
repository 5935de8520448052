"""SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): ``typ: dc+sd-jwt``, ``vct``, ``cnf``, ``status``, ``x5c``.

§3.2.2.2 of the draft keeps ``iss``, ``nbf``, ``exp``, ``cnf``, ``vct`` and ``status`` out of
selective disclosure; a verifier refuses them when they arrive in a disclosure
(``sdjwt.claim_not_disclosable``). The issuer key comes from the caller's resolver, which sees the
header (``kid``, ``x5c``) and the payload (``iss``); ``x5c`` chains are returned parsed for the caller
to validate against its trust anchors.

``verify_sd_jwt_vc`` and ``verify_sd_jwt_or_vc`` given text offer it first to the optional C part
(``specs/sdjwt/_vc.h``): the common case of ``verify_sd_jwt`` and ``verified_vc`` in one call, the same result;
any failed check or anything unusual is deferred, and these Python functions then decide and say why.
``MOBILEID_PURE_CBOR=1`` leaves it out, as it does every C part of ``specs``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from specs.crypto import PublicKey, Signer
from specs.errors import CertificateError, SdJwtClaimError, SdJwtError
from specs.jose import jwk_from_key
from specs.jose import jws as _jws
from specs.sdjwt import verify as _verify
from specs.sdjwt.disclosure import HASHERS
from specs.sdjwt.issuance import issue_sd_jwt
from specs.sdjwt.sd_jwt import SdJwt
from specs.sdjwt.verify import KeyResolver, VerifiedSdJwt, verify_sd_jwt
from specs.slots import builder
from specs.status.reference import StatusReference
from specs.x509.load import load_der_certificate

__all__ = ["VC_TYPE", "VerifiedSdJwtVc", "issue_sd_jwt_vc", "verified_vc", "verify_sd_jwt_or_vc", "verify_sd_jwt_vc",
           "x5c_chain", "x5c_ders"]

VC_TYPE = "dc+sd-jwt"
NOT_DISCLOSABLE = ("iss", "nbf", "exp", "cnf", "vct", "status")
_NOT_SHOWN = frozenset({*NOT_DISCLOSABLE, "iat"})  # registered claims, not the credential's own
_NOT_DISCLOSABLE_PATHS = frozenset((name,) for name in NOT_DISCLOSABLE)  # where each would land if disclosed


@dataclass(frozen=True, slots=True)
class VerifiedSdJwtVc:
    vct: str
    issuer: str | None
    claims: Mapping[str, Any]  # the processed payload minus the registered JWT/VC claims
    status: StatusReference | None
    verified: VerifiedSdJwt

    @property
    def holder_bound(self) -> bool:
        return self.verified.holder_bound


_build = builder(VerifiedSdJwtVc)


def x5c_ders(header: Mapping[str, Any]) -> tuple[bytes, ...]:
    """The ``x5c`` header (RFC 7515 §4.1.6: standard base64 DER, leaf first) as DER certificates, unparsed."""
    x5c = header.get("x5c")
    if x5c is None:
        return ()
    if not isinstance(x5c, list) or not x5c:
        raise SdJwtError("x5c must be a non-empty array", code="sdjwt.x5c_malformed")
    try:
        return tuple(base64.b64decode(c, validate=True) for c in x5c)
    except (binascii.Error, TypeError, ValueError):
        raise SdJwtError("x5c holds a malformed certificate", code="sdjwt.x5c_malformed") from None


def x5c_chain(header: Mapping[str, Any]) -> tuple[x509.Certificate, ...]:
    """The ``x5c`` header, parsed."""
    try:
        return tuple(load_der_certificate(der) for der in x5c_ders(header))
    except CertificateError:
        raise SdJwtError("x5c holds a malformed certificate", code="sdjwt.x5c_malformed") from None


def issue_sd_jwt_vc(signer: Signer, *, vct: str, claims: Mapping[str, Any], holder_key: PublicKey,
                    issued_at: dt.datetime, expires_at: dt.datetime | None = None, issuer: str | None = None,
                    status: StatusReference | None = None, kid: str | None = None, x5c: Sequence[bytes] = (),
                    decoys: int = 0, rng: Callable[[int], bytes] = secrets.token_bytes) -> SdJwt:
    """An SD-JWT VC; ``claims`` may mark members ``SD(...)`` (see ``issuance``)."""
    payload: dict[str, Any] = {"vct": vct}
    if issuer:
        payload["iss"] = issuer
    payload["iat"] = int(issued_at.timestamp())
    if expires_at:
        payload["exp"] = int(expires_at.timestamp())
    payload["cnf"] = {"jwk": jwk_from_key(holder_key)}
    if status:
        payload["status"] = status.to_value()
    clashes = sorted(set(claims) & {*NOT_DISCLOSABLE, "iat"})
    if clashes:
        raise ValueError(f"claims may not use the registered names {clashes}")
    payload.update(claims)
    header: dict[str, Any] = {"typ": VC_TYPE}
    if kid:
        header["kid"] = kid
    if x5c:
        header["x5c"] = [base64.b64encode(c).decode("ascii") for c in x5c]
    return issue_sd_jwt(signer, payload, header=header, decoys=decoys, rng=rng)


def verify_sd_jwt_vc(presentation: str | SdJwt, *, issuer_keys: KeyResolver | Sequence[PublicKey],
                     now: dt.datetime, expected_aud: str | None = None, expected_nonce: str | None = None,
                     require_key_binding: bool = False, max_kb_age: dt.timedelta = dt.timedelta(minutes=5),
                     leeway: dt.timedelta = dt.timedelta(seconds=60)) -> VerifiedSdJwtVc:
    """``verify_sd_jwt`` (its options are the same) and then ``verified_vc``."""
    done, issuer_keys = _in_c(presentation, issuer_keys, now, expected_aud, expected_nonce, require_key_binding,
                              max_kb_age, leeway, True)
    if done is not None:
        return done  # type: ignore[return-value]
    return verified_vc(verify_sd_jwt(presentation, issuer_keys=issuer_keys, now=now, expected_aud=expected_aud,
                                     expected_nonce=expected_nonce, require_key_binding=require_key_binding,
                                     max_kb_age=max_kb_age, leeway=leeway))


def verify_sd_jwt_or_vc(presentation: str | SdJwt, *, issuer_keys: KeyResolver | Sequence[PublicKey],
                        now: dt.datetime, expected_aud: str | None = None, expected_nonce: str | None = None,
                        require_key_binding: bool = False, max_kb_age: dt.timedelta = dt.timedelta(minutes=5),
                        leeway: dt.timedelta = dt.timedelta(seconds=60)) -> VerifiedSdJwtVc | VerifiedSdJwt:
    """What a verifier that accepts any SD-JWT does: ``verify_sd_jwt`` (its options are the same), then
    ``verified_vc`` when the header's ``typ`` is ``dc+sd-jwt`` (an SD-JWT VC, draft-ietf-oauth-sd-jwt-vc §3.2.1);
    the plain ``VerifiedSdJwt`` otherwise. The same results and errors as those two calls."""
    done, issuer_keys = _in_c(presentation, issuer_keys, now, expected_aud, expected_nonce, require_key_binding,
                              max_kb_age, leeway, False)
    if done is not None:
        return done  # type: ignore[return-value]
    plain = verify_sd_jwt(presentation, issuer_keys=issuer_keys, now=now, expected_aud=expected_aud,
                          expected_nonce=expected_nonce, require_key_binding=require_key_binding,
                          max_kb_age=max_kb_age, leeway=leeway)
    return verified_vc(plain) if plain.header.get("typ") == VC_TYPE else plain


_TIMEDELTA = dt.timedelta


def _in_c(presentation: str | SdJwt, issuer_keys: KeyResolver | Sequence[PublicKey], now: dt.datetime,
          aud: str | None, nonce: str | None, require: bool, max_age: dt.timedelta, leeway: dt.timedelta,
          vc_only: bool) -> tuple[object | None, KeyResolver | Sequence[PublicKey]]:
    """The C part's answer (None when it defers or is not there) and the issuer keys the Python code is to use: the
    caller's, or, once the C part has called the caller's resolver, a resolver giving its answer again (a resolver is
    called once per presentation)."""
    fast = _verify._native
    if fast is None or _jws._native is None or presentation.__class__ is not str or now.__class__ is not dt.datetime \
            or max_age.__class__ is not _TIMEDELTA or leeway.__class__ is not _TIMEDELTA:
        return None, issuer_keys
    resolved: list[Sequence[PublicKey]] = []
    done = fast.verify(presentation, issuer_keys, now.timestamp(), leeway.total_seconds(), max_age.total_seconds(),
                       aud, nonce, require, resolved, vc_only)
    if done is not _verify._DEFER:
        return done, issuer_keys
    if resolved:
        answer = resolved[0]
        return None, lambda header, payload: answer
    return None, issuer_keys


def verified_vc(verified: VerifiedSdJwt) -> VerifiedSdJwtVc:
    """The SD-JWT VC checks on an SD-JWT that ``verify_sd_jwt`` verified (a verifier that accepts any SD-JWT
    verifies once, then applies these when the header says ``dc+sd-jwt``)."""
    if verified.header.get("typ") != VC_TYPE:
        raise SdJwtClaimError("an SD-JWT VC has typ dc+sd-jwt", code="sdjwt.vc_type")
    claims = verified.claims
    vct = claims.get("vct")
    if not isinstance(vct, str) or not vct:
        raise SdJwtClaimError("an SD-JWT VC names its type in vct", code="sdjwt.vc_vct")
    if not _NOT_DISCLOSABLE_PATHS.isdisjoint(verified.disclosed):  # a top-level disclosure of one of them
        raise SdJwtClaimError("iss, nbf, exp, cnf, vct and status may not be disclosed selectively",
                              code="sdjwt.claim_not_disclosable")
    issuer = claims.get("iss")
    if issuer is not None and not isinstance(issuer, str):
        raise SdJwtClaimError("iss must be text", code="sdjwt.vc_iss")
    status = StatusReference.from_value(claims["status"]) if "status" in claims else None
    visible = dict(claims)
    for name in visible.keys() & _NOT_SHOWN:  # deleting keeps the order of the rest
        del visible[name]
    return _build(vct, issuer, visible, status, verified)


def _configure() -> None:
    """Hands the C part (``specs/sdjwt/_walk.c``'s ``verify``, see ``specs.sdjwt.verify``) the objects its checks
    share with the Python code: the same base64url functions and JSON scanner, hashers, key classification
    (``specs.crypto.algorithms.KEY_KINDS``, so that a key is what the Python code takes it for),
    JWK curves, status reference reader and result classes."""
    fast, b64 = _verify._native, _jws._native
    if fast is None or b64 is None:
        return
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec

    from specs.crypto import Algorithm
    from specs.crypto import algorithms as _algorithms
    from specs.jose import jwk as _jwk

    curves = {a.curve: (a.jose, 2 * a.coordinate_size, ec.ECDSA(a.hash)) for a in (Algorithm.ES256, Algorithm.ES384)}

    def slots(cls: type) -> tuple[Any, ...]:
        return tuple(getattr(cls, field.name) for field in dataclasses.fields(cls))

    fast.configure(b64.parse_compact, _jws._SCAN, b64.decode_text, b64.decode, b64.encode, b64.der_signature,
                   b64.DEFER, HASHERS, _algorithms.KEY_KINDS, curves, InvalidSignature, _jwk.JWK_CURVES,
                   ec.EllipticCurvePublicKey.from_encoded_point, StatusReference.from_value, VerifiedSdJwt,
                   slots(VerifiedSdJwt), VerifiedSdJwtVc, slots(VerifiedSdJwtVc), frozenset(NOT_DISCLOSABLE),
                   _NOT_SHOWN, HASHERS["sha-256"])


_configure()
