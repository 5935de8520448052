"""``mobileid verify --require``: the shop's question answered end to end with cards from the real issuer
(a 13-year-old's age attestation, an adult's licence), the exit code scripts rely on, the portrait written
with ``--portrait-out``; and outside text printed as text (issue 13 item 3)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from mobileid.cli import cli
from specs.crypto import SoftwareSigner
from specs.jose import jwk_from_key
from specs.sdjwt import issue_sd_jwt
from tests.issuer.conftest import Service, enroll
from tests.verifier.test_cli_qr import sync
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.present import Presenter
from wallet.wallet import Wallet

SQLITE = pytest.mark.parametrize("service", ["sqlite"], indirect=True)  # the issuer's database changes nothing


def mobileid(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def _shop(service: Service, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The verifier CLI against the test issuer, with its own replay cache, in English."""
    import contextlib

    import verifier.cli as verifier_cli

    monkeypatch.setattr(verifier_cli, "http_factory", lambda: contextlib.nullcontext(service.client))
    monkeypatch.setenv("MOBILEID_VERIFIER_REPLAY_CACHE", str(tmp_path / "seen.json"))
    monkeypatch.setenv("MOBILEID_LANG", "en")


def _minor_phone(service: Service, tmp_path: Path) -> Path:
    """A wallet holding age attestations of a person made 13 years old in the resident register."""
    from issuer.db.models import Licence, Person

    with service.session() as session:
        with_licence = select(Licence.person_id)
        person = session.scalars(select(Person).where(Person.id.not_in(with_licence)).order_by(Person.id)).first()
        assert person is not None
        today = service.clock.now.date()
        person.birth_date = today.replace(year=today.year - 13)
        person_id = person.id
        session.commit()
    folder = tmp_path / "minor"
    wallet = Wallet(folder, kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, person_id, ["age_attestation"])
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now, batch={"age_attestation": 3})
    return folder


def _qr_file(phone: Path, path: Path, **what: object) -> Path:
    shown = Presenter(Wallet(phone, kdf=FAST_KDF)).present(PIN, **what)  # type: ignore[arg-type]
    path.write_text("\n".join(shown.texts) + "\n")
    return path


@SQLITE
@pytest.mark.usefixtures("_shop")
def test_a_minors_age_check_is_a_no_and_exits_1(service: Service, tmp_path: Path) -> None:
    minor = _minor_phone(service, tmp_path)
    trust = sync(tmp_path)  # after the issuance: the bundle carries the new status list
    code, out = mobileid("verify", str(_qr_file(minor, tmp_path / "a.txt", preset="age19")), "--trust", str(trust),
                         "--require", "age19")
    assert code == 1, out
    assert "19세 미만 / 판매 불가" in out and "Under 19: do not sell" in out and "may sell" not in out
    assert "age_over_19: age_over_19=true does not hold [policy.not_met]" in out
    assert "Status: valid as of" in out and "Shown from the phone it was issued to" in out

    code, out = mobileid("verify", str(_qr_file(minor, tmp_path / "b.txt", preset="age19")), "--trust", str(trust),
                         "--require", "age_over_19=true", "--json")
    document = json.loads(out)
    assert code == 1 and document["authentic"] and not document["accepted"] and not document["valid"]
    assert document["policy"] == "age_over_19=true" and document["answer"]["tone"] == "no"
    assert [(u["code"], u["element"]) for u in document["unmet"]] == [("policy.not_met", "age_over_19")]
    # The status is as of the trust bundle that carried the list (the list itself may be older).
    assert dt.datetime.fromisoformat(document["status_as_of"]) == dt.datetime.fromisoformat(
        document["bundle_issued_at"])

    # No policy: genuine, exit 0, but the "no" is not under a green headline.
    code, out = mobileid("verify", str(_qr_file(minor, tmp_path / "c.txt", preset="age19")), "--trust", str(trust),
                         "--json")
    document = json.loads(out)
    assert code == 0 and document["valid"] and document["policy"] is None
    assert document["answer"] == {"tone": "caution", "ko": "진위 확인됨 / 단, 19세 이상 아님",
                                  "en": "Genuine, but NOT aged 19 or over"}


