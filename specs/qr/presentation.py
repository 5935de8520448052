"""The QR presentation profile's messages (``specs/qr-presentation.md``): request, response, handovers.

Every message is CBOR, framed by ``specs.qr.frames`` (zlib, base45, ``MID2`` prefix). The first element
says what it is::

    QrRequest  = ["req", RequestBody: bstr .cbor RequestFields, ? ReaderAuth: COSE_Sign1 / nil]
    RequestFields = {"v": 1, "nonce": bstr (>= 16), "verifier": tstr, "items": {+ tstr => [+ tstr]},
                     "exp": uint}                                     ; items: docType or vct -> names
    ReaderAuth = COSE_Sign1, detached payload ["MobileIdQrRequest", RequestBody], x5chain: reader cert
    QrResponse = ["resp", {"v": 1, "m": 1 / 2, "f": "mdoc" / "sd-jwt", "d": bstr / tstr,
                           ? "n": bstr, ? "t": uint}]                 ; m 1 two-way, 2 one-way: n and t

The mdoc answer is a DeviceResponse whose DeviceSignature covers a SessionTranscript
``[null, null, Handover]`` (ISO/IEC 18013-5 §9.1.5.1 leaves the handover to the channel):

    two-way:  Handover = ["MobileIdQR", 1, SHA-256(RequestBody)]     ; as OpenID4VPHandover binds its request
    one-way:  Handover = ["MobileIdQR", 2, n, t]                     ; wallet nonce and signed time

The SD-JWT VC answer carries a KB-JWT (RFC 9901 §4.3) with ``nonce`` = base64url(request nonce) and
``aud`` = the request's verifier (two-way), or ``nonce`` = base64url(n), ``aud`` = ``ONE_WAY_AUDIENCE``
and ``iat`` = t (one-way).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeGuard

from cryptography import x509

from specs.cbor import decode, encode
from specs.cbor.raw import bstr_header
from specs.cose.sign1 import CoseSign1
from specs.crypto import Signer
from specs.errors import MobileIdError, QrError, ReaderAuthError
from specs.mdoc.transcript import SessionTranscript
from specs.slots import builder
from specs.x509 import CertificateRole, TrustStore, validate_chain
from specs.x509.load import load_der_certificate

__all__ = ["HANDOVER_ID", "ONE_WAY_AUDIENCE", "ONE_WAY_WINDOW", "QrRequest", "QrResponse", "decode_qr_message",
           "one_way_transcript", "two_way_transcript"]

HANDOVER_ID = "MobileIdQR"
ONE_WAY_AUDIENCE = "mobileid-qr:one-way"
ONE_WAY_WINDOW = dt.timedelta(seconds=60)
MIN_NONCE = 16
MAX_NONCE = 64
TWO_WAY: Literal[1] = 1
ONE_WAY: Literal[2] = 2
_READER_AUTH_CONTEXT = "MobileIdQrRequest"
_MAX_ITEMS = 64
_MAX_TIME = 253402300799  # 9999-12-31T23:59:59Z: larger times cannot be dates


def _fail(message: str, code: str = "qr.malformed") -> QrError:
    return QrError(message, code=code)


def _is_int(value: Any) -> TypeGuard[int]:
    """Profile §3.1: types are exact. ``1.0 == 1`` and ``True == 1`` in Python, but a float or a boolean
    where the profile says integer is another CBOR major type and is refused."""
    return type(value) is int


def _nonce(value: Any, what: str) -> bytes:
    if not isinstance(value, bytes) or not MIN_NONCE <= len(value) <= MAX_NONCE:
        raise _fail(f"{what} must be {MIN_NONCE}..{MAX_NONCE} random bytes")
    return value


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class QrRequest:
    """What a verifier asks for (two-way mode); ``body`` keeps the received RequestBody bytes."""

    nonce: bytes
    verifier: str
    items: Mapping[str, tuple[str, ...]]
    expires: dt.datetime
    body: bytes = b""
    reader_auth: CoseSign1 | None = field(default=None, compare=False)

    @classmethod
    def create(cls, *, nonce: bytes, verifier: str, items: Mapping[str, tuple[str, ...] | list[str]],
               expires: dt.datetime, reader_signer: Signer | None = None,
               reader_chain: tuple[bytes, ...] = ()) -> QrRequest:
        fields = {"v": 1, "nonce": _nonce(nonce, "nonce"), "verifier": verifier,
                  "items": {k: list(v) for k, v in items.items()}, "exp": int(expires.timestamp())}
        body = encode(fields)
        auth = None
        if reader_signer is not None:
            auth = CoseSign1.sign(reader_signer, encode([_READER_AUTH_CONTEXT, body]), detached=True,
                                  x5chain=reader_chain or None)
        return cls._from_body(body, auth)

    @classmethod
    def _from_body(cls, body: bytes, reader_auth: CoseSign1 | None) -> QrRequest:
        fields = decode(body, allowed_tags=(), max_size=4096)
        if not isinstance(fields, Mapping) or not _is_int(fields.get("v")) or fields["v"] != 1:
            raise _fail("request body must be a map with v = 1 (an integer)", "qr.version")
        verifier, items, exp = fields.get("verifier"), fields.get("items"), fields.get("exp")
        if not isinstance(verifier, str) or not 0 < len(verifier) <= 100:
            raise _fail("request verifier name must be 1..100 characters")
        if not _is_int(exp) or not 0 <= exp <= _MAX_TIME:
            raise _fail("request exp must be a time in seconds")
        if not isinstance(items, Mapping) or not items or len(items) > 4:
            raise _fail("request items must name 1..4 document types")
        parsed: dict[str, tuple[str, ...]] = {}
        for kind, names in items.items():
            if not isinstance(kind, str) or not isinstance(names, list) or not 0 < len(names) <= _MAX_ITEMS or not all(
                    isinstance(n, str) and 0 < len(n) <= 64 for n in names):
                raise _fail("request items must map a type to 1..64 element names")
            parsed[kind] = tuple(names)
        return cls(_nonce(fields.get("nonce"), "request nonce"), verifier, parsed,
                   dt.datetime.fromtimestamp(exp, dt.UTC), body, reader_auth)

    def request_hash(self) -> bytes:
        return hashlib.sha256(self.body).digest()

    def to_cbor(self) -> bytes:
        auth = None if self.reader_auth is None else self.reader_auth.to_cbor_value()
        return encode(["req", self.body, auth])

    def reader_auth_payload(self) -> bytes:
        """The detached payload of ReaderAuth: the signature covers the request's exact bytes."""
        return encode([_READER_AUTH_CONTEXT, self.body])

    def verify_reader(self, roots: TrustStore, *, now: dt.datetime) -> x509.Certificate:
        """Authenticate the verifier: its reader certificate chains to ``roots`` (ISO/IEC 18013-5 Annex B.1.7
        profile) and ReaderAuth signs this request's exact bytes. Returns the reader certificate."""
        if self.reader_auth is None:
            raise ReaderAuthError("the request is not signed by its verifier", code="qr.reader_unsigned")
        try:
            chain = [load_der_certificate(der) for der in self.reader_auth.x5chain]
            validated = validate_chain(chain, roots, now=now, role=CertificateRole.READER)
            self.reader_auth.verify(validated.leaf.public_key(),  # type: ignore[arg-type]
                                    detached_payload=self.reader_auth_payload())
        except MobileIdError as exc:
            raise ReaderAuthError(f"the verifier's signature does not check out ({exc.code})",
                                  code="qr.reader_auth_invalid") from None
        return validated.leaf

    def check_fresh(self, now: dt.datetime) -> None:
        if now > self.expires:
            raise QrError("the verifier's request has expired: ask for a new one", code="qr.request_expired")


