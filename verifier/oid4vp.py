"""The online verifier's library: OpenID4VP 1.0 requests out, encrypted responses in, typed results.

* ``ReaderIdentity``: the reader certificate and key (``mobileid verifier reader-cert``) and the Client
  Identifier they give: ``x509_hash:<hash of the leaf>`` or, for a certificate with a dNSName SAN,
  ``x509_san_dns:<name>`` (§5.9.3).
* ``create_request`` (cross device / same device, ``direct_post.jwt``) and ``create_dc_api_request`` (the
  Digital Credentials API, ``dc_api.jwt``, Appendix A) make a fresh nonce, state and ephemeral P-256
  encryption key (with ``kid``) per transaction and return the ``PendingPresentation`` the verifier keeps.
* ``open_response`` decrypts a response and checks that it belongs to the transaction (state, time,
  encryption); ``verify_presentations`` verifies each presentation with the offline library (mdoc over the
  B.2.6 handover, SD-JWT VC with the KB-JWT ``aud`` = the full client_id and ``nonce`` = the transaction's)
  and each credential query's requirements as a ``verifier.policy.Policy`` (§8.6).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from specs.crypto import Signer, SoftwareSigner
from specs.errors import InputError, MobileIdError, Oid4vpError
from specs.jose import b64url_decode, b64url_encode, jwk_from_key, jwk_thumbprint
from specs.mdoc.transcript import SessionTranscript
from specs.oid4vp import (
    FORMAT_MDOC,
    PROTOCOL_SIGNED,
    PROTOCOL_UNSIGNED,
    SELF_ISSUED_AUD,
    AuthorizationErrorResponse,
    AuthorizationRequest,
    AuthorizationResponse,
    ClientMetadata,
    CredentialQuery,
    DcqlQuery,
    DigitalCredentialRequest,
    DigitalCredentialResponse,
    dc_api_transcript,
    decrypt_response,
    openid4vp_transcript,
    origin_audience,
    parse_response,
    sign_request_object,
    x509_hash,
)
from verifier.policy import PRESENT, Policy, PolicyOutcome, Requirement
from verifier.result import VerificationIssue, VerificationResult
from verifier.trust import VerifierTrust
from verifier.verify import verify_mdoc, verify_sd_jwt_presentation

__all__ = ["CredentialVerdict", "OnlineResult", "PendingPresentation", "ReaderIdentity", "create_dc_api_request",
           "create_request", "open_response", "policy_for", "verify_dc_api_response", "verify_presentations"]

VP_FORMATS = {"mso_mdoc": {"issuerauth_alg_values": [-7], "deviceauth_alg_values": [-7]},
              "dc+sd-jwt": {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}}
ENC_VALUES = ("A128GCM", "A256GCM")  # HAIP: both, the wallet picks
_TECHNICAL_CLAIMS = frozenset({"iss", "iat", "exp", "nbf", "cnf", "status", "vct", "sub", "_sd_alg", "vct#integrity"})


@dataclass(frozen=True, slots=True)
class ReaderIdentity:
    signer: Signer
    chain: tuple[bytes, ...]  # DER, leaf first (the root is left out: the wallet holds it)
    client_id: str
    name: str

    @classmethod
    def create(cls, signer: Signer, leaf: x509.Certificate, *, dns_name: str | None = None) -> ReaderIdentity:
        der = leaf.public_bytes(serialization.Encoding.DER)
        names = leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        client_id = f"x509_san_dns:{dns_name}" if dns_name else f"x509_hash:{x509_hash(der)}"
        return cls(signer, (der,), client_id, str(names[0].value) if names else "")

    @classmethod
    def load(cls, certificate: Path, key: Path, *, dns_name: str | None = None) -> ReaderIdentity:
        """From ``reader.pem`` and ``reader_key.pem``; with ``dns_name`` it must be a SAN of the certificate."""
        try:
            leaf = x509.load_pem_x509_certificate(certificate.read_bytes())
            private = serialization.load_pem_private_key(key.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the reader certificate or key ({type(exc).__name__})") from None
        if not isinstance(private, ec.EllipticCurvePrivateKey) or private.public_key() != leaf.public_key():
            raise InputError("the reader key is not the key of the reader certificate")
        identity = cls.create(SoftwareSigner(private), leaf, dns_name=dns_name)
        if dns_name:
            from specs.oid4vp import ClientId

            try:
                ClientId.parse(identity.client_id).check_certificate(leaf, identity.chain[0])
            except Oid4vpError:
                raise InputError(f"{dns_name} is not a DNS name of the reader certificate") from None
        return identity


@dataclass(frozen=True, slots=True)
class PendingPresentation:
    """What the verifier keeps about one request until its response arrives (secret: the decryption key)."""

    client_id: str
    nonce: str
    state: str | None
    dcql: DcqlQuery
    encryption_key: ec.EllipticCurvePrivateKey
    kid: str
    expires_at: dt.datetime
    response_uri: str | None = None  # redirect flows (B.2.6.1)
    origin: str | None = None  # Digital Credentials API (B.2.6.2)

    @property
    def thumbprint(self) -> bytes:
        return jwk_thumbprint(jwk_from_key(self.encryption_key.public_key()))

    @property
    def audience(self) -> str:
        """The KB-JWT ``aud``: the full client_id (§14.10), or ``origin:<origin>`` over the DC API (A.4)."""
        return origin_audience(self.origin) if self.origin is not None else self.client_id

    def transcript(self) -> SessionTranscript:
        if self.origin is not None:
            return dc_api_transcript(self.origin, self.nonce, self.thumbprint)
        return openid4vp_transcript(self.client_id, self.nonce, self.thumbprint, self.response_uri or "")

    def public_jwk(self) -> dict[str, Any]:
        return {**jwk_from_key(self.encryption_key.public_key()), "kid": self.kid, "use": "enc", "alg": "ECDH-ES"}

    def to_json(self) -> dict[str, Any]:
        secret = self.encryption_key.private_numbers().private_value.to_bytes(32, "big")
        return {"client_id": self.client_id, "nonce": self.nonce, "state": self.state, "dcql": self.dcql.to_json(),
                "d": b64url_encode(secret), "kid": self.kid, "expires_at": int(self.expires_at.timestamp()),
                "response_uri": self.response_uri, "origin": self.origin}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> PendingPresentation:
        key = ec.derive_private_key(int.from_bytes(b64url_decode(value["d"], "key"), "big"), ec.SECP256R1())
        return cls(value["client_id"], value["nonce"], value["state"], DcqlQuery.from_json(value["dcql"]), key,
                   value["kid"], dt.datetime.fromtimestamp(value["expires_at"], dt.UTC), value["response_uri"],
                   value["origin"])


def _fresh(rng: Callable[[int], bytes]) -> tuple[str, str, str]:
    return b64url_encode(rng(24)), b64url_encode(rng(24)), b64url_encode(rng(6))


def _metadata(pending: PendingPresentation, name: str | None) -> ClientMetadata:
    return ClientMetadata(jwks=(pending.public_jwk(),), vp_formats_supported=VP_FORMATS,
                          encrypted_response_enc_values_supported=ENC_VALUES, client_name=name or None)


def create_request(reader: ReaderIdentity, dcql: DcqlQuery, *, response_uri: str, request_uri: str,
                   now: dt.datetime, lifetime: dt.timedelta = dt.timedelta(minutes=5),
                   rng: Callable[[int], bytes] = secrets.token_bytes) -> tuple[PendingPresentation, str]:
    """A signed request object for ``direct_post.jwt`` (§5, §8.3.1) and what to keep for its response."""
    nonce, state, kid = _fresh(rng)
    pending = PendingPresentation(reader.client_id, nonce, state, dcql, ec.generate_private_key(ec.SECP256R1()), kid,
                                  now + lifetime, response_uri=response_uri)
    request = AuthorizationRequest(client_id=reader.client_id, nonce=nonce, dcql_query=dcql,
                                   response_mode="direct_post.jwt", response_uri=response_uri, state=state,
                                   client_metadata=_metadata(pending, reader.name), aud=request_uri,
                                   iat=int(now.timestamp()), exp=int(pending.expires_at.timestamp()))
    return pending, sign_request_object(request, reader.signer, reader.chain)


def create_dc_api_request(dcql: DcqlQuery, *, origin: str, now: dt.datetime, reader: ReaderIdentity | None = None,
                          lifetime: dt.timedelta = dt.timedelta(minutes=5),
                          rng: Callable[[int], bytes] = secrets.token_bytes,
                          ) -> tuple[PendingPresentation, DigitalCredentialRequest]:
    """Appendix A: ``dc_api.jwt``, unsigned (no client_id) or signed with ``expected_origins``."""
    origin_audience(origin)  # refuses what is no web origin
    nonce, _, kid = _fresh(rng)
    pending = PendingPresentation(reader.client_id if reader else "", nonce, None, dcql,
                                  ec.generate_private_key(ec.SECP256R1()), kid, now + lifetime, origin=origin)
    request = AuthorizationRequest(client_id=pending.client_id, nonce=nonce, dcql_query=dcql,
                                   response_mode="dc_api.jwt",
                                   client_metadata=_metadata(pending, reader.name if reader else None),
                                   aud=SELF_ISSUED_AUD if reader else None,
                                   expected_origins=(origin,) if reader else None)
    if reader is None:
        return pending, DigitalCredentialRequest(PROTOCOL_UNSIGNED, request.to_json())
    jwt = sign_request_object(request, reader.signer, reader.chain)
    return pending, DigitalCredentialRequest(PROTOCOL_SIGNED, {"request": jwt})


def open_response(pending: PendingPresentation, *, now: dt.datetime, response: str | None = None,
                  plain: Mapping[str, Any] | None = None) -> AuthorizationResponse | AuthorizationErrorResponse:
    """The response parameters of a ``direct_post.jwt`` (``response``) or ``direct_post`` (``plain``) POST,
    refused when late, unencrypted, for another transaction's state or unreadable."""
    if now > pending.expires_at:
        raise Oid4vpError("the transaction has expired", code="oid4vp.expired")
    if response is None:
        # §8.3.1: a wallet unable to encrypt may send an error unencrypted; a VP Token never.
        if plain is None or "error" not in plain:
            raise Oid4vpError("this verifier asked for an encrypted response", code="oid4vp.unencrypted")
        answer = parse_response(dict(plain))
    else:
        answer = decrypt_response(response, pending.encryption_key, kid=pending.kid)[1]
    if pending.state is not None and answer.state != pending.state:
        raise Oid4vpError("the response's state is not this transaction's", code="oid4vp.state")
    return answer


