"""``mobileid wallet ...``: the holder's wallet from a terminal (init, trust add, receive, refill, list, refresh,
show, present, answer, history).

The PIN comes from ``--pin`` / ``MOBILEID_WALLET_PIN`` or a hidden prompt and is never echoed; the
transaction code and the offer's pre-authorized code are never printed either. ``show`` is the one
command that prints claim values: the holder looking at their own credential. A credential id may be
shortened to a unique prefix of at least 6 characters, as git accepts for commits.

Exit codes: 0 ok, 1 a typed failure (wrong PIN, issuer refusal, ...: message and code on stderr),
2 bad usage or an unreadable input (``InputError``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, cast

import typer

from specs.errors import InputError, LockedError, MobileIdError
from specs.io.cli import command_group
from specs.io.http import client, reaching
from specs.io.symbols import only_one, read_texts, write_pngs
from specs.text import safe_text
from wallet.oid4vci import HttpClient
from wallet.pin import DEFAULT_KDF, KdfParams
from wallet.store import CredentialRecord
from wallet.wallet import MAX_BATCH, Wallet

if TYPE_CHECKING:
    from specs.qr.presentation import QrRequest

__all__ = ["http_factory", "kdf", "trust_app", "wallet_app"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
OFFER_SCHEME = "openid-credential-offer://"
PRINTABLE_URL = re.compile(r"https?://[!-~]{1,200}")  # an issuer URL printed only when it is plain ASCII


@contextmanager
def _default_http() -> Iterator[HttpClient]:
    with client() as http:
        yield cast(HttpClient, http)


# The two injection points (tests swap them): how to open the HTTP client used for OpenID4VCI (a
# context manager yielding an httpx-like client) and the PIN KDF cost.
http_factory: Callable[[], AbstractContextManager[HttpClient]] = _default_http
kdf: KdfParams = DEFAULT_KDF

WALLET_HELP = ("The holder's wallet: init, trust add, receive, refill, list, refresh, show, present, answer, respond, "
               "history. "
               "Credential ids may be shortened to a unique prefix of 6+ characters.")
wallet_app = command_group(WALLET_HELP)
trust_app = command_group("Manage the issuers (IACA certificates) this wallet accepts.")
wallet_app.add_typer(trust_app, name="trust")

DataDir = Annotated[Path, typer.Option(
    "--data-dir", envvar="MOBILEID_WALLET_DIR", file_okay=False, show_default=False,
    help="Wallet folder (default: MOBILEID_WALLET_DIR or ~/.mobileid/wallet).")]
Pin = Annotated[str | None, typer.Option(
    "--pin", envvar="MOBILEID_WALLET_PIN", show_default=False, show_envvar=True,
    help="Wallet PIN (prefer the environment variable or the prompt).")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
TrustFile = Annotated[Path | None, typer.Option(
    "--trust", exists=True, dir_okay=False, help="IACA certificate(s) (PEM) of an issuer to accept.")]
DEFAULT_DIR = Path("~/.mobileid/wallet")


# -- helpers -------------------------------------------------------------------------------------------
def _wallet(data_dir: Path) -> Wallet:
    return Wallet(data_dir.expanduser(), kdf=kdf)


def _language() -> str:
    """Korean or English for the plain words: ``MOBILEID_LANG``, else the locale (``specs.messages``)."""
    from specs.messages import language_from_env

    return language_from_env(os.environ)


def _fail(exc: MobileIdError, as_json: bool = False) -> NoReturn:
    """The error in plain words with its stable code and technical detail (JSON on stdout with ``--json``)."""
    lang = _language()
    if as_json:
        typer.echo(json.dumps({"error": exc.to_json(lang)}, ensure_ascii=False))
    typer.echo(f"error: {exc.plain(lang)} [{exc.code}]\n  ({safe_text(exc.message)})", err=True)
    if isinstance(exc, LockedError):
        typer.echo("next: run 'mobileid wallet init' to replace it with a new, empty wallet (nothing in the "
                   "erased one can be recovered)", err=True)
    sys.exit(EXIT_USAGE if isinstance(exc, InputError) else EXIT_FAILURE)


def _ask_pin(pin: str | None, *, confirm: bool = False, prompt: str = "Wallet PIN") -> str:
    if pin is not None:
        return pin
    value: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    return value


def _read_pem(path: Path) -> bytes:
    """IACA certificates from a PEM file; refuses a file holding none (it would trust nobody)."""
    from specs.x509 import TrustStore

    try:
        data = path.read_bytes()
    except OSError:
        raise InputError(f"cannot read {path.name}") from None
    if not TrustStore.from_pem(data).anchors:
        raise InputError(f"{path.name} holds no PEM certificate", code="input.unreadable")
    return data


def _type_names(type_id: str) -> tuple[str, str, str]:
    """(catalogue id, Korean name, English name) for a doctype or vct; the raw id when unknown."""
    from specs.catalogue import Catalogue
    from specs.errors import CatalogueError

    try:
        found = Catalogue.load_default().find(type_id)
    except CatalogueError:
        return type_id, type_id, type_id
    return found.id, found.display_name("ko"), found.display_name("en")


def _metadata(record: CredentialRecord) -> dict[str, Any]:
    type_key, name_ko, name_en = _type_names(record.type_id)
    return {
        "id": record.id,
        "type": type_key,
        "type_id": record.type_id,
        "name_ko": name_ko,
        "name_en": name_en,
        "format": record.format.value,
        "issuer": record.issuer,
        "received_at": record.received_at.isoformat(),
        "status": record.status.value,
        "status_at": record.status_known_at.isoformat(),
        "used": record.used,
        "batch_group": record.batch_group,
    }


def _parse_batch(items: list[str]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for item in items:
        name, sep, count = item.partition("=")
        if not sep or not name or not count.isdigit():
            raise InputError("--batch takes CONFIGURATION=COUNT, e.g. age_attestation=5", code="input.usage")
        sizes[name] = int(count)
    return sizes


def _offer_from(offer: str) -> str:
    """The offer link itself, or the link read from a PNG/JPEG of its QR code."""
    if offer.startswith(OFFER_SCHEME):
        return offer
    path = Path(offer).expanduser()
    if not path.is_file():
        raise InputError("OFFER must be an openid-credential-offer:// link or a QR code image", code="input.usage")
    return only_one([t for t in read_texts(path) if t.startswith(OFFER_SCHEME)], "credential offer")


# -- commands ------------------------------------------------------------------------------------------
@wallet_app.command()
def init(data_dir: DataDir = DEFAULT_DIR, trust: TrustFile = None, pin: Pin = None) -> None:
    """Create a wallet protected by a PIN or passphrase (asked twice, hidden), optionally trusting an issuer's IACA.

    A PIN has 6 or more digits and is not trivial (no repeated or sequential digits); a passphrase (8 or more
    characters) is the stronger choice. A wallet erased after too many wrong PINs is replaced: nothing of it
    is kept."""
    try:
        trust_pem = _read_pem(trust) if trust else None
        wallet = _wallet(data_dir)
        secret = _ask_pin(pin, confirm=True, prompt="New wallet PIN (6+ digits) or passphrase (8+ characters)")
        replaced = wallet.init(secret, trust_pem=trust_pem)
    except MobileIdError as exc:
        _fail(exc)
    if replaced:
        typer.echo("The wallet here was erased after too many wrong PINs; it held nothing usable and was removed "
                   "(credentials, device keys, history, trusted issuers). Receive your credentials again.")
    typer.echo(f"Wallet created in {wallet.folder}" + (" (issuer trusted)" if trust_pem else ""))


@trust_app.command("add")
def trust_add(pem: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="IACA certificate(s), PEM.")],
              data_dir: DataDir = DEFAULT_DIR) -> None:
    """Accept credentials from the issuer(s) whose IACA certificates are in FILE."""
    try:
        wallet = _wallet(data_dir)
        if not wallet.is_initialized():
            raise InputError("no wallet here; run 'mobileid wallet init' first", code="input.usage")
        count = wallet.add_trust(_read_pem(pem))
    except MobileIdError as exc:
        _fail(exc)
    typer.echo(f"The wallet now trusts {count} issuer certificate(s).")


@wallet_app.command()
def receive(offer: Annotated[str, typer.Argument(help="openid-credential-offer:// link, or a PNG/JPEG of its QR.")],
            tx_code: Annotated[str | None, typer.Option("--tx-code", show_default=False,
                                                        help="The digits shown on the clerk's screen.")] = None,
            data_dir: DataDir = DEFAULT_DIR, trust: TrustFile = None,
            batch: Annotated[list[str] | None, typer.Option(
                "--batch", help="At most this many single-use copies of a configuration, e.g. age_attestation=5 "
                                "(the offer's grant decides otherwise).")] = None,
            pin: Pin = None, as_json: Json = False) -> None:
    """Redeem a credential offer (OpenID4VCI pre-authorized code flow) and store what the issuer sends.

    Interrupted (Ctrl-C, no network)? Run the same command again: it continues where it stopped."""
    from wallet.oid4vci import CredentialOffer, IssuanceError

    try:
        offer_uri = _offer_from(offer)
        sizes = _parse_batch(batch or [])
        wallet = _wallet(data_dir)
        if not wallet.is_initialized():
            raise InputError("no wallet here; run 'mobileid wallet init' first", code="input.usage")
        if trust is not None:
            wallet.add_trust(_read_pem(trust))
        try:
            with reaching("the issuer", error=IssuanceError, code="credential.issuance_unreachable"), \
                    http_factory() as http:
                if not wallet.resumable(offer_uri) and tx_code is None \
                        and CredentialOffer.resolve(offer_uri, http).tx_code_length:
                    tx_code = typer.prompt("Transaction code", hide_input=True)
                records = wallet.receive(offer_uri, tx_code, _ask_pin(pin), http=http, batch=sizes)
        except IssuanceError as exc:
            if exc.code != "credential.issuance_unreachable" or not wallet.resumable(offer_uri):
                raise
            raise IssuanceError(f"{exc.message}; run the same command again to continue", code=exc.code) from None
    except MobileIdError as exc:
        _fail(exc, as_json)
    items = [_metadata(r) for r in records]
    if as_json:
        typer.echo(json.dumps({"received": items}, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Received {len(items)} credential(s):")
    counts: dict[tuple[str, str, str, str], int] = {}
    for item in items:
        key = (item["type"], item["format"], item["name_ko"], item["name_en"])
        counts[key] = counts.get(key, 0) + 1
    for (type_key, fmt, name_ko, name_en), count in counts.items():
        typer.echo(f"  {type_key:<18} {fmt:<10} x{count}  {name_ko} / {name_en}")


@wallet_app.command()
def refill(issuer: Annotated[str, typer.Option(
               "--issuer", show_default=False, help="The issuer's URL (present's 'refill needed' hint names it).")],
           type_: Annotated[str, typer.Option(
               "--type", help="The credential configuration to refill.")] = "age_attestation",
           count: Annotated[int, typer.Option(
               "--count", min=1, max=MAX_BATCH, help="Single-use copies to ask for.")] = 5,
           data_dir: DataDir = DEFAULT_DIR, pin: Pin = None, as_json: Json = False) -> None:
    """Fetch fresh single-use copies remotely, proving who you are with this wallet's licence.

    Exhausted copies of the same type are removed afterwards; a refused refill changes nothing."""
    from wallet.oid4vci import IssuanceError
    from wallet.remote import refill as remote_refill

    try:
        if not issuer.startswith(("https://", "http://")):
            raise InputError("--issuer takes the issuer's http(s):// URL", code="input.usage")
        wallet = _wallet(data_dir)
        if not wallet.is_initialized():
            raise InputError("no wallet here; run 'mobileid wallet init' first", code="input.usage")
        secret = _ask_pin(pin)
        with reaching("the issuer", error=IssuanceError, code="credential.issuance_unreachable"), \
                http_factory() as http:
            received = remote_refill(wallet, secret, issuer, http=http, count=count, configuration=type_)
        unused = wallet.unused_copies(secret, {r.type_id for r in received})
    except MobileIdError as exc:
        _fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps({"received": [_metadata(r) for r in received], "unused": unused},
                              ensure_ascii=False, indent=2))
        return
    typer.echo(f"Received {len(received)} new {type_} copies; {unused} unused single-use copies held now.")


STATUS_WORDS = {"invalid": "revoked"}  # Token Status List INVALID: what the issuer's revocation sets
STATUS_HINT = "Status as last learned from the issuer ('as of'); 'mobileid wallet refresh' asks again."


def _print_credentials(items: list[dict[str, Any]], note: str = "") -> None:
    """The credentials table of ``list`` and ``refresh``: each with its last known status and when it was learned."""
    from rich.console import Console
    from rich.table import Table

    table = Table()
    table.add_column("id", no_wrap=True, min_width=max(len(i["id"]) for i in items))  # never cut: show needs it
    for name in ("type", "format", "received", "status", "as of", "used"):
        table.add_column(name, overflow="fold")  # these wrap instead
    for item in items:
        table.add_row(item["id"], item["type"], item["format"], item["received_at"][:16].replace("T", " "),
                      STATUS_WORDS.get(item["status"], item["status"]), item["status_at"][:16].replace("T", " "),
                      "yes" if item["used"] else "no")
    console = Console()
    console.print(table)
    if note:
        console.print(note, markup=False)  # wrapped to the terminal's width


@wallet_app.command("list")
def list_(data_dir: DataDir = DEFAULT_DIR, pin: Pin = None, as_json: Json = False) -> None:
    """The stored credentials: id, type, format, received, status as last learned and when (see 'refresh'), used."""
    try:
        records = _wallet(data_dir).credentials(_ask_pin(pin))
    except MobileIdError as exc:
        _fail(exc, as_json)
    items = [_metadata(r) for r in records]
    if as_json:
        typer.echo(json.dumps({"credentials": items}, ensure_ascii=False, indent=2))
        return
    if not items:
        typer.echo("No credentials yet.")
        return
    _print_credentials(items, STATUS_HINT)


@wallet_app.command()
def refresh(data_dir: DataDir = DEFAULT_DIR, pin: Pin = None, as_json: Json = False) -> None:
    """Ask each issuer's status list whether the credentials are still valid (revoked, suspended) and store it.

    A list that cannot be fetched or verified changes nothing for its credentials (they keep their last known
    status); they are named and the exit code is 1."""
    try:
        wallet = _wallet(data_dir)
        if not wallet.is_initialized():
            raise InputError("no wallet here; run 'mobileid wallet init' first", code="input.usage")
        secret = _ask_pin(pin)
        with http_factory() as http:
            checked = wallet.refresh_status(secret, http)
        records = wallet.credentials(secret)
    except MobileIdError as exc:
        _fail(exc, as_json)
    items = [_metadata(r) for r in records]
    if as_json:
        typer.echo(json.dumps({"credentials": items, "errors": [{"id": i, "code": c} for i, c in
                                                                 sorted(checked.errors.items())]},
                              ensure_ascii=False, indent=2))
    elif items:
        _print_credentials(items)
    else:
        typer.echo("No credentials yet.")
    from specs.messages import message

    for credential_id, code in sorted(checked.errors.items()):
        typer.echo(f"error: could not check {credential_id}; it keeps its last known status. "
                   f"{message(code, _language())} [{code}]", err=True)
    if checked.errors:
        sys.exit(EXIT_FAILURE)


@wallet_app.command()
def show(credential_id: Annotated[str, typer.Argument(
             metavar="ID", help="A credential id from 'list', or a unique prefix of it (6+ characters).")],
         data_dir: DataDir = DEFAULT_DIR, pin: Pin = None, as_json: Json = False) -> None:
    """One credential: its metadata and its claims (names and values)."""
    from wallet.claims import read_stored

    try:
        record = _wallet(data_dir).find_credential(_ask_pin(pin), credential_id)
        stored = read_stored(record)
        document = {**_metadata(record), "claims": stored.to_json()}
    except MobileIdError as exc:
        _fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    lang = _language()
    console = Console()
    console.print(Text.assemble((safe_text(document["name_en"]), "bold"),
                                f" ({safe_text(document['name_ko'])})  {document['format']}  {document['type_id']}"))
    console.print(f"id {document['id']}  received {document['received_at']}  status {document['status']}  "
                  f"used {'yes' if document['used'] else 'no'}")
    console.print(Text(f"issuer {safe_text(document['issuer'], limit=200)}"))
    table = Table("claim", "value")
    for claim in stored.claims:  # issued by someone else: outside text
        label = claim.name(lang)
        table.add_row(Text(safe_text(f"{label} ({claim.identifier})" if label != claim.identifier else label)),
                      Text(safe_text(claim.render(lang), limit=80)))
    console.print(table)


# -- presenting over QR (specs/qr-presentation.md) ------------------------------------------------------
Out = Annotated[Path, typer.Option(
    "--out", dir_okay=False, help="PNG to write; several frames become NAME-1.png, NAME-2.png, ...")]
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _claim_name(type_id: str, name: str) -> str:
    """The English display name of an element (``name`` itself when the catalogue does not know it)."""
    from specs.catalogue import Catalogue
    from specs.claims import claim_name
    from specs.errors import CatalogueError

    try:
        doc_type = Catalogue.load_default().find(type_id)
    except CatalogueError:
        return name
    return claim_name(doc_type, name, "en")


def _presentation_report(shown: Any, paths: list[Path]) -> dict[str, Any]:
    from specs.catalogue import Catalogue

    doc_type = Catalogue.load_default().get(shown.type_id)
    return {"type": shown.type_id, "name_ko": doc_type.display_name("ko"), "name_en": doc_type.display_name("en"),
            "elements": list(shown.elements), "frames": len(shown.texts), "files": [str(p) for p in paths],
            "needs_refill": shown.needs_refill, "issuer": shown.issuer}


def _echo_presentation(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Presenting {report['name_en']} ({report['name_ko']}), type {report['type']}")
    names = ", ".join(f"{_claim_name(report['type'], e)} ({e})" for e in report["elements"])
    typer.echo(f"  shares: {names}")
    files = report["files"]
    if report["frames"] == 1:
        typer.echo(f"  1 QR code written to {files[0]}")
    else:
        typer.echo(f"  {report['frames']} QR frames written to {', '.join(files)}: show them in turn")
    if report["needs_refill"]:
        issuer = report["issuer"] if PRINTABLE_URL.fullmatch(report["issuer"]) else "URL"
        typer.echo(f"  refill needed: few single-use copies left; run "
                   f"'mobileid wallet refill --issuer {issuer} --type {report['type']}'")


def _preset_help() -> str:
    """Every preset of the catalogue with the cards that can answer it (the help of ``present --preset``)."""
    from specs.catalogue import Catalogue
    from wallet.present import preset_cards

    cards = preset_cards(Catalogue.load_default())
    listed = "; ".join(f"{name} ({', '.join(t.id for t in types)})" for name, types in cards.items())
    return f"A preset (the cards that can answer it): {listed}."


@wallet_app.command()
def present(preset: Annotated[str | None, typer.Option("--preset", help=_preset_help())] = None,
            type_: Annotated[str | None, typer.Option(
                "--type", help="A catalogue type (mdl, resident_card, ...) with --elements.")] = None,
            elements: Annotated[str | None, typer.Option(
                "--elements", help="Comma-separated element names, e.g. family_name,given_name.")] = None,
            out: Out = Path("qr.png"), data_dir: DataDir = DEFAULT_DIR, pin: Pin = None,
            as_json: Json = False) -> None:
    """Show a credential as a one-way QR code (a preset, or chosen elements of a type): writes PNG(s)."""
    from wallet.present import Presenter

    try:
        chosen = _split(elements)
        if (preset is None) == (type_ is None) or (type_ is not None and not chosen) or (preset and chosen):
            raise InputError("give --preset, or --type with --elements", code="input.usage")
        wallet = _wallet(data_dir)
        if not wallet.is_initialized():
            raise InputError("no wallet here; run 'mobileid wallet init' first", code="input.usage")
        shown = Presenter(wallet).present(_ask_pin(pin), preset=preset, type_id=type_, elements=chosen)
        report = _presentation_report(shown, write_pngs(shown.texts, out))
    except MobileIdError as exc:
        _fail(exc, as_json)
    _echo_presentation(report, as_json)


def _read_request(source: Path) -> Any:
    """The verifier's QrRequest from a photo/screenshot of its QR code, or a text file of MID2 lines."""
    from specs.errors import QrError
    from specs.qr import FrameCollector, one_message
    from specs.qr.presentation import QrRequest, decode_qr_message

    try:
        with source.open("rb") as handle:
            head = handle.read(8)
        if head.startswith(IMAGE_MAGIC):
            texts = list(read_texts(source))
        else:
            texts = [line.strip() for line in source.read_text("utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError):
        raise InputError(f"cannot read {source.name} as an image or QR text", code="input.unreadable") from None
    collector = FrameCollector()
    for text in one_message(texts):
        collector.add(text)
    if not collector.complete:
        have, total = collector.progress
        raise QrError("no complete mobileid request QR found" + (f" ({have} of {total} frames)" if total else ""),
                      code="qr.not_found" if not total else "qr.frame_incomplete")
    request = decode_qr_message(collector.message())
    if not isinstance(request, QrRequest):
        raise QrError("this is a wallet's answer, not a verifier's request", code="qr.message_type")
    return request


def _reader_note(request: QrRequest, roots: Path | None) -> str:
    """Who signed the request, checked when the wallet was given reader roots (a bad signature refuses)."""
    from cryptography.x509.oid import NameOID

    from specs.x509 import TrustStore

    if request.reader_auth is None:
        return " (reader not authenticated)"
    if roots is None:
        return " (signed; pass --reader-roots to check who signed)"
    reader = request.verify_reader(TrustStore.from_pem(roots.read_bytes()), now=dt.datetime.now(dt.UTC))
    names = reader.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = names[0].value if names and isinstance(names[0].value, str) else "a trusted reader"
    return f" (signed by {name}, verified)"


@wallet_app.command()
def answer(request_file: Annotated[Path, typer.Argument(
               metavar="REQUEST", exists=True, dir_okay=False,
               help="The verifier's request: PNG/JPEG of its QR, or a text file with its MID2 line(s).")],
           out: Out = Path("qr.png"),
           yes: Annotated[bool, typer.Option("--yes", help="Consent without asking (required when not interactive).")
                          ] = False,
           reader_roots: Annotated[Path | None, typer.Option(
               "--reader-roots", exists=True, dir_okay=False,
               help="PEM reader root certificates: authenticate who signed the request (ISO 18013-5 B.1.7).")
           ] = None,
           data_dir: DataDir = DEFAULT_DIR, pin: Pin = None, as_json: Json = False) -> None:
    """Answer a verifier's request QR (two-way): shows who asks for what, asks consent, writes PNG(s)."""
    from specs.catalogue import Catalogue
    from specs.errors import CatalogueError
    from wallet.present import Presenter

    try:
        request = _read_request(request_file)
        catalogue = Catalogue.load_default()
        choice = " one of (the first this wallet holds is shared)" if len(request.items) > 1 else ""
        lines = [f"{request.verifier} asks for{choice}{_reader_note(request, reader_roots)}:"]
        for identifier, names in request.items.items():
            try:
                label = catalogue.find(identifier).display_name("en")
            except CatalogueError:
                label = identifier
            lines.append(f"  {label} ({identifier}):")
            lines.extend(f"    - {_claim_name(identifier, name)} ({name})" for name in names)
        lines.append(f"  request expires {request.expires.isoformat()}")
        for line in lines:  # the verifier's name, its elements and doc types came in the request
            typer.echo(safe_text(line), err=as_json)
        if not yes:
            if not sys.stdin.isatty():
                raise InputError("consent needed: pass --yes to share these elements", code="input.usage")
            if not typer.confirm("Share these elements?", default=False, err=as_json):
                typer.echo("Nothing shared.", err=True)
                sys.exit(EXIT_FAILURE)
        wallet = _wallet(data_dir)
        if not wallet.is_initialized():
            raise InputError("no wallet here; run 'mobileid wallet init' first", code="input.usage")
        shown = Presenter(wallet).present(_ask_pin(pin), request=request)
        report = _presentation_report(shown, write_pngs(shown.texts, out))
        report["verifier"] = request.verifier
    except MobileIdError as exc:
        _fail(exc, as_json)
    _echo_presentation(report, as_json)


@wallet_app.command()
def history(data_dir: DataDir = DEFAULT_DIR, pin: Pin = None, as_json: Json = False) -> None:
    """What was shared, with whom and when (element names only, never values)."""
    from wallet.history import History

    try:
        wallet = _wallet(data_dir)
        entries = History(wallet.folder, wallet.unlock(_ask_pin(pin))).entries()
    except MobileIdError as exc:
        _fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps({"history": [e.to_json() for e in entries]}, ensure_ascii=False, indent=2))
        return
    if not entries:
        typer.echo("Nothing shared yet.")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table("when", "with", "type", "elements", "mode")
    for entry in entries:  # the verifier's name and the elements came in a request: outside text
        table.add_row(*(Text(safe_text(cell)) for cell in (entry.at.isoformat()[:19], entry.verifier, entry.type_id,
                                                            ", ".join(entry.elements), entry.mode)))
    Console().print(table)


# ``respond`` (online requests, OpenID4VP) lives in its own module; importing it registers the command.
from wallet import cli_online  # noqa: E402, F401
