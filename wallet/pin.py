"""The wallet PIN: argon2id key derivation, the wrapped master key and the persisted attempt counter.

Key hierarchy (one level of indirection, as LUKS does, so a PIN change is ONE atomic file replace)::

    PIN --argon2id (RFC 9106, params + salt stored in pin.json)--> K
    K --HMAC-SHA-256 under a device key that never leaves the phone (optional, DeviceBinding)--> KEK
    KEK --AES-256-GCM (NIST SP 800-38D)--> master key (random 32 bytes)      [pin.json]
    master key --AES-256-GCM--> device keys, credential records, share history (wallet.keystore, wallet.store)

Offline guessing. Copied files give a guesser one argon2id derivation per guess and no cheaper check (the
files hold no PIN hash besides the GCM tag). ``DEFAULT_KDF`` costs about 300 ms of one core here (measured
by ``benchmarks/kdf.py``), so the 10^6 six-digit PINs take about 3.5 core-days, less on faster hardware:
that is why trivial PINs are refused (``wallet.passcode``) and a passphrase is offered. On a phone with a
``DeviceBinding`` (the Android Keystore, ``app.android_keystore``) every guess also needs that phone's
non-exportable key, so a copied folder cannot be attacked elsewhere at all.

Lockout policy: after ``max_attempts`` wrong PINs *in a row* the wrapped master key is destroyed
(crypto-erase; pin.json keeps only the locked marker). We wipe rather than merely refuse because a
refusal counter lives in a file the attacker who holds the phone's storage can reset, while an erased
key cannot be brought back; the wallet's device keys are re-creatable and credentials re-issuable.
An erased wallet holds nothing usable: ``Wallet.init`` then discards it and starts afresh.
The counter is incremented and persisted *before* the PIN is tried, so killing the app during the
derivation does not grant a free guess.

Damage is not a wrong PIN. pin.json carries a SHA-256 of its own contents (keyless: it detects accidents,
not attackers, and tells a guesser nothing): a file that fails it, or is bound to another device, is
refused before any attempt is counted, so a damaged wallet never erases itself under the right PIN.

Parameters travel with the file: a wallet made with older, cheaper parameters (or before device binding)
opens with what its file says, and on the first successful unlock it is re-wrapped with the vault's
current parameters (and bound, when a binding is available): one more derivation, once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol, runtime_checkable

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag

from specs.errors import LockedError, PinError, StoreCorruptedError, WalletError
from wallet._files import atomic_write, b64d, b64e, file_lock, open_sealed, read_json, seal
from wallet.passcode import check_new_secret

__all__ = ["DEFAULT_KDF", "DeviceBinding", "KdfParams", "PinState", "PinVault", "WalletKey", "check_pin"]

_MASTER_AAD = b"mobileid.wallet.master.v1"
_SALT_SIZE = 16  # RFC 9106 §3.1: 128-bit salt recommended
# A tampered file must not turn an unlock into minutes of work or gigabytes of memory (denial of service).
_MAX_MEMORY_KIB, _MAX_TIME_COST, _MAX_PARALLELISM = 1 << 20, 32, 16
_START_AFRESH = "set up the wallet again and receive the credentials again"


@dataclass(frozen=True, slots=True)
class KdfParams:
    """argon2id parameters (RFC 9106 §3.1). The default, t=3, m=96 MiB, p=1, costs about 300 ms of one core
    on the development machine (``benchmarks/kdf.py``; the earlier t=2, m=46 MiB cost about 90 ms).

    Tests pass a cheaper ``KdfParams`` explicitly (``kdf=`` of ``PinVault``, ``Wallet``, the app, the CLI's
    module-level ``kdf``); nothing lowers the default behind the caller's back."""

    time_cost: int = 3
    memory_kib: int = 96 * 1024
    parallelism: int = 1

    def derive(self, pin: str, salt: bytes) -> bytes:
        """The 32-byte key derived from ``pin`` (before any device binding)."""
        return hash_secret_raw(
            pin.encode("utf-8"), salt, self.time_cost, self.memory_kib, self.parallelism, 32, Type.ID
        )

    def weaker_than(self, other: KdfParams) -> bool:
        """True when ``other`` costs more in time or memory and less in neither (an upgrade)."""
        mine, theirs = (self.time_cost, self.memory_kib), (other.time_cost, other.memory_kib)
        return mine != theirs and all(a <= b for a, b in zip(mine, theirs, strict=True))

    def to_json(self) -> dict[str, object]:
        return {"alg": "argon2id", "t": self.time_cost, "m": self.memory_kib, "p": self.parallelism}

    @classmethod
    def from_json(cls, value: object) -> KdfParams:
        if not isinstance(value, dict) or value.get("alg") != "argon2id":
            raise StoreCorruptedError("pin file: unknown key derivation")
        t, m, p = value.get("t"), value.get("m"), value.get("p")
        for item in (t, m, p):
            if type(item) is not int or item < 1:
                raise StoreCorruptedError("pin file: bad argon2id parameter")
        assert isinstance(t, int) and isinstance(m, int) and isinstance(p, int)
        if m > _MAX_MEMORY_KIB or m < 8 * p or t > _MAX_TIME_COST or p > _MAX_PARALLELISM:
            raise StoreCorruptedError("pin file: argon2id parameters out of range")
        return cls(time_cost=t, memory_kib=m, parallelism=p)


