"""A stored credential read once: its decoded values, its end of validity and its claims for people.

The wallet keeps exactly what the issuer sent (``CredentialRecord.credential``: IssuerSigned CBOR for an
mdoc, the SD-JWT VC compact form). ``read_stored`` decodes it in one place for every face: ``wallet show``,
the app's cards and consent screens (``Stored.claims``, the one claims model of ``specs.claims``), and the
online wallet matching a DCQL query against what it holds (``Stored.values``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specs.catalogue import Catalogue, DocumentType
from specs.claims import Claim, build_claims, json_safe
from specs.errors import InputError, MobileIdError, UnknownDocumentTypeError
from wallet.store import CredentialFormat, CredentialRecord

__all__ = ["TECHNICAL", "Stored", "read_stored"]

# SD-JWT VC members that say how the credential works, not something about its holder (SD-JWT VC §3.2.2).
TECHNICAL = frozenset({"cnf", "status", "_sd_alg", "iss", "iat", "nbf", "exp", "vct", "vct#integrity", "sub"})


@dataclass(frozen=True, slots=True)
class Stored:
    """``values``: the decoded claims as the format has them ({namespace: {element: value}} for an mdoc,
    the processed SD-JWT payload with its technical members for an SD-JWT VC); ``claims``: the holder's
    claims as ``Claim`` objects in the credential's order; ``valid_until``: the MSO's validUntil or ``exp``."""

    doc_type: DocumentType | None
    values: Mapping[str, Any]
    claims: tuple[Claim, ...]
    valid_until: dt.datetime | None

    def to_json(self) -> dict[str, Any]:
        """The claims as JSON, shaped as ``mobileid verify --json`` shapes them (pictures as base64url)."""
        out: dict[str, Any] = {}
        for claim in self.claims:
            target = out.setdefault(claim.namespace, {}) if claim.namespace else out
            target[claim.identifier] = json_safe(claim.value)
        return out


def read_stored(record: CredentialRecord, catalogue: Catalogue | None = None) -> Stored:
    """Decode ``record`` once; a credential the wallet cannot read is ``input.unreadable``."""
    catalogue = Catalogue.load_default() if catalogue is None else catalogue
    try:
        doc_type: DocumentType | None = catalogue.find(record.type_id)
    except UnknownDocumentTypeError:
        doc_type = None
    try:
        if record.format is CredentialFormat.MSO_MDOC:
            return _mdoc(record, doc_type)
        return _sd_jwt(record, doc_type)
    except MobileIdError:
        raise
    except (ValueError, TypeError, IndexError, KeyError):
        raise InputError("the stored credential cannot be read", code="input.unreadable") from None


def _mdoc(record: CredentialRecord, doc_type: DocumentType | None) -> Stored:
    from specs.cbor import decode
    from specs.mdoc.issuer_signed import IssuerSigned

    raw = record.credential
    signed = IssuerSigned.from_cbor_value(decode(raw if isinstance(raw, bytes) else raw.encode("ascii")))
    values = {ns: {item.element_identifier: item.element_value for item in items}
              for ns, items in signed.namespaces.items()}
    claims = build_claims(doc_type, ((ns, k, v) for ns, items in values.items() for k, v in items.items()))
    return Stored(doc_type, values, claims, signed.mso.validity_info.valid_until)


def _sd_jwt(record: CredentialRecord, doc_type: DocumentType | None) -> Stored:
    from specs.jose.jws import b64url_decode, parse_json
    from specs.sdjwt import SdJwt
    from specs.sdjwt.processing import index_disclosures, process

    raw = record.credential
    sd_jwt = SdJwt.parse(raw if isinstance(raw, str) else raw.decode("ascii"))
    segments = sd_jwt.issuer_jwt.split(".")
    if len(segments) != 3:
        raise InputError("the stored SD-JWT is malformed", code="input.unreadable")
    payload = parse_json(b64url_decode(segments[1], "payload"), "payload")
    if not isinstance(payload, dict):
        raise InputError("the stored SD-JWT's payload is not an object", code="input.unreadable")
    values = dict(process(payload, index_disclosures(sd_jwt.disclosures, payload.get("_sd_alg", "sha-256"))).claims)
    exp = values.get("exp")
    until = dt.datetime.fromtimestamp(exp, dt.UTC) if type(exp) is int else None
    claims = build_claims(doc_type, ((None, k, v) for k, v in values.items() if k not in TECHNICAL))
    return Stored(doc_type, values, claims, until)
