"""COSE header parameters (RFC 9052 §3.1, RFC 9360 §2) and the rules we hold them to.

The algorithm is read only from the protected header (RFC 9052 §3.1 allows either bucket; we do not:
an attacker can rewrite the unprotected one). A header that is in both buckets, a ``crit`` list naming
a parameter we do not understand, or an x5chain of the wrong shape is rejected.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from specs.cbor import decode
from specs.errors import StructureError, UnsupportedAlgorithmError


class HeaderLabel(enum.IntEnum):
    ALG = 1
    CRIT = 2
    CONTENT_TYPE = 3
    KID = 4
    IV = 5
    X5CHAIN = 33


_UNDERSTOOD = frozenset(int(label) for label in HeaderLabel)

MAX_HEADER_SIZE = 16 * 1024


_PROTECTED_CACHE: dict[bytes, dict[Any, Any]] = {}
_NO_TAGS: frozenset[int] = frozenset()


def decode_protected(protected_bytes: bytes) -> dict[Any, Any]:
    """Decode a protected header bucket: a zero-length bstr is an empty map (RFC 9052 §3).

    Protected headers repeat byte for byte across messages (``a10126`` is ``{1: -7}``), so small ones
    are decoded once and the (read-only) result is reused.
    """
    if protected_bytes == b"":
        return {}
    cached = _PROTECTED_CACHE.get(protected_bytes)
    if cached is not None:
        return cached
    value = decode(protected_bytes, allowed_tags=_NO_TAGS, max_size=MAX_HEADER_SIZE, max_depth=4)
    if not isinstance(value, dict):
        raise StructureError("COSE protected header must be a map")
    if len(protected_bytes) <= 64 and len(_PROTECTED_CACHE) < 256:
        _PROTECTED_CACHE[protected_bytes] = value
    return value


def check_buckets(protected: Mapping[Any, Any], unprotected: Mapping[Any, Any]) -> None:
    """RFC 9052 §3: a label must not appear in both buckets; ``crit`` only protected and understood."""
    if HeaderLabel.ALG in unprotected:
        raise UnsupportedAlgorithmError("COSE algorithm must be in the protected header",
                                        code="crypto.alg_not_protected")
    if unprotected and not protected.keys().isdisjoint(unprotected):
        raise StructureError("a COSE header parameter appears in both buckets")
    if HeaderLabel.CRIT in unprotected:
        raise StructureError("COSE crit must be in the protected header")
    crit = protected.get(HeaderLabel.CRIT)
    if crit is not None:
        if not isinstance(crit, list | tuple) or not crit:
            raise StructureError("COSE crit must be a non-empty array")
        for label in crit:
            if label not in _UNDERSTOOD or label not in protected:
                raise StructureError(f"COSE crit names header {label!r}, which is not understood")


def read_x5chain(protected: Mapping[Any, Any], unprotected: Mapping[Any, Any]) -> tuple[bytes, ...]:
    """x5chain (RFC 9360 §2): one DER certificate as a bstr, or an array of two or more."""
    value = protected.get(HeaderLabel.X5CHAIN, unprotected.get(HeaderLabel.X5CHAIN))
    if value is None:
        return ()
    if isinstance(value, bytes):
        return (value,)
    if isinstance(value, list | tuple) and value and all(isinstance(c, bytes) for c in value):
        return tuple(value)
    raise StructureError("COSE x5chain must be a bstr or an array of bstr")


def x5chain_value(chain: tuple[bytes, ...] | list[bytes]) -> bytes | list[bytes]:
    """The wire form for an x5chain: a single bstr for one certificate (as ISO/IEC 18013-5 does)."""
    if not chain:
        raise StructureError("x5chain needs at least one certificate")
    return chain[0] if len(chain) == 1 else list(chain)