DEFAULT_KDF = KdfParams()


@runtime_checkable
class DeviceBinding(Protocol):
    """A secret key held by the device and never exported (the Android Keystore): the PIN's key is passed
    through it, so the vault opens only on this device. ``key_id`` names the device key without revealing
    it (and without depending on the PIN); it raises ``WalletError`` ``wallet.device_bound`` when the key is
    not here, unless ``create`` asks to make it."""

    kind: str

    def key_id(self, *, create: bool = False) -> bytes: ...

    def bind(self, secret: bytes) -> bytes: ...


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


def _canonical(doc: dict[str, object]) -> bytes:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode("utf-8")


@dataclass(frozen=True, slots=True)
class PinState:
    """Contents of ``pin.json``. ``wrapped_master is None`` means erased after too many wrong PINs;
    ``binding`` is (kind, key id) of the device key the PIN's key passes through, if any."""

    kdf: KdfParams
    salt: bytes
    wrapped_master: bytes | None
    failures: int
    max_attempts: int
    binding: tuple[str, bytes] | None = None

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "v": 1,
            "kdf": self.kdf.to_json(),
            "salt": b64e(self.salt),
            "master": None if self.wrapped_master is None else b64e(self.wrapped_master),
            "failures": self.failures,
            "max_attempts": self.max_attempts,
        }
        if self.binding is not None:
            doc["binding"] = {"kind": self.binding[0], "key_id": b64e(self.binding[1])}
        return {**doc, "integrity": hashlib.sha256(_canonical(doc)).hexdigest()}

    @classmethod
    def from_json(cls, doc: dict[str, object]) -> PinState:
        integrity = doc.get("integrity")
        # Files written before the checksum existed have none; every write adds it.
        if integrity is not None and integrity != hashlib.sha256(
                _canonical({k: v for k, v in doc.items() if k != "integrity"})).hexdigest():
            raise StoreCorruptedError("the wallet's PIN file is damaged (its contents do not match their checksum); "
                                      "the PIN was not tried")
        failures, max_attempts, master = doc.get("failures"), doc.get("max_attempts"), doc.get("master")
        if doc.get("v") != 1 or type(failures) is not int or type(max_attempts) is not int:
            raise StoreCorruptedError("pin file: bad structure")
        if failures < 0 or max_attempts < 1:
            raise StoreCorruptedError("pin file: bad counter")
        wrapped, salt = None if master is None else b64d(master), b64d(doc.get("salt"))
        if not 8 <= len(salt) <= 64:  # RFC 9106 §3.1: argon2 takes 8 bytes and up; ours are 16
            raise StoreCorruptedError("pin file: bad salt")
        return cls(KdfParams.from_json(doc.get("kdf")), salt, wrapped, failures, max_attempts,
                   _binding_from_json(doc.get("binding")))

    def aad(self) -> bytes:
        # Bind the wrapped key to its derivation parameters and device key: editing them breaks the tag.
        kdf = self.kdf
        aad = b"%s|%d|%d|%d|" % (_MASTER_AAD, kdf.time_cost, kdf.memory_kib, kdf.parallelism) + self.salt
        if self.binding is not None:
            aad += b"|" + self.binding[0].encode("utf-8") + b"|" + self.binding[1]
        return aad


