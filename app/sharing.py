"""What a holder can share, decided before anything is signed: the presets and items a held, usable card can
answer (a suspended, revoked or expired card offers nothing; a custom choice lists what the card holds, not the
whole catalogue), and what to warn about on the consent screen (a "no" answer, a last single-use copy)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from specs.catalogue import Catalogue, DocumentType
from specs.errors import CatalogueError
from specs.qr.presentation import QrRequest

if TYPE_CHECKING:
    from app.services import Card

__all__ = ["USABLE", "SharePreview", "Sharing"]

USABLE = ("valid", "expiring")  # statuses a card can still be shown with


@dataclass(frozen=True, slots=True)
class SharePreview:
    """What a share will show, said before the holder agrees: the card, the items, the items whose answer
    is "no" (a 17-year-old asked for 19+), and whether the copy used may already have been shown
    (a single-use batch down to its last copy: showing it again lets businesses link the visits)."""

    type_key: str
    items: tuple[str, ...]
    answers_no: tuple[str, ...] = ()
    last_copy: bool = False


class Sharing:
    """Mixed into ``WalletService``: needs its ``cards``, ``catalogue`` and ``answer_for``."""

    catalogue: Catalogue

    def cards(self) -> list[Card]:
        raise NotImplementedError

    def answer_for(self, request: QrRequest) -> tuple[str, tuple[str, ...]]:
        raise NotImplementedError

    def _usable(self) -> list[Card]:
        return [c for c in self.cards() if c.usable]

    def presets(self) -> list[tuple[str, tuple[str, ...]]]:
        """(preset, element names) for the presets a held, usable card can answer (one of the preset's items
        is on it), age checks first. A suspended, revoked or expired card offers nothing."""
        found: dict[str, tuple[str, ...]] = {}
        for card in self._usable():
            try:
                doc_type = self.catalogue.get(card.type_key)
            except CatalogueError:
                continue
            for preset, items in doc_type.presets.items():
                names = tuple(name for _, name in items)
                if any(_holds(card, name) for name in names):
                    found.setdefault(preset, names)
        first = ("age19", "age14", "age65", "name_photo")
        return sorted(found.items(), key=lambda kv: (first.index(kv[0]) if kv[0] in first else 9, kv[0]))

    def preset_type(self, preset: str) -> str | None:
        """Which usable card answers a preset (the presenter's order: age attestation, licence, others)."""
        from wallet.present import PREFERRED_TYPES

        held = [c.type_key for c in self._usable()]
        for type_key in (*PREFERRED_TYPES, *held):
            try:
                if type_key in held and preset in self.catalogue.get(type_key).presets:
                    return type_key
            except CatalogueError:
                continue
        return None

    def elements(self, type_key: str) -> tuple[str, ...]:
        """The items a custom choice can offer for a card: those on the held card that may be shown alone
        (not the whole catalogue: an item the card does not hold would end in ``wallet.nothing_to_share``)."""
        card = next((c for c in self._usable() if c.type_key == type_key), None)
        if card is None:
            return ()
        try:
            doc_type = self.catalogue.get(type_key)
        except CatalogueError:
            return ()
        chosen = []
        for element in card.claims:
            try:
                if doc_type.selectively_disclosable(None, element):
                    chosen.append(element)
            except CatalogueError:
                continue
        return tuple(chosen)

    def preview(self, *, preset: str | None = None, type_key: str | None = None, elements: Sequence[str] = (),
                request: QrRequest | None = None) -> SharePreview:
        """What ``present`` with the same arguments will show, and what to warn about first."""
        if request is not None:
            identifier, names = self.answer_for(request)
            doc_type = self._type_of(identifier)
            key = doc_type.id if doc_type else identifier
        elif preset is not None:
            key = self.preset_type(preset) or ""
            names = next((n for p, n in self.presets() if p == preset), ())
        else:
            key, names = type_key or "", tuple(elements)
        card = next((c for c in self._usable() if c.type_key == key), None)
        if card is None:
            return SharePreview(key, tuple(names))
        answers_no = tuple(n for n in names if card.claims.get(n) is False)
        return SharePreview(key, tuple(names), answers_no, card.copies == 1 and len(card.record_ids) > 1)

    def _type_of(self, identifier: str) -> DocumentType | None:
        try:
            return self.catalogue.find(identifier)
        except CatalogueError:
            return None


def _holds(card: Card, element: str) -> bool:
    """The card holds the element (an age check ``age_over_NN`` is answered by any age_over_ it holds)."""
    if element.startswith("age_over_"):
        return any(k.startswith("age_over_") for k in card.claims)
    return element in card.claims