@dataclass(frozen=True, slots=True)
class CredentialVerdict:
    query_id: str
    result: VerificationResult
    outcome: PolicyOutcome

    def to_json(self) -> dict[str, Any]:
        out = self.result.to_json()
        out["claims"] = {k: v for k, v in out["claims"].items() if k not in _TECHNICAL_CLAIMS}
        out["id"] = self.query_id
        out["accepted"] = self.outcome.accepted
        out["unmet"] = [u.to_json() for u in self.outcome.unmet]
        return out


@dataclass(frozen=True, slots=True)
class OnlineResult:
    """``authentic``: every presentation verified; ``accepted``: and the query and its requirements are met."""

    authentic: bool
    accepted: bool
    credentials: tuple[CredentialVerdict, ...] = ()
    errors: tuple[VerificationIssue, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"authentic": self.authentic, "accepted": self.accepted,
                "credentials": [c.to_json() for c in self.credentials],
                "errors": [{"code": e.code, "message": e.message} for e in self.errors]}


def policy_for(query: CredentialQuery, option: int = 0) -> Policy:
    """A DCQL credential query as a ``Policy``: its docType/vct values and one claim option's elements, a
    claim with exactly one accepted value becoming ``equals`` (so ``age_over_19: [true]`` is required true)."""
    requirements = []
    for claim in query.claim_options()[option]:
        equals = claim.values[0] if claim.values is not None and len(claim.values) == 1 else PRESENT
        if query.format == FORMAT_MDOC:
            requirements.append(Requirement(str(claim.path[1]), str(claim.path[0]), equals))
        else:
            requirements.append(Requirement(str(claim.path[0]), None, equals if len(claim.path) == 1 else PRESENT))
    return Policy(query.id, query.type_identifiers, tuple(requirements))


