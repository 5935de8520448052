"""Remote issuance after the first visit: the holder authenticates with the mDL this issuer gave it.

``POST /remote/challenge`` returns a single-use nonce (5 minutes). ``POST /remote/offer`` takes an ISO/IEC
18013-5 DeviceResponse of the mDL, device-signed over::

    SessionTranscript = [null, null, ["mobileid-remote-issuance", SHA-256(cbor([issuer_url, nonce]))]]

verifies it against this issuer's own IACA, checks the licence's status entry and the licence register,
and answers with a pre-authorized OpenID4VCI offer for e-certificates or age attestations (never the
licence: that stays at the counter). The nonce is consumed by any attempt; nothing else changes on
failure. Errors are OAuth-style JSON.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from issuer.credentials import CONFIGURATIONS, thumbprint
from issuer.db.models import Credential, Licence, Nonce, Person, StatusListRow
from issuer.errors import OAuthError
from issuer.offers import create_remote_offer
from issuer.web.errors import json_body, oauth_errors
from issuer.web.state import State, state
from specs.cbor import encode
from specs.errors import MobileIdError
from specs.mdoc.response import DeviceResponse
from specs.mdoc.transcript import SessionTranscript
from specs.mdoc.verify import VerifiedDocument, verify_device_response
from specs.status import StatusList
from specs.x509 import TrustStore

router = APIRouter()
HANDOVER_NAME = "mobileid-remote-issuance"
MDL_DOCTYPE, ISO = "org.iso.18013.5.1.mDL", "org.iso.18013.5.1"
DISCLOSED = frozenset({"family_name", "given_name", "birth_date", "document_number"})
# The licence needs the in-person check. Age attestations are derived from the same registers and bound to the
# licence the wallet just proved, so a wallet may refill its single-use batch remotely.
COUNTER_ONLY = frozenset({"mdl"})
NONCE_PREFIX = "rm."  # tells a remote challenge from an OpenID4VCI c_nonce in the shared table
NONCE_TTL = dt.timedelta(minutes=5)
MAX_BODY = 64 * 1024


def remote_transcript(issuer_url: str, nonce: str) -> SessionTranscript:
    digest = hashlib.sha256(encode([issuer_url.rstrip("/"), nonce])).digest()
    return SessionTranscript.build(None, None, [HANDOVER_NAME, digest])


@router.post("/remote/challenge")
def challenge(request: Request) -> Response:
    st = state(request)
    value = NONCE_PREFIX + secrets.token_urlsafe(24)  # 192 random bits
    with st.sessions() as session:
        session.add(Nonce(value=value, expires_at=st.now() + NONCE_TTL))
        session.commit()
    return JSONResponse({"nonce": value, "expires_in": int(NONCE_TTL.total_seconds())},
                        headers={"Cache-Control": "no-store"})


REMOTE_OFFER_BODY: dict[str, Any] = {
    "type": "object", "title": "RemoteOfferRequest",
    "required": ["nonce", "device_response", "credential_configuration_ids"],
    "properties": {
        "nonce": {"type": "string", "description": "the challenge from POST /remote/challenge"},
        "device_response": {"type": "string", "description": "base64url DeviceResponse CBOR of the mDL"},
        "credential_configuration_ids": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                                         "uniqueItems": True},
        "copies": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 10},
                   "description": "copies per configuration (default: 5 age attestations, else 1)"},
    },
}


@router.post("/remote/offer", openapi_extra=json_body(REMOTE_OFFER_BODY, f"at most {MAX_BODY} bytes"),
             responses=oauth_errors({400: "invalid_request, invalid_nonce, access_denied"}))
async def remote_offer(request: Request) -> Response:
    raw = await request.body()
    return await run_in_threadpool(_remote_offer, state(request), raw)


def _remote_offer(st: State, raw: bytes) -> Response:
    try:
        body = json.loads(raw) if len(raw) <= MAX_BODY else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise OAuthError("invalid_request", "the body must be a JSON object")
    nonce = body.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise OAuthError("invalid_request", "nonce is required")
    now = st.now()
    with st.sessions() as session:
        # Single use: any attempt consumes the challenge, in its own transaction.
        used = session.execute(update(Nonce).where(Nonce.value == nonce, Nonce.used.is_(False),
                                                   Nonce.expires_at > now).values(used=True))
        session.commit()
        if used.rowcount != 1 or not nonce.startswith(NONCE_PREFIX):  # type: ignore[attr-defined]
            raise OAuthError("invalid_nonce", "the challenge is unknown, used or expired")
        try:
            configurations = _configurations(body.get("credential_configuration_ids"))
            document = _verified(st, session, body.get("device_response"), nonce, now)
            person, licence_credential = _holder(session, document)
            offer = create_remote_offer(session, person=person, licence_credential_id=licence_credential.id,
                                        configurations=configurations, issuer_url=st.settings.public_url.rstrip("/"),
                                        ttl_seconds=st.settings.offer_ttl_seconds, now=now, pepper=st.pepper,
                                        copies=_copies(body.get("copies")))
        except OAuthError:
            session.rollback()
            raise
        except ValueError as exc:
            session.rollback()
            raise OAuthError("invalid_request", str(exc)) from None
        session.commit()
    return JSONResponse({"offer_uri": offer.offer_uri, "credential_offer_uri": offer.reference_uri,
                         "tx_code": offer.tx_code, "grant": offer.grant,
                         "expires_in": int((offer.expires_at - now).total_seconds())},
                        headers={"Cache-Control": "no-store"})


def _configurations(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value) \
            or len(set(value)) != len(value):
        raise OAuthError("invalid_request", "credential_configuration_ids must be a non-empty list of distinct ids")
    unknown = [v for v in value if v not in CONFIGURATIONS]
    if unknown:
        raise OAuthError("invalid_request", "unknown credential configuration")
    if COUNTER_ONLY & set(value):
        raise OAuthError("invalid_request", "the licence is issued at a counter only")
    return list(value)


def _copies(value: Any) -> dict[str, int] | None:
    """The copies asked for (the grant bounds them like a counter offer's: ``issuer.grants``)."""
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and type(v) is int for k, v in value.items()):
        raise OAuthError("invalid_request", "copies must map configurations to whole numbers")
    return dict(value)


