"""Issuer settings (pydantic-settings, environment prefix ``MOBILEID_``).

The public URL is one setting that the running service and every management command share
(``Settings.for_service``): ``MOBILEID_PUBLIC_URL`` when given; else, when a host or port is given (``serve
--port``, ``MOBILEID_PORT``), ``http://HOST:PORT``; else the URL ``serve`` recorded in the data folder at its
last start (``data_dir/public_url``); else the default address. Offers, metadata, certificates and status
lists all name it, so ``serve --port 8105`` and a later ``enroll`` agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PUBLIC_URL_FILE = "public_url"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOBILEID_")

    data_dir: Path = Path("data")
    database_url: str | None = None  # default: SQLite under data_dir
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    offer_ttl_seconds: int = 600
    tx_code_attempts: int = 5
    session_idle_seconds: int = 1800  # a console session ends after this long without a request
    session_absolute_seconds: int = 8 * 3600  # and this long after sign-in, whatever happens
    timezone: str = "Asia/Seoul"  # the console shows times in the office's zone
    seed_people: int = 10_000
    status_list_size: int = 131_072  # entries per list (2 bits each: valid, invalid, suspended)
    status_list_max_fill: float = 0.9  # a new list opens when this share of the current one is used
    # The wallet's requests (issuer.web.wallet) run on the worker's event loop, one at a time (least CPU, first
    # come first served); True runs them in worker threads, overlapping their database round trips (a
    # database far from the workers). docs/deployment.md
    wallet_in_threads: bool = False
    # Where document-signer keys live: "software" (encrypted at rest under data_dir/master.key) or "pkcs11"
    # (generated on and never leaving the token; each key is labelled <pkcs11_key_label>-<when>).
    ds_key_store: Literal["software", "pkcs11"] = "software"
    pkcs11_module: str = ""  # e.g. /usr/lib/softhsm/libsofthsm2.so
    pkcs11_token: str = ""
    pkcs11_key_label: str = "mobileid-ds"
    pkcs11_pin: SecretStr | None = None  # MOBILEID_PKCS11_PIN, from the environment only
    # Abuse limits (issuer.limits): hits per window from one client and from everyone together; 0 switches one
    # off. Counted in the database, so every worker on every machine shares them.
    rate_limit_window_seconds: int = 60
    rate_limit_token_per_client: int = 60
    rate_limit_token_overall: int = 6000
    rate_limit_nonce_per_client: int = 300
    rate_limit_nonce_overall: int = 30000
    rate_limit_credential_per_client: int = 300
    rate_limit_credential_overall: int = 30000
    rate_limit_remote_per_client: int = 30
    rate_limit_remote_overall: int = 3000
    rate_limit_login_per_client: int = 30
    rate_limit_login_overall: int = 600
    # Housekeeping (issuer.sweep): how often the service deletes what has expired, and how long an expired,
    # never redeemed offer stays visible in the console first.
    sweep_interval_seconds: int = 300
    offer_retention_seconds: int = 86400
    # Input guard (issuer.web.guard): the largest request body, and the deepest JSON nesting, accepted.
    max_body_bytes: int = 256 * 1024
    max_json_depth: int = 16

    @classmethod
    def for_service(cls, data_dir: Path | None = None, *, host: str | None = None,
                    port: int | None = None) -> Settings:
        settings = cls(data_dir=data_dir) if data_dir else cls()
        if host:
            settings.host = host
        if port:
            settings.port = port
        if "public_url" not in settings.model_fields_set:
            recorded = settings.data_dir / PUBLIC_URL_FILE
            addressed = bool(host or port) or bool({"host", "port"} & settings.model_fields_set)
            if not addressed and recorded.is_file():
                settings.public_url = recorded.read_text(encoding="utf-8").strip()
            else:
                settings.public_url = f"http://{settings.host}:{settings.port}"
        settings.public_url = settings.public_url.rstrip("/")
        return settings

    def record_public_url(self) -> None:
        """What ``serve`` names itself, for the management commands that run later on this data folder."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / PUBLIC_URL_FILE).write_text(self.public_url + "\n", encoding="utf-8")

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'issuer.sqlite3').resolve()}"
