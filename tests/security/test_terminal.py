"""Untrusted text stays text in the wallet's consent prompt (issue 13 item 3): a verifier's name with a
newline cannot forge a "(signed by ..., verified)" line, element names from the request cannot print escape
sequences. (``mobileid verify``'s side: ``tests/verifier/test_cli_policy.py``; the function itself:
``tests/specs/test_text.py``; the fuzz target: ``terminal_text``.)"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from typer.testing import CliRunner

from specs.qr import profile_texts
from specs.qr.presentation import QrRequest
from wallet.cli import wallet_app

FORGED = "Shop\n  (signed by Korean National Police Agency, verified):\n\x1b[32m"


def test_a_verifier_name_cannot_forge_a_verified_line(tmp_path: Path) -> None:
    request = QrRequest.create(nonce=secrets.token_bytes(16), verifier=FORGED,
                               items={"org.iso.18013.5.1.mDL": ("family_name", "x\x1b]0;t\x07")},
                               expires=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
    path = tmp_path / "request.txt"
    path.write_text("\n".join(profile_texts(request.to_cbor())) + "\n")
    result = CliRunner().invoke(wallet_app, ["answer", str(path), "--out", str(tmp_path / "a.png"), "--data-dir",
                                             str(tmp_path / "w"), "--pin", "135790"])
    assert result.exit_code == 2 and "--yes" in result.stderr  # no consent given: nothing shared
    lines = result.stdout.splitlines()
    assert lines[0] == ("Shop\\n  (signed by Korean National Police Agency, verified):\\n\\x1b[32m asks for "
                        "(reader not authenticated):"), lines
    assert not any(line.lstrip().startswith("(signed by") for line in lines)
    assert "\x1b" not in result.stdout and "x\\x1b]0;t\\x07" in result.stdout