@dataclass(frozen=True, slots=True)
class QrResponse:
    """The wallet's answer. ``data``: DeviceResponse CBOR (mdoc) or the SD-JWT+KB text."""

    mode: Literal[1, 2]
    format: Literal["mdoc", "sd-jwt"]
    data: bytes | str
    nonce: bytes | None = None  # one-way only
    time: dt.datetime | None = None  # one-way only

    def to_cbor(self) -> bytes:
        body: dict[str, Any] = {"v": 1, "m": self.mode, "f": self.format, "d": self.data}
        if self.mode == ONE_WAY:
            assert self.nonce is not None and self.time is not None
            body["n"] = self.nonce
            body["t"] = int(self.time.timestamp())
        return encode(["resp", body])

    @classmethod
    def _from_value(cls, body: Any) -> QrResponse:
        # once per scan: the exact-type tests of _is_int written out, and a decoded map (a dict) taken without
        # the abstract Mapping check
        if not (type(body) is dict or isinstance(body, Mapping)) or type(version := body.get("v")) is not int or (
                version != 1):
            raise _fail("response must be a map with v = 1 (an integer)", "qr.version")
        mode, fmt, data = body.get("m"), body.get("f"), body.get("d")
        if type(mode) is not int or mode not in (TWO_WAY, ONE_WAY):
            raise _fail("response mode must be the integer 1 (two-way) or 2 (one-way)")
        if not ((fmt == "mdoc" and isinstance(data, bytes)) or (fmt == "sd-jwt" and isinstance(data, str))):
            raise _fail("response format must be mdoc (bytes) or sd-jwt (text)")
        if mode == TWO_WAY:
            if "n" in body or "t" in body:
                raise _fail("a two-way response carries no nonce or time of its own")
            return cls(TWO_WAY, fmt, data)
        t = body.get("t")
        if type(t) is not int or not 0 <= t <= _MAX_TIME:
            raise _fail("a one-way response needs its signed time t")
        return _response(ONE_WAY, fmt, data, _nonce(body.get("n"), "response nonce"),
                         dt.datetime.fromtimestamp(t, dt.UTC))


