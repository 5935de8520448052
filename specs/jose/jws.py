"""Compact JWS (RFC 7515) for SD-JWT, KB-JWT and status-list tokens, with the algorithm pinned per key.

Signing goes through a ``Signer`` (raw ``r || s`` is exactly the JWS ECDSA form, RFC 7518 §3.4).
Verification parses header and payload strictly (duplicate members, non-object JSON and oversize input
are refused), takes the algorithm only from the key (``alg`` must name it; ``none`` and HMAC can never
match an EC or Ed25519 key) and checks the signature with ``specs.crypto.verify_signature`` (OpenSSL).

base64url (RFC 7515 §2) has an optional C part, ``specs/jose/_b64url.c``: it answers for the input the Python
functions below accept, with the same result, and defers everything else to them (``_DEFER``), so the Python code
alone refuses and says why; its ``parse_compact`` is ``Jws.parse``'s common case on the same terms (the header and
payload through the same JSON scanner). ``MOBILEID_PURE_CBOR=1``, which switches off every C part of ``specs``,
leaves it out.
"""

from __future__ import annotations

import binascii
import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from specs import native
from specs.crypto import Algorithm, PublicKey, Signer, algorithm_for_key, verify_signature
from specs.crypto.algorithms import public_of
from specs.errors import JoseDecodeError, SignatureError, UnsupportedAlgorithmError
from specs.slots import builder

__all__ = ["MAX_JWS_SIZE", "Jws", "b64url_decode", "b64url_encode", "b64url_json", "parse_json", "parse_parts",
           "sign_compact", "verify_parts"]

MAX_JWS_SIZE = 256 * 1024
_UNDERSTOOD_CRIT: frozenset[str] = frozenset()


# base64url -> base64; the standard alphabet's own '+' and '/' and padding are not base64url and become '!',
# which a2b's strict mode refuses like every other byte outside the alphabet.
_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/!!!")
_TO_URL = bytes.maketrans(b"+/", b"-_")
_PADDING = (b"", b"", b"==", b"=")  # by length mod 4 (1 is impossible and refused first)


_DEFER: object = object()
_native: ModuleType | None = native.load("specs.jose._b64url")
if _native is not None:
    _DEFER = _native.DEFER


def b64url_encode(data: bytes) -> str:
    if _native is not None and data.__class__ is bytes:
        return _native.encode(data)  # type: ignore[no-any-return]
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL).rstrip(b"=").decode("ascii")


_A2B = binascii.a2b_base64


def b64url_decode(text: str, what: str = "value") -> bytes:
    """RFC 7515 §2 base64url without padding; anything else (padding, '+', '/', spaces) is refused. The unused low
    bits of the last character are ignored (RFC 4648 §3.5 allows a decoder either way)."""
    if _native is not None:
        decoded = _native.decode(text)
        if decoded is not _DEFER:
            return decoded  # type: ignore[no-any-return]
    return _decode_python(text, what)


def _decode_python(text: str, what: str) -> bytes:
    if not isinstance(text, str) or len(text) % 4 == 1 or not text.isascii():
        raise JoseDecodeError(f"{what} is not base64url without padding")
    try:
        return binascii.a2b_base64(text.encode("ascii").translate(_TO_STANDARD) + _PADDING[len(text) % 4],
                                   strict_mode=True)
    except (binascii.Error, ValueError):
        raise JoseDecodeError(f"{what} is not valid base64url") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):  # a member name seen twice collapsed into one entry
        raise JoseDecodeError("JSON object has a duplicate member")
    return out


def _no_constants(name: str) -> Any:
    raise JoseDecodeError(f"JSON constant {name} is not allowed")


# The hook runs once per JSON object: in C (_b64url.c's object_of, the same dict, _no_duplicates called to refuse)
# when the C part is there, sparing a Python frame per object.
_JSON = json.JSONDecoder(object_pairs_hook=_no_duplicates if _native is None else
                         functools.partial(_native.object_of, _no_duplicates), parse_constant=_no_constants)
_SCAN: Callable[[str, int], tuple[Any, int]] = _JSON.scan_once  # type: ignore[attr-defined]  # decode's C scanner


