"""The OAuth-style error answer (``oauth_response``, the one rendering of ``issuer.errors.OAuthError``) and
the OpenAPI declarations shared by the routes: the error body and the bearer security schemes."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from issuer.errors import OAuthError

LOG = logging.getLogger("issuer")

# The database is restarting or unreachable: said so (RFC 6749 §4.1.2.1 ``temporarily_unavailable``) with
# Retry-After, rather than a bare 500 a wallet cannot tell from a bug (docs/reliability.md): body, status, headers.
UNAVAILABLE: tuple[dict[str, str], int, dict[str, str]] = (
    {"error": "temporarily_unavailable",
     "error_description": "the service's database is unavailable; try again shortly"},
    503, {"Retry-After": "2", "Cache-Control": "no-store"})


def failure(exc: SQLAlchemyError, method: str, path: str) -> tuple[dict[str, str], int, dict[str, str]]:
    """Any other database error: logged by class and SQLSTATE only (a driver's message may quote a row's
    values), answered as a plain 500 that names nothing of it; ``path`` is already redacted."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None) or "-"
    LOG.error("database error %s (%s) on %s %s", type(exc).__name__, code, method, path)
    return ({"error": "server_error", "error_description": "the service failed; try again later"}, 500,
            {"Cache-Control": "no-store"})


def oauth_response(exc: OAuthError) -> JSONResponse:
    """``{"error", "error_description"}``, never cached; a 401 says which bearer error (RFC 6750 §3)."""
    headers = {"Cache-Control": "no-store"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
    return JSONResponse({"error": exc.error, "error_description": exc.description}, status_code=exc.status,
                        headers=headers)


def oauth_error_handler(_: Request, exc: Exception) -> JSONResponse:
    """The exception handler for ``OAuthError`` (installed once, by ``issuer.web.app``)."""
    assert isinstance(exc, OAuthError)
    return oauth_response(exc)


class ErrorResponse(BaseModel):
    """``{"error", "error_description"}`` as RFC 6749 section 5.2 and OpenID4VCI answer errors."""

    error: str
    error_description: str


# Declared in ``components.securitySchemes`` by ``issuer.web.app``.
ACCESS_TOKEN = "accessToken"  # noqa: S105 (a scheme name) - OpenID4VCI access token from /token
STAFF_TOKEN = "staffToken"  # noqa: S105 (a scheme name) - staff API token (``mobileid issuer api-token USERNAME``)
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    ACCESS_TOKEN: {"type": "http", "scheme": "bearer",
                   "description": "OpenID4VCI access token issued by POST /token"},
    STAFF_TOKEN: {"type": "http", "scheme": "bearer",
                  "description": "staff API token (mobileid issuer api-token USERNAME)"},
}


def oauth_errors(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for OAuth-style JSON errors (status -> when it is sent)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status, description in described.items():
        entry: dict[str, Any] = {"model": ErrorResponse, "description": description}
        if status == 401:
            entry["headers"] = {"WWW-Authenticate": {"description": 'Bearer error="invalid_token"',
                                                     "schema": {"type": "string"}}}
        out[status] = entry
    return out


def security(scheme: str) -> dict[str, Any]:
    """``openapi_extra=`` fragment requiring one of the bearer schemes."""
    return {"security": [{scheme: []}]}


def json_body(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """``openapi_extra=`` fragment documenting a JSON request body that the route reads itself."""
    body: dict[str, Any] = {"required": True, "content": {"application/json": {"schema": schema}}}
    if description:
        body["description"] = description
    return {"requestBody": body}


def binary(*media_types: str, description: str) -> dict[str, Any]:
    """A ``responses=`` entry for a non-JSON body in one of ``media_types``."""
    return {"description": description,
            "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in media_types}}
