"""The holder's wallet: one folder holding the PIN vault, the device keys, the encrypted credential store
and the trust anchors it accepts issuers under. This is what the CLI and the app drive.

Folder layout::

    pin.json            wrapped master key + attempt counter          (wallet.pin)
    keys/<alias>.json   device private keys sealed under the master   (wallet.keystore)
    credentials/        the encrypted credential store                (wallet.store)
    trust.pem           IACA certificates of the issuers this wallet accepts credentials from
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization

from specs.crypto import Signer
from specs.errors import InputError, WalletError
from specs.x509 import TrustStore
from wallet.keystore import SoftwareKeyStore
from wallet.oid4vci import CredentialOffer, HttpClient, ReceivedCredential, receive
from wallet.pin import DEFAULT_KDF, KdfParams, WalletKey
from wallet.store import CredentialFormat, CredentialRecord, CredentialStore

__all__ = ["DEFAULT_BATCH", "Wallet"]

# Single-use copies asked per configuration (OpenID4VCI 1.0 §8.2 batch): age attestations are shown to
# strangers often, so each presentation uses a fresh one; the licence itself is mostly shown at counters.
DEFAULT_BATCH: Mapping[str, int] = {"age_attestation": 5}
MAX_BATCH = 20


class Wallet:
    def __init__(self, folder: Path, *, kdf: KdfParams = DEFAULT_KDF, max_attempts: int = 5) -> None:
        self.folder = Path(folder)
        self.keys = SoftwareKeyStore(self.folder, kdf=kdf, max_attempts=max_attempts)
        self._trust_path = self.folder / "trust.pem"

    # -- set-up -----------------------------------------------------------------------------------
    def is_initialized(self) -> bool:
        return self.keys.is_initialized()

    def init(self, pin: str, *, trust_pem: bytes | None = None) -> None:
        """Create the PIN vault (refuses an existing wallet) and, optionally, the trusted issuers."""
        if trust_pem is not None:
            TrustStore.from_pem(trust_pem)  # refuse a bad file before creating anything
        self.keys.initialize(pin)
        if trust_pem is not None:
            self.add_trust(trust_pem)

    def add_trust(self, pem: bytes) -> int:
        """Add IACA certificates (PEM) to the accepted issuers; returns how many are held now."""
        current = list(self.trust().anchors) if self._trust_path.exists() else []
        known = {c.fingerprint(hashes.SHA256()) for c in current}
        for cert in TrustStore.from_pem(pem).anchors:
            if cert.fingerprint(hashes.SHA256()) not in known:
                current.append(cert)
        data = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in current)
        tmp = self._trust_path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(self._trust_path)
        return len(current)

    def trust(self) -> TrustStore:
        if not self._trust_path.exists():
            raise WalletError("the wallet trusts no issuer yet (add one with --trust)", code="wallet.no_trust")
        return TrustStore.from_path(self._trust_path)

    def store(self, master: WalletKey) -> CredentialStore:
        return CredentialStore(self.folder / "credentials", master)

    # -- receiving --------------------------------------------------------------------------------
    def receive(self, offer_uri: str, tx_code: str | None, pin: str, *, http: HttpClient,
                now: dt.datetime | None = None, batch: Mapping[str, int] | None = None,
                trust: TrustStore | None = None) -> tuple[CredentialRecord, ...]:
        """Redeem an OpenID4VCI offer: one fresh device key per credential, every credential verified
        before it is stored. On any failure the keys made for it are deleted and nothing is stored."""
        offer = CredentialOffer.parse(offer_uri)
        if offer.tx_code_length and (not tx_code or len(tx_code) != offer.tx_code_length or not tx_code.isdigit()):
            raise InputError(f"this offer needs the {offer.tx_code_length}-digit code from the clerk's screen",
                             code="input.tx_code")
        trust = trust or self.trust()
        now = now or dt.datetime.now(dt.UTC)
        master = self.keys.unlock(pin)
        sizes = {**DEFAULT_BATCH, **(batch or {})}
        aliases: dict[str, list[str]] = {}
        try:
            signers = self._batch_signers(offer, sizes, master, aliases)
            received = receive(offer, tx_code, http=http, signers=signers, trust=trust, now=now)
            records = self._records(offer, received, aliases, now)
            store = self.store(master)
            for record in records:
                store.add(record)
        except BaseException:
            for alias in (a for group in aliases.values() for a in group):
                with contextlib.suppress(WalletError):
                    self.keys.delete(alias)
            raise
        return records

    def _batch_signers(self, offer: CredentialOffer, sizes: Mapping[str, int], master: WalletKey,
                       aliases: dict[str, list[str]]) -> dict[str, list[Signer]]:
        signers: dict[str, list[Signer]] = {}
        for config in offer.configurations:
            count = sizes.get(config, 1)
            if not 1 <= count <= MAX_BATCH:
                raise InputError(f"batch size must be between 1 and {MAX_BATCH}", code="input.usage")
            aliases[config] = []
            signers[config] = []
            for _ in range(count):
                alias = f"{config}-{secrets.token_hex(6)}"
                self.keys.create_key_unlocked(alias, master)
                aliases[config].append(alias)
                signers[config].append(self.keys.signer_unlocked(alias, master))
        return signers

    @staticmethod
    def _records(offer: CredentialOffer, received: Sequence[ReceivedCredential], aliases: Mapping[str, list[str]],
                 now: dt.datetime) -> tuple[CredentialRecord, ...]:
        groups = {config: secrets.token_hex(8) for config in aliases}
        return tuple(
            CredentialRecord(id=secrets.token_hex(8), format=CredentialFormat(item.format),
                             type_id=item.type_identifier, credential=item.raw, issuer=offer.issuer,
                             received_at=now, device_key_alias=aliases[item.configuration][item.key_index],
                             batch_group=groups[item.configuration])
            for item in received)

    # -- reading ----------------------------------------------------------------------------------
    def credentials(self, pin: str) -> tuple[CredentialRecord, ...]:
        return self.store(self.keys.unlock(pin)).list()

    def credential(self, pin: str, credential_id: str) -> CredentialRecord:
        return self.store(self.keys.unlock(pin)).get(credential_id)

