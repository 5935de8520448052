"""What the screens call: the wallet (PIN, cards, receive, share, history) and the verifier (trust bundle,
requests, verdicts). No Kivy here, so this is testable and reusable; the screens only draw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specs.catalogue import Catalogue, DocumentType
from specs.errors import CatalogueError, MobileIdError, QrError
from specs.qr import FrameCollector, encode_message
from specs.qr.presentation import QrRequest, decode_qr_message
from wallet.history import History, SharedEntry
from wallet.oid4vci import HttpClient
from wallet.pin import DEFAULT_KDF, KdfParams
from wallet.present import Presentation, Presenter
from wallet.store import CredentialFormat, CredentialRecord, CredentialStatus
from wallet.wallet import Wallet

__all__ = ["Card", "WalletService", "claims_of"]

Clock = Callable[[], dt.datetime]
EXPIRING_DAYS = 30
OFFER_SCHEME = "openid-credential-offer://"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Card:
    """One credential as the home screen shows it (a single-use batch is one card with a count)."""

    record_id: str
    type_key: str  # catalogue id, or the raw type id when unknown
    names: Mapping[str, str]  # {"ko", "en"}
    status: str  # "valid" | "suspended" | "revoked" | "expired" | "expiring" | "unknown"
    valid_until: dt.datetime | None
    copies: int
    claims: Mapping[str, Any] = field(default_factory=dict)  # flat: element -> value
    portrait: bytes | None = None

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("en") or self.type_key


def claims_of(record: CredentialRecord) -> tuple[dict[str, Any], dt.datetime | None]:
    """The credential's claims (flattened) and its validity end, read from the stored credential."""
    if record.format is CredentialFormat.MSO_MDOC:
        from specs.cbor import decode
        from specs.mdoc.issuer_signed import IssuerSigned

        assert isinstance(record.credential, bytes)
        signed = IssuerSigned.from_cbor_value(decode(record.credential))
        flat = {item.element_identifier: _plain(item.element_value)
                for items in signed.namespaces.values() for item in items}
        return flat, signed.mso.validity_info.valid_until
    from specs.jose.jws import b64url_decode, parse_json
    from specs.sdjwt import SdJwt
    from specs.sdjwt.processing import index_disclosures, process

    assert isinstance(record.credential, str)
    sd_jwt = SdJwt.parse(record.credential)
    payload = parse_json(b64url_decode(sd_jwt.issuer_jwt.split(".")[1], "payload"), "payload")
    alg = payload.get("_sd_alg", "sha-256") if isinstance(payload, dict) else "sha-256"
    claims = process(payload, index_disclosures(sd_jwt.disclosures, alg)).claims
    exp = claims.pop("exp", None)
    for technical in ("cnf", "status", "_sd_alg", "iss", "iat", "nbf", "vct", "sub"):
        claims.pop(technical, None)
    until = dt.datetime.fromtimestamp(exp, dt.UTC) if isinstance(exp, int) else None
    return {k: _plain(v) for k, v in claims.items()}, until


def _plain(value: Any) -> Any:
    inner = getattr(value, "value", None)  # CBOR tags (full-date, tdate)
    if inner is not None and not isinstance(value, (bytes, str, int, float, dict, list, tuple)):
        return _plain(inner)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


