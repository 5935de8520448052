"""The input guard: one gate in front of every route, so no input answers a 5xx (issue: never a 5xx from input).

What it refuses, before any route, database or parser of ours sees the request:

- a body larger than ``max_body_bytes`` (413, RFC 9110 §15.5.14), by ``Content-Length`` or as it streams;
- multipart bodies (415): no route takes uploads;
- in the path, the query, a urlencoded form or a JSON body: NUL and other C0 controls (PostgreSQL text cannot
  hold NUL), lone surrogates and undecodable UTF-8 (they cannot be stored or encoded); in the path and the
  query, whole numbers beyond 32 bits (they are database keys, INTEGER columns);
- in JSON: nesting deeper than ``max_json_depth``, numbers beyond 64 bits, non-finite numbers (``1e999``,
  ``NaN``); a body that does not parse at all is left to the route (it says what it expected);
- header values with control characters (RFC 9110 §5.5).

Refusals are 400 with the OAuth-style ``{"error", "error_description"}`` body (the error code each protocol
path uses for a malformed request, else ``invalid_request``); the description names what is wrong, never the
input. Everything else passes through with its body replayed unchanged.
"""

from __future__ import annotations

import json
import math
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

INT64 = (-(2**63), 2**63 - 1)
KEY = (-(2**31), 2**31 - 1)  # ids in the path and numbers in the query are database keys: INTEGER columns
_DIGITS = re.compile(r"[+-]?[0-9]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # C0 controls but TAB, and DEL
_HEADER_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


class Refused(Exception):
    """The request is refused with ``status``; ``what`` names the part and the reason (not the input)."""

    def __init__(self, what: str, status: int = 400) -> None:
        super().__init__(what)
        self.what, self.status = what, status


def check_text(value: str, where: str) -> None:
    """No control character (but TAB), no lone surrogate (from ``\\ud800`` escapes or undecodable bytes)."""
    if _CONTROL.search(value):
        raise Refused(f"{where} holds a control character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(f"{where} is not valid UTF-8 text") from None


def check_number_text(value: str, where: str, bounds: tuple[int, int] = KEY) -> None:
    """A value written as a whole number must fit ``bounds`` (path ids and query numbers are database keys,
    32-bit INTEGER columns on PostgreSQL)."""
    text = value.strip()
    if _DIGITS.fullmatch(text) and (len(text.lstrip("+-")) > 19 or not bounds[0] <= int(text) <= bounds[1]):
        raise Refused(f"{where} is a number beyond {bounds[1].bit_length() + 1} bits")


def check_pairs(text: str, where: str, numbers: bool) -> None:
    """A query string or an urlencoded form (invalid UTF-8 becomes lone surrogates, refused). Form values are
    not read as numbers: a password may be all digits."""
    for name, value in urllib.parse.parse_qsl(text, keep_blank_values=True, encoding="utf-8",
                                              errors="surrogateescape"):
        check_text(name, f"a {where} field name")
        check_text(value, f"a {where} value")
        if numbers:
            check_number_text(value, f"a {where} value")


def _int(literal: str) -> int:
    if len(literal) > 20 or not INT64[0] <= int(literal) <= INT64[1]:
        raise Refused("the JSON body holds a number beyond 64 bits")
    return int(literal)


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise Refused("the JSON body holds a number beyond the range of a double")
    return value


def _constant(name: str) -> float:
    raise Refused(f"the JSON body holds {name}, which JSON does not allow")


def check_json(body: bytes, max_depth: int) -> None:
    """Parse ``body`` with the limits. A body that is not JSON at all is left to the route, which says what
    it expected (and, behind a staff token, audits it); only what parses is held to the limits here."""
    try:
        value = json.loads(body, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise Refused(f"the JSON body is nested deeper than {max_depth}") from None
    except ValueError:  # includes UnicodeDecodeError
        return
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise Refused(f"the JSON body is nested deeper than {max_depth}")
            if isinstance(item, dict):
                for key in item:
                    check_text(key, "a JSON member name")
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            check_text(item, "a JSON string")


def check_target(scope: Scope) -> None:
    """Path segments, query string and header values."""
    path = scope.get("path", "")
    check_text(path, "the path")
    for segment in path.split("/"):
        check_number_text(segment, "a path segment")
    query = scope.get("query_string", b"")
    if query:
        check_pairs(query.decode("latin-1"), "query", numbers=True)
    for name, value in scope.get("headers", ()):
        if _HEADER_CONTROL.search(value) or _HEADER_CONTROL.search(name):
            raise Refused("a header holds a control character")


def check_body(body: bytes, content_type: str, max_depth: int) -> None:
    media = content_type.split(";", 1)[0].strip().lower()
    if media.startswith("multipart/"):
        raise Refused("multipart bodies are not accepted", 415)
    if media == "application/x-www-form-urlencoded":
        check_pairs(body.decode("latin-1"), "form", numbers=False)
    elif body:
        check_json(body, max_depth)


class InputGuard:
    """ASGI middleware; ``errors`` maps a path to the error code of its malformed requests."""

    def __init__(self, app: Any, max_body: int, max_depth: int, errors: Mapping[str, str]) -> None:
        self.app, self.max_body, self.max_depth, self.errors = app, max_body, max_depth, errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_target(scope)
            if scope.get("method") not in BODY_METHODS:
                await self.app(scope, receive, send)
                return
            body = await self._body(scope, receive)
            headers = dict(scope.get("headers", ()))
            check_body(body, headers.get(b"content-type", b"").decode("latin-1"), self.max_depth)
        except Refused as refused:
            await self._refuse(scope, send, refused)
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            message: dict[str, Any] = await receive()  # after the body: wait for the disconnect
            return message

        await self.app(scope, replay, send)

    async def _body(self, scope: Scope, receive: Receive) -> bytes:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                if not value.isdigit() or len(value) > 18:
                    raise Refused("Content-Length is not a number")
                if int(value) > self.max_body:
                    raise Refused(f"the body is larger than {self.max_body} bytes", 413)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise Refused(f"the body is larger than {self.max_body} bytes", 413)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _refuse(self, scope: Scope, send: Send, refused: Refused) -> None:
        error = self.errors.get(scope.get("path", ""), "invalid_request")
        body = json.dumps({"error": error, "error_description": refused.what}).encode()
        await send({"type": "http.response.start", "status": refused.status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})


def validation_detail(errors: Sequence[Any]) -> dict[str, Any]:
    """FastAPI's 422 body without the input it refused (which may not even be text): type, location, message."""
    def text(value: object) -> str:
        return str(value)[:100].encode("utf-8", "backslashreplace").decode("utf-8")

    return {"detail": [{"type": text(e.get("type")), "loc": [p if isinstance(p, int) else text(p)
                                                              for p in e.get("loc", ())], "msg": text(e.get("msg"))}
                       for e in errors]}


GUARD_RESPONSES: dict[str, dict[str, Any]] = {
    "400": {"description": "the input guard refused the request (control characters, invalid UTF-8, numbers "
                           "beyond 64 bits, JSON nested too deep)",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
    "413": {"description": "the body is larger than the service accepts",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
}


def document(openapi: dict[str, Any], error_schema: dict[str, Any]) -> None:
    """Declare the guard's answers on every operation of ``openapi`` (in place); where an operation already
    answers 400 (an HTML page, say), the guard's JSON body is added as another content type of it."""
    openapi.setdefault("components", {}).setdefault("schemas", {}).setdefault("ErrorResponse", error_schema)
    for item in openapi.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status, entry in GUARD_RESPONSES.items():
                if status == "413" and "requestBody" not in operation:
                    continue
                if status not in responses:
                    responses[status] = dict(entry)
                else:
                    responses[status].setdefault("content", {}).setdefault("application/json",
                                                                           entry["content"]["application/json"])
