"""The signature every trust document shares: a ``COSE_Sign1`` (RFC 9052) with an attached payload, signed by a
VICAL signer (ISO/IEC 18013-5 Annex C.1.7.2 profile) whose ``x5chain`` leads to the verifier's roots. Used by
the VICAL, the trust bundle and the trust index."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from specs.cbor import decode
from specs.cose.sign1 import CoseSign1
from specs.crypto import Signer
from specs.errors import MobileIdError, StructureError, TrustError
from specs.x509 import CertificateRole, TrustStore, validate_chain
from specs.x509.load import load_der_certificate

__all__ = ["decode_versioned", "open_signed", "sign_payload"]

_T = TypeVar("_T")


def sign_payload(payload: bytes, signer: Signer, chain: tuple[x509.Certificate, ...]) -> bytes:
    ders = tuple(c.public_bytes(serialization.Encoding.DER) for c in chain)
    return CoseSign1.sign(signer, payload, x5chain=ders).to_cbor()


def open_signed(data: bytes, roots: TrustStore, *, now: dt.datetime, max_size: int, what: str,
                parse: Callable[[bytes], _T], error: type[TrustError], code: str) -> _T:
    """The parsed payload of a signed trust document, or ``error`` with ``code`` (fails closed: a malformed
    message, a chain not leading to ``roots``, a bad signature or a payload ``parse`` refuses). An ``error``
    raised by ``parse`` itself keeps its own code."""
    try:
        message = CoseSign1.from_cbor(data, max_size=max_size)
        chain = [load_der_certificate(der) for der in message.x5chain]
        signer = validate_chain(chain, roots, now=now, role=CertificateRole.VICAL_SIGNER)
        message.verify(signer.leaf.public_key())  # type: ignore[arg-type]
        if message.payload is None:
            raise StructureError(f"a {what} has an attached payload")
        return parse(message.payload)
    except error:
        raise
    except (MobileIdError, ValueError) as exc:
        detail = exc.code if isinstance(exc, MobileIdError) else "x509.decode"
        raise error(f"the {what} does not verify ({detail})", code=code) from None


def decode_versioned(data: bytes, *, version: int, max_size: int, what: str) -> Mapping[Any, Any]:
    """A signed trust file's payload: a CBOR map (dates as tag 0 only) whose ``version`` is ``version``."""
    value = decode(data, allowed_tags=frozenset({0}), max_size=max_size)
    if not isinstance(value, Mapping) or type(value.get("version")) is not int or value["version"] != version:
        raise StructureError(f"{what} is a map with version {version}")
    return value
