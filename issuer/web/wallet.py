"""The wallet's five requests on a lean path: the offer by reference, ``/token``, ``/nonce``, ``/credential`` and
``/notification`` (OpenID4VCI 1.0 §4.1.3, §6, §7, §8, §11) served as plain ASGI, without the framework's
routing, dependency injection, pydantic models and thread hand-off.

They are the issuance hot path: a wallet sends all five for every credential, and the framework cost about a
third of the server's CPU per flow (``benchmarks/issuance.py``). Nothing else changes for them: the same
security headers, rate limits and input guard wrap this path (``issuer.web.app.IssuerApp``); the bodies are
parsed here as strictly as the declared models did (unknown members, wrong types and unparsable bodies are
refused with the endpoint's OAuth error code and counted as ``request.reject:<code>``, never echoed); the
services (``issuer.offers``, ``issuer.issuance``) decide, audit and commit exactly as before, one transaction
per request; refusals are answered by ``issuer.web.errors``. The FastAPI declarations in
``issuer.web.oid4vci`` (``described``, never mounted) are these operations' OpenAPI document; another method on
their paths is answered 405 here, as the framework would.

The service runs on the event loop itself, not in a worker thread: each request is one short transaction with
no wait on another request of this process (row locks are taken and released within the call), so the thread
hop only added CPU and let requests overtake one another (latency tails). A worker serves one such request at
a time; run more workers for more concurrency, or set ``wallet_in_threads`` (``MOBILEID_WALLET_IN_THREADS``)
when the database is far from the workers and its round trips should overlap (docs/deployment.md).
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.parse
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from issuer.errors import OAuthError
from issuer.issuance import new_nonce, record_notification, refuse, request_credentials
from issuer.offers import PRE_AUTH_GRANT, REFERENCE_PATH, offer_by_reference, redeem
from issuer.web import logs
from issuer.web.errors import UNAVAILABLE, failure
from issuer.web.state import State

LOG = logging.getLogger("issuer")
Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
NO_STORE = (b"cache-control", b"no-store")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()


def json_answer(value: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Answer:
    """JSON as Starlette's ``JSONResponse`` writes it (UTF-8, compact), never cached."""
    body = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    extra = tuple((k.lower().encode(), v.encode()) for k, v in (headers or {}).items() if k.lower() != "cache-control")
    return Answer(status, body, ((b"content-type", b"application/json"), NO_STORE, *extra))


def oauth_answer(exc: OAuthError) -> Answer:
    """``issuer.web.errors.oauth_response`` on this path: the error, no-store, WWW-Authenticate on a 401."""
    headers = {"WWW-Authenticate": f'Bearer error="{exc.error}"'} if exc.status == 401 else {}
    return json_answer({"error": exc.error, "error_description": exc.description}, exc.status, headers)


class Malformed(Exception):
    """A body that is not what the endpoint takes; ``where`` names the members and faults (never values)."""

    def __init__(self, where: list[str]) -> None:
        super().__init__("; ".join(sorted(set(where))))
        self.where = "; ".join(sorted(set(where)))


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _optional_str(value: object) -> bool:
    return value is None or isinstance(value, str)


def _proofs(value: object) -> bool:  # dict[str, list[str]] | None
    return value is None or (isinstance(value, dict) and all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in value.values()))


def _proof(value: object) -> bool:  # dict[str, str] | None
    return value is None or (isinstance(value, dict) and all(isinstance(v, str) for v in value.values()))


CREDENTIAL_MEMBERS: dict[str, Callable[[object], bool]] = {
    "credential_configuration_id": _optional_str, "proofs": _proofs, "proof": _proof}
NOTIFICATION_MEMBERS: dict[str, Callable[[object], bool]] = {
    "notification_id": _is_str, "event": _is_str, "event_description": _optional_str}
NOTIFICATION_REQUIRED = frozenset({"notification_id", "event"})


