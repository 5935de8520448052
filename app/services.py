"""What the screens call: the wallet (PIN, cards, receive, share, history) and the verifier (trust bundle,
requests, verdicts). No Kivy here, so this is testable and reusable; the screens only draw.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.x509.oid import NameOID

from app.i18n import LANGUAGES
from app.sharing import USABLE, SharePreview, Sharing
from specs.catalogue import Catalogue, DocumentType
from specs.claims import Claim, claim_name
from specs.errors import CatalogueError, MobileIdError, QrError, WalletError
from specs.qr import FrameCollector, profile_texts
from specs.qr.presentation import QrRequest, decode_qr_message
from specs.x509 import TrustStore
from wallet.claims import read_stored
from wallet.history import History, SharedEntry
from wallet.keystore import KeyStore
from wallet.oid4vci import HttpClient
from wallet.pin import DEFAULT_KDF, KdfParams
from wallet.present import Presentation, Presenter
from wallet.status import StatusRefresh
from wallet.store import CredentialRecord, CredentialStatus
from wallet.wallet import Unlocked, Wallet

__all__ = ["Card", "Notice", "ReaderCheck", "SharePreview", "WalletService"]

Clock = Callable[[], dt.datetime]
EXPIRING_DAYS = 30
APTITUDE_NOTICE_DAYS = 90  # the licence's aptitude test can be taken in the months before it is due
STATUS_REFRESH_EVERY = dt.timedelta(minutes=15)  # status lists change rarely; spare the battery and the issuer
OFFER_SCHEME = "openid-credential-offer://"
NoticeKind = Literal["expired", "expiring", "suspended", "revoked", "aptitude_due", "aptitude_overdue"]
_STATUS_NOTICES: Mapping[str, NoticeKind] = {"expired": "expired", "expiring": "expiring", "suspended": "suspended",
                                            "revoked": "revoked"}  # card status -> notice ("valid" has none)


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
    items: tuple[Claim, ...] = ()  # the one claims model (``wallet.claims.read_stored``), in the card's order
    record_ids: tuple[str, ...] = ()  # every stored copy (removing the card removes them all)
    status_at: dt.datetime | None = None  # when ``status`` was last learned from the issuer (else: received)

    @property
    def claims(self) -> dict[str, Any]:
        """Element -> value, for the checks that look a value up (names, age answers, the aptitude date)."""
        return {claim.identifier: claim.value for claim in self.items}

    @property
    def portrait(self) -> bytes | None:
        """The holder's picture (``portrait`` or ``picture``), as bytes to draw."""
        return next((c.image for c in self.items if c.identifier in ("portrait", "picture") and c.image), None)

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("en") or self.type_key

    @property
    def usable(self) -> bool:
        return self.status in USABLE

    def holder(self, lang: str) -> tuple[str, str]:
        """(family, given) name as the holder writes them: in Korean the Hangul names the licence carries
        (ISO/IEC 18013-5 ``*_national_character``), else the Latin ones."""
        c = self.claims
        national = (str(c.get("family_name_national_character") or ""),
                    str(c.get("given_name_national_character") or ""))
        if lang == "ko" and any(national):
            return national
        return str(c.get("family_name") or ""), str(c.get("given_name") or "")


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the holder should act on, about one card: the home screen says it in plain words."""

    kind: NoticeKind
    type_key: str
    date: dt.date | None = None  # the end of validity or the aptitude test's due date; None for a status

    @property
    def severity(self) -> Literal["bad", "warn"]:
        return "warn" if self.kind in ("expiring", "aptitude_due") else "bad"


@dataclass(frozen=True, slots=True)
class ReaderCheck:
    """Who signed a two-way request, as far as this phone can tell (ISO/IEC 18013-5 B.1.7 reader auth)."""

    signed: bool
    checked_name: str | None = None  # the reader certificate's name, when it chains to a trusted reader root


class WalletService(Sharing):
    def __init__(self, folder: Path, *, kdf: KdfParams = DEFAULT_KDF, max_attempts: int = 5,
                 http: HttpClient | None = None, clock: Clock = _utc_now, trust_pem: bytes | None = None,
                 catalogue: Catalogue | None = None, issuer_url: str = "",
                 reader_roots_pem: bytes | None = None, keystore: KeyStore | None = None) -> None:
        self.wallet = Wallet(folder, kdf=kdf, max_attempts=max_attempts, keystore=keystore)
        self.max_attempts = max_attempts
        self.http, self.clock, self.trust_pem = http, clock, trust_pem
        self.issuer_url = issuer_url.rstrip("/")
        self.catalogue = Catalogue.load_default() if catalogue is None else catalogue
        # Reader roots (PEM) say which businesses' signed requests can be checked; without them a signature
        # proves nothing to the holder and the consent screen says so.
        self.reader_roots = TrustStore.from_pem(reader_roots_pem) if reader_roots_pem else None
        self._session: Unlocked | None = None  # the wallet opened once per unlock, dropped on lock
        # Status refreshes run on a worker thread: the lock makes "is one due?" and "start it" one step.
        self._status_lock = threading.Lock()
        self._status_asked_at: dt.datetime | None = None
        self.refreshing = False
        self.status_checks = 0  # refreshes finished (or failed) so far
        self.status_problem: str | None = None  # error code of the last refresh that could not check all

    # -- PIN ------------------------------------------------------------------------------------------
    def is_initialized(self) -> bool:
        return self.wallet.is_initialized()

    @property
    def unlocked(self) -> bool:
        return self._session is not None

    def setup(self, pin: str) -> None:
        """A new wallet (one argon2 derivation to create it, one to open it: run it off the UI thread)."""
        self.wallet.init(pin, trust_pem=self.trust_pem)
        self._session = self.wallet.open(pin)

    def unlock(self, pin: str) -> None:
        """The one key derivation of this unlock (off the UI thread); kept until ``lock``."""
        self._session = self.wallet.open(pin)  # raises on a wrong PIN and counts the attempt

    def lock(self) -> None:
        self._session = None

    def change_pin(self, old: str, new: str) -> None:
        self.wallet.change_pin(old, new)
        self._session = self.wallet.open(new)

    def erase(self) -> None:
        """Delete the wallet (crypto-erase): the master key goes first, then every file."""
        self._session = None
        self.wallet.erase()

    def remove(self, card: Card) -> None:
        """Remove a card: every copy and its device key."""
        self.wallet.delete(self._need_pin(), card.record_ids)

    def remaining_attempts(self) -> int:
        return self.wallet.remaining_attempts()

    def _need_pin(self) -> Unlocked:
        if self._session is None:
            raise WalletError("enter the PIN first", code="wallet.pin_needed")
        return self._session

    # -- cards ----------------------------------------------------------------------------------------
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
        stored = read_stored(record, self.catalogue)
        doc_type, until = stored.doc_type, stored.valid_until
        now = self.clock()
        status = {CredentialStatus.SUSPENDED: "suspended", CredentialStatus.INVALID: "revoked",
                  CredentialStatus.UNKNOWN: "unknown"}.get(record.status, "valid")
        if status == "valid" and until is not None:
            if until < now:
                status = "expired"
            elif until - now < dt.timedelta(days=EXPIRING_DAYS):
                status = "expiring"
        names = ({lang: doc_type.display_name(lang) for lang in LANGUAGES} if doc_type else {"en": record.type_id})
        return Card(record.id, doc_type.id if doc_type else record.type_id, names, status, until,
                    sum(1 for r in group if not r.used) or 1, stored.claims, tuple(r.id for r in group),
                    record.status_known_at)

    def claim_name(self, type_key: str, element: str, lang: str) -> str:
        """The catalogue's name of an element of a type (id, docType or vct), for consent and history."""
        try:
            doc_type: DocumentType | None = self.catalogue.find(type_key)
        except CatalogueError:
            doc_type = None
        return claim_name(doc_type, element, lang)

    def notices(self, cards: Sequence[Card] | None = None) -> list[Notice]:
        """What needs the holder's attention, most severe first: a suspended or revoked card (the status last
        stored), an expired or soon expiring one (the ``EXPIRING_DAYS`` rule of the badges), and the
        licence's aptitude test when it is due within ``APTITUDE_NOTICE_DAYS`` or overdue."""
        found: list[Notice] = []
        today = self.clock().astimezone().date()  # the due date is a calendar date where the phone is
        for card in self.cards() if cards is None else cards:
            kind = _STATUS_NOTICES.get(card.status)
            if kind in ("suspended", "revoked"):
                found.append(Notice(kind, card.type_key))
            elif kind is not None and card.valid_until is not None:
                found.append(Notice(kind, card.type_key, card.valid_until.date()))
            due = card.claims.get("aptitude_test_due_date")
            if card.type_key == "mdl" and card.status != "revoked" and isinstance(due, dt.date):
                due = due.date() if isinstance(due, dt.datetime) else due
                if due < today:
                    found.append(Notice("aptitude_overdue", card.type_key, due))
                elif (due - today).days <= APTITUDE_NOTICE_DAYS:
                    found.append(Notice("aptitude_due", card.type_key, due))
        unique = list(dict.fromkeys(found))  # a type held in two batches gets one notice
        return sorted(unique, key=lambda n: n.severity != "bad")  # stable: card order within a severity

    # -- receiving ------------------------------------------------------------------------------------
    def receive(self, offer: str, tx_code: str | None) -> list[Card]:
        if self.http is None:
            raise WalletError("no network client", code="wallet.offline")
        pin = self._need_pin()
        self._ensure_trust()
        records = self.wallet.receive(offer.strip(), tx_code or None, pin, http=self.http, now=self.clock())
        groups: dict[str, list[CredentialRecord]] = {}
        for record in records:
            groups.setdefault(record.batch_group or record.id, []).append(record)
        return [self._card(g) for g in groups.values()]

    def _ensure_trust(self) -> None:
        """A wallet that trusts no issuer yet takes the issuer root the app ships with (``trust_pem``), else,
        on first use, the root of the issuer this app is configured for (``{issuer_url}/trust/root.pem``
        over HTTPS: trust on first use, as the verifier mode pins its bundle root). The offer's own URL is
        never the source: an offer must not bring its own trust."""
        try:
            self.wallet.trust()
            return
        except WalletError:
            pass
        pem = self.trust_pem
        if pem is None and self.http is not None and self.issuer_url:
            answer = self.http.get(f"{self.issuer_url}/trust/root.pem")
            if answer.status_code != 200:
                raise WalletError("the issuer's root certificate could not be fetched", code="wallet.no_trust")
            pem = answer.content
        if pem is None:
            raise WalletError("the wallet trusts no issuer yet", code="wallet.no_trust")
        self.wallet.add_trust(pem)

    # -- sharing --------------------------------------------------------------------------------------
    def presenter(self) -> Presenter:
        return Presenter(self.wallet, catalogue=self.catalogue, clock=self.clock)

    def present(self, *, preset: str | None = None, type_key: str | None = None, elements: Sequence[str] = (),
                request: QrRequest | None = None) -> Presentation:
        return self.presenter().present(self._need_pin(), preset=preset, type_id=type_key, elements=elements,
                                        request=request)

    def answer_for(self, request: QrRequest) -> tuple[str, tuple[str, ...]]:
        """Which requested document (docType or vct) and elements this wallet would answer with."""
        return self.presenter().answer_for(self._need_pin(), request)

    def check_reader(self, request: QrRequest) -> ReaderCheck:
        """Authenticate a signed request against the reader roots; a signature that does not check out raises
        ``ReaderAuthError`` (``qr.reader_auth_invalid``): the holder must not be told it is signed."""
        if request.reader_auth is None:
            return ReaderCheck(signed=False)
        if self.reader_roots is None:
            return ReaderCheck(signed=True)
        leaf = request.verify_reader(self.reader_roots, now=self.clock())
        names = [a.value for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME)
                 for a in leaf.subject.get_attributes_for_oid(oid) if isinstance(a.value, str)]
        return ReaderCheck(signed=True, checked_name=names[0] if names else request.verifier)

    def history(self) -> tuple[SharedEntry, ...]:
        return tuple(reversed(History(self.wallet.folder, self._need_pin().master).entries()))

    # -- status and refill (blocking network calls: the app runs them on a worker thread) ---------------
    def status_refresh_due(self) -> bool:
        if self.http is None or self._session is None or self.refreshing:
            return False
        asked = self._status_asked_at
        return asked is None or self.clock() - asked >= STATUS_REFRESH_EVERY

    def refresh_status(self) -> StatusRefresh | None:
        """Ask the issuer's status lists and store what they say; None when no refresh is due (throttled) or
        one is already running. A list that cannot be fetched or checked leaves the stored status as it was
        (``wallet.status``) and its error code in ``status_problem``."""
        with self._status_lock:
            if not self.status_refresh_due():
                return None
            pin, http = self._session, self.http  # taken now: the wallet may lock itself meanwhile
            self.refreshing, self._status_asked_at = True, self.clock()
        try:
            assert pin is not None and http is not None
            result = self.wallet.refresh_status(pin, http, now=self.clock())
            self.status_problem = next(iter(result.errors.values()), None)
            return result
        except MobileIdError as exc:
            self.status_problem = exc.code
            raise
        finally:
            self.refreshing = False
            self.status_checks += 1

    def refill(self, type_key: str) -> int:
        """Fetch fresh single-use copies of ``type_key`` from the issuer (the wallet proves itself with its
        licence, ``wallet.remote.refill``); returns how many unused copies of that type are held now."""
        if self.http is None:
            raise WalletError("no network client", code="wallet.offline")
        from wallet.remote import refill

        pin = self._need_pin()
        received = refill(self.wallet, pin, self.issuer_url, http=self.http, configuration=type_key,
                          now=self.clock())
        return self.wallet.unused_copies(pin, {r.type_id for r in received})


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
    """The request's QR texts: one code, or frames past a version-25 code (a signed request carries the
    reader's certificates and can grow past it), by the profile's rule (``specs.qr.profile_texts``)."""
    return profile_texts(request.to_cbor())


def error_code(exc: BaseException) -> str:
    return exc.code if isinstance(exc, MobileIdError) else type(exc).__name__
