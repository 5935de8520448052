"""The wallet's OpenID4VCI client as real wallets must be: offers by reference, https only (loopback http),
the issuer named in the metadata equal to the offer's, redirects kept within the origin, answers capped in
size, malformed token and nonce answers reported clearly, and interrupted receives resumed in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from issuer.db.models import AuditEntry, GrantItem, IssuanceBatch
from tests.conftest import Pki
from tests.issuer.conftest import ISSUER_URL, Service, enroll, iaca_pem, person_with_licence, refusals
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.oid4vci import CAPS, CredentialOffer, IssuanceError, check_issuer_url
from wallet.wallet import Wallet


def _wallet(tmp_path: Path, trust: bytes) -> Wallet:
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=trust)
    return wallet


class Tamper:
    """The test issuer's client with one answer replaced: ``rewrite(method, url, response) -> response``."""

    def __init__(self, client: Any, rewrite: Any) -> None:
        self.client, self.rewrite = client, rewrite

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.rewrite("GET", url, self.client.get(url, **kwargs))

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.rewrite("POST", url, self.client.post(url, **kwargs))


def _replace(path: str, response: httpx.Response, method: str = "POST") -> Any:
    def rewrite(verb: str, url: str, original: Any) -> Any:
        return response if verb == method and url.endswith(path) else original
    return rewrite


def test_offer_by_reference_is_followed_and_served_once(service: Service, tmp_path: Path) -> None:
    wallet = _wallet(tmp_path, iaca_pem(service))
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"], by_reference=True,
                          copies={"age_attestation": 2})
    assert "credential_offer_uri=" in uri and "pre-authorized" not in uri and len(uri) < 200
    reference = CredentialOffer.reference(uri)
    assert reference is not None and reference.startswith(f"{ISSUER_URL}/credential-offer/")
    assert CredentialOffer.resolve(uri, service.client).configurations == ("mdl", "age_attestation")
    records = wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    assert len(records) == 3
    assert service.client.get(reference).status_code == 404  # redeemed: no longer served
    assert service.client.get(f"{ISSUER_URL}/credential-offer/made-up").status_code == 404


@pytest.mark.parametrize("url", ["http://issuer.example", "http://10.0.0.1:8000", "ftp://127.0.0.1", "https://"])
def test_plain_http_is_refused_except_loopback(url: str) -> None:
    with pytest.raises(IssuanceError) as err:
        check_issuer_url(url)
    assert err.value.code == "credential.issuance_insecure"


def test_loopback_http_and_https_are_accepted() -> None:
    for url in ("http://127.0.0.1:8000", "http://localhost", "http://[::1]:9", "https://issuer.example"):
        assert check_issuer_url(url) == url


def _refused(wallet: Wallet, service: Service, http: Any, code: str, uri: str | None = None) -> IssuanceError:
    if uri is None:
        uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    else:
        tx_code = "123456"
    with pytest.raises(IssuanceError) as err:
        wallet.receive(uri, tx_code, PIN, http=http, now=service.clock.now)
    assert err.value.code == code, err.value
    return err.value


def test_metadata_naming_another_issuer_is_refused(service: Service, tmp_path: Path) -> None:
    wallet = _wallet(tmp_path, iaca_pem(service))
    forged = service.client.get("/.well-known/openid-credential-issuer").json() | {
        "credential_issuer": "https://elsewhere.example"}
    http = Tamper(service.client, _replace("/.well-known/openid-credential-issuer", httpx.Response(200, json=forged),
                                           "GET"))
    _refused(wallet, service, http, "credential.issuance_issuer_mismatch")


def test_redirects_to_another_host_are_not_followed(service: Service, tmp_path: Path) -> None:
    wallet = _wallet(tmp_path, iaca_pem(service))
    away = httpx.Response(302, headers={"location": "https://evil.example/.well-known/openid-credential-issuer"})
    http = Tamper(service.client, _replace("/.well-known/openid-credential-issuer", away, "GET"))
    _refused(wallet, service, http, "credential.issuance_redirect")
    token = httpx.Response(307, headers={"location": f"{ISSUER_URL}/token"})  # a POST is never redirected
    _refused(wallet, service, Tamper(service.client, _replace("/token", token)), "credential.issuance_redirect")


