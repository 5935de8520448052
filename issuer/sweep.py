"""Housekeeping: delete what anonymous requests left behind once it has expired, so they cannot grow the
database without bound (issue: abuse limits). Run by the service every ``sweep_interval_seconds`` (each
worker sweeps; the deletes are idempotent, so N workers sweeping at once only repeat each other's work) and by
``mobileid issuer sweep``.

``SWEPT`` lists (table, expiry column, extra condition, dependents): one line adds a table. Offers are swept
only when never redeemed (open or burned) and ``offer_retention_seconds`` after they expired, so the console
still shows a clerk that an offer lapsed; their grant items go with them. Nonces, remote challenges (same
table), console sessions idle past their timeout, rate-limit windows and refusal counters go as soon as they
are past use.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from issuer.db.models import AccessToken, ConsoleSessionRow, GrantItem, Nonce, Offer, RateCounter, RefusalCount
from issuer.settings import Settings

REFUSALS_KEPT = dt.timedelta(days=90)  # the per-minute refusal counts are the record of anonymous abuse


@dataclass(frozen=True, slots=True)
class Swept:
    """Rows of ``model`` whose ``expiry`` is before the cut-off (now minus ``grace``) are deleted, when
    ``extra`` (if any) also holds; ``dependents`` (model, foreign key) rows referring to them go first."""

    model: type[Any]
    expiry: InstrumentedAttribute[Any]
    grace: Callable[[Settings], dt.timedelta] = lambda _: dt.timedelta(0)
    extra: Callable[[], Any] | None = None
    dependents: tuple[tuple[type[Any], InstrumentedAttribute[Any]], ...] = field(default=())


def _window_seconds(settings: Settings) -> dt.timedelta:
    return dt.timedelta(seconds=max(1, settings.rate_limit_window_seconds))


SWEPT: tuple[Swept, ...] = (
    Swept(Nonce, Nonce.expires_at),  # OpenID4VCI c_nonces and remote challenges
    Swept(Offer, Offer.expires_at, lambda s: dt.timedelta(seconds=s.offer_retention_seconds),
          lambda: Offer.state.in_(("open", "burned")) & Offer.redeemed_at.is_(None)
          & ~Offer.id.in_(select(AccessToken.offer_id).where(AccessToken.offer_id.is_not(None))),
          ((GrantItem, GrantItem.offer_id),)),
    Swept(RefusalCount, RefusalCount.minute, lambda _: REFUSALS_KEPT),
    # console sign-ins idle past their timeout (an older one is refused at its next use anyway)
    Swept(ConsoleSessionRow, ConsoleSessionRow.seen_at, lambda s: dt.timedelta(seconds=s.session_idle_seconds)),
)


def _rate_windows(session: Session, settings: Settings, now: dt.datetime) -> int:
    """Rate-limit windows that have ended (their start is an integer of seconds, not a time column)."""
    cutoff = int(now.timestamp()) - int(_window_seconds(settings).total_seconds())
    result = session.execute(delete(RateCounter).where(RateCounter.window_start < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]


def sweep(session: Session, settings: Settings, now: dt.datetime) -> dict[str, int]:
    """Delete everything expired, in one transaction; returns rows deleted per table (committed)."""
    deleted: dict[str, int] = {}
    for entry in SWEPT:
        condition = entry.expiry < now - entry.grace(settings)
        if entry.extra is not None:
            condition = condition & entry.extra()
        primary = entry.model.__mapper__.primary_key
        if entry.dependents:
            doomed = select(primary[0]).where(condition)
            for model, foreign_key in entry.dependents:
                gone = session.execute(delete(model).where(foreign_key.in_(doomed)))
                deleted[model.__tablename__] = deleted.get(model.__tablename__, 0) + int(gone.rowcount)  # type: ignore[attr-defined]
        result = session.execute(delete(entry.model).where(condition))
        deleted[entry.model.__tablename__] = int(result.rowcount)  # type: ignore[attr-defined]
    deleted[RateCounter.__tablename__] = _rate_windows(session, settings, now)
    session.commit()
    return deleted


log = logging.getLogger("mobileid.issuer.sweep")


@contextlib.asynccontextmanager
async def periodically(sessions: sessionmaker[Session], settings: Settings,
                       now: Callable[[], dt.datetime]) -> AsyncIterator[None]:
    """Sweep every ``settings.sweep_interval_seconds`` (0: never) while the service runs."""

    def once() -> dict[str, int]:
        with sessions() as session:
            return sweep(session, settings, now())

    async def loop() -> None:
        while True:
            await anyio.sleep(settings.sweep_interval_seconds)
            try:
                counts = await anyio.to_thread.run_sync(once)
            except SQLAlchemyError as exc:  # the database is away: the next round tries again
                log.warning("sweep failed (%s); retrying in %s s", type(exc).__name__, settings.sweep_interval_seconds)
            else:
                log.info("sweep deleted %s", ", ".join(f"{n} {t}" for t, n in counts.items() if n) or "nothing")

    if settings.sweep_interval_seconds <= 0:
        yield
        return
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(loop)
        try:
            yield
        finally:
            tasks.cancel_scope.cancel()
