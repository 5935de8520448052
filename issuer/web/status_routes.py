"""Status List Tokens for verifiers: ``GET /status/{n}`` as JWT or CWT (by Accept), cacheable for ``ttl``."""

from __future__ import annotations

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from sqlalchemy import select

from issuer.db.models import StatusListRow
from issuer.status import TTL_SECONDS, tokens
from issuer.web.errors import binary
from issuer.web.state import state

router = APIRouter()


@router.get("/status/{number}", response_class=Response, responses={
    200: binary("application/statuslist+jwt", "application/statuslist+cwt",
                description="Status List Token: CWT when Accept names application/statuslist+cwt, else JWT"),
    404: {"description": "no such status list (empty body)"}})
def status_list(request: Request, number: int, accept: str | None = Header(default=None)) -> Response:
    st = state(request)
    with st.sessions() as session:
        uri = f"{st.settings.public_url.rstrip('/')}/status/{number}"
        row = session.scalars(select(StatusListRow).where(StatusListRow.uri == uri)).first()
        if row is None:
            return Response(status_code=404)
        jwt, cwt = tokens(row, st.keys(session), st.now())
    headers = {"Cache-Control": f"public, max-age={TTL_SECONDS}"}
    if accept and "statuslist+cwt" in accept:
        return Response(cwt, media_type="application/statuslist+cwt", headers=headers)
    return Response(jwt, media_type="application/statuslist+jwt", headers=headers)
