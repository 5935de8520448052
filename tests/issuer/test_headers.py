"""Security headers on every response (issuer.web.headers): CSP without 'unsafe-inline', no framing, no
sniffing, no Referer, HSTS over https only."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from issuer.settings import Settings
from issuer.web.app import bootstrap, create_app

from .conftest import Service

PATHS = ("/console/login", "/console", "/healthz", "/.well-known/openid-credential-issuer", "/nonce",
         "/console/static/console.css", "/openapi.json", "/no-such-page")


def _get(client: TestClient, path: str) -> object:
    return client.post(path) if path == "/nonce" else client.get(path, follow_redirects=False)


def test_every_response_carries_the_security_headers(service: Service) -> None:
    for path in PATHS:
        answer = _get(service.client, path)
        headers = answer.headers  # type: ignore[attr-defined]
        csp = headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert "strict-transport-security" not in headers, path  # plain http: no HSTS


def test_no_page_needs_inline_script_or_style(service: Service) -> None:
    service.login()
    for path in ("/console/login", "/console", "/console/audit"):
        text = service.client.get(path).text
        assert "<script>" not in text and "<style" not in text and " style=" not in text, path
    assert service.client.get("/docs").status_code == 404  # Swagger UI would need inline script and a CDN


def test_hsts_when_the_public_url_or_the_request_is_https(service: Service, tmp_path: Path) -> None:
    over_https = TestClient(service.client.app, base_url="https://localhost")
    assert over_https.get("/healthz").headers["strict-transport-security"].startswith("max-age=31536000")
    settings = Settings(data_dir=tmp_path / "tls", public_url="https://issuer.example", seed_people=0,
                        status_list_size=4096)
    bootstrap(settings)
    with TestClient(create_app(settings), base_url="http://localhost") as client:  # TLS ends at a proxy
        assert "max-age=" in client.get("/healthz").headers["strict-transport-security"]
