"""The IssuerSignedItems the C part of mdoc verification reads in place (``issuer_item`` in specs/mdoc/_document.h)
against the Python path: each of its checks, answered or deferred, and the same result either way.

The first presented item of a response is replaced by bytes written here byte for byte (so that duplicate keys, key
types, tags and trailing bytes can be written), its MSO digest fixed and signed again so that the checks past the
digest are reached. These tests fail, not skip, when the C part is not built (``agree`` requires it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cbor2
import pytest

from specs.cbor import decode

from .conftest import NS
from .test_walk import _doc, _mso_edit, agree, material


def _raw_item(make: Callable[[dict[str, Any]], bytes]) -> Callable[[], tuple[bytes, bool]]:
    """The first presented item replaced by the bytes ``make`` writes (given the decoded item, byte for byte, so that
    duplicate keys, key types, tags and trailing bytes can be written), with its MSO digest fixed and signed again
    so that the checks past the digest are reached; returns the response and whether the C part answered."""
    def run() -> tuple[bytes, bool]:
        from specs.cbor.raw import tag24
        from specs.mdoc.items import HASHERS

        m = material()
        tree = cbor2.loads(m.responses["plain"])
        items = _doc(tree)["issuerSigned"]["nameSpaces"][NS]
        item = decode(items[0].value)
        items[0] = cbor2.CBORTag(24, make(item))
        digest = HASHERS["SHA-256"](tag24(items[0].value)).digest()
        _mso_edit(lambda mso: mso["valueDigests"][NS].__setitem__(item["digestID"], digest))(tree, m)
        data = cbor2.dumps(tree)
        return data, agree(data)
    return run


def _entries(item: dict[str, Any], **raw: bytes) -> list[bytes]:
    """The item's entries as bytes (key, then value), each value replaced by ``raw[key]`` when given."""
    return [cbor2.dumps(k) + raw.get(k, cbor2.dumps(v)) for k, v in item.items()]


def _map(entries: list[bytes], count: int | None = None) -> bytes:
    n = len(entries) if count is None else count
    return (bytes([0xa0 | n]) if n < 24 else b"\xb8" + bytes([n])) + b"".join(entries)


def _nested(depth: int) -> bytes:
    return b"\x81" * depth + b"\x01"


# (label, item bytes from the decoded item, whether the C part answers): every check of issuer_item in _document.h.
RAW_ITEMS: list[tuple[str, Callable[[dict[str, Any]], bytes], bool]] = [
    ("as encoded", lambda i: _map(_entries(i)), True),
    ("keys in another order", lambda i: _map(_entries(i)[::-1]), True),
    ("random of 16 bytes", lambda i: _map(_entries(i, random=cbor2.dumps(b"r" * 16))), True),
    ("digestID in a longer head", lambda i: _map(_entries(i, digestID=b"\x19" + i["digestID"].to_bytes(2, "big"))),
     True),
    ("a value nested 22 deep", lambda i: _map(_entries(i, elementValue=_nested(22))), True),
    ("a value nested 23 deep", lambda i: _map(_entries(i, elementValue=_nested(23))), False),
    ("a value nested 30 deep", lambda i: _map(_entries(i, elementValue=_nested(30))), False),
    ("three keys", lambda i: _map(_entries(i)[:3]), False),
    ("a fifth key", lambda i: _map([*_entries(i), cbor2.dumps("extra") + b"\x01"]), False),
    ("a key twice, four entries", lambda i: _map([*_entries(i)[:3], _entries(i)[0]]), False),
    ("a key twice, five entries", lambda i: _map([*_entries(i), _entries(i)[0]]), False),
    ("an integer key", lambda i: _map([*_entries(i)[:3], b"\x01\x01"]), False),
    ("a tagged key", lambda i: _map([b"\xc0" + e for e in _entries(i)[:1]] + _entries(i)[1:]), False),
    ("a key in a longer head", lambda i: _map([b"\x78" + bytes([e[0] & 0x1f]) + e[1:] for e in _entries(i)]), True),
    ("an unknown key of the same length", lambda i: _map([cbor2.dumps("randoM") + cbor2.dumps(i["random"]),
                                                          *[e for e in _entries(i) if b"random" not in e[:8]]]),
     False),
    ("digestID negative", lambda i: _map(_entries(i, digestID=b"\x20")), False),
    ("digestID true", lambda i: _map(_entries(i, digestID=b"\xf5")), False),
    ("digestID a bignum", lambda i: _map(_entries(i, digestID=b"\xc2\x41\x01")), False),
    ("digestID text", lambda i: _map(_entries(i, digestID=cbor2.dumps("1"))), False),
    ("digestID a float", lambda i: _map(_entries(i, digestID=cbor2.dumps(1.0))), False),
    ("random of 15 bytes", lambda i: _map(_entries(i, random=cbor2.dumps(b"r" * 15))), False),
    ("random text", lambda i: _map(_entries(i, random=cbor2.dumps("r" * 20))), False),
    ("random tagged", lambda i: _map(_entries(i, random=b"\xd8\x18" + cbor2.dumps(b"r" * 20))), False),
    ("identifier bytes", lambda i: _map(_entries(i, elementIdentifier=cbor2.dumps(b"family_name"))), False),
    ("identifier not UTF-8", lambda i: _map(_entries(i, elementIdentifier=b"\x62\xc3\x28")), False),
    ("identifier tagged", lambda i: _map(_entries(i, elementIdentifier=b"\xc0" + cbor2.dumps("family_name"))),
     False),
    ("a value cut short", lambda i: _map(_entries(i, elementValue=b"\x82\x01")), False),
    ("a byte after the map", lambda i: _map(_entries(i)) + b"\x00", False),
    ("the map cut short", lambda i: _map(_entries(i))[:-1], False),
    ("an indefinite-length map", lambda i: b"\xbf" + b"".join(_entries(i)) + b"\xff", False),
    ("an array", lambda i: b"\x84" + b"".join(cbor2.dumps(v) for v in i.values()), False),
]


@pytest.mark.parametrize(("label", "make", "answered"), RAW_ITEMS, ids=[r[0] for r in RAW_ITEMS])
def test_each_check_of_an_item_read_in_c(label: str, make: Callable[[dict[str, Any]], bytes],
                                         answered: bool) -> None:
    """issuer_item (_document.h) answers for what the decoder and the item's checks accept, defers the rest, and
    the result is the Python path's either way (agree)."""
    assert _raw_item(make)()[1] is answered
