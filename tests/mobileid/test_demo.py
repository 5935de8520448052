"""``mobileid demo`` runs the whole story in one command and leaves an age-check QR that verifies offline."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mobileid.cli import cli
from verifier.qr import Verifier
from verifier.trust import VerifierTrust

AGE = "kr.mobileid.age.1"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # The shop's question answered by the library's verdict printer, in its words: no bare VALID.
    assert "19세 이상 확인 / 판매 가능" in result.output and "Aged 19 or over: may sell" in result.output
    assert "policy: age19  accepted" in result.output and "Status: valid as of" in result.output
    assert "VALID" not in result.output and "VERIFIED" not in result.output
    return out


def _mobileid(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from mobileid.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_demo_leaves_every_file_and_keeps_secrets_off_screen(demo_dir: Path) -> None:
    for name in ("age_check.png", "trust_bundle/bundle.cbor", "trust_bundle/root.pem", "README.txt",
                 "wallet/DEMO_PIN.txt", "issuer/issuer.sqlite3"):
        assert (demo_dir / name).is_file(), name
    assert (demo_dir / "age_check.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pin = (demo_dir / "wallet" / "DEMO_PIN.txt").read_text().strip()
    assert len(pin) == 6 and pin.isdigit()
    readme = (demo_dir / "README.txt").read_text()
    for needle in ("age_check.png", "trust_bundle/bundle.cbor", "trust_bundle/root.pem", "DEMO_PIN.txt",
                   f"mobileid verify {demo_dir}/age_check.png --trust {demo_dir}/trust_bundle --require age19",
                   "19세 이상 확인 / 판매 가능", "60 seconds",
                   "qr.expired", f"mobileid demo --out {demo_dir}", "mobileid wallet present --preset age19"):
        assert needle in readme, needle
    assert pin not in readme


def test_the_qr_verifies_offline_against_the_bundle(demo_dir: Path) -> None:
    # A fresh demo run keeps the QR inside its 60-second window for this check.
    result = Verifier(VerifierTrust.from_path(demo_dir / "trust_bundle")).verify_qr(
        (demo_dir / "age_check.png").read_bytes())
    assert result.valid, result.errors
    assert result.claims == {AGE: {"age_over_19": True}} and result.status == "valid" and result.holder_bound


def test_mobileid_verify_accepts_the_png(demo_dir: Path) -> None:
    # What README.txt tells the reader to run, in a separate process, right after the demo.
    done = _mobileid("verify", str(demo_dir / "age_check.png"), "--trust", str(demo_dir / "trust_bundle"),
                     "--require", "age19", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    assert doc["valid"] is True and doc["claims"][AGE]["age_over_19"] is True
    assert doc["policy"] == "age19" and doc["answer"]["ko"] == "19세 이상 확인 / 판매 가능"


def test_json_summary_and_a_second_run_into_the_same_folder(demo_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--out", str(demo_dir), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert "Removing the previous demo run" in result.stderr
    assert summary["verification"] == {
        "valid": True, "authentic": True, "accepted": True, "policy": "age19",
        "answer": {"tone": "yes", "ko": "19세 이상 확인 / 판매 가능", "en": "Aged 19 or over: may sell"},
        "status": "valid", "claims": {AGE: {"age_over_19": True}}, "errors": []}
    assert summary["credentials"]["kr.mobileid.age.1"] == 5 and summary["age_check"]["valid_seconds"] == 60
    assert 1 <= summary["age_check"]["qr_version"] <= 40 and summary["age_check"]["png_bytes"] > 0
    assert summary["online"] == {"delivered": True, "accepted": True, "status": "answered",  # the bank's page
                                 "documents": ["모바일 주민등록증 · Mobile resident card",
                                               "소득금액증명 · Income certificate"]}
    assert "본인 확인 완료 · Verified" in result.stderr and "Hana Bank (verified requester)" in result.stderr
    assert "19세 이상 확인 / 판매 가능" in result.stderr  # the verdict with the steps; stdout is only the JSON
    pin = (demo_dir / "wallet" / "DEMO_PIN.txt").read_text().strip()
    assert pin not in result.stdout + result.stderr


def test_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "wallet").mkdir()
    (tmp_path / "wallet" / "mine.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "not made by `mobileid demo`" in result.output
    assert (tmp_path / "wallet" / "mine.txt").read_text() == "keep me"


def test_command_prefix_names_the_mobileid_this_shell_can_run(tmp_path: Path) -> None:
    from mobileid.demo import command_prefix

    venv_bin = tmp_path / "project" / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "mobileid").write_text("#!/bin/sh\n")
    python = str(venv_bin / "python")
    assert command_prefix(python, lambda _: str(venv_bin / "mobileid"), tmp_path) == "mobileid"  # activated
    assert command_prefix(python, lambda _: None, tmp_path / "project") == ".venv/bin/mobileid"  # make demo
    other = tmp_path / "other mobileid"
    other.write_text("#!/bin/sh\n")
    # another installation on PATH: not that one, this one by its path
    assert command_prefix(python, lambda _: str(other), tmp_path / "elsewhere") == shlex.quote(
        str(venv_bin / "mobileid"))
    assert command_prefix(str(tmp_path / "python3"), lambda _: None) == f"{tmp_path / 'python3'} -m mobileid"


@pytest.mark.slow
def test_the_commands_the_demo_prints_run_as_printed(tmp_path: Path) -> None:
    """`make demo` runs .venv/bin/mobileid from a shell where the venv is not active: the commands printed at
    the end are copied, pasted and run in that same shell, in order (verify, a fresh QR, verify again)."""
    script = Path(sys.executable).parent / "mobileid"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOBILEID_")}
    env.update(PATH=os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                    if p and not (Path(p) / "mobileid").exists()), HOME=str(tmp_path))
    assert shutil.which("mobileid", path=env["PATH"]) is None
    done = subprocess.run([str(script), "demo", "--out", "demo-out"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    printed = [line.strip() for line in done.stdout.splitlines() if line.startswith("    ")
               and re.search(r"mobileid (verify|wallet present) ", line)]
    assert len(printed) == 2 and " verify " in printed[0] and " wallet present " in printed[1], done.stdout
    assert not printed[0].startswith("mobileid ")  # not on this shell's PATH: named by its path
    for command in (printed[0], printed[1], printed[0]):
        ran = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=120, check=False)
        assert ran.returncode == 0, (command, ran.stdout, ran.stderr)
    readme = (tmp_path / "demo-out" / "README.txt").read_text()
    assert printed[0] in readme and printed[1] in readme
