"""Verifier fixtures: the real issuer service, for the end-to-end QR tests."""

from tests.issuer.conftest import service  # noqa: F401
