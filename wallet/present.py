"""Presenting over QR (``specs/qr-presentation.md``): the wallet's side of both modes.

* two-way: answer a verifier's ``QrRequest`` — release only what it asks for (and the catalogue says may
  be disclosed), device-signed over a transcript bound to that request's bytes;
* one-way: a preset or a custom choice, bound to a fresh wallet nonce and the signed time.

Each presentation uses a fresh copy from the single-use batch (unlinkability); the last copy stays
usable and ``Presentation.needs_refill`` tells the app to fetch more (remote issuance). The PIN unlocks
the device key before it signs. What was shared, with whom and when is logged (``wallet.history``),
never the values. The copy is marked used and the share logged in one atomic write, after the answer is
built and before it is shown: if that write fails, nothing changed (the copy stays unused, no QR appears).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from specs.catalogue import Catalogue, DocumentType
from specs.cbor import decode
from specs.cose.headers import HeaderLabel
from specs.crypto import Signer
from specs.errors import InputError, WalletError
from specs.mdoc.age import select_age_over
from specs.mdoc.issuer_signed import IssuerSigned
from specs.mdoc.presentation import build_device_response
from specs.mdoc.transcript import SessionTranscript
from specs.qr import profile_texts
from specs.qr.presentation import (
    ONE_WAY,
    ONE_WAY_AUDIENCE,
    TWO_WAY,
    QrRequest,
    QrResponse,
    b64url,
    one_way_transcript,
    two_way_transcript,
)
from specs.sdjwt import SdJwt
from specs.sdjwt.presentation import present as present_sd_jwt
from specs.trust import key_id
from wallet.history import SharedEntry
from wallet.store import CredentialFormat, CredentialRecord, CredentialStore
from wallet.wallet import Pin, Wallet

__all__ = ["PREFERRED_TYPES", "Presentation", "Presenter", "preset_cards", "strip_certificate"]

# For a preset, which credential to use first: the compact age attestation beats the full licence for an
# age check (smaller QR, less data in the signed MSO); then the licence; then anything holding the preset.
PREFERRED_TYPES = ("age_attestation", "mdl", "resident_card")
REFILL_BELOW = 2
_STATE_WORDS = {"invalid": "revoked"}  # Token Status List INVALID is what this issuer's revocation sets


@dataclass(frozen=True, slots=True)
class Presentation:
    texts: tuple[str, ...]  # the QR frame texts, shown in turn when more than one
    message: bytes  # the QrResponse CBOR
    type_id: str
    elements: tuple[str, ...]
    needs_refill: bool
    issuer: str = ""  # the credential issuer's URL (where a refill is asked for)


def preset_cards(catalogue: Catalogue) -> dict[str, tuple[DocumentType, ...]]:
    """Every preset the catalogue defines -> the document types that can answer it, in the order a preset
    picks them (``PREFERRED_TYPES`` first, then catalogue order)."""
    types = {t.id: t for t in catalogue}
    cards: dict[str, list[DocumentType]] = {}
    for type_name in dict.fromkeys((*(t for t in PREFERRED_TYPES if t in types), *types)):
        for name in types[type_name].presets:
            cards.setdefault(name, []).append(types[type_name])
    return {name: tuple(types) for name, types in cards.items()}


def strip_certificate(issuer_signed: IssuerSigned) -> IssuerSigned:
    """The issuerAuth without its x5chain, naming the document signer by key id instead (QR profile).
    Unprotected headers are not signed (RFC 9052 §3), so the issuer's signature is untouched."""
    auth = issuer_signed.issuer_auth
    chain = auth.x5chain
    if not chain:
        return issuer_signed
    from cryptography import x509

    kid = key_id(x509.load_der_x509_certificate(chain[0]))
    unprotected = {k: v for k, v in auth.unprotected.items() if k != HeaderLabel.X5CHAIN.value}
    unprotected[HeaderLabel.KID.value] = kid
    return dataclasses.replace(issuer_signed, issuer_auth=dataclasses.replace(auth, unprotected=unprotected))


