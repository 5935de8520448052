"""Receiving an offer so that an interruption costs nothing: the redemption state is written before each
step that the issuer cannot repeat, and ``redeem`` picks it up again.

After the token (OpenID4VCI 1.0 §6) the pre-authorized code is spent, so the wallet keeps, sealed under its
master key in ``redemptions/<offer>.json``: the access token and its expiry, the issuer's endpoints and
configurations, and per configuration what is wanted, what is received and the device keys of the request
in flight. The keys are created and recorded *before* the credential request is sent; a request whose answer
was lost is sent again with the same keys, and the issuer supersedes the unseen copies (within the grant).
Credentials are stored before the state says so, and a resumed run that finds them stored only records it,
so nothing is asked for twice and nothing is lost. The state goes when every wanted copy is held, when the
issuer's token ran out, or when the issuer sent something the wallet refuses (``credential_failure``).

``MOBILEID_WALLET_CRASH_AFTER=<step>`` makes the process kill itself (SIGKILL) right after that step, so
tests can interrupt a real ``mobileid wallet receive`` exactly there: ``token``, ``response:<configuration>``
(an answer read, nothing stored), ``stored:<configuration>`` and ``credential:<configuration>``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import signal
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from specs.crypto import Signer
from specs.errors import InputError, StoreCorruptedError, WalletError
from specs.x509 import TrustStore
from wallet._files import atomic_write, b64d, b64e, read_json
from wallet.oid4vci import (
    ConfigurationSpec,
    CredentialAnswer,
    CredentialOffer,
    HttpClient,
    IssuanceError,
    IssuerMetadata,
    notify,
    request_credentials,
    request_nonce,
    request_token,
)
from wallet.pin import WalletKey
from wallet.store import CredentialFormat, CredentialRecord

if TYPE_CHECKING:
    from wallet.wallet import Pin, Wallet

__all__ = ["CRASH_AFTER", "Redemption", "RedemptionItem", "pending_offer", "redeem"]

CRASH_AFTER = "MOBILEID_WALLET_CRASH_AFTER"
_AAD = b"mobileid.wallet.redemption.v1"
FOLDER = "redemptions"


def _checkpoint(step: str) -> None:
    if os.environ.get(CRASH_AFTER) == step:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True, slots=True)
class RedemptionItem:
    configuration: str
    wanted: int
    received: int = 0
    group: str = ""
    pending: tuple[str, ...] = ()  # device-key aliases of the request in flight

    def to_json(self) -> dict[str, object]:
        return {"configuration": self.configuration, "wanted": self.wanted, "received": self.received,
                "group": self.group, "pending": list(self.pending)}

    @classmethod
    def from_json(cls, doc: dict[str, object]) -> RedemptionItem:
        pending = doc["pending"]
        if not isinstance(pending, list):
            raise TypeError("pending")
        return cls(str(doc["configuration"]), int(str(doc["wanted"])), int(str(doc["received"])), str(doc["group"]),
                   tuple(str(a) for a in pending))


@dataclass(frozen=True, slots=True)
class Redemption:
    """The persisted state of one redeemed offer (see the module docstring)."""

    key: str
    metadata: IssuerMetadata
    access_token: str
    expires_at: dt.datetime
    items: tuple[RedemptionItem, ...]
    records: tuple[str, ...] = ()  # ids of the credentials stored so far
    notices: tuple[str, ...] = ()  # notification ids of stored batches the issuer has not been told of yet

    def to_json(self) -> dict[str, object]:
        m = self.metadata
        return {"key": self.key, "issuer": m.issuer, "credential_endpoint": m.credential_endpoint,
                "nonce_endpoint": m.nonce_endpoint, "notification_endpoint": m.notification_endpoint,
                "token_endpoint": m.token_endpoint, "batch_size": m.batch_size,
                "configurations": {k: [v.format, v.type_identifier] for k, v in m.configurations.items()},
                "access_token": self.access_token, "expires_at": self.expires_at.isoformat(),
                "items": [i.to_json() for i in self.items], "records": list(self.records),
                "notices": list(self.notices)}

    @classmethod
    def from_json(cls, doc: dict[str, object]) -> Redemption:
        try:
            configs = doc["configurations"]
            items, records, notices = doc["items"], doc["records"], doc["notices"]
            if not isinstance(configs, dict) or not all(isinstance(v, list) for v in (items, records, notices)):
                raise TypeError("structure")
            assert isinstance(items, list) and isinstance(records, list) and isinstance(notices, list)
            metadata = IssuerMetadata(
                str(doc["issuer"]), str(doc["credential_endpoint"]), _optional(doc["nonce_endpoint"]),
                _optional(doc["notification_endpoint"]), str(doc["token_endpoint"]), int(str(doc["batch_size"])),
                {str(k): ConfigurationSpec(str(v[0]), str(v[1])) for k, v in configs.items()})
            return cls(str(doc["key"]), metadata, str(doc["access_token"]),
                       dt.datetime.fromisoformat(str(doc["expires_at"])),
                       tuple(RedemptionItem.from_json(i) for i in items), tuple(str(r) for r in records),
                       tuple(str(n) for n in notices))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise StoreCorruptedError("a pending redemption has a bad structure") from exc

    def with_item(self, item: RedemptionItem) -> Redemption:
        return replace(self, items=tuple(item if i.configuration == item.configuration else i for i in self.items))


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def offer_key(offer_uri: str) -> str:
    """The file name of an offer's redemption: a hash of the link (the link itself is a secret)."""
    return hashlib.sha256(offer_uri.strip().encode()).hexdigest()[:32]


