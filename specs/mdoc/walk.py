"""The C part of mdoc verification (specs/mdoc/_fast.c): a DeviceResponse read and checked in one call.

``walk(data, transcript)`` gives, for a DeviceResponse of the common case, one ``Walked`` per document: the
typed objects the Python path builds (the same ``MobileSecurityObject``, the same claims), with every structural
check of ``DeviceResponse.from_cbor`` and the digest checks of §9.3.1 done, and the exact to-be-signed bytes of
both signatures. The signatures, the certificate chain and the checks that need them stay in Python
(``specs.mdoc.verify``). For anything else, and on any failed check, ``walk`` answers None and the Python path
runs and decides, with its own error. It is built when a C compiler was there at install time, and used only
while the C part of the strict CBOR decoder is (MOBILEID_PURE_CBOR=1 leaves both out).

A check changed in the classes it stands in for (``DeviceResponse``, ``Document``, ``IssuerSigned``,
``IssuerSignedItem``, ``MobileSecurityObject`` and its parts, ``DeviceSigned``, ``CoseSign1``, ``CoseKey``, the
digest check of ``specs.mdoc.verify``) is a check to keep, or to defer, in _fast.c as well;
``tests/specs/mdoc/test_walk.py`` compares the two paths.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any, NamedTuple

from specs import native
from specs.cbor import codec
from specs.cose import CoseKey
from specs.mdoc.mso import DeviceKeyInfo, KeyAuthorizations, MobileSecurityObject, ValidityInfo
from specs.status.reference import StatusReference

__all__ = ["Walked", "walk"]


class Walked(NamedTuple):
    """One document of a DeviceResponse, read and checked up to its signatures and chain."""

    doctype: str
    issuer_claims: dict[str, dict[str, Any]]
    device_claims: dict[str, dict[str, Any]]
    mso: MobileSecurityObject
    x5chain: tuple[bytes, ...]
    kid: bytes | None
    issuer_signature: bytes
    issuer_to_be_signed: bytes
    device_signature: bytes
    device_to_be_signed: bytes
    issuer_der: bytes | None  # the signatures as DER (raw_to_der_signature), None unless 64 bytes long
    device_der: bytes | None


# The fields the C part fills, in the order it fills them: a class whose fields change is not filled by it.
_FIELDS: dict[type, tuple[str, ...]] = {
    MobileSecurityObject: ("version", "digest_algorithm", "value_digests", "device_key_info", "doctype",
                           "validity_info", "status"),
    DeviceKeyInfo: ("device_key", "key_authorizations", "key_info"),
    ValidityInfo: ("signed", "valid_from", "valid_until", "expected_update"),
    CoseKey: ("kty", "crv", "x", "y", "d", "kid"),
}


def _fields(cls: type) -> tuple[Any, tuple[Any, ...]]:
    """The class and its fields' slot descriptors, in field order (what the C part fills)."""
    return cls, tuple(getattr(cls, name) for name in _FIELDS[cls])


def _fields_unchanged() -> bool:
    return all(tuple(f.name for f in dataclasses.fields(cls)) == names for cls, names in _FIELDS.items())


_native: Callable[[bytes, bytes], Any] | None = None
_DEFER = codec._DEFER
_fast = native.load("specs.mdoc._fast")
if _fast is not None:
    if codec._native is not None and _fields_unchanged():
        _fast.configure(_DEFER, codec.EncodedCBOR, codec._decode_tdate, codec._decode_full_date, hashlib.sha256,
                        dt.datetime, KeyAuthorizations.from_cbor_value, StatusReference.from_value, Walked,
                        _fields(MobileSecurityObject), _fields(DeviceKeyInfo), _fields(ValidityInfo),
                        _fields(CoseKey))
        _native = _fast.walk


def walk(data: bytes, transcript: bytes) -> list[Walked] | None:
    """The documents of DeviceResponse ``data`` (``transcript``: the SessionTranscript as encoded), or None when the
    Python path must decide: not the common case, a failed check, or the C part not built or switched off."""
    if _native is None or codec._native is None:  # benchmarks switch the C decoder off at run time
        return None
    walked = _native(data, transcript)
    return None if walked is _DEFER else walked
