"""The staff API (``/api/...``): JSON over HTTP for counter software, with bearer tokens.

A token (``mobileid issuer api-token USERNAME``) is 256 random bits, stored as its SHA-256 in
``staff.api_token_hash`` and looked up through that column's unique index; an inactive member of staff has
no token that works. The rules are the console's: any member of staff records in-person checks and creates
offers; only a supervisor (credentials issued at their own office) or an admin (any credential) changes a
credential's status. Errors are ``{"error", "error_description"}``: 401 ``invalid_token`` (with
``WWW-Authenticate: Bearer``), 403 ``forbidden``, 404 ``not_found``, 400 ``invalid_request``, 409
``conflict``. Every state change and every refusal is audited (ids and error codes only, no personal data);
a refusal changes nothing else.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from issuer import audit
from issuer.credentials import CONFIGURATIONS
from issuer.db.models import Credential, Person, Staff
from issuer.errors import OAuthError
from issuer.grants import MAX_COPIES, default_copies, eligibility
from issuer.offers import create_offer, record_check
from issuer.security import token_hash
from issuer.status import StatusChangeError, change_status
from issuer.web.errors import STAFF_TOKEN, json_body, oauth_errors, security
from issuer.web.state import State, state

router = APIRouter(prefix="/api")
MAX_BODY = 16 * 1024
MAX_TOKEN = 200
STATUS_ROLES = ("supervisor", "admin")


# ---- the status-change policy (shared with the console) -------------------------------------------------

def status_change_refusal(staff: Staff, credential: Credential) -> tuple[str, str] | None:
    """None when ``staff`` may suspend, reinstate or revoke ``credential``; else (reason code, message)."""
    if staff.role == "admin":
        return None
    if staff.role != "supervisor":
        return "role", "only a supervisor or an admin may change a credential's status"
    if credential.office_id is None:
        return "office", "this credential was issued before offices were recorded: only an admin may change it"
    if credential.office_id != staff.office_id:
        return "office", "a supervisor may change the status only of credentials issued at their own office"
    return None


def audit_denied(session: Session, staff: Staff | None, *, operation: str, reason: str, via: str,
                 target: str = "") -> None:
    """Record a refused staff action (ids and codes only) and commit it; nothing else is changed."""
    session.rollback()  # nothing the refused request may have touched survives
    detail: dict[str, object] = {"operation": operation, "reason": reason, "via": via}
    if staff is not None:
        detail |= {"role": staff.role, "office": staff.office_id}
    audit.append(session, actor=f"staff:{staff.id}" if staff is not None else via, action="access.denied",
                 target=target[:80], detail=detail)
    session.commit()


# ---- plumbing ---------------------------------------------------------------------------------------------

def _refusal(status: int, error: str, description: str, *, reason: str | None = None,
             target: str = "") -> OAuthError:
    return OAuthError(error, description, reason or error, status=status, target=target)


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _bearer_staff(session: Session, authorization: str | None) -> Staff:
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN or not token.isascii():
        raise _refusal(401, "invalid_token", "an API bearer token is required (Authorization: Bearer <token>)")
    staff = session.scalars(select(Staff).where(Staff.api_token_hash == token_hash(token))).first()
    if staff is None or not staff.active:
        raise _refusal(401, "invalid_token", "the API token is unknown, rotated or belongs to inactive staff")
    return staff


def _body(raw: bytes, model: type[BaseModel]) -> Any:
    if len(raw) > MAX_BODY:
        raise _refusal(400, "invalid_request", "the body is too large")
    try:
        return model.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        where = (sorted({".".join(str(p) for p in e.get("loc", ())) + f": {e.get('type')}" for e in exc.errors()})
                 if isinstance(exc, ValidationError) else ["the body must be a JSON object"])
        raise _refusal(400, "invalid_request", "; ".join(where)[:300]) from None


def _id(value: str, what: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise _refusal(404, "not_found", f"no such {what}")
    return int(value)


def _run(st: State, authorization: str | None, operation: str,
         handler: Any) -> Response:
    """Authenticate, run ``handler(session, staff)``, and audit any refusal (committed on its own)."""
    with st.sessions() as session:
        staff: Staff | None = None
        try:
            staff = _bearer_staff(session, authorization)
            return handler(session, staff)  # type: ignore[no-any-return]
        except OAuthError as exc:  # audited here, answered by the one OAuthError handler
            if exc.status in (401, 403):
                audit_denied(session, staff, operation=operation, reason=exc.reason or exc.error, via="api",
                             target=exc.target)
            else:
                session.rollback()
                audit.append(session, actor=f"staff:{staff.id}" if staff else "api", action="api.reject",
                             target=exc.target[:80], detail={"operation": operation, "error": exc.error})
                session.commit()
            raise


# ---- endpoints --------------------------------------------------------------------------------------------

class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    applicant_id: int
    document_kind: str = Field(max_length=32)
    document_number: str = Field(max_length=40)
    photo_match: bool
    configurations: list[str] = Field(min_length=1, max_length=len(CONFIGURATIONS))
    copies: dict[str, int] | None = Field(default=None, description="copies per configuration (default: "
                                          "each configuration's default, 5 age attestations, else 1)")


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    status: Literal["valid", "suspended", "revoked"]
    reason: str = Field(default="", max_length=200)


UNAUTHORIZED = "invalid_token: the bearer token is missing, unknown, rotated or belongs to inactive staff"


@router.post("/checks", status_code=201,
             openapi_extra=security(STAFF_TOKEN) | json_body(CheckRequest.model_json_schema(),
                                                             f"at most {MAX_BODY} bytes"),
             responses=oauth_errors({
                 400: "invalid_request: a malformed body, unknown configurations or a refused check",
                 401: UNAUTHORIZED, 404: "not_found: no such applicant"})
             | {201: {"description": "the check is recorded; a pre-authorized offer for the wallet"}})
async def post_check(request: Request) -> Response:
    raw = await request.body()
    return await run_in_threadpool(_check, state(request), request.headers.get("authorization"), raw)


def _check(st: State, authorization: str | None, raw: bytes) -> Response:
    def handler(session: Session, staff: Staff) -> Response:
        body: CheckRequest = _body(raw, CheckRequest)
        target = f"person:{body.applicant_id}"
        unknown = [c for c in body.configurations if c not in CONFIGURATIONS]
        if unknown or len(set(body.configurations)) != len(body.configurations):
            raise _refusal(400, "invalid_request", "configurations must be distinct known credential configurations",
                           target=target)
        person = session.get(Person, body.applicant_id)
        if person is None:
            raise _refusal(404, "not_found", "no such applicant", target=target)
        now = st.now()
        try:
            check = record_check(session, staff=staff, person=person, document_kind=body.document_kind,
                                 document_number=body.document_number, photo_match=body.photo_match,
                                 notes="recorded through the staff API", now=now)
            offer = create_offer(session, check=check, staff=staff, configurations=list(body.configurations),
                                 issuer_url=st.settings.public_url.rstrip("/"),
                                 ttl_seconds=st.settings.offer_ttl_seconds, now=now, copies=body.copies,
                                 pepper=st.pepper)
        except ValueError as exc:  # an ineligible applicant is refused here, with the reason; nothing is recorded
            raise _refusal(400, "invalid_request", str(exc), target=target) from None
        session.commit()
        return _json({"offer_id": offer.offer_id, "offer_uri": offer.offer_uri,
                      "credential_offer_uri": offer.reference_uri, "tx_code": offer.tx_code,
                      "expires_at": offer.expires_at.isoformat(), "grant": offer.grant}, 201)

    return _run(st, authorization, "check.record", handler)


@router.get("/applicants/{applicant_id}/eligibility", openapi_extra=security(STAFF_TOKEN),
            responses=oauth_errors({401: UNAUTHORIZED, 404: "not_found: no such applicant"}))
def applicant_eligibility(request: Request, applicant_id: str) -> Response:
    """What a check may offer this applicant: every configuration, eligible or with the reason it is not."""
    def handler(session: Session, staff: Staff) -> Response:
        person_id = _id(applicant_id, "applicant")
        person = session.get(Person, person_id)
        if person is None:
            raise _refusal(404, "not_found", "no such applicant", target=f"person:{person_id}")
        st = state(request)
        return _json([{"configuration": e.configuration, "eligible": e.eligible, "reason": e.reason,
                       "code": e.code, "default_copies": default_copies(e.configuration), "max_copies": MAX_COPIES}
                      for e in eligibility(session, person, st.now().date())])

    return _run(state(request), request.headers.get("authorization"), "applicant.eligibility", handler)


@router.get("/applicants/{applicant_id}/credentials", openapi_extra=security(STAFF_TOKEN),
            responses=oauth_errors({401: UNAUTHORIZED, 404: "not_found: no such applicant"}))
def applicant_credentials(request: Request, applicant_id: str) -> Response:
    def handler(session: Session, staff: Staff) -> Response:
        person_id = _id(applicant_id, "applicant")
        if session.get(Person, person_id) is None:
            raise _refusal(404, "not_found", "no such applicant", target=f"person:{person_id}")
        rows = session.scalars(select(Credential).where(Credential.person_id == person_id)
                               .order_by(Credential.id.desc()).limit(500))
        return _json([{"id": c.id, "type": c.type_id, "format": c.format, "status": c.status,
                       "issued_at": c.issued_at.isoformat()} for c in rows])

    return _run(state(request), request.headers.get("authorization"), "applicant.credentials", handler)


@router.post("/credentials/{credential_id}/status",
             openapi_extra=security(STAFF_TOKEN) | json_body(StatusRequest.model_json_schema(),
                                                             f"at most {MAX_BODY} bytes"),
             responses=oauth_errors({
                 400: "invalid_request: a malformed body", 401: UNAUTHORIZED,
                 403: "forbidden: not a supervisor or admin, or a supervisor of another office",
                 404: "not_found: no such credential", 409: "conflict: the status change is not allowed"}))
async def post_status(request: Request, credential_id: str) -> Response:
    raw = await request.body()
    return await run_in_threadpool(_status, state(request), request.headers.get("authorization"), credential_id,
                                   raw)


def _status(st: State, authorization: str | None, credential_id: str, raw: bytes) -> Response:
    def handler(session: Session, staff: Staff) -> Response:
        number = _id(credential_id, "credential")
        target = f"credential:{number}"
        if staff.role not in STATUS_ROLES:
            raise _refusal(403, "forbidden", "only a supervisor or an admin may change a credential's status",
                           reason="role", target=target)
        body: StatusRequest = _body(raw, StatusRequest)
        credential = session.get(Credential, number, with_for_update=True)
        if credential is None:
            raise _refusal(404, "not_found", "no such credential", target=target)
        refusal = status_change_refusal(staff, credential)
        if refusal is not None:
            raise _refusal(403, "forbidden", refusal[1], reason=refusal[0], target=target)
        try:
            change_status(session, credential, body.status, actor=f"staff:{staff.id}", reason=body.reason)
        except StatusChangeError as exc:
            raise _refusal(409, "conflict", str(exc), target=target) from None
        session.commit()
        return _json({"id": credential.id, "status": credential.status})

    return _run(st, authorization, "credential.status", handler)
