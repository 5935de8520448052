"""``mobileid verifier request`` / ``sync`` and ``mobileid verify`` on QR images: the two-way flow through
real PNGs (verifier request -> wallet answer -> verify --request), replays and relays refused, and a
trust bundle synced from the real issuer, refused when it does not verify under the pinned root."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner as ClickRunner
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

import verifier.cli as verifier_cli
from mobileid.cli import cli
from tests.conftest import Pki
from tests.issuer.conftest import ISSUER_URL, Service
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.cli import wallet_app
from wallet.present import Presenter
from wallet.wallet import Wallet

ELEMENTS = "family_name,given_name,portrait"


@pytest.fixture(autouse=True)
def _inject(service: Service, monkeypatch: pytest.MonkeyPatch, wallet_cli_env: None) -> None:
    monkeypatch.setattr(verifier_cli, "http_factory", lambda: contextlib.nullcontext(service.client))




def mobileid(*args: str) -> tuple[int, str]:
    result = ClickRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def wallet_run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(wallet_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def sync(tmp_path: Path) -> Path:
    folder = tmp_path / "trust"
    code, out = mobileid("verifier", "sync", ISSUER_URL, "--out", str(folder))
    assert code == 0, out
    return folder


def request(tmp_path: Path, name: str, elements: str = ELEMENTS) -> tuple[Path, Path]:
    png, state = tmp_path / f"{name}.png", tmp_path / f"{name}.cbor"
    code, out = mobileid("verifier", "request", "--elements", elements, "--name", "Shop", "--out", str(png),
                         "--state", str(state))
    assert code == 0, out
    assert "Shop asks for" in out and png.read_bytes().startswith(b"\x89PNG") and state.is_file()
    return png, state


def answer(phone: Path, request_png: Path, out: Path) -> list[str]:
    code, stdout, err = wallet_run("answer", str(request_png), "--yes", "--out", str(out), "--data-dir", str(phone),
                                   "--pin", PIN, "--json")
    assert code == 0, err
    assert "Shop asks for" in err and "(portrait)" in err
    report = json.loads(stdout)
    assert report["verifier"] == "Shop" and set(report["elements"]) == set(ELEMENTS.split(","))
    files: list[str] = report["files"]
    assert len(files) == report["frames"] and all(Path(f).is_file() for f in files)
    return files


def test_two_way_through_png_files(service: Service, phone: Path, tmp_path: Path) -> None:
    trust = sync(tmp_path)
    request_png, state = request(tmp_path, "request")
    files = answer(phone, request_png, tmp_path / "answer.png")

    code, out = mobileid("verify", *files, "--trust", str(trust), "--request", str(state), "--json")
    document = json.loads(out)
    assert code == 0, document["errors"]
    claims = document["claims"]["org.iso.18013.5.1"]
    assert set(claims) == {"family_name", "given_name", "portrait"} and document["holder_bound"]

    code, out = mobileid("verify", *files, "--trust", str(trust), "--request", str(state), "--json")
    assert code == 1 and json.loads(out)["errors"][0]["code"] == "qr.replay"

    _, other = request(tmp_path, "other", "family_name")  # the answer relayed to another request
    code, out = mobileid("verify", *files, "--trust", str(trust), "--request", str(other), "--json")
    assert code == 1 and json.loads(out)["errors"][0]["code"] == "mdoc.device_signature_invalid"

    code, out = mobileid("verify", *files, "--trust", str(trust), "--json")  # two-way without its request
    assert code == 1 and json.loads(out)["errors"][0]["code"] == "qr.no_request"

    code, out, err = wallet_run("history", "--json", "--data-dir", str(phone), "--pin", PIN)
    assert code == 0 and json.loads(out)["history"][0]["verifier"] == "Shop", err


def test_answer_needs_consent_and_a_request(phone: Path, tmp_path: Path) -> None:
    request_png, _ = request(tmp_path, "request")
    out = tmp_path / "answer.png"
    code, stdout, err = wallet_run("answer", str(request_png), "--out", str(out), "--data-dir", str(phone),
                                   "--pin", PIN)
    assert code == 2 and "--yes" in err and "Shop asks for" in stdout
    assert not out.exists() and not list(tmp_path.glob("answer-*.png"))
    not_a_request = tmp_path / "text.txt"
    not_a_request.write_text("hello\n")
    code, _, err = wallet_run("answer", str(not_a_request), "--yes", "--out", str(out), "--data-dir", str(phone),
                              "--pin", PIN)
    assert code == 1 and "qr.not_found" in err


def test_one_way_text_file_and_bad_inputs(service: Service, phone: Path, tmp_path: Path) -> None:
    trust = sync(tmp_path)
    shown = Presenter(Wallet(phone, kdf=FAST_KDF)).present(PIN, preset="age19")
    text = tmp_path / "age.txt"
    text.write_text("\n".join(shown.texts) + "\n")
    code, out = mobileid("verify", str(text), "--trust", str(trust))
    assert code == 0 and "Genuine" in out and "age_over_19" in out, out

    blank = tmp_path / "blank.png"
    import segno

    segno.make_qr("not a mobileid code", error="m").save(str(blank), scale=6)
    code, out = mobileid("verify", str(blank), "--trust", str(trust), "--json")
    assert code == 1 and json.loads(out)["errors"][0]["code"] == "qr.frame_prefix"
    code, out = mobileid("verify", str(text), "--trust", str(trust), "--request", str(text), "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "input.unreadable"


def test_sync_refuses_a_bundle_under_another_root(service: Service, phone: Path, pki: Pki,
                                                 tmp_path: Path) -> None:
    folder = tmp_path / "trust"
    folder.mkdir()
    foreign = pki.iaca.public_bytes(serialization.Encoding.PEM)
    (folder / "root.pem").write_bytes(foreign)  # pinned earlier: another issuer's root
    code, out = mobileid("verifier", "sync", ISSUER_URL, "--out", str(folder), "--json")
    assert code == 1 and json.loads(out.splitlines()[0])["error"]["code"] == "trust.bundle_signature"
    assert not (folder / "bundle.cbor").exists() and (folder / "root.pem").read_bytes() == foreign

    code, out = mobileid("verifier", "sync", ISSUER_URL, "--out", str(folder), "--pin-new-root", "--json")
    assert code == 0, out
    assert json.loads(out)["root"] == "replaced"
    assert (folder / "root.pem").read_bytes() == service.client.get("/trust/root.pem").content

    code, out = mobileid("verifier", "sync", ISSUER_URL, "--out", str(folder))  # re-sync under the pinned root
    assert code == 0 and "root kept" in out, out
    shown = Presenter(Wallet(phone, kdf=FAST_KDF)).present(PIN, preset="age19")
    text = tmp_path / "age.txt"
    text.write_text(shown.texts[0])
    code, out = mobileid("verify", str(text), "--trust", str(folder), "--json")
    assert code == 0, out

    (folder / "root.pem").write_bytes(foreign)  # a bundle checked against the wrong root: invalid, not a crash
    code, out = mobileid("verify", str(text), "--trust", str(folder), "--json")
    assert code == 1 and json.loads(out)["errors"][0]["code"] == "trust.bundle_signature"


def test_signed_request_is_authenticated_by_the_wallet(service: Service, phone: Path, tmp_path: Path,
                                                       pki: Pki) -> None:
    from cryptography.hazmat.primitives import serialization

    pki_dir = tmp_path / "reader"
    code, out = mobileid("verifier", "reader-cert", "--out", str(pki_dir), "--name", "Corner shop")
    assert code == 0, out
    key, cert, roots = pki_dir / "reader_key.pem", pki_dir / "reader.pem", pki_dir / "reader_root.pem"
    assert key.stat().st_mode & 0o077 == 0  # the private key is the owner's only
    code, out = mobileid("verifier", "reader-cert", "--out", str(pki_dir), "--name", "Corner shop")
    assert code == 2 and "already holds" in out  # a key is never replaced silently
    png = tmp_path / "signed.png"
    code, out = mobileid("verifier", "request", "--elements", "family_name", "--name", "Shop", "--out", str(png),
                         "--reader-key", str(key), "--reader-cert", str(cert))
    assert code == 0, out
    args = ("answer", str(png), "--yes", "--out", str(tmp_path / "a.png"), "--data-dir", str(phone), "--pin", PIN)
    code, out, _ = wallet_run(*args)
    assert code == 0 and "pass --reader-roots" in out
    code, out, _ = wallet_run(*args, "--reader-roots", str(roots))
    assert code == 0 and "Shop asks for (signed by Corner shop, verified):" in out
    wrong = tmp_path / "wrong.pem"
    wrong.write_bytes(pki.iaca.public_bytes(serialization.Encoding.PEM))
    code, _, err = wallet_run(*args, "--reader-roots", str(wrong))
    assert code == 1 and "qr.reader_auth_invalid" in err


def test_a_suspension_reaches_verify_through_a_change_log(service: Service, phone: Path, tmp_path: Path) -> None:
    """The issuer suspends, ``mobileid verifier sync`` fetches one change log, ``mobileid verify`` refuses."""
    from sqlalchemy import select

    from issuer.db.models import StatusListRow

    trust = sync(tmp_path)
    shown = Presenter(Wallet(phone, kdf=FAST_KDF)).present(PIN, preset="age19")
    text = tmp_path / "age.txt"
    text.write_text("\n".join(shown.texts) + "\n")
    code, out = mobileid("verify", str(text), "--trust", str(trust), "--json")
    assert code == 0 and json.loads(out)["status"] == "valid", out
    with service.session() as session:  # every entry of every list suspended (two bits) or revoked (one bit)
        rows = list(session.scalars(select(StatusListRow)))
        for row in rows:
            row.data = bytes([0xAA if row.bits == 2 else 0xFF]) * len(row.data)
        session.commit()
        expected = "status.suspended" if all(row.bits == 2 for row in rows) else "status.revoked"
    code, out = mobileid("verifier", "sync", ISSUER_URL, "--out", str(trust), "--json")
    assert code == 0 and json.loads(out)["by"] == "change log", out
    code, out = mobileid("verify", str(text), "--trust", str(trust), "--json")
    assert code == 1 and json.loads(out)["errors"][0]["code"] == expected, out
