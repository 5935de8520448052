"""``mobileid wallet respond``: answer a website's OpenID4VP request (a QR code photo or the link itself).

Shows who asks (verified against ``--reader-roots``, or marked as the requester's unverified claim), for
what and with which card, in Korean or English; asks consent (``--yes`` for scripts, ``--decline`` to say
no), then posts the encrypted answer and prints the verifier's reply. Exit 0 when the verifier took the
answer, 1 when it refused it (or the holder declined), 2 for bad usage or an unreadable input.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

import wallet.cli as cli_module
from specs.errors import InputError, MobileIdError, Oid4vpError
from specs.io.symbols import only_one, read_texts
from specs.text import safe_text
from wallet.cli import (
    DEFAULT_DIR,
    EXIT_FAILURE,
    IMAGE_MAGIC,
    DataDir,
    Json,
    Pin,
    _ask_pin,
    _fail,
    _wallet,
    wallet_app,
)

__all__ = ["respond"]

LINK_PREFIXES = ("openid4vp:", "haip-vp:", "mdoc-openid4vp:", "eudi-openid4vp:", "https://", "http://")


def _link(source: str) -> str:
    """The request link: given as text, or read from a photo/screenshot of the QR code."""
    if source.lower().startswith(LINK_PREFIXES):
        return source
    path = Path(source).expanduser()
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError:
        raise InputError("give an openid4vp:// link or a PNG/JPEG of its QR code", code="input.unreadable") from None
    if not head.startswith(IMAGE_MAGIC):
        raise InputError(f"{path.name} is not a PNG/JPEG picture of a QR code", code="input.unreadable")
    links = [t for t in read_texts(path) if t.lower().startswith(LINK_PREFIXES)]
    if not links:
        raise Oid4vpError("no OpenID4VP request QR code found in the picture", code="oid4vp.request_uri_invalid")
    return only_one(links, "OpenID4VP request")


def _roots(path: Path | None) -> Any:
    if path is None:
        return None
    from specs.x509 import TrustStore

    try:
        return TrustStore.from_pem(path.read_bytes())
    except OSError:
        raise InputError(f"cannot read {path.name}", code="input.unreadable") from None


def _report(outcome: Any) -> dict[str, Any]:
    return {"delivered": outcome.delivered, "status": outcome.status, "error": outcome.error,
            "error_description": outcome.description, "redirect_uri": outcome.redirect_uri,
            "shared": [{"type": t, "elements": list(e)} for t, e in outcome.shared]}


@wallet_app.command()
def respond(source: Annotated[str, typer.Argument(
                metavar="URI_OR_QR_IMAGE", help="The openid4vp:// link, or a PNG/JPEG of the website's QR code.")],
            reader_roots: Annotated[Path | None, typer.Option(
                "--reader-roots", exists=True, dir_okay=False,
                help="PEM roots of the requesters you trust (their certificates are checked against these).")
            ] = None,
            yes: Annotated[bool, typer.Option("--yes", help="Consent without asking (scripts).")] = False,
            decline: Annotated[bool, typer.Option("--decline", help="Tell the website no (access_denied).")] = False,
            lang: Annotated[str, typer.Option("--lang", help="ko or en.")] = "en",
            data_dir: DataDir = DEFAULT_DIR, pin: Pin = None, as_json: Json = False) -> None:
    """Answer a website's online request (OpenID4VP 1.0): who asks, for what, consent, then send."""
    from wallet.oid4vp import OnlinePresenter, fetch_request
    from wallet.oid4vp_words import describe_plan, describe_request

    if lang not in ("ko", "en"):
        _fail(InputError("--lang is ko or en", code="input.usage"), as_json)
    try:
        wallet = _wallet(data_dir)
        if not wallet.is_initialized():
            raise InputError("no wallet here; run 'mobileid wallet init' first", code="input.usage")
        presenter = OnlinePresenter(wallet)
        with cli_module.http_factory() as http:  # looked up now: the injection point tests swap
            received = fetch_request(_link(source), http=http, reader_roots=_roots(reader_roots),
                                     now=dt.datetime.now(dt.UTC))
            if decline:
                _echo(describe_request(received, lang), as_json)
                _finish(presenter.decline(received, http=http), as_json, declined=True)
                return
            secret = _ask_pin(pin)
            try:
                plan = presenter.plan(secret, received)
            except Oid4vpError as exc:
                if exc.code != "oid4vp.no_credential":
                    raise
                _echo([*describe_request(received, lang), exc.plain(lang)], as_json)
                presenter.decline(received, http=http)
                _fail(exc, as_json)
            _echo(describe_plan(plan, lang), as_json)
            if not yes and not _consent(as_json):
                _finish(presenter.decline(received, http=http), as_json, declined=True)
                return
            outcome = presenter.respond(secret, plan, http=http)
    except MobileIdError as exc:
        _fail(exc, as_json)
    _finish(outcome, as_json)


def _echo(lines: list[str], as_json: bool) -> None:
    for line in lines:  # who asks and what for came in the request: outside text
        typer.echo(safe_text(line), err=as_json)


def _consent(as_json: bool) -> bool:
    if not sys.stdin.isatty():
        raise InputError("consent needed: pass --yes to share, or --decline", code="input.usage")
    return typer.confirm("Share this?", default=False, err=as_json)


def _finish(outcome: Any, as_json: bool, *, declined: bool = False) -> None:
    report = _report(outcome)
    if as_json:
        typer.echo(json.dumps({**report, "declined": declined}, ensure_ascii=False, indent=2))
    elif declined:
        typer.echo("Declined: the website was told no; nothing was shared.")
    elif outcome.delivered:
        typer.echo("Sent. The website accepted the answer." + (f" Continue at {safe_text(outcome.redirect_uri)}"
                                                             if outcome.redirect_uri else ""))
    else:  # the website's error and description are its own words: outside text
        typer.echo(f"The website refused the answer: {safe_text(outcome.error, limit=100)} "
                   f"({safe_text(outcome.description, limit=300)})", err=True)
    if declined or not outcome.delivered:
        sys.exit(EXIT_FAILURE)
