"""The verifier mode's logic: the trust bundle on disk (synced from the issuer), requests, verdicts.

The sync is ``verifier.sync``'s, as ``mobileid verifier sync``: the first one pins the root the app ships (or the
issuer's ``root.pem``); later syncs only accept what verifies under that pinned root.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from app.scan_log import ScanEntry, ScanLog
from specs.catalogue import Catalogue
from specs.errors import InputError, MobileIdError
from specs.qr.presentation import QrRequest
from verifier.policy import PRESETS, Policy, request_items
from verifier.qr import Verifier
from verifier.result import VerificationResult
from verifier.sync import has_copy, sync
from verifier.trust import VerifierTrust
from verifier.verdict import headline
from wallet.oid4vci import HttpClient

__all__ = ["REQUESTS", "VerifierService"]

# What the request screen can ask for (two-way): one request per question of the mode chooser, asking for
# what its policy needs and nothing more (``verifier.policy.request_items``), so its answer meets that policy.
REQUESTS: Mapping[str, Mapping[str, tuple[str, ...]]] = {name: request_items(p) for name, p in PRESETS.items()}


DEFAULT_NAME = "mobileid verifier"  # until the shop names itself in settings


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class VerifierService:
    def __init__(self, folder: Path, *, http: HttpClient | None = None, issuer_url: str = "",
                 clock: Callable[[], dt.datetime] = _utc_now, name: str | None = None,
                 root_pem: bytes | None = None, check: str = "genuine") -> None:
        self.folder = Path(folder)
        self.root_pem = root_pem  # the root the app ships with: pinned instead of fetched on first sync
        self.http, self.issuer_url, self.clock = http, issuer_url.rstrip("/"), clock
        self.name = name  # the shop's own name, set in verifier-mode settings; put in its requests
        self.check = check  # the question the shop asks: a policy preset, or "genuine" (none)
        self._verifier: Verifier | None = None
        self.pending_request: QrRequest | None = None
        self.log = ScanLog(self.folder)
        self.catalogue = Catalogue.load_default()

    @property
    def policy(self) -> Policy | None:
        """The policy of the chosen question (None: only whether the card is genuine)."""
        return PRESETS.get(self.check)

    @property
    def requester(self) -> str:
        return self.name or DEFAULT_NAME

    def has_bundle(self) -> bool:
        return has_copy(self.folder)

    def sync(self) -> dt.datetime | None:
        """Bring the trust bundle up to date (``verifier.sync``: only what changed, all verified under the pinned
        root, the old copy kept on any error)."""
        if self.http is None:
            raise InputError("no network client to sync with", code="input.offline")
        sync(self.http, self.issuer_url, self.folder, first_root=self.root_pem, now=self.clock())
        trust = VerifierTrust.from_path(self.folder, now=self.clock())
        self._verifier = Verifier(trust, clock=self.clock, name=self.requester)
        return trust.bundle_issued_at

    def verifier(self) -> Verifier:
        if self._verifier is None:
            if not self.has_bundle():
                raise InputError("no trust bundle yet: sync first", code="trust.no_bundle")
            from datetime import timedelta

            # Load even an old bundle: Verifier refuses to verify with it (trust.bundle_stale), with a reason.
            trust = VerifierTrust.from_path(self.folder, now=self.clock(), max_age=timedelta(days=3650))
            self._verifier = Verifier(trust, clock=self.clock, name=self.requester)
        self._verifier.name = self.requester  # the shop may have renamed itself since
        return self._verifier

    def bundle_age(self) -> dt.timedelta | None:
        try:
            issued = self.verifier().trust.bundle_issued_at
        except MobileIdError:
            return None
        return None if issued is None else self.clock() - issued

    def request(self, question: str) -> QrRequest:
        """The request QR for a question of the mode chooser (a policy preset)."""
        if question not in REQUESTS:
            raise InputError(f"no request for {question[:40]!r}", code="input.usage")
        self.pending_request = self.verifier().request(REQUESTS[question])
        return self.pending_request

    def verify(self, texts: Iterable[str]) -> VerificationResult:
        texts = list(texts)
        try:
            verifier = self.verifier()
        except MobileIdError as exc:
            return VerificationResult.failure("mdoc", exc)
        result = verifier.verify_qr(texts, request=self.pending_request)
        if result.authentic:
            self.pending_request = None
        if self.policy is not None:
            result = self.policy.apply(result, now=self.clock())
        answer = headline(result, self.policy, now=self.clock())
        self.log.add(ScanEntry(self.clock(), self._document(result), bool(result.valid), answer))
        return result

    def _document(self, result: VerificationResult) -> str:
        """The catalogue id of what was shown (the type only: the log keeps no claim)."""
        try:
            return self.catalogue.find(result.doctype or result.vct or "").id
        except MobileIdError:
            return ""