def pending_offer(folder: Path, offer_uri: str) -> bool:
    """Whether this wallet already redeemed ``offer_uri`` and can resume it (no PIN needed to ask)."""
    return (folder / FOLDER / f"{offer_key(offer_uri)}.json").exists()


class _Files:
    def __init__(self, folder: Path, master: WalletKey) -> None:
        self.folder = folder / FOLDER
        self.master = master

    def load(self, key: str) -> Redemption | None:
        path = self.folder / f"{key}.json"
        if not path.exists():
            return None
        doc = read_json(path)
        plain = self.master.open(b64d(doc.get("box")), _AAD)
        try:
            value = json.loads(plain)
        except ValueError as exc:
            raise StoreCorruptedError("a pending redemption is not JSON") from exc
        if not isinstance(value, dict):
            raise StoreCorruptedError("a pending redemption is not an object")
        return Redemption.from_json(value)

    def save(self, state: Redemption) -> Redemption:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        box = self.master.seal(json.dumps(state.to_json(), separators=(",", ":")).encode(), _AAD)
        atomic_write(self.folder / f"{state.key}.json", {"v": 1, "box": b64e(box)})
        return state

    def drop(self, key: str) -> None:
        (self.folder / f"{key}.json").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.folder.rmdir()  # only when no other redemption is pending


def _wanted(offer: CredentialOffer, copies: Mapping[str, int] | None, batch: Mapping[str, int],
            defaults: Mapping[str, int]) -> tuple[RedemptionItem, ...]:
    """Per configuration: the issuer's grant (capped by what the holder asked for), or without a stated
    grant what the holder asked for (else the wallet's default)."""
    items = []
    for config in offer.configurations:
        if copies is not None:
            count = min(copies.get(config, 0), batch.get(config, copies.get(config, 0)))
        else:
            count = batch.get(config, defaults.get(config, 1))
        if count > 0:
            items.append(RedemptionItem(config, count, group=secrets.token_hex(8)))
    return tuple(items)


def _start(wallet: Wallet, files: _Files, key: str, offer_uri: str, tx_code: str | None, *, http: HttpClient,
           now: dt.datetime, batch: Mapping[str, int], defaults: Mapping[str, int]) -> Redemption:
    offer = CredentialOffer.resolve(offer_uri, http)
    if offer.tx_code_length and (not tx_code or len(tx_code) != offer.tx_code_length or not tx_code.isdigit()):
        raise InputError(f"this offer needs the {offer.tx_code_length}-digit code from the clerk's screen",
                         code="input.tx_code")
    metadata = IssuerMetadata.fetch(offer.issuer, http)
    missing = [c for c in offer.configurations if c not in metadata.configurations]
    if missing:
        raise IssuanceError(f"the issuer does not describe {', '.join(missing)}", code="credential.issuance_metadata")
    grant = request_token(metadata, offer, tx_code, http=http, now=now)
    state = files.save(Redemption(key, metadata, grant.access_token, grant.expires_at,
                                  _wanted(offer, grant.copies, batch, defaults)))
    _checkpoint("token")
    return state


def redeem(wallet: Wallet, offer_uri: str, tx_code: str | None, pin: Pin, *, http: HttpClient, now: dt.datetime,
           batch: Mapping[str, int], defaults: Mapping[str, int], trust: TrustStore) -> tuple[CredentialRecord, ...]:
    """Receive (or resume receiving) what ``offer_uri`` grants; returns every credential it brought."""
    master = wallet.master(pin)
    files = _Files(wallet.folder, master)
    key = offer_key(offer_uri)
    state = files.load(key) or _start(wallet, files, key, offer_uri, tx_code, http=http, now=now, batch=batch,
                                      defaults=defaults)
    run = _Run(wallet, files, pin, master, http=http, now=now, trust=trust)
    for item in state.items:
        while item.received < item.wanted:
            state = run.fetch(state, item)
            item = next(i for i in state.items if i.configuration == item.configuration)
    run.tell(state)
    files.drop(key)
    by_id = {r.id: r for r in wallet.store(master).list()}
    return tuple(by_id[r] for r in state.records if r in by_id)


