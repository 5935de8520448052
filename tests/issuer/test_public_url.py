"""One public URL: certificates (URI SAN and issuer alternative name), SD-JWT VC ``iss``, the JWT VC issuer
metadata, offers made by every management command and the running service all name it; ``serve`` refuses a
busy port before it seeds anything or prints a password."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy import select
from typer.testing import CliRunner

from issuer.cli import issuer_app
from issuer.db.models import Business
from issuer.keys import load_keys
from issuer.settings import Settings
from issuer.web.app import bootstrap
from specs.jose.jws import b64url_decode, parse_json
from specs.sdjwt import SdJwt
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.oid4vci import CredentialOffer
from wallet.wallet import Wallet

from .conftest import ISSUER_URL, Service, iaca_pem


def _uris(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> list[str]:
    names = cert.extensions.get_extension_for_class(kind).value
    return list(names.get_values_for_type(x509.UniformResourceIdentifier))  # type: ignore[attr-defined]


def test_certificates_and_sd_jwt_vc_name_the_public_url(service: Service, tmp_path: Path) -> None:
    from .conftest import enroll

    with service.session() as session:
        keys = load_keys(session, service.settings.data_dir)
        owner = session.scalars(select(Business.representative_id).order_by(Business.id)).first()
    assert _uris(keys.ds, x509.SubjectAlternativeName) == [ISSUER_URL]
    assert _uris(keys.ds, x509.IssuerAlternativeName) == [ISSUER_URL]
    assert _uris(keys.iaca, x509.IssuerAlternativeName) == [ISSUER_URL]
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=iaca_pem(service))
    assert owner is not None
    uri, tx_code = enroll(service, owner, ["business_registration"])
    [record] = wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    payload = parse_json(b64url_decode(SdJwt.parse(str(record.credential)).issuer_jwt.split(".")[1], "p"), "p")
    assert payload["iss"] == ISSUER_URL  # type: ignore[index]


def test_jwt_vc_issuer_metadata(service: Service) -> None:
    body = service.client.get("/.well-known/jwt-vc-issuer").json()
    assert body["issuer"] == ISSUER_URL
    with service.session() as session:
        ds = load_keys(session, service.settings.data_dir).ds
    [key] = body["jwks"]["keys"]
    assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256" and "d" not in key
    import base64

    assert x509.load_der_x509_certificate(base64.b64decode(key["x5c"][0])) == ds


def test_a_changed_public_url_rotates_the_document_signer(service: Service) -> None:
    moved = service.settings.model_copy(update={"public_url": "https://id.example.kr"})
    bootstrap(moved)
    with service.session() as session:
        keys = load_keys(session, service.settings.data_dir)
    assert _uris(keys.ds, x509.SubjectAlternativeName) == ["https://id.example.kr"]
    assert [_uris(c, x509.SubjectAlternativeName) for c in keys.previous_ds] == [[ISSUER_URL]]


def test_every_command_uses_the_services_public_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MOBILEID_PUBLIC_URL", "MOBILEID_PORT", "MOBILEID_HOST", "MOBILEID_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    assert Settings.for_service(data, port=8105).public_url == "http://127.0.0.1:8105"
    served = Settings.for_service(data, port=8105)
    served.seed_people = 20
    served.record_public_url()  # what serve --port 8105 does
    bootstrap(served)
    assert Settings.for_service(data).public_url == "http://127.0.0.1:8105"
    result = CliRunner().invoke(issuer_app, ["enroll", "--clerk", "clerk1", "--applicant", "1", "--doc",
                                             "age_attestation", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    offer = json.loads(result.output)
    assert CredentialOffer.parse(offer["offer_uri"]).issuer == "http://127.0.0.1:8105"
    assert offer["credential_offer_uri"].startswith("openid-credential-offer://?credential_offer_uri=http%3A%2F%2F"
                                                    "127.0.0.1%3A8105%2Fcredential-offer%2F")
    monkeypatch.setenv("MOBILEID_PUBLIC_URL", "https://id.example.kr/")
    assert Settings.for_service(data).public_url == "https://id.example.kr"


def test_serve_refuses_a_busy_port_before_seeding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MOBILEID_PUBLIC_URL", "MOBILEID_PORT", "MOBILEID_HOST", "MOBILEID_DATA_DIR",
                 "MOBILEID_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(issuer_app, ["serve", "--port", str(port), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "Password" not in result.output
    assert not (tmp_path / "d").exists()  # nothing seeded, no database, no clerk