def parse_object(body: bytes, members: Mapping[str, Callable[[object], bool]],
                 required: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A JSON object with only ``members`` (each value passing its check) and every ``required`` one."""
    try:
        value = json.loads(body) if body else None
    except ValueError:  # includes UnicodeDecodeError
        raise Malformed(["body: json_invalid"]) from None
    if body and not isinstance(value, dict):
        raise Malformed(["body: model_attributes_type"])
    if value is None:
        raise Malformed(["body: missing"])
    faults = [f"body.{name}: extra_forbidden" for name in value if name not in members]
    faults += [f"body.{name}: missing" for name in required if name not in value]
    faults += [f"body.{name}: type" for name, check in members.items() if name in value and not check(value[name])]
    if faults:
        raise Malformed(faults)
    out: dict[str, Any] = value
    return out


def parse_form(body: bytes, required: frozenset[str]) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the guard already refused invalid UTF-8 and controls);
    a parameter sent twice is refused (RFC 6749 §3.2: parameters MUST NOT be included more than once)."""
    pairs = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    form: dict[str, str] = {}
    faults = []
    for name, value in pairs:
        if name in form:
            faults.append(f"body.{name[:40]}: repeated")
        form[name] = value
    faults += [f"body.{name}: missing" for name in required if not form.get(name)]
    if faults:
        raise Malformed(faults)
    return form


class WalletEndpoints:
    """The five requests as ASGI; ``handles`` says which (``issuer.web.app.IssuerApp`` asks it)."""

    def __init__(self, st: State, words: Callable[[], frozenset[str]]) -> None:
        self.st, self.words = st, words
        self.routes: dict[tuple[str, str], Callable[[Scope, bytes], Answer]] = {
            ("POST", "/token"): self.token, ("POST", "/nonce"): self.nonce,
            ("POST", "/credential"): self.credential, ("POST", "/notification"): self.notification}

    def handles(self, scope: MutableMapping[str, Any]) -> bool:
        if scope["type"] != "http":
            return False
        return _is_offer(scope["path"]) or ("POST", scope["path"]) in self.routes  # any method: 405 for others

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _body(receive) if scope["method"] == "POST" else b""
        try:
            route = self.routes.get((scope["method"], scope["path"]))
            if route is None:
                route = self.offer if scope["method"] == "GET" and _is_offer(scope["path"]) else _not_allowed
            if self.st.settings.wallet_in_threads:
                answer = await anyio.to_thread.run_sync(route, scope, body)
            else:
                answer = route(scope, body)
        except OAuthError as refusal:
            answer = oauth_answer(refusal)
        except OperationalError:  # the database is unavailable: as issuer.web.app answers it
            answer = json_answer(*UNAVAILABLE)
        except SQLAlchemyError as exc:
            answer = json_answer(*failure(exc, scope["method"], logs.redact_path(scope["path"], self.words())))
        length = () if answer.status == 204 else ((b"content-length", str(len(answer.body)).encode()),)
        await send({"type": "http.response.start", "status": answer.status, "headers": [*answer.headers, *length]})
        await send({"type": "http.response.body", "body": answer.body})

    # ---- the endpoints: parse, call the service, render -------------------------------------------------

    def _malformed(self, path: str, malformed: Malformed) -> OAuthError:
        """Count the malformed request (``request.reject:<code>``, committed) and return its refusal."""
        from issuer.web.oid4vci import VALIDATION_ERRORS

        with self.st.sessions() as session:
            return refuse(session, "request.reject", OAuthError(VALIDATION_ERRORS[path], malformed.where[:300]),
                          now=self.st.now())

    def offer(self, scope: Scope, _: bytes) -> Answer:
        reference = scope["path"][len(REFERENCE_PATH):]
        with self.st.single_statement() as session:
            body = offer_by_reference(session, reference[:200], self.st.now(),
                                      self.st.settings.public_url.rstrip("/"))
        if body is None:
            raise OAuthError("not_found", "this credential offer is unknown, used or expired", status=404)
        return json_answer(body)

    def token(self, scope: Scope, body: bytes) -> Answer:
        try:
            form = parse_form(body if _media(scope) == "application/x-www-form-urlencoded" else b"",
                              frozenset({"grant_type"}))
        except Malformed as malformed:
            raise self._malformed("/token", malformed) from None
        if form["grant_type"] != PRE_AUTH_GRANT:
            raise OAuthError("unsupported_grant_type", "only the pre-authorized code grant is offered")
        code = form.get("pre-authorized_code")
        if not code:
            raise OAuthError("invalid_request", "pre-authorized_code is required")
        st = self.st
        with st.sessions() as session:
            redeemed = redeem(session, code=code, tx_code=form.get("tx_code") or None,
                              max_attempts=st.settings.tx_code_attempts, now=st.now(), pepper=st.pepper)
        return json_answer({"access_token": redeemed.access_token, "token_type": "Bearer",
                            "expires_in": redeemed.expires_in,
                            "mobileid_grant": [{"credential_configuration_id": c, "copies": n}
                                               for c, n in redeemed.grant.items()]})

    def nonce(self, scope: Scope, _: bytes) -> Answer:
        with self.st.single_statement() as session:
            return json_answer({"c_nonce": new_nonce(session, self.st.now())})

    def credential(self, scope: Scope, body: bytes) -> Answer:
        try:
            request = parse_object(_json_body(scope, body), CREDENTIAL_MEMBERS)
        except Malformed as malformed:
            raise self._malformed("/credential", malformed) from None
        st = self.st
        with st.sessions() as session:
            batch = request_credentials(session, st.keys(session), authorization=_authorization(scope),
                                        configuration=request.get("credential_configuration_id") or "",
                                        proofs=request.get("proofs"), proof=request.get("proof"),
                                        public_url=st.settings.public_url, lists=st.lists,
                                        list_size=st.settings.status_list_size, now=st.now())
        out = [{"credential": base64.urlsafe_b64encode(i.encoded).rstrip(b"=").decode()
                if isinstance(i.encoded, bytes) else i.encoded} for i in batch.issued]
        return json_answer({"credentials": out, "notification_id": batch.notification_id})

    def notification(self, scope: Scope, body: bytes) -> Answer:
        try:
            request = parse_object(_json_body(scope, body), NOTIFICATION_MEMBERS, NOTIFICATION_REQUIRED)
        except Malformed as malformed:
            raise self._malformed("/notification", malformed) from None
        with self.st.sessions() as session:
            record_notification(session, authorization=_authorization(scope),
                                notification_id=request["notification_id"][:64], event=request["event"],
                                now=self.st.now())
        return Answer(204)


def _is_offer(path: str) -> bool:
    """``/credential-offer/<reference>``: one path segment after the prefix."""
    return path.startswith(REFERENCE_PATH) and len(path) > len(REFERENCE_PATH) and "/" not in path[len(REFERENCE_PATH):]


def _not_allowed(scope: Scope, _: bytes) -> Answer:
    """405 as the framework answers a method a route does not take (RFC 9110 §15.5.6: with ``Allow``)."""
    return json_answer({"detail": "Method Not Allowed"}, 405, {"Allow": "GET" if _is_offer(scope["path"]) else "POST"})


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def _authorization(scope: Scope) -> str | None:
    return _header(scope, b"authorization")


def _media(scope: Scope) -> str:
    return (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()


def _json_body(scope: Scope, body: bytes) -> bytes:
    """The body to read as JSON: as the declared models read it, a body sent as another media type than JSON
    (``application/json`` or ``+json``, or none named) is not JSON, whatever it holds."""
    media = _media(scope)
    if media and not (media == "application/json" or (media.startswith("application/") and media.endswith("+json"))):
        raise Malformed(["body: model_attributes_type"])
    return body


async def _body(receive: Receive) -> bytes:
    """The whole body (the input guard in front has already bounded its size and replays it in one piece)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
