"""Verifier fixtures: the real issuer service, and a wallet holding its cards, for the end-to-end QR tests."""

from tests.issuer.conftest import service  # noqa: F401
from tests.wallet.conftest import phone, wallet_cli_env  # noqa: F401