class WalletService:
    def __init__(self, folder: Path, *, kdf: KdfParams = DEFAULT_KDF, max_attempts: int = 5,
                 http: HttpClient | None = None, clock: Clock = _utc_now, trust_pem: bytes | None = None,
                 catalogue: Catalogue | None = None) -> None:
        self.wallet = Wallet(folder, kdf=kdf, max_attempts=max_attempts)
        self.max_attempts = max_attempts
        self.http, self.clock, self.trust_pem = http, clock, trust_pem
        self.catalogue = catalogue or Catalogue.load_default()
        self._pin: str | None = None

    # -- PIN ------------------------------------------------------------------------------------------
    def is_initialized(self) -> bool:
        return self.wallet.is_initialized()

    @property
    def unlocked(self) -> bool:
        return self._pin is not None

    def setup(self, pin: str) -> None:
        self.wallet.init(pin, trust_pem=self.trust_pem)
        self._pin = pin

    def unlock(self, pin: str) -> None:
        self.wallet.unlock(pin)  # raises on a wrong PIN and counts the attempt
        self._pin = pin

    def lock(self) -> None:
        self._pin = None

    def remaining_attempts(self) -> int:
        return self.wallet.remaining_attempts()

    def _need_pin(self) -> str:
        if self._pin is None:
            from specs.errors import WalletError

            raise WalletError("enter the PIN first", code="wallet.pin_needed")
        return self._pin

    # -- cards ----------------------------------------------------------------------------------------
    def doc_type(self, record: CredentialRecord) -> DocumentType | None:
        try:
            if record.format is CredentialFormat.MSO_MDOC:
                return self.catalogue.by_doctype(record.type_id)
            return self.catalogue.by_vct(record.type_id)
        except CatalogueError:
            return None

    def cards(self) -> list[Card]:
        records = self.wallet.credentials(self._need_pin())
        groups: dict[str, list[CredentialRecord]] = {}
        for record in records:
            groups.setdefault(record.batch_group or record.id, []).append(record)
        cards = [self._card(group) for group in groups.values()]
        order = {"mdl": 0, "resident_card": 1, "age_attestation": 2}
        return sorted(cards, key=lambda c: (order.get(c.type_key, 9), c.type_key))

    def _card(self, group: Sequence[CredentialRecord]) -> Card:
        record = next((r for r in group if not r.used), group[0])
        doc_type = self.doc_type(record)
        claims, until = claims_of(record)
        now = self.clock()
        status = {CredentialStatus.SUSPENDED: "suspended", CredentialStatus.INVALID: "revoked",
                  CredentialStatus.UNKNOWN: "unknown"}.get(record.status, "valid")
        if status == "valid" and until is not None:
            if until < now:
                status = "expired"
            elif until - now < dt.timedelta(days=EXPIRING_DAYS):
                status = "expiring"
        names = ({"ko": doc_type.display_name("ko"), "en": doc_type.display_name("en")} if doc_type
                 else {"en": record.type_id})
        portrait = claims.get("portrait") or claims.get("picture")
        return Card(record.id, doc_type.id if doc_type else record.type_id, names, status, until,
                    sum(1 for r in group if not r.used) or 1, claims,
                    portrait if isinstance(portrait, bytes) else None)

    def claim_name(self, type_key: str, element: str, lang: str) -> str:
        try:
            return self.catalogue.get(type_key).claim(None, element).display.name(lang)
        except CatalogueError:
            return element

    # -- receiving ------------------------------------------------------------------------------------
    def receive(self, offer: str, tx_code: str | None) -> list[Card]:
        if self.http is None:
            from specs.errors import WalletError

            raise WalletError("no network client", code="wallet.offline")
        records = self.wallet.receive(offer.strip(), tx_code or None, self._need_pin(), http=self.http,
                                      now=self.clock())
        groups: dict[str, list[CredentialRecord]] = {}
        for record in records:
            groups.setdefault(record.batch_group or record.id, []).append(record)
        return [self._card(g) for g in groups.values()]

    # -- sharing --------------------------------------------------------------------------------------
    def presets(self) -> list[tuple[str, tuple[str, ...]]]:
        """(preset, element names) for the presets some held credential can answer, age checks first."""
        held = {c.type_key for c in self.cards()}
        found: dict[str, tuple[str, ...]] = {}
        for type_key in held:
            try:
                doc_type = self.catalogue.get(type_key)
            except CatalogueError:
                continue
            for preset, items in doc_type.presets.items():
                found.setdefault(preset, tuple(name for _, name in items))
        first = ("age19", "age14", "age65", "name_photo")
        return sorted(found.items(), key=lambda kv: (first.index(kv[0]) if kv[0] in first else 9, kv[0]))

    def preset_type(self, preset: str) -> str | None:
        """Which held card answers a preset (the presenter's order: age attestation, licence, others)."""
        from wallet.present import PREFERRED_TYPES

        held = [c.type_key for c in self.cards()]
        for type_key in (*PREFERRED_TYPES, *held):
            try:
                if type_key in held and preset in self.catalogue.get(type_key).presets:
                    return type_key
            except CatalogueError:
                continue
        return None

    def presenter(self) -> Presenter:
        return Presenter(self.wallet, catalogue=self.catalogue, clock=self.clock)

    def present(self, *, preset: str | None = None, type_key: str | None = None, elements: Sequence[str] = (),
                request: QrRequest | None = None) -> Presentation:
        return self.presenter().present(self._need_pin(), preset=preset, type_id=type_key, elements=elements,
                                        request=request)

    def history(self) -> tuple[SharedEntry, ...]:
        return tuple(reversed(History(self.wallet.folder, self.wallet.unlock(self._need_pin())).entries()))


def read_offer(texts: Sequence[str]) -> str | None:
    return next((t for t in texts if t.startswith(OFFER_SCHEME)), None)


def read_request(texts: Sequence[str]) -> QrRequest:
    """A verifier's two-way request from scanned QR texts (all frames)."""
    collector = FrameCollector()
    for text in texts:
        collector.add(text)
    if not collector.complete:
        raise QrError("scan every frame of the request", code="qr.frame_incomplete")
    message = decode_qr_message(collector.message())
    if not isinstance(message, QrRequest):
        raise QrError("this is a wallet's answer, not a verifier's request", code="qr.message_type")
    return message


def request_texts(request: QrRequest) -> tuple[str, ...]:
    return tuple(encode_message(request.to_cbor()))


def error_code(exc: BaseException) -> str:
    return exc.code if isinstance(exc, MobileIdError) else type(exc).__name__
