"""``mobileid demo`` runs the whole story and leaves files that ``mobileid verify`` accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from mobileid.cli import cli


def test_demo_then_verify_its_files(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["demo", "--out", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output and "INVALID" not in result.output
    readme = (tmp_path / "README.txt").read_text()
    at = re.search(r"--at (\S+)", readme).group(1)  # type: ignore[union-attr]
    mdoc = runner.invoke(cli, ["verify", "--format", "mdoc", "--trust", str(tmp_path / "iaca.pem"), "--transcript",
                               str(tmp_path / "transcript.cbor"), "--status-list", str(tmp_path / "status_list.cwt"),
                               "--at", at, "--json", str(tmp_path / "age_check.cbor")])
    doc = json.loads(mdoc.output)
    assert mdoc.exit_code == 0 and doc["claims"] == {"org.iso.18013.5.1": {"age_over_19": True}}
    assert doc["status"] == "valid"
    sd = runner.invoke(cli, ["verify", "--trust", str(tmp_path / "iaca.pem"), "--nonce", "demo-nonce-42", "--aud",
                             "https://supplier.example", "--status-list", str(tmp_path / "status_list.jwt"),
                             "--at", at, "--json", str(tmp_path / "business_registration.txt")])
    assert sd.exit_code == 0 and json.loads(sd.output)["vct"] == "urn:mobileid:kr:business_registration:1"
    # A different verifier (another aud) must not accept the same presentation.
    relay = runner.invoke(cli, ["verify", "--trust", str(tmp_path / "iaca.pem"), "--nonce", "demo-nonce-42", "--aud",
                                "https://elsewhere.example", "--at", at, "--json",
                                str(tmp_path / "business_registration.txt")])
    assert relay.exit_code == 1 and json.loads(relay.output)["errors"][0]["code"] == "sdjwt.kb_aud"