class _Run:
    """One pass over a redemption's items (keeps the unlocked wallet parts together)."""

    def __init__(self, wallet: Wallet, files: _Files, pin: Pin, master: WalletKey, *, http: HttpClient,
                 now: dt.datetime, trust: TrustStore) -> None:
        self.wallet, self.files, self.http, self.now, self.trust = wallet, files, http, now, trust
        self.keys = wallet.device_keys(pin, master)
        self.store = wallet.store(master)

    def fetch(self, state: Redemption, item: RedemptionItem) -> Redemption:
        """One credential request for ``item`` (at most the issuer's batch size), persisted step by step."""
        if not item.pending:
            count = min(item.wanted - item.received, state.metadata.batch_size)
            aliases = tuple(secrets.token_hex(8) for _ in range(count))  # opaque: nothing at rest names the type
            for alias in aliases:
                self.keys.create(alias)
            item = replace(item, pending=aliases)
            state = self.files.save(state.with_item(item))
        held = {r.device_key_alias: r.id for r in self.store.list()}
        if all(alias in held for alias in item.pending):  # stored by an interrupted run
            return self._done(state, item, tuple(held[a] for a in item.pending))
        signers = [self.keys.signer(alias) for alias in item.pending]
        answer = self._request(state, item, signers)
        _checkpoint(f"response:{item.configuration}")
        records = tuple(CredentialRecord(id=secrets.token_hex(8), format=CredentialFormat(c.format),
                                         type_id=c.type_identifier, credential=c.raw, issuer=state.metadata.issuer,
                                         received_at=self.now, device_key_alias=item.pending[c.key_index],
                                         batch_group=item.group) for c in answer.credentials)
        for record in records:
            self.store.add(record)
        _checkpoint(f"stored:{item.configuration}")
        state = self._done(state, item, tuple(r.id for r in records), answer.notification_id)
        return self.tell(state)

    def _done(self, state: Redemption, item: RedemptionItem, ids: tuple[str, ...],
              notice: str | None = None) -> Redemption:
        item = replace(item, received=item.received + len(item.pending), pending=())
        notices = (*state.notices, notice) if notice else state.notices
        state = self.files.save(replace(state.with_item(item), records=(*state.records, *ids), notices=notices))
        _checkpoint(f"credential:{item.configuration}")
        return state

    def tell(self, state: Redemption) -> Redemption:
        """``credential_accepted`` for each stored batch not told yet (§11); advisory, so a failure to tell
        never costs the holder a credential: it is tried again on the next run, or dropped with the state."""
        told = []
        for notice in state.notices:
            with contextlib.suppress(Exception):  # whatever the transport raises: telling is advisory
                notify(state.metadata, state.access_token, notice, "credential_accepted", http=self.http)
                told.append(notice)
        if not told:
            return state
        return self.files.save(replace(state, notices=tuple(n for n in state.notices if n not in told)))

    def _request(self, state: Redemption, item: RedemptionItem, signers: list[Signer]) -> CredentialAnswer:
        metadata = state.metadata
        for attempt in (1, 2):
            nonce = request_nonce(metadata, http=self.http)
            try:
                return request_credentials(metadata, state.access_token, item.configuration, signers, nonce,
                                           http=self.http, trust=self.trust, now=self.now)
            except IssuanceError as exc:
                if exc.oauth_error == "invalid_nonce" and attempt == 1:
                    continue  # the nonce expired between the two calls: once more with a fresh one
                raise self._give_up(state, exc) from None
        raise AssertionError("unreachable")

    def _give_up(self, state: Redemption, exc: IssuanceError) -> IssuanceError:
        """Abandon the redemption when resuming cannot help: the token ran out, the grant is used up, or the
        issuer sent what the wallet will not keep (told to the issuer as ``credential_failure``). Otherwise
        (an unreachable issuer, a server error) the state stays for the next run."""
        final = exc.oauth_error in ("invalid_token", "credential_request_denied") or exc.notification_id is not None \
            or exc.code == "credential.issuance_unverified"
        if not final:
            return exc
        if exc.notification_id is not None:
            with contextlib.suppress(IssuanceError, OSError):
                notify(state.metadata, state.access_token, exc.notification_id, "credential_failure", http=self.http)
        for item in state.items:
            for alias in item.pending:
                with contextlib.suppress(WalletError):
                    self.keys.delete(alias)
        self.files.drop(state.key)
        if exc.oauth_error == "invalid_token":
            got, wanted = sum(i.received for i in state.items), sum(i.wanted for i in state.items)
            return IssuanceError(f"the offer's time ran out after {got} of {wanted} credentials; ask the office "
                                 "for a new offer", code="credential.issuance_expired", oauth_error="invalid_token")
        return exc
