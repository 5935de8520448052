"""Issuer settings (pydantic-settings, environment prefix ``MOBILEID_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOBILEID_")

    data_dir: Path = Path("data")
    database_url: str | None = None  # default: SQLite under data_dir
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    offer_ttl_seconds: int = 600
    tx_code_attempts: int = 5
    session_idle_seconds: int = 1800
    seed_people: int = 10_000
    status_list_size: int = 131_072  # entries per list (2 bits each: valid, invalid, suspended)

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'issuer.sqlite3').resolve()}"
