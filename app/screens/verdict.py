"""Verifier mode's verdict: the answer to the shop's question first, in its words and colour ("19세 이상
확인 / 판매 가능" on green, "19세 미만 / 판매 불가" on red, amber for a genuine card that says "no" when no
question was asked); then the portrait, large, when one was shared; then what was checked and as of when;
then why not (each unmet requirement, each refusal in plain words) and the verified items.

The words are ``verifier.verdict``'s keys, shown through the app's gettext catalogues: ``TEXTS`` holds the
English msgids (the library's ``en`` words; ``tests/app/test_verdict.py`` keeps both and the Korean
catalogue equal to the library's Korean). Every string from outside (claim values, the issuer's name) goes
through ``label``, which shows it as inert text (``specs.text.safe_text``).
"""

from __future__ import annotations

from collections.abc import Mapping

from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.gridlayout import GridLayout

from app.i18n import N_, _, current_language
from app.problems import problem_text
from app.screens.base import BaseScreen
from app.theme import RGBA, Palette
from app.ui import Card, Panel, button, label, photo
from specs.claims import Claim
from verifier.result import VerificationResult, claims_of
from verifier.verdict import Headline, Tone, checks, headline

__all__ = ["TEXTS", "ResultScreen", "mode_text", "tone_colours", "verdict_text"]

TEXTS: Mapping[str, str] = {
    "age19.asks": N_("Over 19 (alcohol, tobacco)"),
    "age65.asks": N_("Over 65 (senior discount)"),
    "identity.asks": N_("Identity (name and photo)"),
    "supplier.asks": N_("Supplier (business registration)"),
    "licence.asks": N_("May drive (licence)"),
    "genuine.asks": N_("Only check it is genuine"),
    "age19.yes": N_("Aged 19 or over: may sell"),
    "age19.no": N_("Under 19: do not sell"),
    "age19.not_met": N_("Requirement not met: do not sell"),
    "age19.not_verified": N_("Not verified: do not sell"),
    "age65.yes": N_("Aged 65 or over: discount applies"),
    "age65.no": N_("Under 65: no discount"),
    "age65.not_met": N_("Requirement not met: no discount"),
    "age65.not_verified": N_("Not verified: no discount"),
    "identity.yes": N_("Identity verified: compare the photo with the face"),
    "identity.no": N_("Identity not confirmed"),
    "identity.not_met": N_("Requirement not met: identity not confirmed"),
    "identity.not_verified": N_("Not verified: identity not confirmed"),
    "supplier.yes": N_("Business registration active: may trade"),
    "supplier.no": N_("Business suspended or closed: do not trade"),
    "supplier.not_met": N_("Requirement not met: do not trade"),
    "supplier.not_verified": N_("Not verified: do not trade"),
    "licence.yes": N_("May drive: licence valid"),
    "licence.no": N_("May not drive: licence expired"),
    "licence.not_met": N_("Requirement not met: may not drive"),
    "licence.not_verified": N_("Not verified: may not drive"),
    "genuine.yes": N_("Genuine"),
    "genuine.under": N_("Genuine, but NOT aged {n} or over"),
    "genuine.not_verified": N_("Not verified"),
    "stated.yes": N_("Requirements met"),
    "stated.not_met": N_("Requirement not met"),
    "check.issuer": N_("Issuer: {issuer}"),
    "check.signature": N_("Issuer signature verified, nothing altered"),
    "check.device": N_("Shown from the phone it was issued to (device signature verified)"),
    "check.no_device": N_("Not bound to a device (could be a copy)"),
    "check.status_as_of": N_("Status: valid as of {when}"),
    "check.status": N_("Status: valid"),
    "check.no_status": N_("Status: not checked"),
}


def verdict_text(key: str, **params: object) -> str:
    return _(TEXTS[key]).format(**params)


def mode_text(mode: str) -> str:
    return verdict_text(f"{mode}.asks")


