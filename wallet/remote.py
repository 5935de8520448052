"""Remote issuance after the first visit: the wallet proves who it is with its mobile driving licence.

The issuer hands out a fresh challenge (``POST /remote/challenge``); the wallet answers with an ISO/IEC
18013-5 DeviceResponse of its mDL that releases only the four identifying elements and is signed with the
licence's device key (deviceSignature) over a SessionTranscript bound to that challenge and to the issuer::

    SessionTranscript = [null, null, ["mobileid-remote-issuance", SHA-256(cbor([issuer_url, nonce]))]]

(the shape of the OpenID4VP handover). ``POST /remote/offer`` then returns an OpenID4VCI pre-authorized
offer for e-certificates, which the wallet redeems as any other offer, each credential on a new device key.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from specs.cbor import decode, encode
from specs.crypto import Signer
from specs.errors import InputError, WalletError
from specs.mdoc.issuer_signed import IssuerSigned
from specs.mdoc.presentation import build_device_response
from specs.mdoc.transcript import SessionTranscript
from specs.x509 import TrustStore
from wallet.oid4vci import HttpClient, IssuanceError, oauth_refusal
from wallet.store import CredentialRecord
from wallet.wallet import Pin, Wallet

__all__ = ["DISCLOSED", "HANDOVER_NAME", "MDL_DOCTYPE", "RemoteOffer", "licence_record", "present_licence",
           "receive_remotely", "refill", "remote_transcript", "request_remote_offer"]

HANDOVER_NAME = "mobileid-remote-issuance"
MDL_DOCTYPE = "org.iso.18013.5.1.mDL"
ISO_NAMESPACE = "org.iso.18013.5.1"
DISCLOSED = ("family_name", "given_name", "birth_date", "document_number")


@dataclass(frozen=True, slots=True)
class RemoteOffer:
    offer_uri: str
    tx_code: str | None  # given only to the wallet that authenticated; None if the issuer sets none


def remote_transcript(issuer_url: str, nonce: str) -> SessionTranscript:
    """The SessionTranscript both sides build for one challenge (issuer URL without trailing slash)."""
    digest = hashlib.sha256(encode([issuer_url.rstrip("/"), nonce])).digest()
    return SessionTranscript.build(None, None, [HANDOVER_NAME, digest])


def licence_record(records: Sequence[CredentialRecord]) -> CredentialRecord:
    """The most recently received mobile driving licence among ``records``."""
    licences = [r for r in records if r.type_id == MDL_DOCTYPE and isinstance(r.credential, bytes)]
    if not licences:
        raise InputError("the wallet holds no mobile driving licence; get one at a counter first",
                         code="input.no_licence")
    return max(licences, key=lambda r: r.received_at)


def present_licence(issuer_signed: bytes, signer: Signer, issuer_url: str, nonce: str) -> bytes:
    """DeviceResponse CBOR releasing only :data:`DISCLOSED`, device-signed over the challenge transcript."""
    document = IssuerSigned.from_cbor_value(decode(issuer_signed))
    response = build_device_response(document, {ISO_NAMESPACE: DISCLOSED}, remote_transcript(issuer_url, nonce),
                                     signer)
    return response.to_cbor()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(response: Any, step: str) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400:
        raise IssuanceError(f"remote {step} refused: {oauth_refusal(response, body)}",
                            code=f"credential.remote_{step}")
    if not isinstance(body, dict):
        raise IssuanceError(f"remote {step} answered with something that is not a JSON object",
                            code=f"credential.remote_{step}")
    return body


def request_remote_offer(wallet: Wallet, pin: Pin, issuer_url: str, configurations: Sequence[str], *,
                         http: HttpClient, copies: Mapping[str, int] | None = None) -> RemoteOffer:
    """Authenticate with the wallet's mDL and ask for an offer of ``configurations`` (``copies`` of each: the
    issuer's grant is then exactly that, within its bounds)."""
    issuer = issuer_url.rstrip("/")
    master = wallet.master(pin)  # one PIN check for the record and its device key
    record = licence_record(wallet.store(master).list())
    signer = wallet.device_keys(pin, master).signer(record.device_key_alias)
    nonce = _json(http.post(f"{issuer}/remote/challenge"), "challenge").get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise IssuanceError("the issuer sent no challenge", code="credential.remote_challenge")
    assert isinstance(record.credential, bytes)
    response = present_licence(record.credential, signer, issuer, nonce)
    body = _json(http.post(f"{issuer}/remote/offer",
                           json={"nonce": nonce, "device_response": _b64(response),
                                 "credential_configuration_ids": list(configurations),
                                 **({"copies": dict(copies)} if copies else {})}), "offer")
    uri, tx_code = body.get("offer_uri"), body.get("tx_code")
    if not isinstance(uri, str) or (tx_code is not None and not isinstance(tx_code, str)):
        raise IssuanceError("the issuer's remote offer is malformed", code="credential.remote_offer")
    return RemoteOffer(uri, tx_code)


def receive_remotely(wallet: Wallet, pin: Pin, issuer_url: str, configurations: Sequence[str], *,
                     http: HttpClient, now: dt.datetime | None = None, batch: Mapping[str, int] | None = None,
                     trust: TrustStore | None = None) -> tuple[CredentialRecord, ...]:
    """Remote offer, then the ordinary OpenID4VCI redemption (fresh device key per credential)."""
    offer = request_remote_offer(wallet, pin, issuer_url, configurations, http=http, copies=batch)
    return wallet.receive(offer.offer_uri, offer.tx_code, pin, http=http, now=now, batch=batch, trust=trust)


def refill(wallet: Wallet, pin: Pin, issuer_url: str, *, http: HttpClient, count: int = 5,
           configuration: str = "age_attestation", now: dt.datetime | None = None,
           trust: TrustStore | None = None) -> tuple[CredentialRecord, ...]:
    """Fetch ``count`` fresh single-use copies of ``configuration`` remotely, then retire the exhausted
    batches of the same type: groups with at most one unused copy left (``Presenter`` keeps that last copy
    usable and flags ``needs_refill``; it may already have been shown). Their records and device keys are
    deleted only after the new copies are stored; a failed refill changes nothing."""
    received = receive_remotely(wallet, pin, issuer_url, [configuration], http=http, now=now,
                                batch={configuration: count}, trust=trust)
    types = {r.type_id for r in received}
    fresh = {r.batch_group for r in received}
    master = wallet.master(pin)
    store, keys = wallet.store(master), wallet.device_keys(pin, master)
    groups: dict[str | None, list[CredentialRecord]] = {}
    for record in store.list():
        if record.type_id in types and record.batch_group not in fresh:
            groups.setdefault(record.batch_group or record.id, []).append(record)
    for copies in groups.values():
        if sum(not r.used for r in copies) <= 1:
            for record in copies:
                store.delete(record.id)
                with contextlib.suppress(WalletError):
                    keys.delete(record.device_key_alias)
    return received
