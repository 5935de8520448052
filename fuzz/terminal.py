"""The ``terminal_text`` fuzz target (issue 13 item 3), kept beside ``fuzz/targets.py`` which lists it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from specs.errors import MobileIdError

__all__ = ["terminal_text"]


def terminal_text() -> Callable[[bytes], None]:
    """Outside text (a claim name and value, an issuer's name, an error detail) through ``mobileid verify``'s
    verdict printer and ``safe_text``: nothing may be read as markup (the rendered text is the input, shown
    escaped), no control character, escape sequence or direction override may reach the terminal, and no
    line may be added by the input (issue 13 item 3)."""
    import io

    from rich.console import Console

    from fuzz.targets import Rejected
    from specs.text import safe_text
    from verifier.cli_verdict import print_verdict
    from verifier.result import VerificationResult

    now = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
    bad = {chr(c) for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F),
                            *range(0x2066, 0x206A))} - {"\n"}

    def render(markup: str) -> str:
        out = io.StringIO()
        Console(file=out, width=100_000, color_system=None, highlight=False, emoji=False).print(markup, end="")
        return out.getvalue()

    def verdicts(text: str) -> list[str]:
        valid = VerificationResult(authentic=True, format="sd-jwt", vct="urn:x", claims={text: text},
                                   holder_bound=True, status="valid", issuer=text, status_as_of=now)
        failed = VerificationResult.failure("mdoc", MobileIdError(text, code="qr.frame_prefix"))
        shown = []
        for result in (valid, failed):
            out = io.StringIO()
            print_verdict(result, policy=None, bundle_issued_at=now, now=now, file=out, width=100_000)
            shown.append(out.getvalue())
        return shown

    lines = [v.count("\n") for v in verdicts("x")]  # on a console too wide to wrap, the input adds none

    def run(data: bytes) -> None:
        text = data.decode("utf-8", "replace")[:2000]
        plain = safe_text(text)
        if any(c in bad or c == "\n" for c in plain):
            raise Rejected("safe_text let a control, line or direction character through")
        if render(f"[bold]{safe_text(text, markup=True)}[/]") != plain:
            raise Rejected("safe_text(markup=True) was read as markup")
        for shown, expected in zip(verdicts(text), lines, strict=True):
            if any(c in bad for c in shown):
                raise Rejected("the verdict printed a control, escape or direction character")
            if shown.count("\n") != expected:
                raise Rejected("the input added lines to the verdict")

    return run