def _verify_one(pending: PendingPresentation, query: CredentialQuery, presentation: str, trust: VerifierTrust,
                now: dt.datetime) -> VerificationResult:
    if query.format == FORMAT_MDOC:
        try:
            data = b64url_decode(presentation, "DeviceResponse")
        except MobileIdError as exc:
            return VerificationResult.failure("mdoc", exc)
        return verify_mdoc(data, trust=trust, transcript=pending.transcript(), now=now, require_status=True)
    return verify_sd_jwt_presentation(presentation, trust=trust, now=now, nonce=pending.nonce,
                                      aud=pending.audience, require_status=True)


def _evaluate(query: CredentialQuery, result: VerificationResult) -> PolicyOutcome:
    outcomes = [policy_for(query, i).evaluate(result) for i in range(len(query.claim_options()))]
    return next((o for o in outcomes if o.accepted), outcomes[0])


def verify_presentations(pending: PendingPresentation, response: AuthorizationResponse, *, trust: VerifierTrust,
                         now: dt.datetime) -> OnlineResult:
    """§8.6: each presentation verified and held against its credential query; the VP Token as a whole must
    name only queries of this request, one presentation each unless ``multiple``, and meet the sets."""
    verdicts: list[CredentialVerdict] = []
    for query_id, presentations in response.vp_token.items():
        try:
            query = pending.dcql.credential(query_id)
        except Oid4vpError:
            raise Oid4vpError("the VP Token answers a query this request did not make",
                              code="oid4vp.mismatch") from None
        if len(presentations) > 1 and not query.multiple:
            raise Oid4vpError("several presentations for a query that asked for one", code="oid4vp.mismatch")
        for presentation in presentations:
            result = _verify_one(pending, query, presentation, trust, now)
            verdicts.append(CredentialVerdict(query_id, result, _evaluate(query, result)))
    authentic = all(v.result.authentic for v in verdicts)
    met = [v.query_id for v in verdicts if v.outcome.accepted]
    errors = tuple(e for v in verdicts for e in v.result.errors)
    if authentic and not pending.dcql.satisfied_by(met):
        errors += (VerificationIssue("policy.not_met", "the presentations do not answer every required query"),)
    accepted = authentic and pending.dcql.satisfied_by(met) and all(v.outcome.accepted for v in verdicts)
    return OnlineResult(authentic, accepted, tuple(verdicts), errors)


def verify_dc_api_response(pending: PendingPresentation, response: DigitalCredentialResponse, *,
                           trust: VerifierTrust, now: dt.datetime) -> OnlineResult:
    """Appendix A.4: the ``DigitalCredential`` data the page received, for the origin it was requested from."""
    if pending.origin is None:
        raise Oid4vpError("this transaction was not made for the Digital Credentials API", code="oid4vp.mismatch")
    jwe = response.data.get("response")
    answer = open_response(pending, now=now, response=jwe if isinstance(jwe, str) else None,
                           plain=None if isinstance(jwe, str) else response.data)
    if isinstance(answer, AuthorizationErrorResponse):
        return OnlineResult(False, False, (), (VerificationIssue(f"oid4vp.wallet.{answer.error}",
                                                                 "the wallet declined or could not answer"),))
    return verify_presentations(pending, answer, trust=trust, now=now)