def parse_json(data: bytes | str, what: str = "JSON") -> Any:
    """Strict JSON (RFC 8259): UTF-8, no duplicate members, no NaN/Infinity."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        try:  # a value that fills the text exactly (the usual case) needs none of decode's whitespace handling
            value, end = _SCAN(text, 0)
            if end == len(text):
                return value
        except (StopIteration, ValueError):
            pass  # decode says what is wrong
        return _JSON.decode(text)
    except JoseDecodeError:
        raise
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise JoseDecodeError(f"{what} is not valid JSON") from None


def b64url_json(text: str, what: str) -> Any:
    """``parse_json(b64url_decode(text))`` in one call (JWS parts, disclosures): the usual case, valid base64url
    holding a JSON value that fills it, runs inline; anything else goes through those two strict functions,
    which say what is wrong. Their rules, unchanged."""
    if _native is not None:  # base64url straight to text, in C
        decoded = _native.decode_text(text)
        if decoded is not _DEFER:
            try:
                value, end = _SCAN(decoded, 0)
                if end == len(decoded):
                    return value
            except (StopIteration, ValueError, RecursionError):
                pass
    elif text.__class__ is str and text.isascii():
        try:
            decoded = _A2B(text.encode("ascii").translate(_TO_STANDARD) + _PADDING[len(text) % 4],
                           strict_mode=True).decode("utf-8")
            value, end = _SCAN(decoded, 0)
            if end == len(decoded):
                return value
        except (StopIteration, ValueError, RecursionError):  # binascii.Error and UnicodeDecodeError included
            pass
    return parse_json(b64url_decode(text, what), what)


def _canonical_json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_compact(signer: Signer, header: Mapping[str, Any], payload: Mapping[str, Any] | bytes) -> str:
    """``BASE64URL(header).BASE64URL(payload).BASE64URL(signature)``; ``alg`` comes from the signer."""
    full_header = {"alg": signer.algorithm.jose, **{k: v for k, v in header.items() if k != "alg"}}
    body = payload if isinstance(payload, bytes) else _canonical_json(payload)
    signing_input = f"{b64url_encode(_canonical_json(full_header))}.{b64url_encode(body)}"
    return f"{signing_input}.{b64url_encode(signer.sign(signing_input.encode('ascii')))}"


@dataclass(frozen=True, slots=True)
class Jws:
    """A parsed compact JWS whose signature has not been checked yet."""

    header: Mapping[str, Any]
    payload: Mapping[str, Any]
    signing_input: bytes
    signature: bytes
    compact: str

    @classmethod
    def parse(cls, compact: str, *, max_size: int = MAX_JWS_SIZE) -> Jws:
        if not isinstance(compact, str) or len(compact) > max_size:
            raise JoseDecodeError("JWS is not a string or is too large")
        if _native is not None:  # the common case in C, the rules below unchanged; anything else is deferred
            parsed = _native.parse_compact(compact, _SCAN)
            if parsed is not _DEFER:
                header, payload, signing_input, signature = parsed
                if cls is not Jws:
                    return cls(header, payload, signing_input, signature, compact)
                return _build(header, payload, signing_input, signature, compact)
        # The two dots found by str.find (a memchr) rather than split's scan of every character of a large payload.
        first = compact.find(".")
        second = compact.find(".", first + 1) if first >= 0 else -1
        if second < 0 or compact.find(".", second + 1) >= 0:
            raise JoseDecodeError("compact JWS must have three parts")
        header = b64url_json(compact[:first], "JWS header")
        payload = b64url_json(compact[first + 1:second], "JWS payload")
        if header.__class__ is not dict or payload.__class__ is not dict:
            raise JoseDecodeError("JWS header and payload must be JSON objects")
        crit = header.get("crit")
        if crit is not None and (not isinstance(crit, list) or not all(isinstance(c, str) for c in crit)
                                 or not set(crit) <= _UNDERSTOOD_CRIT):
            raise JoseDecodeError("JWS crit names a header parameter we do not understand")
        alg = header.get("alg")
        if not isinstance(alg, str):
            raise JoseDecodeError("JWS header has no alg")
        signature = b64url_decode(compact[second + 1:], "JWS signature")
        if cls is not Jws:
            return cls(header, payload, compact[:second].encode("ascii"), signature, compact)
        return _build(header, payload, compact[:second].encode("ascii"), signature, compact)

    @property
    def typ(self) -> str | None:
        typ = self.header.get("typ")
        return typ if isinstance(typ, str) else None

    def verify(self, key: PublicKey) -> None:
        """Raise unless ``alg`` is the key's one algorithm and the signature verifies."""
        verify_parts(self.header, self.signing_input, self.signature, key)


_build = builder(Jws)  # twice per SD-JWT presentation


def parse_parts(compact: str, *, max_size: int = MAX_JWS_SIZE) -> tuple[Mapping[str, Any], Mapping[str, Any], bytes,
                                                                       bytes]:
    """``Jws.parse``, its checks unchanged, as (header, payload, signing input, signature): no object built, for
    verifiers that check a JWS once and keep only its claims (SD-JWT and KB-JWT)."""
    if _native is not None and compact.__class__ is str and len(compact) <= max_size:
        parsed = _native.parse_compact(compact, _SCAN)
        if parsed is not _DEFER:
            return parsed  # type: ignore[no-any-return]
    jws = Jws.parse(compact, max_size=max_size)
    return jws.header, jws.payload, jws.signing_input, jws.signature


def verify_parts(header: Mapping[str, Any], signing_input: bytes, signature: bytes, key: PublicKey) -> None:
    """``Jws.verify`` on the fields of a parsed JWS (``parse_parts``): raise unless ``alg`` is the key's one algorithm
    and the signature verifies."""
    alg = algorithm_for_key(key)
    if header.get("alg") != alg.jose:
        raise UnsupportedAlgorithmError(f"JWS alg {header.get('alg')!r} does not match the key")
    if len(signature) != 2 * alg.coordinate_size and alg is not Algorithm.EDDSA:
        raise SignatureError("JWS signature has the wrong length for its algorithm")
    der = None
    if _native is not None and alg is not Algorithm.EDDSA:  # its DER form in C (ES256, ES384), else in Python
        der = _native.der_signature(signature)
        der = der if der.__class__ is bytes else None
    try:  # the JWS form (raw r || s, RFC 7518 §3.4) is what verify_signature takes
        verify_signature(alg, public_of(key), signature, signing_input, der=der)
    except SignatureError:
        raise SignatureError("JWS signature does not verify") from None
