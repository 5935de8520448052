"""``Verifier.verify_qr``: QR text, frames or an image -> a typed ``VerificationResult``, offline.

The profile is ``specs/qr-presentation.md``. On top of the credential checks (``verifier.verify``:
issuer signature, DS -> IACA chain with the Annex B profile, digests over the received bytes, docType,
validity, device signature over the transcript) this adds what a QR channel needs: the transcript is
rebuilt from *this verifier's* request (two-way) or from the wallet's nonce and signed time, which must be
within ``policy.one_way_window`` of now (one-way); a one-way nonce or an answered request seen twice is a
replay; an answer holds one document; a two-way answer must be a requested document holding every requested
element and no element the request did not name (always-visible SD-JWT claims that were not asked for are
dropped before anyone sees them); the trust bundle
must be younger than ``policy.max_bundle_age`` and the credential's status must
be found in it when ``policy.require_status`` (fail closed). Anything wrong -> ``valid=False``, no claims.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from specs.catalogue import Catalogue
from specs.crypto import Signer
from specs.errors import MobileIdError, QrError
from specs.io.symbols import Picture, read_texts
from specs.jose import Jws
from specs.mdoc.transcript import SessionTranscript
from specs.qr import collect, single_code
from specs.qr import scan as _scan
from specs.qr.presentation import (
    ONE_WAY,
    ONE_WAY_AUDIENCE,
    QrRequest,
    QrResponse,
    b64url,
    decode_qr_message,
    one_way_transcript,
    two_way_transcript,
)
from specs.sdjwt import SdJwt
from specs.trust import check_bundle_age
from specs.trust.bundle import FUTURE_SKEW
from verifier.result import Format, VerificationResult
from verifier.trust import VerifierTrust
from verifier.verify import mdoc_result, verify_sd_jwt_presentation

__all__ = ["Policy", "ReplayCache", "Verifier"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Policy:
    one_way_window: dt.timedelta = dt.timedelta(seconds=60)
    max_bundle_age: dt.timedelta = dt.timedelta(days=7)
    require_status: bool = True
    request_lifetime: dt.timedelta = dt.timedelta(minutes=5)


class ReplayCache:
    """Nonces seen within their validity window (bounded; the oldest fall out first)."""

    def __init__(self, limit: int = 100_000) -> None:
        self._seen: OrderedDict[bytes, dt.datetime] = OrderedDict()
        self._limit = limit

    def check_and_add(self, nonce: bytes, expires: dt.datetime, now: dt.datetime) -> None:
        seen = self._seen
        while seen and next(iter(seen.values())) < now:
            seen.popitem(last=False)
        if nonce in seen:
            raise QrError("this QR code was already scanned (replay)", code="qr.replay")
        seen[nonce] = expires
        if len(seen) > self._limit:
            seen.popitem(last=False)


class Verifier:
    """An offline QR verifier. Everything outside it is passed in: the trust it pins, the ``clock`` (the one
    source of "now"; default the system's UTC time), the ``replays`` cache (default one in memory; the CLI
    passes one kept in a file, since it runs once per scan), the policy and the catalogue."""

    def __init__(self, trust: VerifierTrust, *, clock: Callable[[], dt.datetime] | None = None,
                 replays: ReplayCache | None = None, policy: Policy | None = None,
                 catalogue: Catalogue | None = None, name: str = "mobileid verifier") -> None:
        self.trust, self.policy, self.name = trust, policy or Policy(), name
        self.catalogue = Catalogue.load_default() if catalogue is None else catalogue
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.replays = replays if replays is not None else ReplayCache()
        self._bundle_span: tuple[object, dt.datetime, dt.datetime] = (None, _EPOCH, _EPOCH)

    # -- two-way: the request this verifier shows ---------------------------------------------------
    def request(self, items: Mapping[str, Iterable[str]], *, reader_signer: Signer | None = None,
                reader_chain: tuple[bytes, ...] = ()) -> QrRequest:
        return QrRequest.create(nonce=secrets.token_bytes(16), verifier=self.name,
                                items={k: tuple(v) for k, v in items.items()},
                                expires=self._clock() + self.policy.request_lifetime, reader_signer=reader_signer,
                                reader_chain=reader_chain)

    # -- verification -------------------------------------------------------------------------------
    def verify_qr(self, data: str | list[str] | tuple[str, ...] | Picture, *, request: QrRequest | None = None
                  ) -> VerificationResult:
        """Verify a response QR given as its text (frames one a line), its frame texts, or a picture (bytes,
        a path or a PIL image; bounded by ``specs.io.symbols``)."""
        now = self._clock()
        fmt: Format = "mdoc"
        try:
            # the common scan (one code's text holding an answer) in one step; anything else the long way
            read = _scan._native(data) if data.__class__ is str and _scan._native is not None else None
            if read is None:
                decoded = decode_qr_message(_message(data))
                if not isinstance(decoded, QrResponse):
                    raise QrError("this is a verifier's request, not a wallet's answer", code="qr.message_type")
                read = decoded, None
            fmt = read[0].format
            self._check_bundle(now)
            return self._verify(read[0], request, now, read[1])  # labelled with the catalogue's type name
        except MobileIdError as exc:
            return VerificationResult.failure(fmt, exc)

    def _check_bundle(self, now: dt.datetime) -> None:
        issued = self.trust.bundle_issued_at
        if issued is None:
            return
        # check_bundle_age passes exactly for issued - 5 min <= now <= issued + max_age: that span is worked out
        # once per bundle and policy, and check_bundle_age itself runs (and words the error) only outside it
        key = (issued, self.policy.max_bundle_age)
        if self._bundle_span[0] != key:
            self._bundle_span = (key, issued - FUTURE_SKEW, issued + self.policy.max_bundle_age)
        if not self._bundle_span[1] <= now <= self._bundle_span[2]:
            check_bundle_age(issued, now, self.policy.max_bundle_age)

    def _verify(self, response: QrResponse, request: QrRequest | None, now: dt.datetime,
                one_way: SessionTranscript | None = None) -> VerificationResult:
        """``one_way``: the one-way transcript when the scan read it with the answer (``specs.qr.scan``)."""
        if response.mode == ONE_WAY:
            assert response.nonce is not None and response.time is not None
            if abs(now - response.time) > self.policy.one_way_window:
                raise QrError("this QR code is outside its validity window: ask for a fresh one",
                              code="qr.expired")
            transcript = one_way if one_way is not None else one_way_transcript(response.nonce, response.time)
            aud, replay_key = ONE_WAY_AUDIENCE, response.nonce
            expires = response.time + self.policy.one_way_window
        else:
            if request is None:
                raise QrError("a two-way answer needs the request this verifier showed", code="qr.no_request")
            request.check_fresh(now)
            transcript = two_way_transcript(request)
            aud, replay_key, expires = request.verifier, request.nonce, request.expires
        if response.format == "mdoc":
            assert isinstance(response.data, bytes)
            result = mdoc_result(response.data, self.trust, transcript, now, None, None, self.policy.require_status, 1,
                                 self.catalogue)
        else:
            assert isinstance(response.data, str)
            # the KB-JWT's nonce is the base64url of the nonce the replay cache keeps (profile §4)
            result = verify_sd_jwt_presentation(response.data, trust=self.trust, now=now, nonce=b64url(replay_key),
                                                aud=aud, require_status=self.policy.require_status,
                                                catalogue=self.catalogue)
        if result.valid:
            if response.mode == ONE_WAY and response.format == "sd-jwt":
                _check_signed_time(response)
            if request is not None:
                result = _only_what_was_asked(result, request, response)
            self.replays.check_and_add(replay_key, expires, now)
        return result


def _only_what_was_asked(result: VerificationResult, request: QrRequest, response: QrResponse
                         ) -> VerificationResult:
    """A two-way answer is a document the request asked for, holding every element it asked for and nothing
    else the holder chose to release (specs/qr-presentation.md §4, §7 step 10). A valid licence is no answer
    to "show your business registration", and an answer without ``age_over_19`` proves nothing about age.
    An element released beyond the request (an mdoc item, an SD-JWT disclosure) is refused, not dropped: the
    holder consented to the request's list, so an answer beyond it comes from a wallet that does not follow
    the profile, and showing it (or quietly hiding it) would hide that fault. Claims an SD-JWT VC issuer made
    always visible cannot be withheld by any wallet: those not asked for are dropped before anyone sees them."""
    answered = result.doctype or result.vct or ""
    asked = request.items.get(answered)
    if asked is None:
        raise QrError("the answer is a document the request did not ask for", code="qr.not_requested")
    if result.format == "mdoc":
        present = {name for items in result.claims.values() if isinstance(items, Mapping) for name in items}
        released = present
    else:
        assert isinstance(response.data, str)
        present = set(result.claims)
        released = present & _disclosed_names(response.data)
    missing = [name for name in asked if name not in present]
    if missing:
        raise QrError(f"the answer lacks requested elements: {', '.join(sorted(missing))}",
                      code="qr.elements_missing")
    extra = sorted(released - set(asked))
    if extra:
        raise QrError(f"the answer releases {len(extra)} element(s) the request did not ask for",
                      code="qr.elements_not_requested")
    if present <= set(asked) or result.format == "mdoc":
        return result
    return replace(result, claims={k: v for k, v in result.claims.items() if k in asked})


def _disclosed_names(presentation: str) -> set[str]:
    """The claim names the holder released through disclosures (RFC 9901 §4.2.1; array elements have none)."""
    return {d.name for d in SdJwt.parse(presentation).disclosures if d.name is not None}


def _check_signed_time(response: QrResponse) -> None:
    """For SD-JWT the envelope's t is not signed: it must equal the KB-JWT's signed iat."""
    assert isinstance(response.data, str) and response.time is not None
    kb = SdJwt.parse(response.data).kb_jwt
    iat = Jws.parse(kb).payload.get("iat") if kb else None
    if iat != int(response.time.timestamp()):
        raise QrError("the response time differs from the signed KB-JWT time", code="qr.time_mismatch")


def _message(data: str | list[str] | tuple[str, ...] | Picture) -> bytes:
    """The message the texts (or the picture's codes) carry: frames of one message, any order, each once;
    codes of two different messages are refused as ambiguous, codes that are not ours are left out."""
    texts: Sequence[str]
    if isinstance(data, str):
        lines = data.splitlines()
        if len(lines) == 1:  # the common scan, one code: read without a collector (the same checks and errors)
            message = single_code(lines[0])
            if message is not None:
                return message
        texts = [line for line in lines if line.strip()] or [data]
    elif isinstance(data, (list, tuple)):
        texts = [str(text) for text in data]
    else:
        texts = read_texts(data)
    collector = collect(texts)  # each text parsed once
    if not collector.progress[0] and texts:
        collector.add(texts[0])  # only foreign codes: the first one says why it is not ours
    if not collector.complete:
        have, total = collector.progress
        raise QrError(f"only {have} of {total} frames were scanned", code="qr.frame_incomplete")
    return collector.message()
