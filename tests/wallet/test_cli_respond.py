"""``mobileid wallet respond``: a website's request from its QR picture or link, in plain words, consent,
the encrypted answer, the verifier's verdict; declining; a requester the wallet cannot check."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from typer.testing import CliRunner

from tests.issuer.conftest import Service
from tests.verifier.web.conftest import Rp, rp  # noqa: F401
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.cli import wallet_app

runner = CliRunner()


@pytest.fixture
def cli_env(rp: Rp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:  # noqa: F811
    import wallet.cli as wallet_cli

    monkeypatch.setattr(wallet_cli, "kdf", FAST_KDF)
    monkeypatch.setattr(wallet_cli, "http_factory", lambda: contextlib.nullcontext(rp.client))
    for name in ("MOBILEID_WALLET_PIN", "MOBILEID_WALLET_DIR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    roots = tmp_path / "reader_roots.pem"
    roots.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in rp.online.reader_roots.anchors))
    return roots


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(wallet_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_respond_to_the_bank_from_its_qr_picture(rp: Rp, cli_env: Path, tmp_path: Path) -> None:  # noqa: F811
    created = rp.create(preset="bank_account_opening")
    picture = tmp_path / "qr.png"
    picture.write_bytes(rp.client.get(created["qr_png"]).content)
    code, out, err = run("respond", str(picture), "--reader-roots", str(cli_env), "--yes",
                         "--data-dir", str(rp.online.wallet.folder), "--pin", PIN)
    assert code == 0, out + err
    assert "Hana Bank (verified requester)" in out
    assert "from your Mobile resident card: Family name, Given name, Date of birth, Address" in out
    assert "answered with your Income certificate" in out or "Income" in out
    assert "using option 1 of 2" in out and "Sent. The website accepted the answer." in out
    assert PIN not in out + err
    assert rp.read(created["transaction_id"])["result"]["accepted"]  # type: ignore[index]


def test_korean_words_untrusted_requester_and_json(rp: Rp, cli_env: Path) -> None:  # noqa: F811
    created = rp.create(preset="age19")
    code, out, err = run("respond", created["cross_device_uri"], "--lang", "ko", "--yes", "--json",
                         "--data-dir", str(rp.online.wallet.folder), "--pin", PIN)
    assert code == 0, out + err
    assert "요청자가 주장하는 이름이며 확인되지 않았습니다" in err and "다음을 요청합니다" in err
    report = json.loads(out)
    assert report["delivered"] and report["shared"] == [{"type": "age_attestation", "elements": ["age_over_19"]}]


def test_decline(rp: Rp, cli_env: Path) -> None:  # noqa: F811
    created = rp.create(preset="supplier_check")
    code, out, _ = run("respond", created["cross_device_uri"], "--decline", "--reader-roots", str(cli_env),
                       "--data-dir", str(rp.online.wallet.folder))
    assert code == 1 and "Declined" in out
    assert rp.read(created["transaction_id"])["status"] == "declined"


def test_nothing_held_and_bad_inputs(rp: Rp, cli_env: Path, tmp_path: Path, service: Service) -> None:  # noqa: F811
    created = rp.create(dcql_query={"credentials": [{"id": "x", "format": "mso_mdoc",
                                                     "meta": {"doctype_value": "org.example.unknown"}}]})
    code, _out, err = run("respond", created["cross_device_uri"], "--yes", "--data-dir", str(rp.online.wallet.folder),
                         "--pin", PIN)
    assert code == 1 and "oid4vp.no_credential" in err
    assert rp.read(created["transaction_id"])["status"] == "declined"
    text = tmp_path / "note.txt"
    text.write_text("hello")
    assert run("respond", str(text), "--data-dir", str(rp.online.wallet.folder))[0] == 2
    assert run("respond", created["cross_device_uri"], "--lang", "fr",
               "--data-dir", str(rp.online.wallet.folder))[0] == 2
