"""Database access: engine and sessions, and migrations to the newest revision (never ``create_all``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str) -> Engine:
    # hide_parameters: a statement's values (names, resident numbers, hashes) never appear in an exception's
    # message, so never in a log or a traceback (issuer.web.logs)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    # SQLite under concurrent requests. pysqlite opens transactions lazily as DEFERRED, and a DEFERRED
    # transaction that read and then wants to write fails at once with SQLITE_BUSY ("database is locked"):
    # the busy timeout does not apply to that upgrade. So pysqlite's own transaction handling is switched off
    # and every transaction starts with BEGIN IMMEDIATE, which takes the write lock up front and waits for it
    # (busy_timeout). This is SQLAlchemy's documented recipe; it also makes SAVEPOINTs work properly.
    # (no pool_pre_ping: a connection to a local file does not go stale, and the ping cost a query per request)
    engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # no implicit BEGIN by pysqlite
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest revision."""
    command.upgrade(alembic_config(url), "head")


def schema_problem(engine: Engine) -> str | None:
    """Why this database cannot serve the issuer yet (no schema, or not at the newest revision), or None."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    database = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and database and database != ":memory:" and not Path(
            database).is_file():
        return "does not exist"  # asked before connecting: connecting would create an empty file
    head = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(hide_password=False)))
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:  # no such file or folder, server down, refused
        return f"cannot be opened ({type(exc.orig).__name__})"
    if current is None:
        return "holds no issuer yet"
    if current != head.get_current_head():
        return f"is at revision {current}, not {head.get_current_head()}"
    return None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
