"""What the issuer writes to its log, chosen deliberately: never personal data, codes, tokens or SQL values.

- Access log (``uvicorn.access``): method, path and status, with the query string dropped and every path
  segment that is not a fixed word of one of the service's routes or a plain number replaced by ``:value``
  (a ``/credential-offer/<reference>`` names a secret; a search term never reaches a URL, see
  ``issuer.web.console``, and an old bookmark with ``?q=`` is still not logged).
- Errors (``uvicorn.error`` and ``issuer``): a traceback keeps its frames and the exception's class but not
  its message (a driver's message may quote a row: PostgreSQL's ``Key (resident_number)=(...)``).
- SQLAlchemy: engines are made with ``hide_parameters=True`` (``issuer.db.make_engine``) and its loggers stay
  at WARNING, so neither statements with values nor result rows are ever logged, whatever a deployment's root
  level is.

``LOG_CONFIG`` is what ``mobileid issuer serve`` gives uvicorn; ``install`` attaches the same filters when the
app runs under any other server (a test's uvicorn, ``uvicorn --factory``).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable
from typing import Any

_NUMBER = re.compile(r"\d{1,18}")
_ACCESS_ARGS = 5  # uvicorn's access record: (client address, method, full path, http version, status code)


def route_words(paths: Iterable[str]) -> frozenset[str]:
    """The fixed segments of ``paths`` (route templates such as ``/console/applicants/{person_id}``)."""
    return frozenset(part for path in paths for part in path.split("/") if part and not part.startswith("{"))


def redact_path(path: str, words: frozenset[str]) -> str:
    """``path`` without its query string, each segment kept only if it is a route word or a number."""
    bare = path.split("?", 1)[0].split("#", 1)[0]
    kept = [part if not part or part in words or _NUMBER.fullmatch(part) else ":value" for part in bare.split("/")]
    return "/".join(kept) or "/"


class AccessRedaction(logging.Filter):
    """Rewrites uvicorn's access records (the path argument) as ``redact_path`` says."""

    def __init__(self, words: frozenset[str] = frozenset()) -> None:
        super().__init__("uvicorn.access")
        self.words = words

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == _ACCESS_ARGS:
            record.args = (args[0], args[1], redact_path(str(args[2]), self.words), args[3], args[4])
        return True


class ExceptionRedaction(logging.Filter):
    """Keeps a traceback's frames and exception classes, drops every exception message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redacted_traceback(record.exc_info[1])
        return True


def redacted_traceback(exc: BaseException) -> str:
    out: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_tb(current.__traceback__))
        out.insert(0, f"Traceback (most recent call last):\n{frames}{type(current).__module__}."
                      f"{type(current).__qualname__}: (message withheld from the log)")
        current = current.__cause__ or current.__context__
    return "\n\nDuring handling, another exception:\n\n".join(out)


_ERROR_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.asgi", "issuer", "fastapi")
_QUIET = ("sqlalchemy.engine", "sqlalchemy.pool", "sqlalchemy.orm", "sqlalchemy.dialects")


def install(words: frozenset[str]) -> None:
    """Attach the filters (once) to the loggers and handlers uvicorn configured, and quiet SQLAlchemy."""
    access = logging.getLogger("uvicorn.access")
    for holder in (access, *access.handlers):
        for old in [f for f in holder.filters if isinstance(f, AccessRedaction)]:
            holder.removeFilter(old)
        holder.addFilter(AccessRedaction(words))
    for name in _ERROR_LOGGERS:
        logger = logging.getLogger(name)
        for holder in (logger, *logger.handlers):
            if not any(isinstance(f, ExceptionRedaction) for f in holder.filters):
                holder.addFilter(ExceptionRedaction())
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"access": {"()": AccessRedaction}, "exceptions": {"()": ExceptionRedaction}},
    "formatters": {
        "default": {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(message)s"},
        "access": {"()": "uvicorn.logging.AccessFormatter",
                   "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'},
    },
    "handlers": {
        "default": {"formatter": "default", "class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                    "filters": ["exceptions"]},
        "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                   "filters": ["access"]},
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "issuer": {"handlers": ["default"], "level": "INFO", "propagate": False},
        **{name: {"level": "WARNING"} for name in _QUIET},
    },
}
