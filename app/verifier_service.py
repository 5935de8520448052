"""The verifier mode's logic: the trust bundle on disk (synced from the issuer), requests, verdicts.

The bundle's root certificate is pinned: the first sync takes ``root.pem`` (the app ships it in a real
build); later syncs only accept bundles signed under that pinned root.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from app.scan_log import ScanEntry, ScanLog
from specs.catalogue import Catalogue
from specs.errors import InputError, MobileIdError
from specs.qr.presentation import QrRequest
from specs.x509 import TrustStore
from verifier.policy import PRESETS, Policy
from verifier.qr import Verifier
from verifier.result import VerificationResult
from verifier.trust import VerifierTrust
from wallet.oid4vci import HttpClient

__all__ = ["REQUESTS", "VerifierService"]

# What the request screen offers to ask for (two-way): a label key and the items asked.
REQUESTS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "age19": {"kr.mobileid.age.1": ("age_over_19",)},
    "name_photo": {"org.iso.18013.5.1.mDL": ("family_name", "given_name", "portrait")},
    "licence": {"org.iso.18013.5.1.mDL": ("family_name", "given_name", "birth_date", "document_number",
                                          "expiry_date", "portrait", "driving_privileges")},
}


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

    @property
    def bundle_path(self) -> Path:
        return self.folder / "bundle.cbor"

    def has_bundle(self) -> bool:
        return self.bundle_path.is_file() and (self.folder / "root.pem").is_file()

    def sync(self) -> dt.datetime | None:
        """Fetch the issuer's trust bundle; kept only if it verifies under the pinned root."""
        if self.http is None:
            raise InputError("no network client to sync with", code="input.offline")
        self.folder.mkdir(parents=True, exist_ok=True)
        root_path = self.folder / "root.pem"
        if not root_path.is_file():
            pem = self.root_pem
            if pem is None:
                root = self.http.get(f"{self.issuer_url}/trust/root.pem")
                root.raise_for_status()
                pem = root.content
            TrustStore.from_pem(pem)
            root_path.write_bytes(pem)
        response = self.http.get(f"{self.issuer_url}/trust/bundle")
        response.raise_for_status()
        trust = VerifierTrust.from_bundle(response.content, TrustStore.from_pem(root_path.read_bytes()),
                                          now=self.clock())
        tmp = self.bundle_path.with_suffix(".tmp")
        tmp.write_bytes(response.content)
        tmp.replace(self.bundle_path)
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

    def request(self, kind: str) -> QrRequest:
        self.pending_request = self.verifier().request(REQUESTS[kind])
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
        self.log.add(ScanEntry(self.clock(), self._document(result), bool(result.valid)))
        return result

    def _document(self, result: VerificationResult) -> str:
        """The catalogue id of what was shown (the type only: the log keeps no claim)."""
        try:
            return self.catalogue.find(result.doctype or result.vct or "").id
        except MobileIdError:
            return ""
