"""Passwords (argon2id), random secrets, and hashes for codes and tokens stored at rest.

Why tx_codes are not argon2id: a 6-digit code has 10^6 values, so whoever holds a stored hash enumerates them
all whatever the hash costs (a slow hash only made every token request ~26 ms of CPU). The online defence is
the attempt limit (5 wrong codes burn the offer); the offline defence is a secret key: tx_codes are stored as
HMAC-SHA-256 under a server-side pepper kept in the data folder next to the master key, never in the database.
Staff passwords, chosen by people, stay on argon2id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_CODE_PREFIX = "hmac-sha256$"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_short_code(code: str, pepper: bytes) -> str:
    """HMAC-SHA-256 of a short code (tx_code) under the server's pepper; see the module docstring for why."""
    if not pepper:
        raise ValueError("a pepper is required")
    return _CODE_PREFIX + hmac.new(pepper, code.encode("utf-8"), hashlib.sha256).hexdigest()


def check_short_code(stored: str, code: str, pepper: bytes) -> bool:
    """Constant-time check; a hash in any other format (e.g. an old argon2id one) is a mismatch."""
    if not stored.startswith(_CODE_PREFIX):
        return False
    return hmac.compare_digest(stored.encode("ascii", "replace"), hash_short_code(code, pepper).encode("ascii"))


def token_hash(token: str) -> str:
    """Long random tokens (pre-authorized codes, access and API tokens) are stored as SHA-256 only."""
    # UTF-8, not ASCII: a token arrives from the outside world and must hash, not crash, whatever it holds.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_tx_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