@SQLITE
@pytest.mark.usefixtures("_shop")
def test_an_adults_age_check_and_identity_with_the_portrait(service: Service, phone: Path, tmp_path: Path) -> None:
    trust = sync(tmp_path)
    code, out = mobileid("verify", str(_qr_file(phone, tmp_path / "a.txt", preset="age19")), "--trust", str(trust),
                         "--require", "age19")
    assert code == 0 and "19세 이상 확인 / 판매 가능" in out and "Aged 19 or over: may sell" in out, out
    code, out = mobileid("verify", str(_qr_file(phone, tmp_path / "b.txt", preset="age19")), "--trust", str(trust),
                         "--require", "age65", "--json")
    assert code == 1 and json.loads(out)["unmet"][0]["element"] == "age_over_65"  # not shown: no discount

    portrait = tmp_path / "portrait.jpg"
    texts = _qr_file(phone, tmp_path / "id.txt", type_id="mdl", elements=("family_name", "given_name", "portrait"))
    code, out = mobileid("verify", str(texts), "--trust", str(trust), "--require", "identity", "--portrait-out",
                         str(portrait))
    assert code == 0, out
    assert "신원 확인 / 사진과 얼굴을 대조하세요" in out and "portrait shared" in out and "written to" in out
    assert "Family name (family_name)" in out and "<jpeg" not in out
    assert re.search(r"Issuer: \S", out) and "Issuer: ?" not in out
    assert portrait.read_bytes()[:3] == b"\xff\xd8\xff"

    code, out = mobileid("verify", str(_qr_file(phone, tmp_path / "l.txt", preset="age19")), "--trust", str(trust),
                         "--require", "licence", "--json")
    document = json.loads(out)
    assert code == 1 and document["authentic"] and document["answer"]["en"] == "Requirement not met: may not drive"
    assert {u["element"] for u in document["unmet"]} >= {None, "driving_privileges", "portrait"}


def test_a_typo_in_require_is_bad_usage(tmp_path: Path) -> None:
    code, out = mobileid("verify", str(tmp_path / "x.txt"), "--trust", str(tmp_path), "--require", "age91",
                         "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "input.usage"


# -- untrusted text stays text ---------------------------------------------------------------------------
HOSTILE = {
    "given_name": "[/]",
    "family_name": "[bold green]VALID[/]",
    "nickname": "\x1b[2J\x1b[32mVALID\x1b[0m",
    "[/]": "a name that is markup",
    "note": "ok\nVALID  (signed by the police, verified)",
}


def test_outside_text_is_printed_as_text(tmp_path: Path) -> None:
    issuer = SoftwareSigner.generate()
    key = tmp_path / "issuer.jwk.json"
    key.write_text(json.dumps(jwk_from_key(issuer.public_key())))
    presentation = tmp_path / "p.txt"
    now = dt.datetime.now(dt.UTC)
    presentation.write_text(issue_sd_jwt(issuer, {**HOSTILE, "iss": "[red]Police[/] \x1b]0;t\x07",
                                                 "iat": int(now.timestamp())}).serialize())
    code, out = mobileid("verify", "--format", "sd-jwt", "--trust", str(key), str(presentation))
    assert code == 0, out  # no crash on "[/]"
    assert "[/]" in out and "[bold green]VALID[/]" in out and "\x1b" not in out
    assert "\\x1b[2J\\x1b[32mVALID\\x1b[0m" in out and "Issuer: [red]Police[/] \\x1b]0;t\\x07" in out
    lines = out.splitlines()
    assert not any(line.lstrip("│ ").startswith(("VALID", "(signed by")) for line in lines), out
    assert any("ok\\nVALID  (signed by the police, verified)" in line for line in lines), out
    code, out = mobileid("verify", "--format", "sd-jwt", "--trust", str(key), str(presentation), "--require",
                         "given_name=[x]")
    assert code == 1 and "given_name: given_name='[x]' does not hold" in out, out
