"""``wallet list`` shows each card's status as last learned and when; ``wallet refresh`` asks the issuer;
``wallet present --help`` lists every preset of the catalogue; a preset nothing held can answer names the card."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import wallet.cli as wallet_cli
from issuer.db.models import Credential
from issuer.status import change_status
from specs.catalogue import Catalogue
from tests.issuer.conftest import Service, enroll, person_with_licence
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.cli import wallet_app
from wallet.wallet import Wallet

runner = CliRunner()
pytestmark = [pytest.mark.usefixtures("wallet_cli_env"), pytest.mark.parametrize("service", ["sqlite"],
                                                                                  indirect=True)]


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(wallet_app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _phone(service: Service, tmp_path: Path, configurations: list[str]) -> Path:
    folder = tmp_path / "phone"
    Wallet(folder, kdf=FAST_KDF).init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, person_with_licence(service), configurations)
    code, _, err = _run("receive", uri, "--tx-code", tx_code, "--batch", "age_attestation=2",
                        "--data-dir", str(folder), "--pin", PIN)
    assert code == 0, err
    return folder


def _listed(folder: Path) -> dict[str, dict[str, Any]]:
    code, out, err = _run("list", "--json", "--data-dir", str(folder), "--pin", PIN)
    assert code == 0, err
    return {item["type"]: item for item in json.loads(out)["credentials"]}


def _set_status(service: Service, configuration: str, status: str) -> None:
    with service.session() as session:
        rows = list(session.scalars(select(Credential).where(Credential.type_id == configuration)))
        assert rows
        for row in rows:
            change_status(session, row, status, actor="test", reason="test")
        session.commit()


def _table_row(out: str, type_id: str) -> list[str]:
    line = next(line for line in out.splitlines() if f" {type_id} " in line)
    return [cell.strip() for cell in re.split(r"[│┃]", line) if cell.strip()]


def test_a_revoked_licence_lists_as_revoked_after_refresh(service: Service, tmp_path: Path) -> None:
    folder = _phone(service, tmp_path, ["mdl"])
    received = _listed(folder)["mdl"]
    assert received["status"] == "valid" and received["status_at"] == received["received_at"]
    _set_status(service, "mdl", "revoked")
    assert _listed(folder)["mdl"]["status"] == "valid"  # what the wallet last learned: nothing asked yet

    code, out, err = _run("refresh", "--data-dir", str(folder), "--pin", PIN, env={"COLUMNS": "200"})
    assert code == 0 and err == "", err
    row = _table_row(out, "mdl")
    assert row[4] == "revoked", row
    after = _listed(folder)["mdl"]
    assert after["status"] == "invalid" and after["status_at"] > received["status_at"]

    code, out, _ = _run("list", "--data-dir", str(folder), "--pin", PIN, env={"COLUMNS": "200"})
    row = _table_row(out, "mdl")
    assert code == 0 and row[4] == "revoked" and row[5] == after["status_at"][:16].replace("T", " "), row
    assert "as of" in out and "mobileid wallet refresh" in out


def test_refresh_without_the_issuer_keeps_the_last_known_status(service: Service, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _phone(service, tmp_path, ["mdl"])
    before = _listed(folder)["mdl"]

    class Offline:
        def get(self, url: str, **kwargs: Any) -> Any:
            raise httpx.ConnectError("network unreachable")

    monkeypatch.setattr(wallet_cli, "http_factory", lambda: contextlib.nullcontext(Offline()))
    _set_status(service, "mdl", "suspended")
    code, out, err = _run("refresh", "--json", "--data-dir", str(folder), "--pin", PIN)
    assert code == 1 and f"could not check {before['id']}" in err and "[status.unavailable]" in err
    assert json.loads(out)["errors"] == [{"id": before["id"], "code": "status.unavailable"}]
    assert _listed(folder)["mdl"] == before
    code, _, err = _run("refresh", "--data-dir", str(tmp_path / "nowhere"), "--pin", PIN)
    assert code == 2 and "wallet init" in err


def test_present_help_lists_every_preset_of_the_catalogue() -> None:
    presets = {name for doc_type in Catalogue.load_default() for name in doc_type.presets}
    assert {"age19", "supplier_check", "discount_check", "address"} <= presets
    code, out, _ = _run("present", "--help", env={"COLUMNS": "400"})
    said = " ".join(re.sub(r"[│╭╮╰╯─]", " ", out).split())
    assert code == 0 and all(re.search(rf"\b{name} \(", said) for name in presets), said
    assert "age19 (age_attestation, mdl, resident_card)" in said


def test_a_preset_no_card_answers_names_the_card_it_needs(service: Service, tmp_path: Path) -> None:
    folder = _phone(service, tmp_path, ["mdl"])
    png = tmp_path / "qr.png"
    code, _, err = _run("present", "--preset", "supplier_check", "--out", str(png), "--data-dir", str(folder),
                        "--pin", PIN)
    said = " ".join(err.split())
    assert code == 1 and "[wallet.no_credential]" in said and not png.exists()
    assert "needs the card Business registration" in said and "(business_registration)" in said, said
    assert "holds none" in said

    _set_status(service, "mdl", "suspended")
    assert _run("refresh", "--data-dir", str(folder), "--pin", PIN)[0] == 0
    code, _, err = _run("present", "--preset", "full_licence", "--out", str(png), "--data-dir", str(folder),
                        "--pin", PIN)
    said = " ".join(err.split())
    assert code == 1 and "(mdl)" in said and "is suspended" in said and not png.exists(), said
    code, _, err = _run("present", "--preset", "age19", "--out", str(png), "--data-dir", str(folder), "--pin", PIN)
    said = " ".join(err.split())
    assert code == 1 and "one of these cards:" in said and "(age_attestation)" in said and "(mdl)" in said, said
