"""Refreshing the wallet's knowledge of its credentials' status (draft-ietf-oauth-status-list).

Each credential may name a Status List entry: the MSO ``status`` of an mdoc (§6.3) or the ``status``
claim of an SD-JWT VC (§6.2). The wallet fetches each list once (``Accept: application/statuslist+jwt``),
verifies the token (its x5c must chain to an IACA the wallet trusts, as a document signer, and its ``sub``
must be the referenced URI) and stores what the entry says: 0 VALID, 1 INVALID (revoked), 2 SUSPENDED,
anything else UNKNOWN, with the time it was learned (``CredentialRecord.status_at``). A list that cannot be
fetched or verified changes nothing: the affected credentials keep their last known status (and its time)
and are named in ``StatusRefresh.errors``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from specs.cbor import decode
from specs.crypto import PublicKey
from specs.errors import MobileIdError, StatusTokenError
from specs.io.http import reaching
from specs.jose import Jws
from specs.mdoc.issuer_signed import IssuerSigned
from specs.sdjwt import SdJwt
from specs.status import StatusListToken, StatusReference, TokenHeader, verify_status_list_token
from specs.x509 import CertificateRole, TrustStore, validate_chain
from specs.x509.load import load_der_certificate
from wallet.oid4vci import HttpClient
from wallet.store import CredentialFormat, CredentialRecord, CredentialStatus
from wallet.wallet import Pin, Wallet

__all__ = ["ACCEPT", "StatusRefresh", "refresh_statuses", "status_reference"]

ACCEPT = "application/statuslist+jwt"
_VALUES = {0: CredentialStatus.VALID, 1: CredentialStatus.INVALID, 2: CredentialStatus.SUSPENDED}


class StatusRefresh(dict[str, CredentialStatus]):
    """Credential id -> status after the refresh (every stored credential). ``errors`` maps the ids whose
    status could not be checked to the error code; their stored status is left as it was."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: dict[str, str] = {}


def status_reference(record: CredentialRecord) -> StatusReference | None:
    """The Status List entry a stored credential names, if any (read without re-verifying it)."""
    if record.format is CredentialFormat.MSO_MDOC:
        assert isinstance(record.credential, bytes)
        return IssuerSigned.from_cbor_value(decode(record.credential)).mso.status
    assert isinstance(record.credential, str)
    status = Jws.parse(SdJwt.parse(record.credential).issuer_jwt).payload.get("status")
    return StatusReference.from_value(status) if status is not None else None


def _fetch(uri: str, http: HttpClient, trust: TrustStore, now: dt.datetime) -> StatusListToken:
    with reaching("the status list", error=StatusTokenError, code="status.unavailable"):
        answer = http.get(uri, headers={"Accept": ACCEPT})
    if answer.status_code != 200:
        raise StatusTokenError(f"status list answered HTTP {answer.status_code}", code="status.unavailable")

    def resolve(header: TokenHeader) -> Sequence[PublicKey]:
        if not header.x5chain:
            raise StatusTokenError("status list token carries no certificate chain", code="status.token_signature")
        try:
            certs = [load_der_certificate(c) for c in header.x5chain]
        except MobileIdError:
            raise StatusTokenError("status list token certificate is malformed",
                                   code="status.token_signature") from None
        validated = validate_chain(certs, trust, now=now, role=CertificateRole.DOCUMENT_SIGNER)
        return [validated.leaf.public_key()]  # type: ignore[list-item]

    return verify_status_list_token(answer.content, resolve, now=now, expected_subject=uri)


def refresh_statuses(wallet: Wallet, pin: Pin, *, http: HttpClient,
                     now: dt.datetime | None = None) -> StatusRefresh:
    """Check every stored credential against its Status List and store the result (one PIN entry)."""
    now = now or dt.datetime.now(dt.UTC)
    trust = wallet.trust()
    store = wallet.store(wallet.master(pin))
    tokens: dict[str, StatusListToken | MobileIdError] = {}
    result = StatusRefresh()
    learned: dict[str, CredentialStatus] = {}
    for record in store.list():
        result[record.id] = record.status
        try:
            reference = status_reference(record)
        except MobileIdError as exc:
            result.errors[record.id] = exc.code
            continue
        if reference is None:
            continue
        if reference.uri not in tokens:
            try:
                tokens[reference.uri] = _fetch(reference.uri, http, trust, now)
            except MobileIdError as exc:
                tokens[reference.uri] = exc
        token = tokens[reference.uri]
        if isinstance(token, MobileIdError):
            result.errors[record.id] = token.code
            continue
        try:
            value = token.status_list.get(reference.idx)
        except MobileIdError as exc:
            result.errors[record.id] = exc.code
            continue
        learned[record.id] = result[record.id] = _VALUES.get(value, CredentialStatus.UNKNOWN)
    if learned:
        store.set_statuses(learned, now)  # one write, whatever the number of credentials
    return result
