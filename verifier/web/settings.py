"""Settings of the online verifier service (pydantic-settings, environment prefix ``MOBILEID_VERIFIER_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class VerifierSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOBILEID_VERIFIER_")

    data_dir: Path = Path("verifier-data")
    database_url: str | None = None  # default: SQLite under data_dir; postgresql+psycopg://... in production
    public_url: str = "http://127.0.0.1:8100"  # where wallets reach request_uri and response_uri
    host: str = "127.0.0.1"
    port: int = 8100
    reader_cert: Path | None = None  # default: data_dir/reader/reader.pem (made on first start)
    reader_key: Path | None = None
    dns_name: str | None = None  # sign as x509_san_dns:<name> (must be a SAN of the reader certificate)
    trust: Path | None = None  # a synced trust bundle folder (mobileid verifier sync)
    transaction_seconds: int = 300
    business_name: str = "Hana Bank"  # what the relying-party page calls itself

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'verifier.sqlite3').resolve()}"