def test_oversized_answers_are_refused(service: Service, tmp_path: Path) -> None:
    wallet = _wallet(tmp_path, iaca_pem(service))
    huge = httpx.Response(200, content=b"{" + b" " * CAPS["metadata"] + b"}")
    http = Tamper(service.client, _replace("/.well-known/openid-credential-issuer", huge, "GET"))
    _refused(wallet, service, http, "credential.issuance_size")


def test_oversized_answers_are_cut_off_while_streaming(service: Service, live_issuer: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A real client (httpx, with ``stream``) is read in chunks and stops at the cap."""
    from wallet.oid4vci import exchange

    monkeypatch.setitem(CAPS, "metadata", 100)
    with httpx.Client() as client, pytest.raises(IssuanceError) as err:
        exchange(client, "GET", f"{live_issuer}/.well-known/openid-credential-issuer", "metadata")
    assert err.value.code == "credential.issuance_size"
    with httpx.Client() as client:
        assert exchange(client, "GET", f"{live_issuer}/healthz", "metadata") == (200, b'{"status":"ok"}')


@pytest.mark.parametrize(("path", "answer"), [
    ("/token", {"token_type": "Bearer", "expires_in": 600}),
    ("/token", {"access_token": "x", "token_type": "DPoP", "expires_in": 600}),
    ("/token", {"access_token": "x", "token_type": "Bearer", "expires_in": "soon"}),
    ("/token", ["not", "an", "object"]),
    ("/nonce", {"nonce": "misnamed"}),
    ("/nonce", {"c_nonce": 7}),
])
def test_malformed_token_and_nonce_answers_are_clear_errors(service: Service, tmp_path: Path, path: str,
                                                            answer: Any) -> None:
    wallet = _wallet(tmp_path, iaca_pem(service))
    error = _refused(wallet, service, Tamper(service.client, _replace(path, httpx.Response(200, json=answer))),
                     "credential.issuance_malformed")
    assert path.strip("/") in error.message


def test_failure_is_notified_and_abandons_the_redemption(service: Service, tmp_path: Path, pki: Pki) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    wallet = _wallet(tmp_path, pki.iaca.public_bytes(Encoding.PEM))  # trusts another authority
    _refused(wallet, service, service.client, "credential.issuance_unverified")
    with service.session() as session:
        assert session.scalars(select(IssuanceBatch.event)).all() == ["credential_failure"]
    assert wallet.credentials(PIN) == () and wallet.device_keys(PIN, wallet.unlock(PIN)).aliases() == ()
    assert not (wallet.folder / "redemptions").exists()


class Flaky:
    """The issuer's client, but the network drops once on the n-th credential request."""

    def __init__(self, client: Any, fail_on: int) -> None:
        self.client, self.fail_on, self.calls = client, fail_on, 0

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        if url.endswith("/credential"):
            self.calls += 1
            if self.calls == self.fail_on:
                raise httpx.ConnectError("network down")
        return self.client.post(url, **kwargs)


def test_a_dropped_network_resumes_and_the_token_expiry_ends_it(service: Service, tmp_path: Path) -> None:
    wallet = _wallet(tmp_path, iaca_pem(service))
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"],
                          copies={"age_attestation": 2})
    with pytest.raises(httpx.ConnectError):
        wallet.receive(uri, tx_code, PIN, http=Flaky(service.client, 2), now=service.clock.now)
    assert wallet.resumable(uri) and len(wallet.credentials(PIN)) == 1  # the licence is kept
    records = wallet.receive(uri, None, PIN, http=service.client, now=service.clock.now)  # no code needed now
    assert sorted(r.type_id for r in records) == ["kr.mobileid.age.1"] * 2 + ["org.iso.18013.5.1.mDL"]
    assert not wallet.resumable(uri)

    uri, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"])
    with pytest.raises(httpx.ConnectError):
        wallet.receive(uri, tx_code, PIN, http=Flaky(service.client, 2), now=service.clock.now)
    service.clock.advance(minutes=11)  # the access token runs out before the holder tries again
    with pytest.raises(IssuanceError) as err:
        wallet.receive(uri, None, PIN, http=service.client, now=service.clock.now)
    assert err.value.code == "credential.issuance_expired" and "1 of 6" in err.value.message
    assert not wallet.resumable(uri)
    with service.session() as session:
        grants = sorted((i.configuration, i.issued, i.copies) for i in session.scalars(select(GrantItem)))
        denied = session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "credential.reject")).all()
    assert ("age_attestation", 0, 5) in grants and denied == []  # the expired token's refusal is only counted
    assert refusals(service, "credential.reject:invalid_token") == 1
