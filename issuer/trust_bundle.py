"""The issuer's trust bundle for offline verifiers (format: ``specs.trust.bundle``).

It lists our IACA in a VICAL (ISO/IEC 18013-5 Annex C.1.7), every document-signer certificate still
within its validity (so credentials signed before a key rotation keep verifying), and the current
status list tokens, all signed by the VICAL signer. A verifier pins the IACA (``/trust/root.pem``).
"""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.db.models import StatusListRow
from issuer.keys import IssuerKeys
from issuer.status import tokens
from specs.catalogue import Catalogue
from specs.trust import CertificateInfo, StatusListToken, TrustBundle, Vical, sign_trust_bundle, sign_vical

BUNDLE_LIFETIME = dt.timedelta(hours=24)  # nextUpdate; verifiers refuse a bundle past it
PROVIDER = "mobileid Licensing Office"


def _doc_types() -> tuple[str, ...]:
    return tuple(sorted({t.doctype for t in Catalogue.load_default() if t.doctype}))


def build_trust_bundle(session: Session, keys: IssuerKeys, *, public_url: str, now: dt.datetime) -> bytes:
    """A freshly signed bundle: VICAL + document signers + status list tokens, valid for a day."""
    if keys.vical_signer is None or keys.vical is None:
        raise RuntimeError("the issuer has no VICAL signer key (start the service once to create it)")
    now = now.replace(microsecond=0)
    vical = Vical(provider=PROVIDER, date=now, issue_id=int(now.timestamp()), next_update=now + BUNDLE_LIFETIME,
                  certificate_infos=(CertificateInfo.for_certificate(keys.iaca, _doc_types(),
                                                                     issuing_authority=PROVIDER),))
    signed_vical = sign_vical(vical, keys.vical_signer, (keys.vical,))
    signers = tuple(c.public_bytes(Encoding.DER) for c in (keys.ds, *keys.previous_ds)
                    if c.not_valid_before_utc <= now <= c.not_valid_after_utc)
    lists = []
    for row in session.scalars(select(StatusListRow).order_by(StatusListRow.id)):
        jwt, cwt = tokens(row, keys, now)
        lists.append(StatusListToken(row.uri, jwt, cwt))
    bundle = TrustBundle(issuer=public_url.rstrip("/"), issued_at=now, next_update=now + BUNDLE_LIFETIME,
                         vical=signed_vical, document_signers=signers, status_lists=tuple(lists))
    return sign_trust_bundle(bundle, keys.vical_signer, (keys.vical,))

