"""``mobileid verify``'s text verdict: the answer to the shop's question in large type (Korean and English),
then the portrait (written with ``--portrait-out``), what was checked and as of when, what is unmet or wrong,
and the verified claims. Every string that came from outside (claim values and names, issuer and document
names, error details that quote input) goes through ``specs.text.safe_text``: printed as text, never as
console markup, control characters or escape sequences.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import IO

from specs.messages import message
from specs.text import safe_text
from verifier.policy import Policy
from verifier.result import VerificationResult, claims_of
from verifier.verdict import checks, headline

__all__ = ["print_verdict"]

_STYLE = {"yes": "bold white on green", "no": "bold white on red", "caution": "bold black on yellow"}
_MARK = {True: "[green]✓[/]", None: "[yellow]–[/]", False: "[red]x[/]"}


def _age(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def print_verdict(result: VerificationResult, *, policy: Policy | None, bundle_issued_at: dt.datetime | None,
                  now: dt.datetime, lang: str = "en", portrait_out: Path | None = None,
                  portrait_written: bool = False, file: IO[str] | None = None, width: int | None = None) -> None:
    """The verdict as text (on stdout, or ``file``): the headline in Korean and English, the rest in ``lang``."""
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    console = Console(file=file, width=width, highlight=False, emoji=False)
    head = headline(result, policy, now=now)
    both = Text(head.text("ko") + "\n" + head.text("en"), style="bold", justify="center")
    console.print(Panel(both, style=_STYLE[head.tone], padding=(0, 4), expand=False))
    kind = safe_text(result.doctype or result.vct or "", markup=True, limit=120)
    if result.type_name:
        other = "ko" if lang == "en" else "en"
        console.print(f"[bold]{safe_text(result.type_name.get(lang, ''), markup=True)}[/] "
                      f"({safe_text(result.type_name.get(other, ''), markup=True)})  {result.format} {kind}")
    elif kind:
        console.print(f"{result.format} {kind}")
    if policy is not None:
        console.print(f"policy: {safe_text(policy.name, markup=True, limit=120)}  "
                      f"{'[green]accepted[/]' if result.accepted else '[red]not accepted[/]'}")
    for unmet in result.unmet:
        element = f" {safe_text(unmet.element, markup=True, limit=80)}:" if unmet.element else ""
        words = safe_text(unmet.message, markup=True, limit=200)
        console.print(f"  [red]x[/]{element} {words} [bold]\\[{unmet.code}][/]")
    portrait = result.portrait
    if portrait is not None:
        where = (f"written to {safe_text(portrait_out, markup=True)}" if portrait_written and portrait_out
                 else "pass --portrait-out FILE to see it")
        console.print(f"[bold]portrait shared[/] ({len(portrait)} bytes): {where}")
    if result.authentic:
        console.print("checked:" if lang == "en" else "확인한 것:")
        for check in checks(result):
            console.print(f"  {_MARK[check.passed]} {safe_text(check.text(lang), markup=True, limit=200)}")
    for issue in result.errors:  # the words and the stable code, then the technical detail (may quote input)
        console.print(Text.assemble(("  x ", "red"), message(issue.code, lang), " ", (f"[{issue.code}]", "bold")))
        console.print(Text(f"    ({safe_text(issue.message, limit=300)})", style="dim"))
    shown = claims_of(result)  # a picture reads "picture (N bytes)": --portrait-out writes it
    if shown:
        table = Table("claim" if lang == "en" else "항목", "value" if lang == "en" else "값")
        for claim in shown:
            name = claim.name(lang)
            title = f"{name} ({claim.identifier})" if name != claim.identifier else name
            table.add_row(Text(safe_text(title, limit=80)), Text(safe_text(claim.render(lang), limit=80)))
        console.print(table)
    bundle = (f"issued {bundle_issued_at.isoformat(timespec='seconds')} ({_age(now - bundle_issued_at)} old)"
              if bundle_issued_at else "none (certificates / keys)")
    console.print(f"status: {result.status}   holder bound: {'yes' if result.holder_bound else 'no'}")
    console.print(f"trust bundle: {bundle}")