def _verified(st: State, session: Session, value: Any, nonce: str, now: dt.datetime) -> VerifiedDocument:
    if not isinstance(value, str) or not value:
        raise OAuthError("invalid_request", "device_response is required (base64url DeviceResponse CBOR)")
    try:
        data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        response = DeviceResponse.from_cbor(data)
    except (binascii.Error, ValueError, MobileIdError):
        raise OAuthError("invalid_request", "device_response is not a DeviceResponse") from None
    if len(response.documents) != 1:
        raise OAuthError("invalid_request", "present exactly one mobile driving licence")
    keys = st.keys(session)
    try:
        (document,) = verify_device_response(response, trust=TrustStore.of([keys.iaca]), now=now,
                                             transcript=remote_transcript(st.settings.public_url, nonce),
                                             expected_doctype=MDL_DOCTYPE)
    except MobileIdError as exc:
        raise OAuthError("access_denied", f"the licence presentation does not verify ({exc.code})") from None
    if document.authentication != "signature":
        raise OAuthError("access_denied", "the licence must be presented with a device signature")
    released = {(ns, name) for ns, items in document.issuer_claims.items() for name in items}
    if released != {(ISO, name) for name in DISCLOSED}:
        raise OAuthError("invalid_request", "disclose exactly family_name, given_name, birth_date, document_number")
    return document


def _holder(session: Session, document: VerifiedDocument) -> tuple[Person, Credential]:
    """The person behind a verified licence: its status entry must be ours, valid, and bound to the key
    that signed; its document number must be in the licence register for the same person."""
    refused = OAuthError("access_denied", "the licence is not valid at this issuer")
    reference = document.mso.status
    if reference is None:
        raise refused
    row = session.scalars(select(StatusListRow).where(StatusListRow.uri == reference.uri)).first()
    if row is None or not 0 <= reference.idx < row.size:
        raise refused
    credential = session.scalars(select(Credential).where(Credential.status_list_id == row.id,
                                                          Credential.status_index == reference.idx)).first()
    if credential is None or credential.type_id != "mdl":
        raise refused
    if credential.status != "valid" or StatusList(row.bits, row.data).get(reference.idx) != 0:
        raise OAuthError("access_denied", "the licence is revoked or suspended")
    if credential.holder_key_thumbprint != thumbprint(document.device_key.public_key()):
        raise refused
    claims = document.issuer_claims[ISO]
    licence = session.scalars(select(Licence).where(Licence.number == str(claims["document_number"]))).first()
    person = session.get(Person, credential.person_id)
    if licence is None or person is None or licence.person_id != person.id:
        raise refused
    if (claims["family_name"], claims["given_name"], str(claims["birth_date"])) != (
            person.family_name_latin, person.given_name_latin, person.birth_date.isoformat()):
        raise refused
    return person, credential
