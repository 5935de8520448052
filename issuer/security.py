"""Passwords (argon2id), random secrets, and hashes for codes and tokens stored at rest."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Short secrets (6-digit tx_codes) get a cheaper argon2id: they are also capped at 5 attempts.
_CODE_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_short_code(code: str) -> str:
    return _CODE_HASHER.hash(code)


def check_short_code(stored: str, code: str) -> bool:
    try:
        return _CODE_HASHER.verify(stored, code)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    """Long random tokens (pre-authorized codes, access and API tokens) are stored as SHA-256 only."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_tx_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
