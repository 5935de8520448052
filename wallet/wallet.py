"""The holder's wallet: one folder holding the PIN vault, the device keys, the encrypted credential store
and the trust anchors it accepts issuers under. This is what the CLI and the app drive.

Folder layout::

    pin.json            wrapped master key + attempt counter          (wallet.pin)
    keys/<hash>.json    device keys sealed under the master, named by a keyed hash of their alias
                        (wallet.keystore, software store)
    credentials/        the encrypted credential store and share history (wallet.store)
    trust.pem           IACA certificates of the issuers this wallet accepts credentials from

Without the PIN the folder says which issuers are trusted and how many keys and credentials it holds, but no
credential type, name or claim: aliases are random, key files are sealed under hashed names, and everything
else is sealed too (older wallets' type-named key files and separate history file are converted on the first
unlock).

The PIN vault belongs to the wallet: its master key opens the credential store and history. Device keys
live in a ``KeyStore``: by default the ``SoftwareKeyStore`` in the same folder, which seals them under that
same master key (so one PIN entry, one argon2 derivation, serves a whole batch); on a phone any other
``KeyStore`` (e.g. ``app.android_keystore.AndroidKeyStore``) is injected and gets the PIN per operation. A
key store that can also bind the vault to the device (``BindingKeyStore``, the Android Keystore) does so:
the PIN's key then passes through a key that never leaves the phone (``wallet.pin.DeviceBinding``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from specs.crypto import Signer
from specs.errors import InputError, WalletError
from specs.io.files import atomic_write
from specs.x509 import TrustStore
from wallet._files import file_lock
from wallet.history import History
from wallet.keystore import BindingKeyStore, KeyStore, SoftwareKeyStore
from wallet.oid4vci import HttpClient
from wallet.pin import DEFAULT_KDF, DeviceBinding, KdfParams, PinVault, WalletKey, check_pin
from wallet.store import CredentialRecord, CredentialStatus, CredentialStore

if TYPE_CHECKING:
    from wallet.status import StatusRefresh

__all__ = ["DEFAULT_BATCH", "DeviceKeys", "Pin", "Unlocked", "Wallet"]

# Single-use copies asked per configuration (OpenID4VCI 1.0 §8.2 batch): age attestations are shown to
# strangers often, so each presentation uses a fresh one; the licence itself is mostly shown at counters.
DEFAULT_BATCH: Mapping[str, int] = {"age_attestation": 5}
MAX_BATCH = 20


@dataclass(frozen=True, slots=True)
class Unlocked:
    """A wallet opened once with its PIN (``Wallet.open``): the master key from ONE argon2 derivation and one
    counted attempt, kept by an app until it locks again, so that listing cards, showing one or checking the
    status costs no further derivation. The PIN stays for a ``KeyStore`` that takes it per operation (a
    phone's). Never printed (``repr=False``); drop the object to lock."""

    pin: str = field(repr=False)
    master: WalletKey = field(repr=False)


Pin = str | Unlocked  # what every PIN-taking wallet call accepts: the PIN itself, or the wallet opened with it


def pin_text(pin: Pin) -> str:
    return pin.pin if isinstance(pin, Unlocked) else pin


class DeviceKeys:
    """Device-key operations for one unlocked session. The wallet's own software store reuses the master
    key the PIN already unwrapped (no further argon2); any other ``KeyStore`` is handed the PIN."""

    def __init__(self, keys: KeyStore, pin: str, master: WalletKey, *, shares_vault: bool) -> None:
        self._keys, self._pin, self._master = keys, pin, master
        self._fast = shares_vault and isinstance(keys, SoftwareKeyStore)

    def create(self, alias: str) -> ec.EllipticCurvePublicKey:
        if self._fast:
            assert isinstance(self._keys, SoftwareKeyStore)
            return self._keys.create_key_unlocked(alias, self._master)
        return self._keys.create_key(alias, self._pin)

    def signer(self, alias: str) -> Signer:
        if self._fast:
            assert isinstance(self._keys, SoftwareKeyStore)
            return self._keys.signer_unlocked(alias, self._master)
        return self._keys.signer(alias, self._pin)

    def aliases(self) -> tuple[str, ...]:
        if self._fast:
            assert isinstance(self._keys, SoftwareKeyStore)
            return self._keys.aliases(self._master)
        return self._keys.aliases()

    def delete(self, alias: str) -> None:
        if self._fast:
            assert isinstance(self._keys, SoftwareKeyStore)
            self._keys.delete(alias, self._master)
        else:
            self._keys.delete(alias)


class Wallet:
    def __init__(self, folder: Path, *, kdf: KdfParams = DEFAULT_KDF, max_attempts: int = 5,
                 keystore: KeyStore | None = None, binding: DeviceBinding | None = None) -> None:
        """``kdf``: the argon2id cost of new wraps (tests pass a cheaper one explicitly); ``binding``: the device
        key the vault passes the PIN's key through (default: the key store's, when it offers one)."""
        self.folder = Path(folder)
        if binding is None and isinstance(keystore, BindingKeyStore):
            binding = keystore.vault_binding()
        self.vault = PinVault(self.folder, kdf=kdf, max_attempts=max_attempts, binding=binding)
        self.keys: KeyStore = keystore if keystore is not None else SoftwareKeyStore(
            self.folder, kdf=kdf, max_attempts=max_attempts, binding=binding)
        # A software store in this folder shares pin.json: its keys are sealed under the wallet's master.
        self._shares_vault = isinstance(self.keys, SoftwareKeyStore) and (
            self.keys.folder.resolve() == self.folder.resolve())
        self._trust_path = self.folder / "trust.pem"

    # -- set-up -----------------------------------------------------------------------------------
    def is_initialized(self) -> bool:
        return self.vault.is_initialized()

    def is_erased(self) -> bool:
        """True when too many wrong PINs erased the master key: nothing in the wallet can be opened again."""
        return self.vault.is_erased()

    def init(self, pin: str, *, trust_pem: bytes | None = None) -> bool:
        """Create the PIN vault and, optionally, the trusted issuers. Refuses a working wallet; an erased one
        (see ``is_erased``) is discarded first, keeping nothing. Returns True when an erased wallet was replaced."""
        if trust_pem is not None:
            TrustStore.from_pem(trust_pem)  # refuse a bad file before creating anything
        check_pin(pin)  # a bad new PIN discards nothing
        replaced = self.is_erased()
        if replaced:
            self._discard_erased()
        self.vault.initialize(pin)
        if trust_pem is not None:
            self.add_trust(trust_pem)
        return replaced

    def erase(self) -> None:
        """Delete the wallet on the holder's request: the master key is destroyed first (crypto-erase: the
        credentials, history and sealed device keys become unreadable at once), then the files are removed.
        ``init`` starts a new wallet afterwards."""
        self.vault.erase()
        self._discard_erased()

    def _discard_erased(self) -> None:
        """Remove what an erased wallet left: its device keys, the credential store and history (sealed under
        the destroyed master key), the trusted issuers, and last the erased ``pin.json`` itself, so an
        interrupted discard is simply done again by the next ``init``. Only the wallet's own files go."""
        if not self._shares_vault:  # an injected KeyStore (a phone's): its keys signed for this wallet only
            with contextlib.suppress(WalletError):
                for alias in self.keys.aliases():
                    with contextlib.suppress(WalletError):
                        self.keys.delete(alias)
        shutil.rmtree(self.folder / "keys", ignore_errors=True)
        shutil.rmtree(self.folder / "credentials", ignore_errors=True)
        shutil.rmtree(self.folder / "redemptions", ignore_errors=True)
        for name in (History.FILE, self._trust_path.name):
            (self.folder / name).unlink(missing_ok=True)
        with file_lock(self.folder):
            if self.vault.is_erased():  # not a wallet another process has just created here
                (self.folder / PinVault.FILE).unlink()

    # -- PIN --------------------------------------------------------------------------------------
    def unlock(self, pin: str) -> WalletKey:
        """The master key (one counted PIN attempt): opens the credential store and the history. The first
        unlock of an older wallet also re-seals its type-named key files under hashed names."""
        master = self.vault.unlock(pin)
        if self._shares_vault:
            assert isinstance(self.keys, SoftwareKeyStore)
            self.keys.migrate(master)
        return master

    def open(self, pin: str) -> Unlocked:
        """Unlock once and keep the result (see ``Unlocked``); pass it wherever a PIN is asked."""
        return Unlocked(pin, self.unlock(pin))

    def master(self, pin: Pin) -> WalletKey:
        """The master key: the one an ``Unlocked`` holds, else one counted derivation from the PIN."""
        return pin.master if isinstance(pin, Unlocked) else self.unlock(pin)

    def remaining_attempts(self) -> int:
        return self.vault.remaining_attempts()

    def change_pin(self, old_pin: str, new_pin: str) -> None:
        self.vault.change_pin(old_pin, new_pin)

    def device_keys(self, pin: Pin, master: WalletKey) -> DeviceKeys:
        """Device-key access after ``unlock(pin)`` returned ``master``."""
        return DeviceKeys(self.keys, pin_text(pin), master, shares_vault=self._shares_vault)

    def add_trust(self, pem: bytes) -> int:
        """Add IACA certificates (PEM) to the accepted issuers; returns how many are held now."""
        current = list(self.trust().anchors) if self._trust_path.exists() else []
        known = {c.fingerprint(hashes.SHA256()) for c in current}
        for cert in TrustStore.from_pem(pem).anchors:
            if cert.fingerprint(hashes.SHA256()) not in known:
                current.append(cert)
        data = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in current)
        atomic_write(self._trust_path, data)
        return len(current)

    def trust(self) -> TrustStore:
        if not self._trust_path.exists():
            raise WalletError("the wallet trusts no issuer yet (add one with --trust)", code="wallet.no_trust")
        return TrustStore.from_path(self._trust_path)

    def store(self, master: WalletKey) -> CredentialStore:
        return CredentialStore.of_wallet(self.folder, master)

    # -- receiving --------------------------------------------------------------------------------
    def receive(self, offer_uri: str, tx_code: str | None, pin: Pin, *, http: HttpClient,
                now: dt.datetime | None = None, batch: Mapping[str, int] | None = None,
                trust: TrustStore | None = None) -> tuple[CredentialRecord, ...]:
        """Redeem an OpenID4VCI offer, or resume one this wallet redeemed before and was interrupted in
        (``wallet.redemption``): one fresh device key per credential, every credential verified before it is
        stored. ``batch`` caps the copies asked per configuration (the issuer's grant decides otherwise)."""
        from wallet.redemption import redeem

        return redeem(self, offer_uri.strip(), tx_code, pin, http=http, now=now or dt.datetime.now(dt.UTC),
                      batch={k: v for k, v in (batch or {}).items() if self._batch_ok(v)}, defaults=DEFAULT_BATCH,
                      trust=trust or self.trust())

    def resumable(self, offer_uri: str) -> bool:
        """True when ``receive`` of this offer would resume an interrupted redemption (no code needed)."""
        from wallet.redemption import pending_offer

        return pending_offer(self.folder, offer_uri.strip())

    @staticmethod
    def _batch_ok(count: int) -> bool:
        if not 1 <= count <= MAX_BATCH:
            raise InputError(f"batch size must be between 1 and {MAX_BATCH}", code="input.usage")
        return True

    # -- reading ----------------------------------------------------------------------------------
    def credentials(self, pin: Pin) -> tuple[CredentialRecord, ...]:
        return self.store(self.master(pin)).list()

    def unused_copies(self, pin: Pin, type_ids: Collection[str]) -> int:
        """How many valid single-use copies of these types (docType or vct) have not been shown yet."""
        return sum(1 for r in self.credentials(pin)
                   if r.type_id in type_ids and not r.used and r.status is CredentialStatus.VALID)

    def credential(self, pin: Pin, credential_id: str) -> CredentialRecord:
        return self.store(self.master(pin)).get(credential_id)

    def find_credential(self, pin: Pin, id_or_prefix: str) -> CredentialRecord:
        """By id or a unique id prefix of at least 6 characters, as typed by a person (``CredentialStore.find``)."""
        return self.store(self.master(pin)).find(id_or_prefix)

    def delete(self, pin: Pin, credential_ids: Sequence[str]) -> None:
        """Remove credentials and their device keys (a key already gone is no error)."""
        if not credential_ids:
            return
        master = self.master(pin)
        store, keys = self.store(master), self.device_keys(pin, master)
        for credential_id in credential_ids:
            record = store.get(credential_id)
            store.delete(credential_id)
            with contextlib.suppress(WalletError):
                keys.delete(record.device_key_alias)

    # -- status -----------------------------------------------------------------------------------
    def refresh_status(self, pin: Pin, http: HttpClient, *, now: dt.datetime | None = None) -> StatusRefresh:
        """Fetch each credential's Status List Token and store what it says (see ``wallet.status``)."""
        from wallet.status import refresh_statuses

        return refresh_statuses(self, pin, http=http, now=now)

