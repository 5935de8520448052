"""The status change log: a day's status changes in one small signed file, instead of every changed list again.

**An extension of mobileid, not part of draft-ietf-oauth-status-list.** The spec's only update is a new Status
List Token per changed list (§5), and random changes touch every list every day, so at national scale a
per-file delta is the whole register again. A change log says "the lists of the trust index at
``fromSequence`` became those of the index at ``toSequence`` by these changes": per changed list, the changed
indices gap-coded (each the distance to the previous changed index, minus one, as an unsigned LEB128 varint)
and their new statuses packed ``bits`` to an entry, least significant first (the list's own layout, §4.1).
The log carries new values, not flips: applied to the lists of any sequence from ``fromSequence`` to
``toSequence`` it gives those of ``toSequence`` (every entry that changed in between is in it, with its last
value). A verifier holding the signed tokens of such a sequence applies it and still proves every status it
answers: the tokens (signed by a document signer) plus the logs applied on top (signed here).

It is a ``COSE_Sign1`` (RFC 9052) by the trust index's signer (the VICAL signer, ISO/IEC 18013-5 Annex C.1.7.2
profile), not by the document signer of the tokens: its sequence numbers are the index's (the signer that
orders publications orders logs), it verifies under the pinned root alone (before the base is fetched), and
one signature covers lists that different document signers signed::

    StatusChangeLog = {"version": 1, "issuer": tstr, "issuedAt": tdate,
                       "fromSequence": uint, "toSequence": uint,    ; trust index sequences, from < to
                       "expiresAt": tdate,           ; every list of the index at toSequence is current until then
                       "lists": [* [n: uint, size: uint, bits: uint, gaps: bstr, statuses: bstr]]}

A list without changes is not named; ``expiresAt`` (the new ``exp`` of every list) covers it too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from specs.cbor import encode
from specs.crypto import Signer
from specs.errors import StructureError
from specs.status import StatusList
from specs.trust.bundle import TrustBundleError
from specs.trust.signed import decode_versioned, open_signed, sign_payload
from specs.x509 import TrustStore

__all__ = ["CHANGES_DIR", "MAX_CHANGE_LOG", "ListChanges", "StatusChangeLog", "list_changes", "sign_change_log",
           "verify_change_log"]

LOG_VERSION = 1
MAX_CHANGE_LOG = 16 * 1024 * 1024  # ~5 million changes: a register's whole day of mass revocation
MAX_LIST_SIZE = 1 << 32  # entries per list
CHANGES_DIR = "trust/changes"
_BITS = (1, 2, 4, 8)
_MAX_VARINT = 5  # bytes of one gap: below 2**35


def _varints(values: Iterable[int]) -> bytes:
    out = bytearray()
    for value in values:
        while value >= 0x80:
            out.append((value & 0x7F) | 0x80)
            value >>= 7
        out.append(value)
    return bytes(out)


def _read_varints(data: bytes) -> list[int]:
    """Strict LEB128: minimal encodings only, at most five bytes each, nothing truncated."""
    values: list[int] = []
    value = shift = length = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift, length = shift + 7, length + 1
        if length > _MAX_VARINT:
            raise StructureError("a change log gap overflows its varint")
        if byte & 0x80:
            continue
        if byte == 0 and length > 1:
            raise StructureError("a change log gap is not minimally encoded")
        values.append(value)
        value = shift = length = 0
    if length:
        raise StructureError("a change log gap is truncated")
    return values


@dataclass(frozen=True, slots=True)
class ListChanges:
    """The changes of one list: ``(index, new status)`` pairs in increasing index order."""

    number: int
    size: int  # entries in the list: every index is below it
    bits: int
    changes: tuple[tuple[int, int], ...]

    def to_cbor_value(self) -> list[Any]:
        gaps = (i - p - 1 for p, (i, _) in zip((-1, *(i for i, _ in self.changes)), self.changes, strict=False))
        packed = 0
        for k, (_, value) in enumerate(self.changes):
            packed |= value << (k * self.bits)
        statuses = packed.to_bytes(-(-len(self.changes) * self.bits // 8), "little")
        return [self.number, self.size, self.bits, _varints(gaps), statuses]

    @classmethod
    def from_cbor_value(cls, value: Any) -> ListChanges:
        if not isinstance(value, list) or len(value) != 5 or any(type(v) is not int for v in value[:3]) or any(
                not isinstance(v, bytes) for v in value[3:]):
            raise StructureError("a change log list is [number, size, bits, gaps, statuses]")
        number, size, bits, gaps, statuses = value
        if number < 1 or not 0 < size <= MAX_LIST_SIZE or bits not in _BITS or size * bits % 8:
            raise StructureError("a change log list needs a number from 1, a size in whole bytes and bits 1/2/4/8")
        positions: list[int] = []
        previous = -1
        for gap in _read_varints(gaps):
            previous += gap + 1
            positions.append(previous)
        if positions and positions[-1] >= size:
            raise StructureError("a change log index is beyond its list's size")
        if len(statuses) != -(-len(positions) * bits // 8) or int.from_bytes(statuses, "little") >> (
                len(positions) * bits):
            raise StructureError("a change log's statuses do not match its indices")
        packed, mask = int.from_bytes(statuses, "little"), (1 << bits) - 1
        return cls(number, size, bits, tuple((p, (packed >> (k * bits)) & mask) for k, p in enumerate(positions)))


@dataclass(frozen=True, slots=True)
class StatusChangeLog:
    issuer: str
    issued_at: dt.datetime
    from_sequence: int
    to_sequence: int
    expires_at: dt.datetime
    lists: tuple[ListChanges, ...]

    @property
    def path(self) -> str:
        return f"{CHANGES_DIR}/{self.from_sequence}-{self.to_sequence}"

    def then(self, later: StatusChangeLog) -> StatusChangeLog:
        """This log followed by ``later`` (which starts where this one ends), as one log."""
        if later.from_sequence != self.to_sequence or later.issuer != self.issuer:
            raise StructureError("change logs join only end to start, from one issuer")
        merged = {c.number: c for c in self.lists}
        for lc in later.lists:
            before = merged.get(lc.number)
            if before is not None and (before.size, before.bits) != (lc.size, lc.bits):
                raise StructureError(f"list {lc.number} changed its size or bits between two change logs")
            joined = dict(before.changes if before else ()) | dict(lc.changes)
            merged[lc.number] = ListChanges(lc.number, lc.size, lc.bits, tuple(sorted(joined.items())))
        return StatusChangeLog(self.issuer, later.issued_at, self.from_sequence, later.to_sequence, later.expires_at,
                               tuple(merged[n] for n in sorted(merged)))

    def to_cbor_value(self) -> dict[str, Any]:
        return {"version": LOG_VERSION, "issuer": self.issuer, "issuedAt": self.issued_at.replace(microsecond=0),
                "fromSequence": self.from_sequence, "toSequence": self.to_sequence,
                "expiresAt": self.expires_at.replace(microsecond=0), "lists": [c.to_cbor_value() for c in self.lists]}

    @classmethod
    def from_cbor(cls, data: bytes) -> StatusChangeLog:
        value = decode_versioned(data, version=LOG_VERSION, max_size=MAX_CHANGE_LOG, what="a status change log")
        issuer, issued, start, end, expires, lists = (value.get(k) for k in (
            "issuer", "issuedAt", "fromSequence", "toSequence", "expiresAt", "lists"))
        if not isinstance(issuer, str) or not isinstance(issued, dt.datetime) or not isinstance(
                expires, dt.datetime) or type(start) is not int or type(end) is not int or not isinstance(lists, list):
            raise StructureError("a status change log needs issuer, issuedAt, fromSequence, toSequence, expiresAt, "
                                 "lists")
        if not 0 <= start < end:
            raise StructureError("a status change log goes from one sequence to a later one")
        parsed = tuple(ListChanges.from_cbor_value(c) for c in lists)
        if len({c.number for c in parsed}) != len(parsed):
            raise StructureError("a status change log names a list twice")
        return cls(issuer, issued, start, end, expires, parsed)


def list_changes(number: int, old: StatusList, new: StatusList) -> ListChanges | None:
    """What turns ``old`` into ``new`` (the same size and bits), or None when they are equal."""
    if (old.bits, len(old.data)) != (new.bits, len(new.data)):
        raise ValueError(f"status list {number} changed its size or bits: no change log can carry that")
    if old.data == new.data:
        return None
    differ = int.from_bytes(old.data, "little") ^ int.from_bytes(new.data, "little")
    bits, changes = new.bits, []
    while differ:
        low = (differ & -differ).bit_length() - 1
        index = low // bits
        changes.append((index, new.get(index)))
        differ &= ~(((1 << bits) - 1) << (index * bits))
    return ListChanges(number, new.size, bits, tuple(changes))


def sign_change_log(log: StatusChangeLog, signer: Signer, chain: tuple[x509.Certificate, ...]) -> bytes:
    return sign_payload(encode(log.to_cbor_value()), signer, chain)


def verify_change_log(data: bytes, roots: TrustStore, *, now: dt.datetime, issuer: str,
                      from_sequence: int | None = None, to_sequence: int | None = None,
                      check_expiry: bool = True) -> StatusChangeLog:
    """Verify a signed change log under the pinned ``roots`` (fails closed): its signer chains to them as a VICAL
    signer, it is ``issuer``'s, it goes from ``from_sequence`` to ``to_sequence`` when given, it is not dated in
    the future and (``check_expiry``) the lists it makes current have not expired."""
    log = open_signed(data, roots, now=now, max_size=MAX_CHANGE_LOG, what="status change log",
                      parse=StatusChangeLog.from_cbor, error=TrustBundleError, code="trust.bundle_signature")
    if log.issuer != issuer:
        raise TrustBundleError("the status change log is another issuer's", code="trust.bundle_changes")
    if (from_sequence is not None and log.from_sequence != from_sequence) or (
            to_sequence is not None and log.to_sequence != to_sequence):
        raise TrustBundleError(f"the status change log goes from {log.from_sequence} to {log.to_sequence}, not "
                               f"from {from_sequence} to {to_sequence}", code="trust.bundle_changes")
    if log.issued_at > now + dt.timedelta(minutes=5) or (check_expiry and now >= log.expires_at):
        raise TrustBundleError("the status change log is stale or dated in the future: sync again",
                               code="trust.bundle_stale")
    return log