_response = builder(QrResponse)  # one per scan: the same frozen object as QrResponse(...), built by its slots
_transcript = builder(SessionTranscript)


def decode_qr_message(message: bytes) -> QrRequest | QrResponse:
    """Read one reassembled message (after ``FrameCollector.message()``)."""
    value = decode(message, allowed_tags=(18,), max_size=64 * 1024, max_depth=16)
    if not isinstance(value, list) or not value or value[0] not in ("req", "resp"):
        raise _fail("not a mobileid QR request or response", "qr.message_type")
    if value[0] == "resp":
        if len(value) != 2:
            raise _fail("response must be [\"resp\", body]")
        return QrResponse._from_value(value[1])
    if len(value) != 3 or not isinstance(value[1], bytes):
        raise _fail("request must be [\"req\", body, readerAuth]")
    auth = None if value[2] is None else CoseSign1.from_cbor_value(value[2])
    if auth is not None and auth.payload is not None:
        raise _fail("readerAuth must have a detached payload")
    return QrRequest._from_body(value[1], auth)


def two_way_transcript(request: QrRequest) -> SessionTranscript:
    return SessionTranscript.build(None, None, [HANDOVER_ID, TWO_WAY, request.request_hash()])


def one_way_transcript(nonce: bytes, time: dt.datetime) -> SessionTranscript:
    """``[null, null, ["MobileIdQR", 2, n, t]]``, encoded as ``SessionTranscript.build`` encodes it (preferred
    serialization), from its constant head and the two fields: built once per verification, and ``encode``'s
    generic walk costs as much as the rest of the QR framing."""
    seconds = int(time.timestamp())
    encoded = b"".join((_ONE_WAY_HEAD, bstr_header(len(nonce)), nonce, _int(seconds)))
    return _transcript(None, None, [HANDOVER_ID, ONE_WAY, nonce, seconds], encoded)


def _int(value: int) -> bytes:
    """An integer's preferred serialization (RFC 8949 §4.2.1: the shortest head), as ``encode`` writes it."""
    major, n = (0, value) if value >= 0 else (0x20, -1 - value)
    if n < 24:
        return bytes((major | n,))
    if n < 0x100:
        return bytes((major | 24, n))
    if n < 0x10000:
        return bytes((major | 25,)) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes((major | 26,)) + n.to_bytes(4, "big")
    return bytes((major | 27,)) + n.to_bytes(8, "big")


_ONE_WAY_HEAD = encode([None, None, [HANDOVER_ID, ONE_WAY, b"", 0]])[:-2]  # everything before n's head
