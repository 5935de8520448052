"""Building credentials from the registers: claims come only from here, never from a wallet's request.

Each OpenID4VCI credential configuration maps to a catalogue type; every claim is checked against the
catalogue's type before anything is signed.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from issuer import audit
from issuer.db import execute
from issuer.db.models import Business, Licence, Person
from issuer.db.tables import LICENCES, PERSONS
from issuer.keys import IssuerKeys
from issuer.status import ListRef, allocate_indices
from issuer.validity import copy_validity
from specs.catalogue import Catalogue
from specs.cbor import encode
from specs.cose import CoseKey
from specs.crypto import PublicKey
from specs.jose import jwk_from_key
from specs.mdoc.age import age_over_values
from specs.mdoc.issuance import issue_mdoc
from specs.mdoc.mso import ValidityInfo
from specs.sdjwt import SD, issue_sd_jwt_vc
from specs.status import StatusReference

ISO, KR_MDL, AGE = "org.iso.18013.5.1", "kr.mobileid.mdl.1", "kr.mobileid.age.1"
AUTHORITY = "mobileid Licensing Office"
CATEGORY = {"1종 대형": "C", "1종 보통": "B", "2종 보통": "B", "2종 소형": "A", "2종 원동기장치자전거": "AM"}
# configuration id -> (catalogue type id, format)
CONFIGURATIONS = {
    "mdl": ("mdl", "mso_mdoc"),
    "age_attestation": ("age_attestation", "mso_mdoc"),
    "resident_card": ("resident_card", "dc+sd-jwt"),
    "resident_registration_abstract": ("resident_registration_abstract", "dc+sd-jwt"),
    "business_registration": ("business_registration", "dc+sd-jwt"),
    "income_certificate": ("income_certificate", "dc+sd-jwt"),
}
INCOME_TYPES = ("employment", "business", "other", "combined")


class NotEligibleError(ValueError):
    """The registers hold no record that this credential could be issued from."""


@dataclass(frozen=True, slots=True)
class Issued:
    credential_id: int
    encoded: bytes | str  # IssuerSigned CBOR (mdoc) or the SD-JWT VC compact form


@functools.cache
def catalogue() -> Catalogue:
    """The built-in catalogue, parsed once per process."""
    return Catalogue.load_default()


def thumbprint(key: PublicKey) -> str:
    import hashlib
    import json

    jwk = jwk_from_key(key)
    members = {k: jwk[k] for k in sorted(jwk) if k in ("crv", "kty", "x", "y")}  # RFC 7638
    return hashlib.sha256(json.dumps(members, separators=(",", ":")).encode()).hexdigest()


def _mdl_claims(licence: Licence | None, person: Person, today: dt.date) -> dict[str, dict[str, Any]]:
    if licence is None:
        raise NotEligibleError("no licence in the licence register")
    iso: dict[str, Any] = {
        "family_name": person.family_name_latin, "given_name": person.given_name_latin,
        "birth_date": person.birth_date, "issue_date": licence.issue_date, "expiry_date": licence.expiry_date,
        "issuing_country": "KR", "issuing_authority": AUTHORITY, "document_number": licence.number,
        "portrait": person.portrait,
        "driving_privileges": [{"vehicle_category_code": CATEGORY.get(c, "B"), "issue_date": licence.issue_date,
                                "expiry_date": licence.expiry_date} for c in licence.classes],
        "un_distinguishing_sign": "ROK", "sex": person.sex, "nationality": person.nationality,
        "resident_address": person.address, "age_birth_year": person.birth_date.year,
        "family_name_national_character": person.family_name, "given_name_national_character": person.given_name,
        **age_over_values(person.birth_date, today, [14, 19, 65]),
    }
    kr = {"licence_classes": list(licence.classes), "conditions": list(licence.conditions),
          "aptitude_test_due_date": licence.aptitude_test_due}
    return {ISO: iso, KR_MDL: kr}


def _sd_claims(session: Session, type_id: str, person: Person, today: dt.date) -> dict[str, Any]:
    base = {"family_name": person.family_name, "given_name": person.given_name, "birth_date": person.birth_date}
    if type_id == "resident_card":
        return {**base, "resident_number": person.resident_number, "resident_address": person.address,
                "issue_date": today, "portrait": person.portrait,
                "age_over_19": age_over_values(person.birth_date, today, [19])["age_over_19"]}
    if type_id == "resident_registration_abstract":
        return {**base, "resident_number": person.resident_number, "address": person.address, "issued_on": today}
    if type_id == "business_registration":
        business = session.scalars(select(Business).where(Business.representative_id == person.id)).first()
        if business is None:
            raise NotEligibleError("no business in the business register")
        return {"registration_number": business.registration_number, "business_name": business.name,
                "representative": f"{person.family_name}{person.given_name}", "opened_on": business.opened_on,
                "business_address": business.address, "business_status": business.status, "issued_on": today}
    if type_id == "income_certificate":
        return {**base, **_income(person, today), "issued_on": today}
    raise NotEligibleError(f"{type_id} is not issued here")


def _income(person: Person, today: dt.date) -> dict[str, Any]:
    """Last year's income. The synthetic registers hold no tax records, so the figures are derived from the
    person's synthetic resident number: reproducible synthetic data, like the registers themselves."""
    import hashlib

    digest = hashlib.sha256(person.resident_number.encode()).digest()
    amount = (18_000_000 + int.from_bytes(digest[:4], "big") % 90_000_000) // 10_000 * 10_000
    return {"tax_year": today.year - 1, "income_amount_krw": amount, "income_type": INCOME_TYPES[digest[4] % 4],
            "tax_paid_krw": amount * (6 + digest[5] % 20) // 100 // 1000 * 1000}


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        import base64

        return "data:image/jpeg;base64," + base64.b64encode(value).decode()
    return value


_PERSON_COLUMNS = tuple(c.name for c in PERSONS.c)
_LICENCE_COLUMNS = tuple(c.name for c in LICENCES.c)
# the holder's person row and licence row, labelled so that they fit beside another table's columns
HOLDER_COLUMNS = (*(c.label(f"holder_{c.name}") for c in PERSONS.c),
                  *(c.label(f"licence_{c.name}") for c in LICENCES.c))
_HOLDER = (select(*HOLDER_COLUMNS)
           .select_from(PERSONS.outerjoin(LICENCES, LICENCES.c.person_id == PERSONS.c.id))
           .where(PERSONS.c.id == bindparam("person_id")).order_by(LICENCES.c.id).limit(1))


def holder_of(row: Mapping[str, Any]) -> tuple[Person, Licence | None]:
    """The person and licence (if any) in a row of ``HOLDER_COLUMNS``, as detached objects (the claims are
    only read from them; nothing is written back)."""
    person = Person(**{name: row[f"holder_{name}"] for name in _PERSON_COLUMNS})
    licence = (None if row["licence_id"] is None
               else Licence(**{name: row[f"licence_{name}"] for name in _LICENCE_COLUMNS}))
    return person, licence


def holder(session: Session, person_id: int) -> tuple[Person, Licence | None]:
    """The person a credential is issued to and their licence (if any), read in one statement."""
    found = execute(session, _HOLDER, {"person_id": person_id}).first()
    if found is None:
        raise NotEligibleError("no such person in the resident register")
    return holder_of(found._asdict())


def _claims(session: Session, type_id: str, fmt: str, person: Person, licence: Licence | None,
            today: dt.date) -> dict[str, Any]:
    """The credential's claims from the registers, checked against the catalogue type (mdoc: by namespace)."""
    doc_type = catalogue().get(type_id)
    if fmt == "mso_mdoc":
        claims = (_mdl_claims(licence, person, today) if type_id == "mdl"
                  else {AGE: age_over_values(person.birth_date, today, [14, 19, 65])})
        doc_type.check_claims(claims, mdoc=True)
        return claims
    plain = _sd_claims(session, type_id, person, today)
    doc_type.check_claims(plain, mdoc=False)
    return plain


def issue_credentials(session: Session, keys: IssuerKeys, *, person: Person, licence: Licence | None,
                      configuration: str,
                      holder_keys: Sequence[PublicKey], public_url: str, status_list: ListRef, now: dt.datetime,
                      office_id: int | None = None, grant_item_id: int | None = None,
                      randbelow: Callable[[int], int] = secrets.randbelow) -> tuple[Issued, ...]:
    """Sign one credential of ``configuration`` for ``person`` per holder key, bound to that key.

    The claims are read once for the batch; the rows (each at its own random index of ``status_list``) are
    inserted in one statement before signing, since the unique (list, index) is what makes an index ours.
    ``office_id`` is the office of the in-person check the issuance rests on (recorded on the row: only that
    office's supervisors may change the credential's status); ``grant_item_id`` the grant it counts against.
    Signed times are varied per copy (``issuer.validity``: copies of a batch are not linkable by them);
    ``randbelow`` is that randomness.
    """
    type_id, fmt = CONFIGURATIONS[configuration]
    doc_type = catalogue().get(type_id)
    until = now + dt.timedelta(days=min(doc_type.validity_days, 365))
    claims = _claims(session, type_id, fmt, person, licence, now.date())  # a person not eligible takes no status index
    rows = [{"person_id": person.id, "type_id": type_id, "format": fmt, "status": "valid",
             "holder_key_thumbprint": thumbprint(key), "issued_at": now, "expires_at": until,
             "office_id": office_id, "grant_item_id": grant_item_id} for key in holder_keys]
    placed = allocate_indices(session, status_list, rows)
    issued = []
    for key, (credential_id, index) in zip(holder_keys, placed, strict=True):
        reference = StatusReference(status_list.uri, index)
        start, end = copy_validity(now, until, earliest=keys.ds.not_valid_before_utc, randbelow=randbelow)
        if fmt == "mso_mdoc":
            signed = issue_mdoc(keys.ds_signer, [keys.ds_der], doc_type.doctype or "", claims,
                                CoseKey.from_public_key(key), ValidityInfo(start, start, end), status=reference)
            encoded: bytes | str = encode(signed.to_cbor_value())
        else:
            marked: Mapping[str, Any] = {k: (SD(_json_value(v)) if doc_type.selectively_disclosable(None, k)
                                             else _json_value(v)) for k, v in claims.items()}
            encoded = issue_sd_jwt_vc(keys.ds_signer, vct=doc_type.vct or "", claims=marked, holder_key=key,
                                      issued_at=start, expires_at=end, issuer=public_url, status=reference,
                                      x5c=[keys.ds_der], decoys=3).serialize()
        audit.append(session, actor="issuer", action="credential.issue", target=f"credential:{credential_id}",
                     detail={"person": person.id, "type": type_id})
        issued.append(Issued(credential_id, encoded))
    return tuple(issued)
