"""The trust bundle the issuer serves and exports, checked the way an offline verifier checks it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy import func, select
from typer.testing import CliRunner

from issuer.cli import issuer_app
from issuer.db.models import Credential, InPersonCheck
from issuer.keys import KeyPolicy, rotate_document_signer
from issuer.status import change_status
from specs.cbor import decode
from specs.errors import CredentialStatusError
from specs.mdoc.issuer_signed import IssuerSigned
from specs.status import require_valid, verify_status_list_token
from specs.trust import key_id, verify_trust_bundle
from specs.x509 import TrustStore
from tests.wallet.conftest import FAST_KDF, PIN
from verifier.trust import VerifierTrust
from wallet.wallet import Wallet

from .conftest import Service, enroll, person_with_licence


def _bundle(service: Service) -> tuple[bytes, TrustStore]:
    root = service.client.get("/trust/root.pem")
    assert root.status_code == 200 and root.headers["content-type"] == "application/x-pem-file"
    response = service.client.get("/trust/bundle")
    assert response.status_code == 200 and response.headers["content-type"] == "application/cbor"
    assert "max-age" in response.headers["cache-control"]
    return response.content, TrustStore.from_pem(root.content)


def test_bundle_lists_iaca_signers_and_status_lists(service: Service, tmp_path: Path) -> None:
    data, root = _bundle(service)
    before = verify_trust_bundle(data, root, now=service.clock.now)
    assert before.iaca.anchors == root.anchors
    assert len(before.document_signers) == 1
    (waiting,) = before.bundle.status_lists  # made at the first start: the list the next credential goes on
    with service.session() as session:
        rotate_document_signer(session, service.settings.data_dir, now=service.clock.now,
                               policy=KeyPolicy.from_settings(service.settings))
        session.commit()
    service.client.app.state.mobileid.forget_keys()  # type: ignore[attr-defined]
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    (record,) = wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    after = verify_trust_bundle(_bundle(service)[0], root, now=service.clock.now)
    assert len(after.document_signers) == 2  # credentials signed before the rotation keep verifying
    mdl = IssuerSigned.from_cbor_value(decode(record.credential))  # type: ignore[arg-type]
    signer = x509.load_der_x509_certificate(mdl.issuer_auth.x5chain[0])
    assert key_id(signer) in after.document_signers
    reference = mdl.mso.status
    assert reference is not None and after.bundle.status_token(reference.uri) is not None
    assert reference.uri == waiting.uri  # so the bundle exported before the issuance knows it too


def test_bundle_exported_before_issuance_checks_the_first_credential(service: Service, tmp_path: Path) -> None:
    """The order a newcomer follows: the shop takes the bundle, then the first credential is issued and
    shown; the shop's status check answers from the list the bundle already holds (no status.unavailable)."""
    from verifier.qr import Verifier
    from wallet.present import Presenter

    data, root = _bundle(service)
    trust = VerifierTrust.from_bundle(data, root, now=service.clock.now)
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, person_with_licence(service), ["age_attestation"])
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    shown = Presenter(wallet, clock=lambda: service.clock.now).present(PIN, preset="age19")
    result = Verifier(trust, clock=lambda: service.clock.now).verify_qr(list(shown.texts))
    assert result.valid and result.status == "valid", [e.code for e in result.errors]
    with service.session() as session:
        for row in session.scalars(select(Credential)):  # every single-use copy
            change_status(session, row, "suspended", actor="test", reason="test")
        session.commit()
    again = Presenter(wallet, clock=lambda: service.clock.now).present(PIN, preset="age19")
    stale = Verifier(trust, clock=lambda: service.clock.now).verify_qr(list(again.texts))
    assert stale.valid  # the old bundle still says valid: status as of its time
    fresh = VerifierTrust.from_bundle(_bundle(service)[0], root, now=service.clock.now)
    checked = Verifier(fresh, clock=lambda: service.clock.now).verify_qr(list(again.texts))
    assert [e.code for e in checked.errors] == ["status.suspended"]


