"""The trust index: what a verifier needs to bring its split trust bundle up to date, in one small signed file.

The offline trust bundle (``specs.trust.bundle``) splits into its *base* (the VICAL and the document signers,
a ``TrustBundle`` with no status lists) and one Status List Token per list (draft-ietf-oauth-status-list §5,
CWT form). The index names the current bytes of each by SHA-256, so a verifier fetches only the files whose
hash differs from its copy's, and a file that is not exactly what the issuer published is refused. Like the
bundle it is a ``COSE_Sign1`` (RFC 9052) by the VICAL signer (ISO/IEC 18013-5 Annex C.1.7.2 profile)::

    TrustIndex = {"version": 1, "issuer": tstr, "issuedAt": tdate, "nextUpdate": tdate,
                  "sequence": uint,                       ; grows with every publication
                  "base": [sha256: bstr, size: uint],     ; trust/base
                  "statusBase": tstr,                     ; list n's uri is statusBase + n
                  "statusLists": [* [n: uint, sha256: bstr, size: uint]],   ; status/<n>.cwt
                  ? "changes": [* [from: uint, sha256: bstr, size: uint]]}  ; trust/changes/<from>-<sequence>

``changes`` names the status change logs (``specs.trust.changes``, a mobileid extension) from earlier
sequences to this one: a verifier whose copy is at ``from`` or later fetches that one file instead of every
changed list. It is left out when there is none, and verifiers that do not know it ignore it.

The paths are fixed (``trust/base``, ``status/<n>.cwt``) and relative to where the index was fetched from, so
any static server or CDN can serve a published folder as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from specs.cbor import encode
from specs.crypto import Signer
from specs.errors import StructureError
from specs.trust.bundle import DEFAULT_MAX_AGE, TrustBundleError, check_bundle_age
from specs.trust.signed import decode_versioned, open_signed, sign_payload
from specs.x509 import TrustStore

__all__ = ["BASE_PATH", "INDEX_PATH", "MAX_INDEX", "ChangesEntry", "IndexEntry", "TrustIndex", "sign_trust_index",
           "verify_trust_index"]

INDEX_VERSION = 1
MAX_INDEX = 8 * 1024 * 1024  # ~200,000 lists
INDEX_PATH = "trust/index"
BASE_PATH = "trust/base"
_DIGEST = 32


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One published file: list number (0 for the base), SHA-256 of its exact bytes, and its size."""

    number: int
    sha256: bytes
    size: int

    @property
    def path(self) -> str:
        return BASE_PATH if self.number == 0 else f"status/{self.number}.cwt"

    @classmethod
    def from_cbor_value(cls, value: Any, number: int | None = None) -> IndexEntry:
        parts = list(value) if isinstance(value, list) else []
        if number is not None:
            parts.insert(0, number)
        if len(parts) != 3 or type(parts[0]) is not int or type(parts[2]) is not int or not isinstance(
                parts[1], bytes) or len(parts[1]) != _DIGEST or parts[0] < 0 or parts[2] < 0:
            raise StructureError("a trust index entry is [number, sha256, size]")
        if number is None and parts[0] == 0:
            raise StructureError("status list numbers start at 1")
        return cls(parts[0], parts[1], parts[2])


@dataclass(frozen=True, slots=True)
class ChangesEntry:
    """A status change log from ``from_sequence`` to the index's own sequence: its SHA-256 and size."""

    from_sequence: int
    sha256: bytes
    size: int

    def path(self, to_sequence: int) -> str:
        return f"trust/changes/{self.from_sequence}-{to_sequence}"


@dataclass(frozen=True, slots=True)
class TrustIndex:
    issuer: str
    issued_at: dt.datetime
    next_update: dt.datetime
    sequence: int
    base: IndexEntry
    status_base: str
    status_lists: tuple[IndexEntry, ...]
    changes: tuple[ChangesEntry, ...] = ()

    def changes_from(self, sequence: int) -> ChangesEntry | None:
        """The change log for a copy at ``sequence``: the one starting latest at or before it, if any (a log
        carries new values, so it brings any copy between its start and this index here)."""
        return max((c for c in self.changes if c.from_sequence <= sequence), key=lambda c: c.from_sequence,
                   default=None)

    def uri(self, entry: IndexEntry) -> str:
        """The status list's URI, as credentials reference it (and its token's ``sub``)."""
        return f"{self.status_base}{entry.number}"

    def entries(self) -> tuple[IndexEntry, ...]:
        return (self.base, *self.status_lists)

    def to_cbor_value(self) -> dict[str, Any]:
        value = {"version": INDEX_VERSION, "issuer": self.issuer, "issuedAt": self.issued_at.replace(microsecond=0),
                 "nextUpdate": self.next_update.replace(microsecond=0), "sequence": self.sequence,
                 "base": [self.base.sha256, self.base.size], "statusBase": self.status_base,
                 "statusLists": [[e.number, e.sha256, e.size] for e in self.status_lists]}
        if self.changes:
            value["changes"] = [[c.from_sequence, c.sha256, c.size] for c in self.changes]
        return value

    @classmethod
    def from_cbor(cls, data: bytes) -> TrustIndex:
        value = decode_versioned(data, version=INDEX_VERSION, max_size=MAX_INDEX, what="a trust index")
        issuer, issued, nxt, seq = (value.get(k) for k in ("issuer", "issuedAt", "nextUpdate", "sequence"))
        status_base, lists = value.get("statusBase"), value.get("statusLists")
        if not isinstance(issuer, str) or not isinstance(issued, dt.datetime) or not isinstance(
                nxt, dt.datetime) or type(seq) is not int or seq < 0 or not isinstance(
                status_base, str) or not isinstance(lists, list):
            raise StructureError("a trust index needs issuer, issuedAt, nextUpdate, sequence, base, statusBase, "
                                 "statusLists")
        entries = tuple(IndexEntry.from_cbor_value(e) for e in lists)
        if len({e.number for e in entries}) != len(entries):
            raise StructureError("a trust index names a status list twice")
        raw_changes = value.get("changes", [])
        if not isinstance(raw_changes, list):
            raise StructureError("a trust index's changes are a list")
        changes = tuple(ChangesEntry(e.number, e.sha256, e.size) for e in map(IndexEntry.from_cbor_value, raw_changes))
        if len({c.from_sequence for c in changes}) != len(changes) or any(c.from_sequence >= seq for c in changes):
            raise StructureError("a trust index names change logs from distinct earlier sequences")
        return cls(issuer, issued, nxt, seq, IndexEntry.from_cbor_value(value.get("base"), 0), status_base,
                   entries, changes)


def sign_trust_index(index: TrustIndex, signer: Signer, chain: tuple[x509.Certificate, ...]) -> bytes:
    return sign_payload(encode(index.to_cbor_value()), signer, chain)


def verify_trust_index(data: bytes, roots: TrustStore, *, now: dt.datetime,
                       max_age: dt.timedelta = DEFAULT_MAX_AGE, fresh: bool = True) -> TrustIndex:
    """Verify a signed trust index against the pinned ``roots`` at ``now`` (fails closed, as the bundle).
    ``fresh=False`` checks its signature only, not its age: an index a verifier kept (its copy's, to compare
    sequences, or the one its status list tokens match while change logs bring them up to date)."""
    index = open_signed(data, roots, now=now, max_size=MAX_INDEX, what="trust index", parse=TrustIndex.from_cbor,
                        error=TrustBundleError, code="trust.bundle_signature")
    if fresh:
        check_bundle_age(index.issued_at, now, max_age, next_update=index.next_update, what="trust index")
    return index
