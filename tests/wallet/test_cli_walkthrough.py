"""What a newcomer's walkthrough of ``mobileid wallet`` tripped over: the issuer's reason for a refused offer,
short credential ids, unknown presets, recovering from the PIN lockout, the refill command, the group help."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from tests.issuer.conftest import ISSUER_URL, Service, enroll, iaca_pem, person_with_licence
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.cli import WALLET_HELP, wallet_app
from wallet.wallet import Wallet

runner = CliRunner()
NEW_PIN = "730561"


pytestmark = pytest.mark.usefixtures("wallet_cli_env")


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(wallet_app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _phone(service: Service, tmp_path: Path, configurations: list[str], batch: int = 5) -> Path:
    """A wallet made with the CLI (default lockout: 5 wrong PINs) holding what ``configurations`` name."""
    folder = tmp_path / "phone"
    pem = tmp_path / "iaca.pem"
    pem.write_bytes(iaca_pem(service))
    code, _, err = _run("init", "--data-dir", str(folder), "--trust", str(pem), "--pin", PIN)
    assert code == 0, err
    uri, tx_code = enroll(service, person_with_licence(service), configurations)
    code, _, err = _run("receive", uri, "--tx-code", tx_code, "--batch", f"age_attestation={batch}",
                        "--data-dir", str(folder), "--pin", PIN)
    assert code == 0, err
    return folder


def _ids(folder: Path) -> dict[str, str]:
    code, out, err = _run("list", "--json", "--data-dir", str(folder), "--pin", PIN)
    assert code == 0, err
    return {item["id"]: item["type"] for item in json.loads(out)["credentials"]}


# -- 1. the issuer's error_description ---------------------------------------------------------------------
def test_refused_offers_say_why(service: Service, tmp_path: Path) -> None:
    folder = _phone(service, tmp_path, ["mdl"])
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    wrong = str((int(tx_code) + 1) % 10 ** len(tx_code)).zfill(len(tx_code))
    code, out, err = _run("receive", uri, "--tx-code", wrong, "--data-dir", str(folder), "--pin", PIN)
    assert code == 1 and "[credential.issuance_token]" in err
    assert "token refused: invalid_grant (the transaction code is wrong; 4 attempts left)" in err
    assert wrong not in out + err and tx_code not in out + err and PIN not in out + err

    code, _, err = _run("receive", uri, "--tx-code", tx_code, "--data-dir", str(folder), "--pin", PIN)
    assert code == 0, err
    code, out, err = _run("receive", uri, "--tx-code", tx_code, "--data-dir", str(folder), "--pin", PIN)
    assert code == 1 and "[credential.issuance_token]" in err
    assert "(the pre-authorized code is unknown, used, burned or expired)" in err
    assert "transaction code is wrong" not in err and tx_code not in out + err

    late, late_code = enroll(service, person_with_licence(service), ["mdl"])
    service.clock.advance(seconds=service.settings.offer_ttl_seconds + 1)
    code, out, err = _run("receive", late, "--tx-code", late_code, "--json", "--data-dir", str(folder),
                          "--pin", PIN)
    assert code == 1 and "expired" in json.loads(out)["error"]["detail"]


# -- 2. short ids ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("service", ["sqlite"], indirect=True)
def test_show_takes_a_unique_prefix_and_list_keeps_ids_whole(service: Service, tmp_path: Path) -> None:
    folder = _phone(service, tmp_path, ["mdl", "age_attestation"], batch=2)
    ids = _ids(folder)
    for columns in ("80", "60"):
        code, table, err = _run("list", "--data-dir", str(folder), "--pin", PIN, env={"COLUMNS": columns})
        assert code == 0, err
        assert all(credential_id in table for credential_id in ids) and "…" not in table
        assert max(len(line) for line in table.splitlines()) <= int(columns)

    licence = next(i for i, kind in ids.items() if kind == "mdl")
    prefix = next(licence[:n] for n in range(6, 17) if sum(i.startswith(licence[:n]) for i in ids) == 1)
    code, out, err = _run("show", prefix, "--json", "--data-dir", str(folder), "--pin", PIN)
    assert code == 0, err
    assert json.loads(out)["id"] == licence

    code, out, err = _run("show", licence[:5], "--json", "--data-dir", str(folder), "--pin", PIN)
    assert code == 1 and json.loads(out)["error"]["code"] == "wallet.not_found" and "6" in err

    # Two stored copies whose ids share their first 8 characters (the real store, ids chosen).
    wallet = Wallet(folder, kdf=FAST_KDF)
    store = wallet.store(wallet.unlock(PIN))
    original = store.get(licence)
    for suffix in ("00000001", "00000002"):
        store.add(dataclasses.replace(original, id=f"abcdef12{suffix}"))
    code, out, err = _run("show", "abcdef12", "--json", "--data-dir", str(folder), "--pin", PIN)
    error = json.loads(out)["error"]
    assert code == 1 and error["code"] == "wallet.ambiguous_id" and "2 credentials" in error["detail"]
    assert "abcdef12000" not in out + err and "family_name" not in out + err
    code, out, err = _run("show", "abcdef1200000002", "--json", "--data-dir", str(folder), "--pin", PIN)
    assert code == 0 and json.loads(out)["id"] == "abcdef1200000002", err


# -- 3. unknown presets ------------------------------------------------------------------------------------
@pytest.mark.parametrize("service", ["sqlite"], indirect=True)
def test_unknown_preset_is_named_with_the_known_ones(service: Service, tmp_path: Path) -> None:
    folder = _phone(service, tmp_path, ["age_attestation"], batch=2)
    png = tmp_path / "qr.png"
    code, _, err = _run("present", "--preset", "age21", "--out", str(png), "--data-dir", str(folder),
                        "--pin", "000000")  # refused before the PIN is tried: no attempt counted
    assert code == 2 and "[input.usage]" in err and "unknown preset 'age21'" in err
    assert "age14, age19, age65, name_photo" in err and "can answer" not in err and not png.exists()
    assert Wallet(folder, kdf=FAST_KDF).remaining_attempts() == 5

    code, _, err = _run("present", "--preset", "full_licence", "--out", str(png), "--data-dir", str(folder),
                        "--pin", PIN)  # known, but nothing held can answer it
    assert code == 1 and "[wallet.no_credential]" in err


# -- 4. and 5. the lockout and starting afresh -----------------------------------------------------------
def test_lockout_says_what_next_and_init_starts_afresh(service: Service, tmp_path: Path) -> None:
    folder = _phone(service, tmp_path, ["mdl", "age_attestation"], batch=2)
    assert list((folder / "keys").iterdir())
    for left in (4, 3, 2):
        code, _, err = _run("list", "--data-dir", str(folder), "--pin", "000000")
        assert code == 1 and "Wrong PIN. [wallet.wrong_pin]" in err and f"wrong PIN ({left} attempts left)" in err
    code, _, err = _run("list", "--data-dir", str(folder), "--pin", "000000")
    assert code == 1 and "[wallet.wrong_pin]" in err and "wrong PIN (1 attempt left)" in err
    code, _, err = _run("list", "--data-dir", str(folder), "--pin", "000000")
    assert code == 1 and "wallet keys erased" in err and "[wallet.locked]" in err
    assert "next: run 'mobileid wallet init'" in err
    code, _, err = _run("list", "--data-dir", str(folder), "--pin", PIN)  # the right PIN is no use now
    assert code == 1 and "[wallet.locked]" in err and "mobileid wallet init" in err

    code, out, err = _run("init", "--data-dir", str(folder), "--pin", "12")  # a bad new PIN discards nothing
    assert code == 1 and "[wallet.pin_invalid]" in err
    assert Wallet(folder).is_erased() and list((folder / "keys").iterdir())

    code, out, err = _run("init", "--data-dir", str(folder), "--pin", NEW_PIN)
    assert code == 0, err
    assert "erased after too many wrong PINs" in out and "removed" in out and "Wallet created" in out
    assert NEW_PIN not in out + err
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == ["pin.json"]
    code, out, err = _run("list", "--data-dir", str(folder), "--pin", NEW_PIN)
    assert code == 0 and "No credentials yet." in out, err
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    code, _, err = _run("receive", uri, "--tx-code", tx_code, "--data-dir", str(folder), "--pin", NEW_PIN)
    assert code == 1 and "[wallet.no_trust]" in err  # kept nothing, not even the trusted issuers

    code, out, err = _run("init", "--data-dir", str(folder), "--pin", PIN)  # a working wallet is never replaced
    assert code == 1 and "[wallet.already_initialized]" in err
    code, out, err = _run("list", "--data-dir", str(folder), "--pin", NEW_PIN)
    assert code == 0, err


# -- 6. refill ---------------------------------------------------------------------------------------------
def test_refill_command_after_the_hint(service: Service, tmp_path: Path) -> None:
    folder = _phone(service, tmp_path, ["mdl", "age_attestation"], batch=3)
    hint = f"run 'mobileid wallet refill --issuer {ISSUER_URL} --type age_attestation'"
    for name, refill_due in (("a", False), ("b", True), ("c", True)):
        code, out, err = _run("present", "--preset", "age19", "--out", str(tmp_path / f"{name}.png"),
                              "--data-dir", str(folder), "--pin", PIN)
        assert code == 0, err
        assert (hint in out) is refill_due, out

    code, out, err = _run("refill", "--issuer", ISSUER_URL, "--data-dir", str(folder), "--pin", PIN)
    assert code == 0, err
    assert "Received 5 new age_attestation copies; 5 unused single-use copies held now." in out
    assert PIN not in out + err and "family_name" not in out
    assert sorted(_ids(folder).values()) == ["age_attestation"] * 5 + ["mdl"]  # the exhausted batch is gone

    code, out, err = _run("refill", "--issuer", ISSUER_URL, "--count", "3", "--json", "--data-dir", str(folder),
                          "--pin", PIN)
    assert code == 0, err
    report = json.loads(out)
    assert len(report["received"]) == 3 and report["unused"] == 8  # nothing exhausted: both batches stay

    code, out, err = _run("present", "--preset", "age19", "--out", str(tmp_path / "d.png"),
                          "--data-dir", str(folder), "--pin", PIN)
    assert code == 0 and "refill needed" not in out, err


@pytest.mark.parametrize("service", ["sqlite"], indirect=True)
def test_refill_refusals(service: Service, tmp_path: Path) -> None:
    folder = _phone(service, tmp_path, ["mdl"])
    before = _ids(folder)
    code, out, err = _run("refill", "--issuer", ISSUER_URL, "--type", "mdl", "--json", "--data-dir", str(folder),
                          "--pin", PIN)
    error = json.loads(out)["error"]
    assert code == 1 and error["code"] == "credential.remote_offer" and "(" in error["detail"]
    assert _ids(folder) == before
    code, _, err = _run("refill", "--issuer", "issuer.example", "--data-dir", str(folder), "--pin", PIN)
    assert code == 2 and "[input.usage]" in err
    code, _, err = _run("refill", "--issuer", ISSUER_URL, "--count", "0", "--data-dir", str(folder), "--pin", PIN)
    assert code == 2
    code, _, err = _run("refill", "--issuer", ISSUER_URL, "--data-dir", str(tmp_path / "empty"), "--pin", PIN)
    assert code == 2 and "mobileid wallet init" in err


# -- 7. the group's help -----------------------------------------------------------------------------------
@pytest.mark.parametrize("service", ["sqlite"], indirect=True)
def test_group_help_names_every_command(service: Service) -> None:
    group = typer.main.get_command(wallet_app)
    assert isinstance(group, typer.main.TyperGroup)
    names = [*group.commands, "trust add"]
    assert set(names) >= {"init", "receive", "refill", "list", "show", "present", "answer", "history", "trust"}
    listed = WALLET_HELP.split(":", 1)[1].split(".", 1)[0]
    assert all(name in listed for name in names if name != "trust"), listed
    code, out, _ = _run("--help", env={"COLUMNS": "200"})
    assert code == 0 and WALLET_HELP.split(".")[0] in out
