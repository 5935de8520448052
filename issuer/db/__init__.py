"""Database access: engine and sessions, and migrations to the newest revision (never ``create_all``)."""

from __future__ import annotations

import re
import time
from collections import namedtuple
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Dialect, Engine, Executable, create_engine, event
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str) -> Engine:
    # hide_parameters: a statement's values (names, resident numbers, hashes) never appear in an exception's
    # message, so never in a log or a traceback (issuer.web.logs)
    if not url.startswith("sqlite"):
        # pooled connections for most of the requests a worker runs at once (up to anyio's 40 threads): with
        # the default 5, every request beyond them opened a connection and closed it after (a backend each)
        engine = create_engine(url, pool_size=20, max_overflow=10, hide_parameters=True)
        _ping_when_idle(engine)
        return engine
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


IDLE_PING_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """``pool_pre_ping``, but only for a connection that sat in the pool longer than ``IDLE_PING_SECONDS``.

    A dead pooled connection (the database restarted) is replaced when it is checked out, as with
    ``pool_pre_ping`` (docs/reliability.md), without a round trip on every request of a busy worker, whose
    connections go back and forth within milliseconds: there, a connection that died under a request fails
    that one request (a 503 with Retry-After) and SQLAlchemy discards the whole pool, as on any disconnect.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info["mobileid.idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        since = record.info.get("mobileid.idle_since")  # None: a connection just opened (info goes with it)
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("a pooled connection did not answer; the pool opens another") from exc


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


def autocommit_sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions for a request of one statement that writes no audit entry (a c_nonce, an offer fetched by its
    reference): on PostgreSQL in autocommit, which saves the BEGIN and COMMIT round trips; on SQLite (a local
    file, no round trips) the usual sessions. Never for anything that audits: the chain's lock is a
    transaction's."""
    engine: Engine = sessions.kw["bind"]
    if engine.dialect.name == "sqlite":
        return sessions
    return session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))


_CONNECTION = "mobileid.connection"  # (root transaction, its connection)


def connection(session: Session) -> Connection:
    """The connection of the session's transaction (begun if none is), remembered for that transaction:
    ``Session.connection()`` walks the session's state machine on every call, a measurable cost on the
    issuance path, which runs a statement at a time on it."""
    transaction = session.get_transaction()
    known = session.info.get(_CONNECTION)
    if known is not None and transaction is not None and known[0] is transaction:
        return known[1]  # type: ignore[no-any-return]
    current = session.connection()
    session.info[_CONNECTION] = (session.get_transaction(), current)
    return current


_UNSET = object()
_EXPANDING = re.compile(r"IN \(__\[POSTCOMPILE_(\w+)\]\)")


class _Form:
    """A statement as the driver takes it: SQL text, default values and bind processors (compiled once), and
    the row type of its answer (made from the first answer's columns)."""

    __slots__ = ("defaults", "processors", "row", "sql")

    def __init__(self, sql: str, defaults: dict[str, Any], processors: dict[str, Any]) -> None:
        self.sql, self.defaults, self.processors = sql, defaults, processors
        self.row: Any = None


# statement, the parameter names given -> its driver form, or None where the driver path does not apply
# (Python-side column defaults): compiled once per process
_DRIVER: dict[tuple[Executable, frozenset[str]], _Form | None] = {}


class DriverRows:
    """What the hot path reads of a statement's answer (``first``, ``all``, ``scalar``, ``rowcount``), as
    rows with attribute access, like SQLAlchemy's ``Row``."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows, self.rowcount = rows, rowcount

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def all(self) -> list[Any]:
        return list(self._rows)

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None


def _driver_form(statement: Executable, dialect: Dialect, names: frozenset[str]) -> _Form | None:
    key = (statement, names)
    found = _DRIVER.get(key, _UNSET)
    if found is _UNSET:
        compiled = statement.compile(dialect=dialect, column_keys=sorted(names))  # type: ignore[attr-defined]
        # an expanding list (``IN :names``) is sent as one array parameter: ``= ANY(%(names)s)``
        sql = _EXPANDING.sub(r"= ANY(%(\1)s)", compiled.string)
        plain = not getattr(compiled, "insert_prefetch", None) and not getattr(compiled, "update_prefetch", None) \
            and "POSTCOMPILE" not in sql
        found = _Form(sql, compiled.construct_params(_check=False), dict(compiled._bind_processors)) \
            if plain else None
        _DRIVER[key] = found
    return found  # type: ignore[return-value]


def execute(session: Session, statement: Executable, params: Mapping[str, Any]) -> Any:
    """``statement`` with ``params`` on the session's transaction (``connection``). On PostgreSQL the SQL
    SQLAlchemy compiled for it (once per process, with its bind processing) goes to psycopg's cursor directly,
    as a prepared statement: SQLAlchemy's per-statement execution context cost more CPU than the statement.
    Statements the driver path cannot take (Python-side defaults) and SQLite go through SQLAlchemy; both
    answer ``first``, ``all``, ``scalar`` and ``rowcount`` alike, rows with their columns as attributes."""
    current = connection(session)
    if current.dialect.name != "postgresql":
        return current.execute(statement, dict(params))
    form = _driver_form(statement, current.dialect, frozenset(params))
    if form is None:
        return current.execute(statement, dict(params))
    values = form.defaults | dict(params)
    for name, process in form.processors.items():
        if name in values:
            values[name] = process(values[name])
    cursor = _cursor(current)
    cursor.execute(form.sql, values, prepare=True)
    result = cursor.pgresult
    if result is None or not result.nfields:  # no answer rows (an UPDATE or INSERT without RETURNING)
        return DriverRows([], cursor.rowcount)
    if form.row is None:
        form.row = namedtuple("Row", [c.name for c in cursor.description or ()], rename=True)  # type: ignore[misc]
    return DriverRows([form.row._make(r) for r in cursor.fetchall()], cursor.rowcount)


_CURSOR = "mobileid.cursor"


def _cursor(current: Connection) -> Any:
    """One psycopg cursor per pooled connection, kept with it (SQLAlchemy clears ``info`` when it replaces
    the connection) and reused by every statement: each answer is read in full before the next."""
    pooled = current.connection
    driver = pooled.driver_connection
    cursor = pooled.info.get(_CURSOR)
    if cursor is None or cursor.closed or cursor.connection is not driver:
        cursor = pooled.info[_CURSOR] = driver.cursor()  # type: ignore[union-attr]
    return cursor
