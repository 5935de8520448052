"""The one way every ``mobileid`` command group is made (Typer, which most of the commands used), so that
all groups behave and read alike: ``-h`` and ``--help``, help when called without arguments, no shell
completion installer, and no local variables in a traceback (they could hold a PIN or a key)."""

from __future__ import annotations

import typer

__all__ = ["command_group"]


def command_group(help: str) -> typer.Typer:
    """A Typer app (a group of commands, or one command) with the house help style."""
    return typer.Typer(help=help, no_args_is_help=True, add_completion=False,
                       context_settings={"help_option_names": ["-h", "--help"]},
                       pretty_exceptions_show_locals=False)
