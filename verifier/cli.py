"""``mobileid verify``: check an mdoc DeviceResponse or an SD-JWT presentation offline.

Exit codes: 0 valid, 1 invalid (the reasons are printed with their stable codes), 2 bad usage or an
unreadable input. ``--json`` prints the ``VerificationResult`` document for scripts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from specs.errors import InputError, MobileIdError
from verifier.inputs import parse_time, read_binary_or_hex, read_text
from verifier.result import VerificationResult
from verifier.trust import VerifierTrust

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

_PATH = click.Path(path_type=Path, dir_okay=False)


@click.command("verify")
@click.argument("presentation", type=_PATH)
@click.option("--format", "fmt", type=click.Choice(["mdoc", "sd-jwt"]), default=None,
              help="mdoc (ISO 18013-5 DeviceResponse) or sd-jwt (SD-JWT / SD-JWT VC). Guessed when absent.")
@click.option("--trust", "trust_path", type=click.Path(path_type=Path), required=True,
              help="A trust bundle (folder with bundle.cbor + root.pem), PEM/DER certificates, a folder of "
                   "them, PEM public keys or a JWK/JWKS file.")
@click.option("--at", "at", default=None, help="Verification time (RFC 3339 or Unix seconds); default now.")
@click.option("--transcript", type=_PATH, default=None,
              help="mdoc: SessionTranscript or SessionTranscriptBytes (binary or hex).")
@click.option("--reader-key", type=_PATH, default=None,
              help="mdoc: the reader's ephemeral private key (PEM), to check a deviceMac.")
@click.option("--nonce", default=None, help="sd-jwt: the nonce the KB-JWT must carry.")
@click.option("--aud", default=None, help="sd-jwt: the audience the KB-JWT must carry.")
@click.option("--status-list", "status_list", type=_PATH, default=None,
              help="A cached status-list token (JWT or CWT) to check the credential's status against.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_command(presentation: Path, fmt: str | None, trust_path: Path, at: str | None,
                   transcript: Path | None, reader_key: Path | None, nonce: str | None, aud: str | None,
                   status_list: Path | None, as_json: bool) -> None:
    """Verify an mdoc DeviceResponse or an SD-JWT presentation, offline."""
    from verifier.verify import verify_mdoc, verify_sd_jwt_presentation  # the crypto stack loads only when used

    try:
        now = parse_time(at) if at else None
        trust = VerifierTrust.from_path(trust_path, now=now)
        status_token = read_binary_or_hex(status_list) if status_list else None
        data = read_binary_or_hex(presentation)
        fmt = fmt or _guess_format(data)
        if fmt == "mdoc":
            if transcript is None:
                raise InputError("--transcript is required for --format mdoc", code="input.usage")
            result = verify_mdoc(data, trust=trust, transcript=read_binary_or_hex(transcript), now=now,
                                 reader_key_pem=read_binary_or_hex(reader_key) if reader_key else None,
                                 status_token=status_token)
        else:
            if (nonce is None) != (aud is None):
                raise InputError("--nonce and --aud go together", code="input.usage")
            result = verify_sd_jwt_presentation(read_text(presentation), trust=trust, now=now, nonce=nonce, aud=aud,
                                   status_token=status_token)
    except InputError as exc:
        _usage_error(exc, as_json)
    _print(result, as_json)
    sys.exit(EXIT_VALID if result.valid else EXIT_INVALID)


def _guess_format(data: bytes) -> str:
    # A compact SD-JWT is ASCII base64url with '.' and '~'; an mdoc DeviceResponse is a CBOR map.
    head = data.lstrip()[:2]
    return "sd-jwt" if head.startswith(b"ey") else "mdoc"


def _usage_error(exc: MobileIdError, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"error": exc.to_json()}))
    else:
        click.echo(f"error: {exc.message} [{exc.code}]", err=True)
    sys.exit(EXIT_USAGE)


def _print(result: VerificationResult, as_json: bool) -> None:
    document = result.to_json()
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    kind = document.get("doctype") or document.get("vct") or ""
    if result.valid:
        console.print(f"[bold green]VALID[/] {document['format']} {kind}")
    else:
        console.print(f"[bold red]INVALID[/] {document['format']} {kind}")
    console.print(f"holder bound: {'yes' if result.holder_bound else 'no'}   status: {result.status}")
    for issue in result.errors:
        console.print(f"  [red]x[/] {issue.message} [dim]({issue.code})[/]")
    if document["claims"]:
        table = Table("claim", "value")
        for name, value in _flatten(document["claims"]):
            table.add_row(name, value)
        console.print(table)


def _flatten(claims: Any, prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in claims.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and prefix == "":
            rows.extend(_flatten(value, f"{name} / "))
        else:
            text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
            rows.append((name, text if len(text) <= 80 else text[:77] + "..."))
    return rows
