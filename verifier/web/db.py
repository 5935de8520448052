"""The verifier's one table, ``oid4vp_transactions``, on SQLite or PostgreSQL (SQLAlchemy Core).

Its own small schema instead of Alembic: the service keeps short-lived transactions only, so the schema is
created when missing and stamped with ``SCHEMA_VERSION`` in ``verifier_schema``; a later version adds its
upgrade step to ``ensure_schema`` (a database stamped with an unknown version is refused, never guessed at).

A transaction is answered at most once: ``claim`` moves it from ``pending`` with one conditional UPDATE,
so of two racing responses exactly one wins on either database. The decryption key (inside ``pending``)
is erased when the transaction closes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    update,
)

__all__ = ["SCHEMA_VERSION", "TransactionRow", "TransactionStore", "make_engine"]

SCHEMA_VERSION = 1
metadata = MetaData()
transactions = Table(
    "oid4vp_transactions", metadata,
    Column("id", String(43), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("preset", String(40)),
    Column("status", String(16), nullable=False, index=True),  # pending | answered | declined
    Column("pending", Text),  # PendingPresentation JSON (the decryption key): erased when closed
    Column("request_jwt", Text, nullable=False),
    Column("client_id", String(300), nullable=False),
    Column("webhook_url", String(500)),
    Column("webhook_status", String(40)),
    Column("result", Text),
    Column("answered_at", DateTime(timezone=True)),
)
schema = Table("verifier_schema", metadata, Column("version", Integer, primary_key=True))


def make_engine(url: str) -> Engine:
    """The issuer's SQLite recipe (issuer.db.make_engine), repeated because nothing may import the issuer:
    WAL, a busy timeout and BEGIN IMMEDIATE so concurrent writers queue instead of failing."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=20, max_overflow=40)
    engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=20, max_overflow=40)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # BEGIN IMMEDIATE below, not pysqlite's deferred BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def ensure_schema(engine: Engine) -> None:
    metadata.create_all(engine, checkfirst=True)
    with engine.begin() as conn:
        versions = list(conn.scalars(select(schema.c.version)))
        if not versions:
            conn.execute(insert(schema).values(version=SCHEMA_VERSION))
        elif versions != [SCHEMA_VERSION]:
            raise RuntimeError(f"the verifier database has schema version {versions}, this build knows "
                               f"{SCHEMA_VERSION}")


@dataclass(frozen=True, slots=True)
class TransactionRow:
    id: str
    created_at: dt.datetime
    expires_at: dt.datetime
    preset: str | None
    status: str
    pending: Mapping[str, Any] | None
    request_jwt: str
    client_id: str
    webhook_url: str | None
    webhook_status: str | None
    result: Mapping[str, Any] | None
    answered_at: dt.datetime | None

    def status_at(self, now: dt.datetime) -> str:
        return "expired" if self.status == "pending" and now > self.expires_at else self.status


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else (value if value.tzinfo else value.replace(tzinfo=dt.UTC))


class TransactionStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, *, id: str, now: dt.datetime, expires_at: dt.datetime, preset: str | None,
            pending: Mapping[str, Any], request_jwt: str, client_id: str, webhook_url: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(transactions).values(
                id=id, created_at=now, expires_at=expires_at, preset=preset, status="pending",
                pending=json.dumps(pending), request_jwt=request_jwt, client_id=client_id, webhook_url=webhook_url))

    def get(self, transaction_id: str) -> TransactionRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(transactions).where(transactions.c.id == transaction_id)).mappings().first()
        if row is None:
            return None
        return TransactionRow(row["id"], _utc(row["created_at"]) or dt.datetime.now(dt.UTC),
                              _utc(row["expires_at"]) or dt.datetime.now(dt.UTC), row["preset"], row["status"],
                              json.loads(row["pending"]) if row["pending"] else None, row["request_jwt"],
                              row["client_id"], row["webhook_url"], row["webhook_status"],
                              json.loads(row["result"]) if row["result"] else None, _utc(row["answered_at"]))

    def claim(self, transaction_id: str, *, status: str, result: Mapping[str, Any], now: dt.datetime) -> bool:
        """Close a pending transaction with its result; False when it was closed already (a replay)."""
        with self.engine.begin() as conn:
            done = conn.execute(update(transactions).where(
                transactions.c.id == transaction_id, transactions.c.status == "pending").values(
                status=status, result=json.dumps(result), answered_at=now, pending=None))
        return done.rowcount == 1

    def set_webhook_status(self, transaction_id: str, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(transactions).where(transactions.c.id == transaction_id).values(
                webhook_status=status[:40]))