def _binding_from_json(value: object) -> tuple[str, bytes] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("kind"), str):
        raise StoreCorruptedError("pin file: bad device binding")
    return value["kind"], b64d(value.get("key_id"))


def check_pin(pin: str) -> None:
    """A new PIN or passphrase must not be trivial (``wallet.passcode``); existing ones are never re-checked."""
    check_new_secret(pin)


class PinVault:
    """``pin.json`` in a wallet folder: wraps the master key under the PIN, counts wrong PINs.

    ``kdf`` is what new wraps use (existing files keep theirs until the next successful unlock upgrades them);
    ``binding`` is the device key new wraps pass through, and that bound files need."""

    FILE = "pin.json"

    def __init__(self, folder: Path, *, kdf: KdfParams = DEFAULT_KDF, max_attempts: int = 5,
                 binding: DeviceBinding | None = None) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._path = self.folder / self.FILE
        self._kdf = kdf
        self._max_attempts = max_attempts
        self._binding = binding

    def is_initialized(self) -> bool:
        return self._path.exists()

    def _load(self) -> PinState:
        if not self._path.exists():
            raise WalletError("wallet has no PIN yet", code="wallet.not_initialized")
        return PinState.from_json(read_json(self._path))

    def _kek(self, state: PinState, pin: str) -> bytes:
        derived = state.kdf.derive(str(pin), state.salt)
        if state.binding is None:
            return derived
        assert self._binding is not None  # _check_binding ran first
        return self._binding.bind(derived)

    def _check_binding(self, state: PinState) -> None:
        """A bound file opens only with its device key: elsewhere it is refused, and no attempt is counted."""
        if state.binding is None:
            return
        if self._binding is None or self._binding.kind != state.binding[0] or (
                self._binding.key_id() != state.binding[1]):
            raise WalletError("this wallet is bound to the device it was set up on (or this device no longer "
                              "holds its key) and cannot be opened here; no PIN attempt was counted",
                              code="wallet.device_bound")

    def _wrap(self, pin: str, master: bytes, failures: int) -> PinState:
        binding = None if self._binding is None else (self._binding.kind, self._binding.key_id(create=True))
        state = PinState(self._kdf, secrets.token_bytes(_SALT_SIZE), None, failures, self._max_attempts, binding)
        return replace(state, wrapped_master=seal(self._kek(state, pin), master, state.aad()))

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
        state = self._load()  # a damaged file stops here, before anything is counted
        if state.wrapped_master is None:
            raise LockedError(f"wallet keys were erased after too many wrong PINs; {_START_AFRESH}")
        self._check_binding(state)
        # Count first, so an attempt interrupted mid-derivation still counts.
        counted = replace(state, failures=state.failures + 1)
        atomic_write(self._path, counted.to_json())
        try:
            master = open_sealed(self._kek(state, pin), state.wrapped_master, state.aad())
        except InvalidTag:
            if counted.failures >= counted.max_attempts:
                atomic_write(self._path, replace(counted, wrapped_master=None).to_json())
                raise LockedError(f"too many wrong PINs: wallet keys erased; {_START_AFRESH}") from None
            left = counted.max_attempts - counted.failures
            raise PinError(f"wrong PIN ({left} attempt{'' if left == 1 else 's'} left)") from None
        if state.kdf.weaker_than(self._kdf) or (state.binding is None and self._binding is not None):
            atomic_write(self._path, self._wrap(pin, master, 0).to_json())  # upgrade: current cost, bound
        else:
            atomic_write(self._path, replace(state, failures=0).to_json())
        return WalletKey(master)

    def change_pin(self, old_pin: str, new_pin: str) -> None:
        """Re-wrap the master key under ``new_pin`` with a fresh salt (one atomic replace)."""
        check_pin(new_pin)
        with file_lock(self.folder):
            key = self._unlock_locked(old_pin)
            atomic_write(self._path, self._wrap(new_pin, key.material, 0).to_json())
