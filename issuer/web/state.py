"""What every request needs: settings, the database, the clock (injectable), the current keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from issuer.db import autocommit_sessions
from issuer.keys import IssuerKeys, Pkcs11Config, load_keys, tx_code_pepper
from issuer.settings import Settings
from issuer.status import CurrentList


@dataclass
class State:
    settings: Settings
    sessions: sessionmaker[Session]
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    session_secret: bytes = b""
    pepper: bytes = b""  # the tx_code pepper of the data folder, handed to every offer and redemption
    lists: CurrentList = field(init=False)  # the status list new credentials go on
    single_statement: sessionmaker[Session] = field(init=False)  # autocommit on PostgreSQL; see autocommit_sessions
    _keys: IssuerKeys | None = None

    def __post_init__(self) -> None:
        self.pepper = tx_code_pepper(self.settings.data_dir)
        self.single_statement = autocommit_sessions(self.sessions)
        self.lists = CurrentList(self.settings.status_list_max_fill)

    def now(self) -> dt.datetime:
        return self.clock()

    def keys(self, session: Session) -> IssuerKeys:
        if self._keys is None:
            self._keys = load_keys(session, self.settings.data_dir, pkcs11=Pkcs11Config.from_settings(self.settings))
        return self._keys

    def forget_keys(self) -> None:
        """Load the keys again on next use (after a rotation); an HSM session of the old ones is released."""
        if self._keys is not None:
            self._keys.close()
        self._keys = None


def state(request: Request) -> State:
    value: State = request.app.state.mobileid
    return value
