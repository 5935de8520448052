"""The wallet PIN: argon2id key derivation, the wrapped master key and the persisted attempt counter.

Key hierarchy (one level of indirection, as LUKS does, so a PIN change is ONE atomic file replace)::

    PIN --argon2id (RFC 9106, params + salt stored in pin.json)--> KEK (32 bytes)
    KEK --AES-256-GCM (NIST SP 800-38D)--> master key (random 32 bytes)      [pin.json]
    master key --AES-256-GCM, aad = alias--> each device private key           [keys/<alias>.json]
    master key --AES-256-GCM--> credential data key --AES-256-GCM--> records   [credentials.json]

Lockout policy: after ``max_attempts`` wrong PINs *in a row* the wrapped master key is destroyed
(crypto-erase; pin.json keeps only the locked marker). We wipe rather than merely refuse because a
refusal counter lives in a file the attacker who holds the phone's storage can reset, while an erased
key cannot be brought back; the wallet's device keys are re-creatable and credentials re-issuable.
An erased wallet holds nothing usable: ``Wallet.init`` then discards it and starts afresh.
The counter is incremented and persisted *before* the PIN is tried, so killing the app during the
derivation does not grant a free guess. Offline guessing of copied files gets no help from the app:
each guess costs one argon2id derivation and the files hold no PIN hash besides the GCM tag.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag

from specs.errors import LockedError, PinError, StoreCorruptedError, WalletError
from wallet._files import atomic_write, b64d, b64e, file_lock, open_sealed, read_json, seal

__all__ = ["DEFAULT_KDF", "KdfParams", "PinState", "PinVault", "WalletKey", "check_pin"]

_MASTER_AAD = b"mobileid.wallet.master.v1"
_SALT_SIZE = 16  # RFC 9106 §3.1: 128-bit salt recommended
_MAX_MEMORY_KIB = 1 << 21  # refuse a tampered file asking for > 2 GiB (denial of service)
_START_AFRESH = "set up the wallet again and receive the credentials again"


@dataclass(frozen=True, slots=True)
class KdfParams:
    """argon2id parameters (RFC 9106 §3.1). Default t=2, m=46 MiB, p=1: the OWASP 2023 profile,
    measured ~95 ms on the development machine (within the 50-150 ms budget for an unlock)."""

    time_cost: int = 2
    memory_kib: int = 46 * 1024
    parallelism: int = 1

    def derive(self, pin: str, salt: bytes) -> bytes:
        """The 32-byte key-encryption key for ``pin``."""
        return hash_secret_raw(
            pin.encode("utf-8"), salt, self.time_cost, self.memory_kib, self.parallelism, 32, Type.ID
        )

    def to_json(self) -> dict[str, object]:
        return {"alg": "argon2id", "t": self.time_cost, "m": self.memory_kib, "p": self.parallelism}

    @classmethod
    def from_json(cls, value: object) -> KdfParams:
        if not isinstance(value, dict) or value.get("alg") != "argon2id":
            raise StoreCorruptedError("pin file: unknown key derivation")
        t, m, p = value.get("t"), value.get("m"), value.get("p")
        for item in (t, m, p):
            if not isinstance(item, int) or isinstance(item, bool) or item < 1:
                raise StoreCorruptedError("pin file: bad argon2id parameter")
        assert isinstance(t, int) and isinstance(m, int) and isinstance(p, int)
        if m > _MAX_MEMORY_KIB or m < 8 * p:
            raise StoreCorruptedError("pin file: argon2id memory out of range")
        return cls(time_cost=t, memory_kib=m, parallelism=p)


DEFAULT_KDF = KdfParams()


@dataclass(frozen=True, slots=True)
class WalletKey:
    """The unlocked master key. Never printed (``repr=False``), never written unwrapped."""

    material: bytes = field(repr=False)

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        return seal(self.material, plaintext, aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        """Decrypt a blob sealed under this key; a failed tag means the file was altered."""
        try:
            return open_sealed(self.material, blob, aad)
        except InvalidTag as exc:
            raise StoreCorruptedError("wallet file failed its integrity check") from exc


@dataclass(frozen=True, slots=True)
class PinState:
    """Contents of ``pin.json``. ``wrapped_master is None`` means erased after too many wrong PINs."""

    kdf: KdfParams
    salt: bytes
    wrapped_master: bytes | None
    failures: int
    max_attempts: int

    def to_json(self) -> dict[str, object]:
        return {
            "v": 1,
            "kdf": self.kdf.to_json(),
            "salt": b64e(self.salt),
            "master": None if self.wrapped_master is None else b64e(self.wrapped_master),
            "failures": self.failures,
            "max_attempts": self.max_attempts,
        }

    @classmethod
    def from_json(cls, doc: dict[str, object]) -> PinState:
        failures, max_attempts, master = doc.get("failures"), doc.get("max_attempts"), doc.get("master")
        if doc.get("v") != 1 or not isinstance(failures, int) or not isinstance(max_attempts, int):
            raise StoreCorruptedError("pin file: bad structure")
        if failures < 0 or max_attempts < 1:
            raise StoreCorruptedError("pin file: bad counter")
        wrapped = None if master is None else b64d(master)
        return cls(KdfParams.from_json(doc.get("kdf")), b64d(doc.get("salt")), wrapped, failures, max_attempts)

    def aad(self) -> bytes:
        # Bind the wrapped key to its derivation parameters: editing them breaks the tag.
        kdf = self.kdf
        return b"%s|%d|%d|%d|" % (_MASTER_AAD, kdf.time_cost, kdf.memory_kib, kdf.parallelism) + self.salt


def check_pin(pin: str) -> None:
    if not isinstance(pin, str) or len(pin) < 4:
        raise WalletError("PIN must be a string of at least 4 characters", code="wallet.pin_invalid")


class PinVault:
    """``pin.json`` in a wallet folder: wraps the master key under the PIN, counts wrong PINs."""

    FILE = "pin.json"

    def __init__(self, folder: Path, *, kdf: KdfParams = DEFAULT_KDF, max_attempts: int = 5) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._path = self.folder / self.FILE
        self._kdf = kdf
        self._max_attempts = max_attempts

    def is_initialized(self) -> bool:
        return self._path.exists()

    def _load(self) -> PinState:
        if not self._path.exists():
            raise WalletError("wallet has no PIN yet", code="wallet.not_initialized")
        return PinState.from_json(read_json(self._path))

    def _wrap(self, pin: str, master: bytes, failures: int) -> PinState:
        salt = secrets.token_bytes(_SALT_SIZE)
        state = PinState(self._kdf, salt, None, failures, self._max_attempts)
        wrapped = seal(self._kdf.derive(pin, salt), master, state.aad())
        return replace(state, wrapped_master=wrapped)

    def initialize(self, pin: str) -> WalletKey:
        """Create the master key and wrap it under ``pin``; refuses to overwrite an existing wallet."""
        check_pin(pin)
        with file_lock(self.folder):
            if self._path.exists():
                raise WalletError("wallet already has a PIN", code="wallet.already_initialized")
            master = secrets.token_bytes(32)
            atomic_write(self._path, self._wrap(pin, master, 0).to_json())
        return WalletKey(master)

    def is_erased(self) -> bool:
        """True once too many wrong PINs destroyed the wrapped master key (nothing sealed can be opened)."""
        return self.is_initialized() and self._load().wrapped_master is None

    def remaining_attempts(self) -> int:
        state = self._load()
        return 0 if state.wrapped_master is None else state.max_attempts - state.failures

    def unlock(self, pin: str) -> WalletKey:
        """Derive the KEK from ``pin`` and unwrap the master key (one counted attempt)."""
        with file_lock(self.folder):
            return self._unlock_locked(pin)

    def _unlock_locked(self, pin: str) -> WalletKey:
        state = self._load()
        if state.wrapped_master is None:
            raise LockedError(f"wallet keys were erased after too many wrong PINs; {_START_AFRESH}")
        # Count first, so an attempt interrupted mid-derivation still counts.
        counted = replace(state, failures=state.failures + 1)
        atomic_write(self._path, counted.to_json())
        try:
            master = open_sealed(state.kdf.derive(str(pin), state.salt), state.wrapped_master, state.aad())
        except InvalidTag:
            if counted.failures >= counted.max_attempts:
                atomic_write(self._path, replace(counted, wrapped_master=None).to_json())
                raise LockedError(f"too many wrong PINs: wallet keys erased; {_START_AFRESH}") from None
            left = counted.max_attempts - counted.failures
            raise PinError(f"wrong PIN ({left} attempt{'' if left == 1 else 's'} left)") from None
        atomic_write(self._path, replace(state, failures=0).to_json())
        return WalletKey(master)

    def erase(self) -> None:
        """Destroy the wrapped master key now (crypto-erase on the holder's request): as after too many wrong
        PINs, nothing sealed under it can be opened again."""
        with file_lock(self.folder):
            state = self._load()
            atomic_write(self._path, replace(state, wrapped_master=None).to_json())

    def change_pin(self, old_pin: str, new_pin: str) -> None:
        """Re-wrap the master key under ``new_pin`` with a fresh salt (one atomic replace)."""
        check_pin(new_pin)
        with file_lock(self.folder):
            key = self._unlock_locked(old_pin)
            atomic_write(self._path, self._wrap(new_pin, key.material, 0).to_json())