def test_revocation_reaches_the_offline_verifier(service: Service, tmp_path: Path) -> None:
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    (record,) = wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    reference = IssuerSigned.from_cbor_value(decode(record.credential)).mso.status  # type: ignore[arg-type]
    assert reference is not None

    def status_now() -> int:
        data, root = _bundle(service)
        trust = VerifierTrust.from_bundle(data, root, now=service.clock.now)
        token = trust.status_tokens[reference.uri]
        parsed = verify_status_list_token(token, lambda header: [trust.anchors.anchors[0].public_key()] and [
            _ds(trust, header)], now=service.clock.now, expected_subject=reference.uri)
        return parsed.status_list.get(reference.idx)

    assert status_now() == 0
    with service.session() as session:
        row = session.scalars(select(Credential).order_by(Credential.id.desc())).first()
        assert row is not None
        change_status(session, row, "revoked", actor="test", reason="lost phone")
        session.commit()
    with pytest.raises(CredentialStatusError) as err:
        require_valid(status_now())
    assert err.value.code == "status.revoked"


def _ds(trust: VerifierTrust, header: object) -> object:
    chain = getattr(header, "x5chain", ())
    cert = x509.load_der_x509_certificate(chain[0])
    assert key_id(cert) in trust.document_signers  # the status token signer is a listed document signer
    return cert.public_key()


def test_export_trust_command(service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if service.settings.database_url:
        monkeypatch.setenv("MOBILEID_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("MOBILEID_PUBLIC_URL", service.settings.public_url)
    out = tmp_path / "trust_bundle" / "bundle.cbor"
    result = CliRunner().invoke(issuer_app, ["export-trust", str(out), "--root-out", str(out.parent / "root.pem"),
                                             "--data-dir", str(service.settings.data_dir)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["bytes"] == len(out.read_bytes())
    trust = VerifierTrust.from_path(out.parent)
    assert trust.bundle_issued_at is not None and len(trust.document_signers) == 1


@pytest.mark.parametrize("command", [["export-trust", "bundle.cbor"], ["create-staff", "bob"], ["api-token", "bob"],
                                     ["verify-audit"], ["rotate-keys"]])
def test_management_commands_refuse_a_folder_without_an_issuer(command: list[str], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Before 'serve' ever ran there: a clear message and exit 2, no traceback, no empty database left."""
    monkeypatch.delenv("MOBILEID_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(issuer_app, [*command, "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2, result.output
    assert "does not exist" in result.output and "mobileid issuer serve" in result.output
    assert not (tmp_path / "data" / "issuer.sqlite3").exists() and not (tmp_path / "bundle.cbor").exists()


def test_enroll_and_create_staff_refuse_bad_input_without_a_trace(service: Service, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A configuration the issuer does not describe, an unknown document kind, a taken username: a usage
    error naming the problem (exit 2), and nothing half-written."""
    if service.settings.database_url:
        monkeypatch.setenv("MOBILEID_DATABASE_URL", service.settings.database_url)
    data = ["--data-dir", str(service.settings.data_dir)]
    person = str(person_with_licence(service))
    with service.session() as session:
        checks_before = session.scalar(select(func.count()).select_from(InPersonCheck))
    cases = {"passport": (["enroll", "--clerk", "clerk1", "--applicant", person, "--doc", "passport"],
                          "unknown: passport"),
             "twice": (["enroll", "--clerk", "clerk1", "--applicant", person, "--doc", "mdl", "--doc", "mdl"],
                       "distinct known credential configurations"),
             "kind": (["enroll", "--clerk", "clerk1", "--applicant", person, "--doc", "mdl", "--document-kind",
                       "library_card"], "unknown identity document kind"),
             "staff": (["create-staff", "clerk1"], "already called clerk1"),
             "office": (["create-staff", "zed", "--office", "SEOUL"], "the offices are BUSAN-01, SEOUL-01")}
    for name, (command, words) in cases.items():
        result = CliRunner().invoke(issuer_app, [*command, *data])
        said = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())  # the error box wraps its text
        assert result.exit_code == 2 and words in said, (name, said)
    with service.session() as session:
        assert session.scalar(select(func.count()).select_from(InPersonCheck)) == checks_before
