"""Status List Tokens for verifiers: ``GET /status/{n}`` as JWT or CWT (by Accept, or ``/status/{n}.cwt`` /
``.jwt``), served from the published files (``issuer.publish``) with a strong ``ETag`` and ``Cache-Control``
from the tokens' ``ttl``; ``If-None-Match`` answers 304."""

from __future__ import annotations

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response

from issuer.web.errors import binary
from issuer.web.published import serve_published

router = APIRouter()


@router.get("/status/{name}", response_class=Response, responses={
    200: binary("application/statuslist+jwt", "application/statuslist+cwt",
                description="Status List Token: CWT when Accept names application/statuslist+cwt or the name ends "
                            "in .cwt, else JWT"),
    304: {"description": "If-None-Match named the current ETag"},
    404: {"description": "no such status list (empty body)"}})
def status_list(request: Request, name: str, accept: str | None = Header(default=None)) -> Response:
    number, _, suffix = name.partition(".")
    if not (number.isascii() and number.isdigit()) or len(number) > 9 or suffix not in ("", "cwt", "jwt"):
        return Response(status_code=404)
    cwt = suffix == "cwt" or (suffix == "" and accept is not None and "statuslist+cwt" in accept)
    path, media = (f"status/{int(number)}.cwt", "application/statuslist+cwt") if cwt else (
        f"status/{int(number)}", "application/statuslist+jwt")
    return serve_published(request, path, media)
