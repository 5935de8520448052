"""``mobileid``: one command for every part.

Sub-commands are imported only when called, so ``mobileid verify`` does not load the issuer's web stack
(and ``mobileid --help`` works where the issuer's extra is not installed). Each part keeps its commands
beside its code (``verifier/cli.py``, ``issuer/cli.py``, ...), every group made by
``specs.io.cli.command_group`` (Typer, one help style).
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from specs.io.cli import command_group

__all__ = ["cli", "cli_app", "main"]

# name -> ("module:attribute", help); the attribute is a Typer app (a group, or a single command).
_COMMANDS: dict[str, tuple[str, str]] = {
    "verify": ("verifier.cli:verify_app", "Verify a QR presentation, an mdoc DeviceResponse or an SD-JWT."),
    "issuer": ("issuer.cli:issuer_app", "Run and manage the issuer service."),
    "verifier": ("verifier.cli:verifier_app",
                 "The verifier's counter: request QR codes, trust bundle sync, the online verifier (serve)."),
    "wallet": ("wallet.cli:wallet_app",
               "The holder's wallet: init, trust add, receive, refill, list, refresh, show, present, answer, respond, "
               "history."),
    "demo": ("mobileid.demo:demo_app",
             "Run issuer, clerk, wallet and verifier on this machine; leave a verifiable age-check QR."),
}


def _load(name: str) -> Any:
    module_name, _, attribute = _COMMANDS[name][0].partition(":")
    command = typer.main.get_command(getattr(importlib.import_module(module_name), attribute))
    command.name = name  # a single-command app is named after its function
    return command


class _LazyGroup(TyperGroup):
    """Lists the parts from ``_COMMANDS`` (help needs no import) and imports one when it is called."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = _COMMANDS.get(cmd_name)
        return None if entry is None else TyperCommand(cmd_name, help=entry[1], callback=None)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in _COMMANDS:
            return args[0], _load(args[0]), args[1:]
        return super().resolve_command(ctx, args)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mobileid, version {importlib.metadata.version('mobileid')}")
        raise typer.Exit()


cli_app = command_group("mobileid: mobile driver's licences and e-certificates on open standards (ISO/IEC 18013-5, "
                        "SD-JWT VC, OpenID4VCI), verified offline.")
cli_app.info.cls = _LazyGroup


@cli_app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Show the version and exit.")] = False) -> None:
    pass


cli = typer.main.get_command(cli_app)


def main() -> None:
    cli(prog_name="mobileid")