class Presenter:
    def __init__(self, wallet: Wallet, *, catalogue: Catalogue | None = None,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                 rng: Callable[[int], bytes] = secrets.token_bytes) -> None:
        self.wallet = wallet
        self.catalogue = Catalogue.load_default() if catalogue is None else catalogue
        self._clock, self._rng = clock, rng

    # -- choosing -------------------------------------------------------------------------------
    def _candidates(self, store: CredentialStore) -> list[tuple[DocumentType, CredentialRecord]]:
        held: list[tuple[DocumentType, CredentialRecord]] = []
        for type_name in (*PREFERRED_TYPES, *(t.id for t in self.catalogue)):
            doc_type = self.catalogue.get(type_name)
            for fmt in doc_type.formats:
                record = store.next_unused(fmt.identifier)
                if record is not None and (doc_type, record) not in held:
                    held.append((doc_type, record))
        return held

    def presets(self) -> tuple[str, ...]:
        """Every preset the catalogue defines, in catalogue order (age14, age19, age65, ...)."""
        return tuple(preset_cards(self.catalogue))

    def _for_preset(self, store: CredentialStore, preset: str) -> tuple[DocumentType, CredentialRecord]:
        for doc_type, record in self._candidates(store):
            if preset in doc_type.presets:
                return doc_type, record
        raise WalletError(self._missing_card(store, preset), code="wallet.no_credential")

    def _missing_card(self, store: CredentialStore, preset: str) -> str:
        """Which card the preset needs, and what this wallet holds of it (suspended, revoked, used up)."""
        needed = preset_cards(self.catalogue)[preset]
        names = [f"{t.display_name('en')} ({t.id})" for t in needed]
        wanted = f"the card {names[0]}" if len(names) == 1 else f"one of these cards: {', '.join(names)}"
        held = [r for t in needed for f in t.formats for r in store.list(f.identifier)]
        if not held:
            return f"the preset {preset!r} needs {wanted}; this wallet holds none"
        states = sorted({"used up" if r.status.value == "valid" else _STATE_WORDS.get(r.status.value, r.status.value)
                         for r in held})
        return (f"the preset {preset!r} needs {wanted}; what this wallet holds of it is {' or '.join(states)} "
                "('mobileid wallet list' shows the status as last learned)")

    def answer_for(self, pin: Pin, request: QrRequest) -> tuple[str, tuple[str, ...]]:
        """(docType or vct, elements) that ``present(request=...)`` will answer with: the first document in
        the request's ``items`` this wallet holds an unused copy of (specs/qr-presentation.md §4: several
        entries are alternatives, e.g. the licence or the resident card)."""
        return self._requested(self.wallet.store(self.wallet.master(pin)), request)

    @staticmethod
    def _requested(store: CredentialStore, request: QrRequest) -> tuple[str, tuple[str, ...]]:
        for identifier, asked in request.items.items():
            if store.next_unused(identifier) is not None:
                return identifier, tuple(asked)
        raise WalletError("this wallet holds none of the documents the request asks for",
                          code="wallet.no_credential")

    def _for_type(self, store: CredentialStore, identifier: str) -> tuple[DocumentType, CredentialRecord]:
        doc_type = self.catalogue.find(identifier)
        record = store.next_unused(identifier)
        if record is None:
            raise WalletError(f"this wallet holds no {doc_type.display_name('en')}", code="wallet.no_credential")
        return doc_type, record

    # -- presenting -----------------------------------------------------------------------------
    def present(self, pin: Pin, *, preset: str | None = None, type_id: str | None = None,
                elements: Sequence[str] = (), request: QrRequest | None = None) -> Presentation:
        """Build the response QR. Exactly one of ``preset``, ``type_id`` + ``elements``, or ``request``."""
        known = self.presets()
        if preset is not None and preset not in known:  # refused before the PIN is tried
            raise InputError(f"unknown preset {preset!r}; the presets are {', '.join(known)}", code="input.usage")
        now = self._clock()
        master = self.wallet.master(pin)
        store = self.wallet.store(master)
        if request is not None:
            request.check_fresh(now)
            identifier, wanted = self._requested(store, request)
            doc_type, record = self._for_type(store, identifier)
        elif preset is not None:
            doc_type, record = self._for_preset(store, preset)
            wanted = tuple(name for _, name in doc_type.presets[preset])
        elif type_id is not None and elements:
            doc_type = self.catalogue.get(type_id)
            chosen = next((store.next_unused(f.identifier) for f in doc_type.formats
                           if store.next_unused(f.identifier) is not None), None)
            if chosen is None:
                raise WalletError(f"this wallet holds no {doc_type.display_name('en')}", code="wallet.no_credential")
            record, wanted = chosen, tuple(elements)
        else:
            raise WalletError("choose a preset, elements of a type, or answer a request", code="wallet.usage")
        signer = self.wallet.device_keys(pin, master).signer(record.device_key_alias)
        message, released = self._respond(record, doc_type, wanted, signer, request, now)
        texts = profile_texts(message)
        needs_refill = self._consume(store, record, SharedEntry(
            at=now, verifier=request.verifier if request else "one-way QR", type_id=doc_type.id,
            elements=released, mode="two-way" if request else "one-way"))
        return Presentation(texts, message, doc_type.id, released, needs_refill, record.issuer)

    def _respond(self, record: CredentialRecord, doc_type: DocumentType, wanted: tuple[str, ...], signer: Signer,
                 request: QrRequest | None, now: dt.datetime) -> tuple[bytes, tuple[str, ...]]:
        nonce = self._rng(16)
        if record.format is CredentialFormat.MSO_MDOC:
            assert isinstance(record.credential, bytes)
            issuer_signed = IssuerSigned.from_cbor_value(decode(record.credential))
            selection = _mdoc_selection(issuer_signed, doc_type, wanted)
            transcript: SessionTranscript = two_way_transcript(request) if request else one_way_transcript(nonce, now)
            response = build_device_response(strip_certificate(issuer_signed), selection, transcript, signer)
            released = tuple(name for names in selection.values() for name in names)
            data: bytes | str = response.to_cbor()
            fmt = "mdoc"
        else:
            assert isinstance(record.credential, str)
            paths = [(name,) for name in wanted if doc_type.selectively_disclosable(None, name)]
            aud = request.verifier if request else ONE_WAY_AUDIENCE
            chosen = present_sd_jwt(SdJwt.parse(record.credential), paths, holder=signer, aud=aud,
                                    nonce=b64url(request.nonce if request else nonce), iat=now)
            released, data, fmt = tuple(p[0] for p in paths), chosen.serialize(), "sd-jwt"
        if not released:
            raise WalletError("the credential holds none of the asked elements", code="wallet.nothing_to_share")
        qr = QrResponse(TWO_WAY, fmt, data) if request else QrResponse(  # type: ignore[arg-type]
            ONE_WAY, fmt, data, nonce, now.replace(microsecond=0))  # type: ignore[arg-type]
        return qr.to_cbor(), released

    @staticmethod
    def _consume(store: CredentialStore, record: CredentialRecord, shared: SharedEntry) -> bool:
        """Use a batch copy once (keeping the last one usable) and log the share, in one atomic write;
        True when a refill is due."""
        refill = False

        def change(records: tuple[CredentialRecord, ...]) -> tuple[CredentialRecord, ...]:
            nonlocal refill
            group = [r for r in records if r.type_id == record.type_id and r.batch_group == record.batch_group]
            siblings = [r for r in group if not r.used and r.id != record.id]
            refill = len(siblings) < REFILL_BELOW and record.batch_group is not None and len(group) > 1
            return tuple(dataclasses.replace(r, used=True) if r.id == record.id and siblings else r for r in records)

        store.update(change, shared=shared)
        return refill


def _mdoc_selection(issuer_signed: IssuerSigned, doc_type: DocumentType,
                    wanted: tuple[str, ...]) -> Mapping[str, list[str]]:
    """Map element names to the namespaces that hold them; age_over_NN follows ISO 18013-5 §7.2.5."""
    selection: dict[str, list[str]] = {}
    for ns, items in issuer_signed.namespaces.items():
        held = {item.element_identifier: item.element_value for item in items}
        ages = {k: v for k, v in held.items() if k.startswith("age_over_") and isinstance(v, bool)}
        for name in wanted:
            chosen = select_age_over(name, ages) if name.startswith("age_over_") else (
                name if name in held else None)
            if chosen is not None and doc_type.selectively_disclosable(ns, chosen) and chosen not in selection.get(
                    ns, []):
                selection.setdefault(ns, []).append(chosen)
    return selection
