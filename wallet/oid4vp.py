"""Answering online requests (OpenID4VP 1.0 + DCQL): the wallet's side of a bank's or an agency's website.

``fetch_request`` reads the ``openid4vp://`` link (from a QR code or a same-device link), fetches the request
object from its ``request_uri`` and checks it (``specs.oid4vp.verify_request_object``: signature, ``typ``,
``x509_hash`` / ``x509_san_dns`` binding), then asks the reader roots this wallet trusts whether its chain
ends in one of them: the requester is ``trusted`` (its certificate's name is shown), ``untrusted`` (the name
it claims is shown, marked unverified) or ``unsigned``. ``OnlinePresenter.plan`` matches the DCQL query to
unused single-use copies (§6.4: the first satisfiable claim set and credential-set option), ``respond``
builds fresh presentations (mdoc over the B.2.6 handover, SD-JWT VC with a KB-JWT for the full client_id and
the request nonce), encrypts them to the verifier's key (§8.3) and posts them, and ``decline`` tells the
verifier ``access_denied`` (§8.5). The Digital Credentials API has the same steps without HTTP.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
import urllib.parse
from dataclasses import dataclass
from typing import Any, Literal

from cryptography import x509

from specs.catalogue import DocumentType
from specs.cbor import decode
from specs.crypto import Signer
from specs.errors import MobileIdError, Oid4vpError, UnknownDocumentTypeError
from specs.jose import b64url_encode, jwk_thumbprint
from specs.mdoc.issuer_signed import IssuerSigned
from specs.mdoc.presentation import build_device_response
from specs.oid4vp import (
    FORMAT_MDOC,
    PROTOCOL_SIGNED,
    AuthorizationErrorResponse,
    AuthorizationRequest,
    AuthorizationRequestUri,
    AuthorizationResponse,
    ClaimsQuery,
    CredentialQuery,
    DcqlChoice,
    DigitalCredentialRequest,
    DigitalCredentialResponse,
    dc_api_transcript,
    encrypt_response,
    openid4vp_transcript,
    origin_audience,
    select_json_path,
    verify_request_object,
)
from specs.sdjwt import SdJwt
from specs.sdjwt.presentation import present as present_sd_jwt
from specs.x509 import CertificateRole, TrustStore, validate_der_chain
from wallet.claims import read_stored
from wallet.history import SharedEntry
from wallet.oid4vci import HttpClient
from wallet.present import Presenter
from wallet.store import CredentialFormat, CredentialRecord, CredentialStore
from wallet.wallet import Pin

__all__ = ["OnlinePresenter", "Outcome", "PlannedCredential", "ReceivedRequest", "Requester", "ResponsePlan",
           "fetch_request", "receive_dc_api_request", "safe_text"]

TrustLevel = Literal["trusted", "untrusted", "unsigned"]
MAX_REQUEST_OBJECT = 256 * 1024


def safe_text(text: str, limit: int = 120) -> str:
    """A string from outside, fit for a terminal or a screen: control and format characters (escape
    sequences, bidi overrides) become '?', and it is cut to ``limit`` characters."""
    cleaned = "".join("?" if unicodedata.category(c).startswith("C") else c for c in str(text))
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Requester:
    client_id: str
    trust: TrustLevel
    name: str | None  # the certificate's name when trusted; otherwise what the requester claims (unverified)
    problem: str | None = None  # why it is not trusted (an error code)


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    request: AuthorizationRequest
    requester: Requester
    origin: str | None = None  # set for the Digital Credentials API (the browser's word for the page's origin)

    @property
    def audience(self) -> str:
        return origin_audience(self.origin) if self.origin is not None else self.request.client_id


def _common_name(leaf: x509.Certificate) -> str | None:
    names = leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def _requester(request: AuthorizationRequest, chain: tuple[bytes, ...], leaf: x509.Certificate,
               roots: TrustStore | None, now: dt.datetime) -> Requester:
    claimed = request.client_metadata.client_name if request.client_metadata else None
    if roots is None:
        return Requester(request.client_id, "untrusted", claimed or _common_name(leaf), "oid4vp.no_reader_roots")
    try:
        validate_der_chain(list(chain), roots, now=now, role=CertificateRole.READER)
    except MobileIdError as exc:
        return Requester(request.client_id, "untrusted", claimed or _common_name(leaf), exc.code)
    return Requester(request.client_id, "trusted", _common_name(leaf))


def fetch_request(link: str, *, http: HttpClient, reader_roots: TrustStore | None,
                  now: dt.datetime) -> ReceivedRequest:
    """The request a link or QR code points to, checked; a request that fails a check is refused
    (``Oid4vpError``), one signed by a certificate outside the wallet's reader roots is returned as
    ``untrusted``, one with plain parameters and a ``redirect_uri:`` client as ``unsigned``."""
    if "request_uri=" not in link and "request=" not in link:
        return _unsigned_link(link)
    uri = AuthorizationRequestUri.parse(link)
    compact = uri.request
    if uri.request_uri is not None:
        compact = _fetch_object(http, uri)
    assert compact is not None
    signed = verify_request_object(compact, now=now, client_id=uri.client_id, request_uri=uri.request_uri)
    return ReceivedRequest(signed.request, _requester(signed.request, signed.chain, signed.leaf, reader_roots, now))


def _fetch_object(http: HttpClient, uri: AuthorizationRequestUri) -> str:
    headers = {"Accept": "application/oauth-authz-req+jwt"}
    assert uri.request_uri is not None
    try:
        if uri.request_uri_method == "post":  # §5.10: no wallet_metadata sent: nothing to tailor
            answer = http.post(uri.request_uri, data={}, headers=headers)
        else:
            answer = http.get(uri.request_uri, headers=headers)
    except Exception as exc:  # the network is outside: any failure is "could not fetch"
        raise Oid4vpError(f"could not fetch the request ({type(exc).__name__})", code="oid4vp.request_fetch") from None
    if answer.status_code != 200:  # §5.10.2: any HTTP error ends the process (redirects are not followed)
        raise Oid4vpError(f"the verifier answered HTTP {answer.status_code} for the request",
                          code="oid4vp.request_fetch")
    text = answer.text
    if len(text) > MAX_REQUEST_OBJECT:
        raise Oid4vpError("the request object is too large", code="oid4vp.request_malformed")
    return str(text).strip()


def _unsigned_link(link: str) -> ReceivedRequest:
    """§5.9.3 ``redirect_uri:`` requests cannot be signed: parameters in the link, the requester unidentified."""
    parts = urllib.parse.urlsplit(link.strip())
    params = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items() if len(v) == 1}
    try:
        claims: dict[str, Any] = {**params, **{k: json.loads(params[k]) for k in ("dcql_query", "client_metadata")
                                                if k in params}}
    except ValueError:
        raise Oid4vpError("the request link's JSON parameters are malformed", code="oid4vp.request_invalid") from None
    request = AuthorizationRequest.from_json(claims)
    prefix, _, value = request.client_id.partition(":")
    if prefix != "redirect_uri" or value != request.response_uri:
        raise Oid4vpError("an unsigned request must use a redirect_uri: client_id naming its response_uri",
                          code="oid4vp.client_id")
    claimed = request.client_metadata.client_name if request.client_metadata else None
    return ReceivedRequest(request, Requester(request.client_id, "unsigned", claimed, "oid4vp.unsigned"))


def receive_dc_api_request(request: DigitalCredentialRequest, *, origin: str, reader_roots: TrustStore | None,
                           now: dt.datetime) -> ReceivedRequest:
    """Appendix A: a request the browser handed over with the page's origin (signed requests must list it
    in ``expected_origins``, compared as plain strings)."""
    origin_audience(origin)
    if request.protocol == PROTOCOL_SIGNED:
        signed = verify_request_object(str(request.data["request"]), now=now)
        if signed.request.expected_origins is None or origin not in signed.request.expected_origins:
            raise Oid4vpError("the request was made for another origin", code="oid4vp.origin_mismatch")
        return ReceivedRequest(signed.request, _requester(signed.request, signed.chain, signed.leaf, reader_roots,
                                                          now), origin)
    unsigned = AuthorizationRequest.from_json(request.data, client_id_required=False)
    return ReceivedRequest(unsigned, Requester(origin, "unsigned", None, "oid4vp.unsigned"), origin)


@dataclass(frozen=True, slots=True)
class PlannedCredential:
    query: CredentialQuery
    record: CredentialRecord
    doc_type: DocumentType
    claims: tuple[ClaimsQuery, ...]  # the claim option chosen (§6.4.1)
    option: int
    options: int


@dataclass(frozen=True, slots=True)
class ResponsePlan:
    received: ReceivedRequest
    credentials: tuple[PlannedCredential, ...]
    choice: DcqlChoice


@dataclass(frozen=True, slots=True)
class Outcome:
    delivered: bool  # the verifier took the response (HTTP 200)
    status: int
    error: str | None = None  # the verifier's §8.5-style error code, when it refused
    description: str | None = None  # safe_text'ed
    redirect_uri: str | None = None
    shared: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (type id, element names) per credential


def _held_claims(record: CredentialRecord) -> dict[str, Any]:
    return dict(read_stored(record).values)


def _holds(claims: dict[str, Any], query: CredentialQuery, wanted: tuple[ClaimsQuery, ...]) -> bool:
    for claim in wanted:
        if query.format == FORMAT_MDOC:
            values = claims.get(str(claim.path[0]), {})
            found = [values[claim.path[1]]] if claim.path[1] in values else []
        else:
            try:
                found = select_json_path(claims, claim.path)
            except Oid4vpError:
                found = []
        if not any(claim.accepts(v) for v in found):
            return False
    return True


class OnlinePresenter(Presenter):
    """The QR ``Presenter``'s catalogue, clock, single-use batches and history, answering OpenID4VP."""

    def plan(self, pin: Pin, received: ReceivedRequest) -> ResponsePlan:
        """Which card answers which query (raises ``oid4vp.no_credential`` when a required one cannot)."""
        store = self.wallet.store(self.wallet.master(pin))
        found: dict[str, PlannedCredential] = {}

        def can_answer(query: CredentialQuery) -> bool:
            planned = self._match(store, query)
            if planned is not None:
                found[query.id] = planned
            return planned is not None

        choice = received.request.dcql_query.choose(can_answer)
        return ResponsePlan(received, tuple(found[i] for i in choice.credential_ids), choice)

    def _match(self, store: CredentialStore, query: CredentialQuery) -> PlannedCredential | None:
        wanted_format = CredentialFormat.MSO_MDOC if query.format == FORMAT_MDOC else CredentialFormat.SD_JWT_VC
        for identifier in query.type_identifiers:
            record = store.next_unused(identifier)
            if record is None or record.format is not wanted_format:
                continue
            try:
                doc_type = self.catalogue.find(identifier)
            except UnknownDocumentTypeError:
                continue
            claims, options = _held_claims(record), query.claim_options()
            for index, option in enumerate(options):
                if _holds(claims, query, option):
                    return PlannedCredential(query, record, doc_type, option, index, len(options))
        return None

    def _presentation(self, plan: ResponsePlan, item: PlannedCredential, signer: Signer, now: dt.datetime,
                      thumbprint: bytes | None) -> tuple[str, tuple[str, ...]]:
        request = plan.received.request
        if item.query.format == FORMAT_MDOC:
            assert isinstance(item.record.credential, bytes)
            selection: dict[str, list[str]] = {}
            for claim in item.claims:
                selection.setdefault(str(claim.path[0]), []).append(str(claim.path[1]))
            origin, uri = plan.received.origin, request.response_uri or ""
            transcript = (dc_api_transcript(origin, request.nonce, thumbprint) if origin is not None else
                          openid4vp_transcript(request.client_id, request.nonce, thumbprint, uri))
            issuer_signed = IssuerSigned.from_cbor_value(decode(item.record.credential))
            response = build_device_response(issuer_signed, selection, transcript, signer)
            return b64url_encode(response.to_cbor()), tuple(e for names in selection.values() for e in names)
        paths = [tuple(p for p in c.path if isinstance(p, str)) for c in item.claims]
        chosen = present_sd_jwt(SdJwt.parse(str(item.record.credential)), paths, holder=signer,
                                aud=plan.received.audience, nonce=request.nonce, iat=now)
        return chosen.serialize(), tuple(p[0] for p in paths if p)

    def _build(self, pin: Pin, plan: ResponsePlan) -> tuple[AuthorizationResponse, tuple[tuple[str, tuple[str, ...]],
                                                                                          ...]]:
        now = self._clock()
        request = plan.received.request
        metadata = request.client_metadata
        thumbprint = jwk_thumbprint(metadata.encryption_key().jwk) if request.encrypted and metadata else None
        master = self.wallet.master(pin)
        store, keys = self.wallet.store(master), self.wallet.device_keys(pin, master)
        token: dict[str, tuple[str, ...]] = {}
        shared = []
        for item in plan.credentials:
            presentation, elements = self._presentation(plan, item, keys.signer(item.record.device_key_alias), now,
                                                        thumbprint)
            token[item.query.id] = (presentation,)
            # used once it is built, whether or not the post goes through; marked and logged in one write
            self._consume(store, item.record, SharedEntry(
                at=now, verifier=safe_text(plan.received.requester.name or plan.received.requester.client_id, 80),
                type_id=item.doc_type.id, elements=elements, mode="online"))
            shared.append((item.doc_type.id, elements))
        return AuthorizationResponse(token, request.state), tuple(shared)

    def respond(self, pin: Pin, plan: ResponsePlan, *, http: HttpClient) -> Outcome:
        """Build, encrypt (when asked) and post the response to ``response_uri`` (§8.2, §8.3.1)."""
        response, shared = self._build(pin, plan)
        return self._post(plan.received.request, response, http, shared)

    def decline(self, received: ReceivedRequest, *, http: HttpClient) -> Outcome:
        """§8.5 ``access_denied``: the holder said no (or holds nothing that answers)."""
        return self._post(received.request, AuthorizationErrorResponse("access_denied", None, received.request.state),
                          http, ())

    def answer_dc_api(self, pin: Pin, plan: ResponsePlan) -> DigitalCredentialResponse:
        """Appendix A.4: the ``data`` a browser wallet returns to the page (``{"response": JWE}``)."""
        request = plan.received.request
        response, _ = self._build(pin, plan)
        if not request.encrypted or request.client_metadata is None:
            return DigitalCredentialResponse(PROTOCOL_SIGNED if request.client_id else "openid4vp-v1-unsigned",
                                             response.to_json())
        jwe = encrypt_response(response, request.client_metadata.encryption_key(),
                               enc=request.client_metadata.content_encryption(), nonce=request.nonce, rng=self._rng)
        protocol = PROTOCOL_SIGNED if request.client_id else "openid4vp-v1-unsigned"
        return DigitalCredentialResponse(protocol, {"response": jwe})

    def _post(self, request: AuthorizationRequest, response: AuthorizationResponse | AuthorizationErrorResponse,
              http: HttpClient, shared: tuple[tuple[str, tuple[str, ...]], ...]) -> Outcome:
        if request.response_uri is None:
            raise Oid4vpError("the request names no response_uri", code="oid4vp.request_invalid")
        if request.encrypted and request.client_metadata is not None:
            body = {"response": encrypt_response(response, request.client_metadata.encryption_key(),
                                                 enc=request.client_metadata.content_encryption(),
                                                 nonce=request.nonce, rng=self._rng)}
        else:
            body = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in response.to_json().items()}
        try:
            answer = http.post(request.response_uri, data=body)
        except Exception as exc:  # the network is outside
            raise Oid4vpError(f"could not reach the verifier ({type(exc).__name__})", code="oid4vp.post") from None
        return _outcome(answer, shared)


def _outcome(answer: Any, shared: tuple[tuple[str, tuple[str, ...]], ...]) -> Outcome:
    try:
        body = answer.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    error, description, redirect = body.get("error"), body.get("error_description"), body.get("redirect_uri")
    return Outcome(answer.status_code == 200, answer.status_code,
                   safe_text(error, 40) if isinstance(error, str) else None,
                   safe_text(description, 200) if isinstance(description, str) else None,
                   safe_text(redirect, 300) if isinstance(redirect, str) and redirect.startswith(("https://", "http://"))
                   else None, shared)
