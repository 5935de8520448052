"""What the verifier service holds between requests, and its first-start set-up."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from specs.errors import InputError
from verifier.oid4vp import ReaderIdentity
from verifier.trust import VerifierTrust
from verifier.web.db import TransactionStore, ensure_schema, make_engine
from verifier.web.settings import VerifierSettings

__all__ = ["ServiceState", "TrustSource", "bootstrap"]


def _secret_file(path: Path) -> str:
    """A random secret kept in an owner-only file, made on first start."""
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


class TrustSource:
    """The trust bundle folder ``mobileid verifier sync`` keeps fresh, re-read when its file changes."""

    def __init__(self, path: Path | None, fixed: VerifierTrust | None = None) -> None:
        self._path, self._fixed = path, fixed
        self._loaded: tuple[float, VerifierTrust] | None = None
        self._lock = threading.Lock()

    def get(self, now: dt.datetime) -> VerifierTrust:
        if self._fixed is not None:
            return self._fixed
        if self._path is None:
            raise InputError("the verifier has no trust bundle: set MOBILEID_VERIFIER_TRUST (verifier sync)")
        bundle = self._path / "bundle.cbor" if self._path.is_dir() else self._path
        if self._path.is_dir() and (self._path / "current").exists():
            bundle = self._path / "current"  # a synced copy: switched by replacing this file
        stamp = bundle.stat().st_mtime if bundle.exists() else 0.0
        with self._lock:
            if self._loaded is None or self._loaded[0] != stamp:
                self._loaded = (stamp, VerifierTrust.from_path(self._path, now=now))
            return self._loaded[1]


@dataclass
class ServiceState:
    settings: VerifierSettings
    store: TransactionStore
    reader: ReaderIdentity
    trust: TrustSource
    api_token: str
    webhook_secret: bytes
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    def request_uri(self, transaction_id: str) -> str:
        return f"{self.settings.public_url.rstrip('/')}/request/{transaction_id}"

    def response_uri(self, transaction_id: str) -> str:
        return f"{self.settings.public_url.rstrip('/')}/response/{transaction_id}"


def bootstrap(settings: VerifierSettings, *, reader: ReaderIdentity | None = None,
              trust: VerifierTrust | None = None) -> ServiceState:
    """Data folder, schema, secrets and (unless given) the reader certificate made on first start."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url)
    ensure_schema(engine)
    if reader is None:
        cert, key = settings.reader_cert, settings.reader_key
        if cert is None or key is None:
            folder = settings.data_dir / "reader"
            if not (folder / "reader.pem").exists():
                from verifier.reader_pki import make_reader_files

                dns = [settings.dns_name] if settings.dns_name else []
                make_reader_files(folder, settings.business_name, now=dt.datetime.now(dt.UTC), dns_names=dns)
            cert, key = folder / "reader.pem", folder / "reader_key.pem"
        reader = ReaderIdentity.load(cert, key, dns_name=settings.dns_name)
    return ServiceState(settings, TransactionStore(engine), reader, TrustSource(settings.trust, trust),
                        _secret_file(settings.data_dir / "api.token"),
                        _secret_file(settings.data_dir / "webhook.key").encode())
