"""OpenAPI declarations shared by the routes: the OAuth-style error body and the bearer security schemes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


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
