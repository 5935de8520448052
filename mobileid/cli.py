"""``mobileid``: one command for every part.

Sub-commands are imported only when called, so ``mobileid verify`` does not load the issuer's web
stack. Each part keeps its commands beside its code (``verifier/cli.py``, ``issuer/cli.py``, ...).
"""

from __future__ import annotations

import importlib
from typing import Any

import click
import typer.main

# name -> ("module:attribute", help); the attribute is a Typer app or a click command.
_COMMANDS: dict[str, tuple[str, str]] = {
    "verify": ("verifier.cli:verify_command", "Verify a QR presentation, an mdoc DeviceResponse or an SD-JWT."),
    "issuer": ("issuer.cli:issuer_app", "Run and manage the issuer service."),
    "verifier": ("verifier.cli:verifier_group",
                 "The verifier's counter: request QR codes, trust bundle sync, the online verifier (serve)."),
    "wallet": ("wallet.cli:wallet_app",
               "The holder's wallet: init, trust add, receive, refill, list, refresh, show, present, answer, respond, "
               "history."),
    "demo": ("mobileid.demo:demo_command",
             "Run issuer, clerk, wallet and verifier on this machine; leave a verifiable age-check QR."),
}


def _load(target: str) -> click.Command:
    module_name, _, attribute = target.partition(":")
    obj: Any = getattr(importlib.import_module(module_name), attribute)
    if isinstance(obj, click.Command):
        return obj
    return _typer_proxy(typer.main.get_command(obj))


def _typer_proxy(command: Any) -> click.Command:
    """Typer >= 0.29 carries its own copy of click, whose exit and usage exceptions this click group would
    not recognise; run the Typer command standalone (it handles them and exits) with the remaining args."""

    @click.command(name=command.name, help=command.help, add_help_option=False,
                   context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                     "allow_interspersed_args": False})
    @click.pass_context
    def proxy(ctx: click.Context) -> None:
        parent = ctx.parent.info_name if ctx.parent and ctx.parent.info_name else "mobileid"
        command.main(args=list(ctx.args), prog_name=f"{parent} {ctx.info_name}", standalone_mode=True)

    return proxy


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None:
            return None
        command = _load(entry[0])
        command.help = command.help or entry[1]
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, help_text) in sorted(_COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mobileid")
def cli() -> None:
    """mobileid: mobile driver's licences and e-certificates on open standards (ISO/IEC 18013-5,
    SD-JWT VC, OpenID4VCI), verified offline."""


def main() -> None:
    cli(prog_name="mobileid")
