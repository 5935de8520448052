"""``mobileid wallet present`` / ``history``: real credentials from the issuer, real QR PNGs, decoded and
verified by ``mobileid verify`` against the exported trust bundle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner as ClickRunner
from typer.testing import CliRunner

from mobileid.cli import cli
from tests.issuer.conftest import Service
from tests.wallet.conftest import PIN
from wallet.cli import wallet_app

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("wallet_cli_env")




@pytest.fixture
def trust_dir(service: Service, tmp_path: Path) -> Path:
    folder = tmp_path / "trust"
    folder.mkdir()
    (folder / "bundle.cbor").write_bytes(service.client.get("/trust/bundle").content)
    (folder / "root.pem").write_bytes(service.client.get("/trust/root.pem").content)
    return folder


def wallet_run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(wallet_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def verify(*args: str) -> tuple[int, str]:
    result = ClickRunner().invoke(cli, ["verify", *args], catch_exceptions=False, env={"MOBILEID_LANG": "en"})
    return result.exit_code, result.output


def test_present_age19_png_verifies_once(phone: Path, trust_dir: Path, tmp_path: Path) -> None:
    png = tmp_path / "age.png"
    code, out, err = wallet_run("present", "--preset", "age19", "--out", str(png), "--data-dir", str(phone),
                                "--pin", PIN)
    assert code == 0, err
    assert "age_over_19" in out and "1 QR code written" in out and PIN not in out + err
    assert png.read_bytes().startswith(b"\x89PNG")

    code, out = verify(str(png), "--trust", str(trust_dir), "--json")
    document = json.loads(out)
    assert code == 0, document["errors"]
    assert document["valid"] and document["claims"] == {"kr.mobileid.age.1": {"age_over_19": True}}
    assert document["status"] == "valid" and document["bundle_issued_at"]

    code, out = verify(str(png), "--trust", str(trust_dir), "--json")  # the same code scanned again
    document = json.loads(out)
    assert code == 1 and not document["valid"] and document["claims"] == {}
    assert document["errors"][0]["code"] == "qr.replay"


def test_present_human_output_and_refill(phone: Path, trust_dir: Path, tmp_path: Path) -> None:
    code, out, err = wallet_run("present", "--preset", "age19", "--out", str(tmp_path / "a.png"),
                                "--data-dir", str(phone), "--pin", PIN)
    assert code == 0 and "refill" not in out, err
    code, out, err = wallet_run("present", "--preset", "age19", "--out", str(tmp_path / "b.png"),
                                "--data-dir", str(phone), "--pin", PIN)
    assert code == 0 and "refill needed" in out, err  # one unused copy of three left
    code, out = verify(str(tmp_path / "b.png"), "--trust", str(trust_dir))
    assert code == 0, out
    assert "Genuine" in out and "Not verified" not in out and "age_over_19" in out and "trust bundle: issued" in out


def test_present_chosen_elements_in_frames(phone: Path, trust_dir: Path, tmp_path: Path) -> None:
    out_png = tmp_path / "licence.png"
    code, out, err = wallet_run("present", "--type", "mdl", "--elements", "family_name,given_name,portrait",
                                "--out", str(out_png), "--data-dir", str(phone), "--pin", PIN, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["type"] == "mdl" and set(report["elements"]) == {"family_name", "given_name", "portrait"}
    assert report["frames"] > 1 and report["files"] == [str(tmp_path / f"licence-{i}.png")
                                                        for i in range(1, report["frames"] + 1)]
    code, out = verify(*reversed(report["files"]), "--trust", str(trust_dir))  # frames in any order
    assert code == 0, out
    assert "picture (" in out and "<jpeg" not in out and "family_name" in out

    code, out, err = wallet_run("history", "--json", "--data-dir", str(phone), "--pin", PIN)
    assert code == 0, err
    [entry] = json.loads(out)["history"]
    assert entry["type_id"] == "mdl" and entry["mode"] == "one-way"
    assert set(entry["elements"]) == {"family_name", "given_name", "portrait"}
    code, out, err = wallet_run("history", "--data-dir", str(phone), "--pin", PIN)
    assert code == 0 and "one-way" in out, err


def test_present_usage_and_wrong_pin(phone: Path, tmp_path: Path) -> None:
    png = tmp_path / "x.png"
    code, _, err = wallet_run("present", "--out", str(png), "--data-dir", str(phone), "--pin", PIN)
    assert code == 2 and "input.usage" in err
    code, _, err = wallet_run("present", "--preset", "age19", "--type", "mdl", "--out", str(png),
                              "--data-dir", str(phone), "--pin", PIN)
    assert code == 2
    code, _, err = wallet_run("present", "--preset", "age19", "--out", str(png), "--data-dir", str(phone),
                              "--pin", "000000")
    assert code == 1 and "[" in err and not png.exists()
    code, _, err = wallet_run("present", "--preset", "no_such", "--out", str(png), "--data-dir", str(phone),
                              "--pin", PIN)
    assert code == 2 and "[input.usage]" in err and "unknown preset 'no_such'" in err and "age19" in err