def tone_colours(palette: Palette, tone: Tone) -> tuple[RGBA, RGBA]:
    """A headline's colour (green, red, amber) and the colour of text on it, the same wherever it is shown."""
    return {"yes": (palette.ok, palette.on_ok), "no": (palette.bad, palette.on_bad),
            "caution": (palette.warn, palette.on_warn)}[tone]


class ResultScreen(BaseScreen):
    back_to = "verify"

    def title(self) -> str:
        return _("Result")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        result: VerificationResult | None = self.app.nav_args.get("result")
        if result is None:
            return
        service = self.app.verifier
        head = headline(result, service.policy, now=service.clock())
        body.add_widget(self._headline(head, result))
        claims = claims_of(result)
        portrait = next((c.image for c in claims if c.image is not None), None)
        if portrait is not None:  # large: the clerk compares it with the face in front of them
            width = min(self.app.root_window_width() - t.height(48), t.height(320)) / t.height(1)
            picture = photo(portrait, t, width=width)
            frame = AnchorLayout(anchor_x="center", size_hint_y=None, height=picture.height)
            frame.add_widget(picture)
            body.add_widget(frame)
        if result.authentic:
            body.add_widget(self._checks(result))
        if result.unmet or result.errors:
            body.add_widget(self._why(result))
        shown = [c for c in claims if c.image is None]
        if shown:
            body.add_widget(self._items(shown))
        from app.screens.verify import age_text

        body.add_widget(label(age_text(service.bundle_age()), t, size=16, color=t.palette.muted))
        body.add_widget(button(_("Scan the next one"), t, lambda: self.app.go("verify")))

    def _headline(self, head: Headline, result: VerificationResult) -> Panel:
        t, p = self.theme, self.theme.palette
        fill, on = tone_colours(p, head.tone)
        panel = Panel(fill, radius=t.height(16), size_hint_y=None, orientation="vertical", padding=t.height(12),
                      spacing=t.height(4))
        panel.bind(minimum_height=lambda w, h: setattr(w, "height", max(h, t.height(150))))
        panel.add_widget(label(verdict_text(head.key, **head.params), t, size=34, bold=True, color=on,
                               halign="center"))
        lang = current_language()
        if result.type_name:
            panel.add_widget(label(result.type_name.get(lang) or result.type_name.get("en", ""), t, size=18,
                                   color=on, halign="center"))
        return panel

    def _checks(self, result: VerificationResult) -> Card:
        t = self.theme
        card = Card(t)
        card.add_widget(label(_("Checked:"), t, size=16, color=t.palette.muted))
        for check in checks(result):
            mark = "✓ " if check.passed else "– "
            card.add_widget(label(mark + verdict_text(check.key, **check.params), t, size=17,
                                  color=t.palette.text if check.passed else t.palette.warn))
        return card

    def _why(self, result: VerificationResult) -> Card:
        t, lang = self.theme, current_language()
        card = Card(t)
        card.add_widget(label(_("Why:"), t, size=16, color=t.palette.muted))
        names = {c.identifier: c.name(lang) for c in claims_of(result)}
        for unmet in result.unmet:
            if unmet.what == "authentic":  # the errors below say why
                continue
            if unmet.what == "element":
                what = names.get(unmet.element or "", unmet.element or "")
                text = _("Not met: {what}").format(what=what)
            elif unmet.what == "document":
                text = _("This is not a document this check accepts.")
            else:
                text = _("The status was not checked recently enough. Sync, then scan again.")
            card.add_widget(label(text, t, size=20, bold=True))
        for issue in result.errors:
            card.add_widget(label(problem_text(issue.code), t, size=22, bold=True))
            card.add_widget(label(issue.code, t, size=13, color=t.palette.muted))
        return card

    def _items(self, claims: list[Claim]) -> Card:
        t, lang = self.theme, current_language()
        card = Card(t)
        for claim in claims:
            card.add_widget(label(claim.name(lang), t, size=15, color=t.palette.muted))
            card.add_widget(label(claim.render(lang), t, size=24, bold=True))
        return card
