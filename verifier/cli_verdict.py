"""``mobileid verify``'s text verdict: the answer to the shop's question in large type (Korean and English),
then the portrait (written with ``--portrait-out``), what was checked and as of when, what is unmet or wrong,
and the verified claims. Every string that came from outside (claim values and names, issuer and document
names, error details that quote input) goes through ``specs.text.safe_text``: printed as text, never as
console markup, control characters or escape sequences.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from specs.text import safe_text
from verifier.policy import Policy
from verifier.result import VerificationResult
from verifier.verdict import checks, headline

__all__ = ["print_verdict", "shown"]

_STYLE = {"yes": "bold white on green", "no": "bold white on red", "caution": "bold black on yellow"}
_MARK = {True: "[green]✓[/]", None: "[yellow]–[/]", False: "[red]x[/]"}


def shown(value: Any) -> str:
    """A claim value as one line of text (dates ISO 8601, bytes by kind and size), not yet made safe."""
    if isinstance(value, (bytes, bytearray)):
        return f"<jpeg {len(value)} bytes>" if bytes(value[:3]) == b"\xff\xd8\xff" else f"<{len(value)} bytes>"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, str):
        return value
    inner = getattr(value, "value", None)  # a CBOR tag (tdate / full-date)
    if inner is not None:
        return shown(inner)
    if isinstance(value, Mapping):
        return json.dumps({str(k): shown(v) for k, v in value.items()}, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return json.dumps([shown(v) for v in value], ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def _age(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _flat(result: VerificationResult) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in result.claims.items():
        if result.format == "mdoc" and isinstance(value, Mapping):
            rows.extend((str(k), v) for k, v in value.items())
        else:
            rows.append((str(key), value))
    return rows


def print_verdict(result: VerificationResult, *, policy: Policy | None, bundle_issued_at: dt.datetime | None,
                  now: dt.datetime, portrait_out: Path | None = None, portrait_written: bool = False) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False, emoji=False)
    head = headline(result, policy, now=now)
    words = Text(head.words["ko"] + "\n" + head.words["en"], style="bold", justify="center")
    console.print(Panel(words, style=_STYLE[head.tone], padding=(0, 4), expand=False))
    kind = safe_text(result.doctype or result.vct or "", markup=True, limit=120)
    if result.type_name:
        console.print(f"[bold]{safe_text(result.type_name.get('en', ''), markup=True)}[/] "
                      f"({safe_text(result.type_name.get('ko', ''), markup=True)})  {result.format} {kind}")
    elif kind:
        console.print(f"{result.format} {kind}")
    if policy is not None:
        console.print(f"policy: {safe_text(policy.name, markup=True, limit=120)}  "
                      f"{'[green]accepted[/]' if result.accepted else '[red]not accepted[/]'}")
    for unmet in result.unmet:
        element = f" {safe_text(unmet.element, markup=True, limit=80)}:" if unmet.element else ""
        console.print(f"  [red]x[/]{element} {safe_text(unmet.message, markup=True, limit=200)} [dim]({unmet.code})[/]")
    portrait = result.portrait
    if portrait is not None:
        where = (f"written to {safe_text(portrait_out, markup=True)}" if portrait_written and portrait_out
                 else "pass --portrait-out FILE to see it")
        console.print(f"[bold]portrait shared[/] ({len(portrait)} bytes): {where}")
    if result.authentic:
        console.print("checked:")
        for check in checks(result):
            console.print(f"  {_MARK[check.passed]} {safe_text(check.words['en'], markup=True, limit=200)}")
    for issue in result.errors:
        console.print(f"  [red]x[/] {safe_text(issue.message, markup=True, limit=300)} [dim]({issue.code})[/]")
    if result.claims:
        table = Table("claim", "value")
        for name, value in _flat(result):
            label = result.display_names.get(name, {}).get("en")
            title = f"{label} ({name})" if label and label != name else name
            table.add_row(Text(safe_text(title, limit=80)), Text(safe_text(shown(value), limit=80)))
        console.print(table)
    bundle = (f"issued {bundle_issued_at.isoformat(timespec='seconds')} ({_age(now - bundle_issued_at)} old)"
              if bundle_issued_at else "none (certificates / keys)")
    console.print(f"status: {result.status}   holder bound: {'yes' if result.holder_bound else 'no'}   "
                  f"trust bundle: {bundle}")
