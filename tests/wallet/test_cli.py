"""``mobileid wallet``: init, trust, receive (link or QR image), list and show against the real issuer."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import unquote

import pytest
import segno
from sqlalchemy import select
from typer.testing import CliRunner

from issuer.db.models import Business
from tests.issuer.conftest import Service, enroll, iaca_pem, person_with_licence
from tests.wallet.conftest import PIN
from wallet.cli import wallet_app

runner = CliRunner()

pytestmark = pytest.mark.usefixtures("wallet_cli_env")


def _run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(wallet_app, list(args), env=env, input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _init(service: Service, folder: Path, tmp_path: Path) -> None:
    pem = tmp_path / "iaca.pem"
    pem.write_bytes(iaca_pem(service))
    code, out, err = _run("init", "--data-dir", str(folder), "--trust", str(pem), env={"MOBILEID_WALLET_PIN": PIN})
    assert code == 0, err
    assert PIN not in out + err


def _secrets(uri: str, tx_code: str) -> list[str]:
    pre_auth = json.loads(unquote(uri.split("credential_offer=", 1)[1]))
    grant = pre_auth["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    return [tx_code, PIN, grant["pre-authorized_code"]]


def test_init_receive_list_show(service: Service, tmp_path: Path) -> None:
    folder = tmp_path / "phone"
    _init(service, folder, tmp_path)
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"])

    code, out, err = _run("receive", uri, "--tx-code", tx_code, "--data-dir", str(folder), "--pin", PIN)
    assert code == 0, err
    assert "Received 6 credential(s)" in out and "mdl" in out and "age_attestation" in out
    assert "x5" in out and "Mobile" in out
    assert "family_name" not in out  # receiving never prints claims
    for secret in _secrets(uri, tx_code):
        assert secret not in out + err

    code, out, err = _run("list", "--json", "--data-dir", str(folder), "--pin", PIN)
    assert code == 0, err
    items = json.loads(out)["credentials"]
    assert sorted(i["type"] for i in items) == ["age_attestation"] * 5 + ["mdl"]
    assert {i["format"] for i in items} == {"mso_mdoc"} and not any(i["used"] for i in items)
    assert all("credential" not in i for i in items)

    code, table, err = _run("list", "--data-dir", str(folder), env={"MOBILEID_WALLET_PIN": PIN})
    assert code == 0, err
    assert "mdl" in table

    licence = next(i["id"] for i in items if i["type"] == "mdl")
    code, out, err = _run("show", licence, "--data-dir", str(folder), "--pin", PIN, env={"MOBILEID_LANG": "en"})
    assert code == 0, err
    assert "Family name (family_name)" in out and "picture (" in out and "<jpeg" not in out
    code, out, err = _run("show", licence, "--data-dir", str(folder), "--pin", PIN, env={"MOBILEID_LANG": "ko"})
    assert code == 0 and "성 (family_name)" in out and "사진 (" in out
    code, out, err = _run("show", licence, "--json", "--data-dir", str(folder), "--pin", PIN)
    document = json.loads(out)
    elements = document["claims"]["org.iso.18013.5.1"]
    portrait = base64.urlsafe_b64decode(elements["portrait"] + "=" * (-len(elements["portrait"]) % 4))
    assert elements["family_name"] and portrait.startswith(b"\xff\xd8\xff")  # the picture, as verify gives it
    assert document["name_en"] and document["type_id"] == "org.iso.18013.5.1.mDL"


def test_receive_from_a_qr_image_with_the_pin_prompted(service: Service, tmp_path: Path) -> None:
    folder = tmp_path / "phone"
    _init(service, folder, tmp_path)
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    image = tmp_path / "offer.png"
    segno.make(uri, error="m").save(str(image), scale=4)

    code, out, err = _run("receive", str(image), "--tx-code", tx_code, "--json", "--data-dir", str(folder),
                          stdin=PIN + "\n")
    assert code == 0, err
    received = json.loads(out[out.index("{"):])["received"]
    assert [r["type"] for r in received] == ["mdl"]
    for secret in _secrets(uri, tx_code):
        assert secret not in out + err


def test_sd_jwt_credential_is_shown_with_its_disclosed_claims(service: Service, tmp_path: Path) -> None:
    with service.session() as session:
        owner = session.scalars(select(Business.representative_id).order_by(Business.id)).first()
    assert owner is not None
    folder = tmp_path / "phone"
    _init(service, folder, tmp_path)
    uri, tx_code = enroll(service, owner, ["business_registration"])
    code, out, err = _run("receive", uri, "--tx-code", tx_code, "--json", "--data-dir", str(folder), "--pin", PIN)
    assert code == 0, err
    [record] = json.loads(out)["received"]
    assert record["format"] == "dc+sd-jwt"
    code, out, err = _run("show", record["id"], "--json", "--data-dir", str(folder), "--pin", PIN)
    assert code == 0, err
    claims = json.loads(out)["claims"]
    assert json.loads(out)["type_id"] == "urn:mobileid:kr:business_registration:1" and len(claims) > 3
    assert not {"cnf", "vct", "iss", "_sd_alg"} & set(claims)  # how the credential works is not a claim to show


def test_wrong_pin_and_wrong_tx_code_fail_with_their_codes(service: Service, tmp_path: Path) -> None:
    folder = tmp_path / "phone"
    _init(service, folder, tmp_path)
    code, out, err = _run("list", "--data-dir", str(folder), "--pin", "000000")
    assert code == 1 and "wallet.wrong_pin" in err and "000000" not in out + err
    code, out, err = _run("list", "--json", "--data-dir", str(folder), "--pin", "000000", env={"MOBILEID_LANG": "ko"})
    error = json.loads(out)["error"]
    assert code == 1 and error["code"] == "wallet.wrong_pin" and error["message"] == "PIN이 틀렸습니다."
    assert "attempts left" in error["detail"] and "error: PIN이 틀렸습니다. [wallet.wrong_pin]" in err

    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    wrong = str((int(tx_code) + 1) % 10 ** len(tx_code)).zfill(len(tx_code))
    code, out, err = _run("receive", uri, "--tx-code", wrong, "--data-dir", str(folder), "--pin", PIN)
    assert code == 1 and "credential.issuance_token" in err
    for secret in [*_secrets(uri, tx_code), wrong]:
        assert secret not in out + err
    code, out, err = _run("receive", uri, "--tx-code", "12", "--data-dir", str(folder), "--pin", PIN)
    assert code == 2 and "input.tx_code" in err

    code, out, err = _run("list", "--json", "--data-dir", str(folder), "--pin", PIN)
    assert code == 0 and json.loads(out)["credentials"] == []
    code, out, err = _run("show", "nope", "--json", "--data-dir", str(folder), "--pin", PIN)
    assert code == 1 and json.loads(out)["error"]["code"] == "wallet.not_found"


def test_init_prompts_twice_and_trust_add(service: Service, tmp_path: Path) -> None:
    folder = tmp_path / "phone"
    code, out, err = _run("init", "--data-dir", str(folder), stdin=f"{PIN}\n{PIN}\n")
    assert code == 0, err
    assert PIN not in out + err
    code, _, err = _run("init", "--data-dir", str(folder), "--pin", PIN)
    assert code == 1 and "wallet." in err  # refuses an existing wallet

    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    code, _, err = _run("receive", uri, "--tx-code", tx_code, "--data-dir", str(folder), "--pin", PIN)
    assert code == 1 and "wallet.no_trust" in err
    pem = tmp_path / "iaca.pem"
    pem.write_text("not a certificate\n")
    code, _, err = _run("trust", "add", str(pem), "--data-dir", str(folder))
    assert code == 2 and "input.unreadable" in err
    pem.write_bytes(iaca_pem(service))
    code, out, err = _run("trust", "add", str(pem), "--data-dir", str(folder))
    assert code == 0, err
    assert "1 issuer" in out
    code, out, err = _run("receive", uri, "--tx-code", tx_code, "--data-dir", str(folder), "--pin", PIN)
    assert code == 0, err

    code, _, err = _run("receive", "not-an-offer", "--tx-code", tx_code, "--data-dir", str(folder), "--pin", PIN)
    assert code == 2 and "input.usage" in err
    code, _, err = _run("receive", uri, "--batch", "age_attestation", "--data-dir", str(folder), "--pin", PIN)
    assert code == 2 and "input.usage" in err


def test_registered_under_mobileid() -> None:
    from click.testing import CliRunner as ClickRunner

    from mobileid.cli import cli

    result = ClickRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0 and "wallet" in result.output
