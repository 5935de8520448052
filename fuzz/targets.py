"""Fuzz targets: each takes the raw input bytes and drives the real parser / verifier.

A target passes when it returns (a verifier's failure *result* counts as a return) or raises a
``specs.errors.MobileIdError``. Anything else escaping is a crash. The issuer's HTTP target passes
when the answer is not a 5xx and is a JSON object.

Context (the trust a verifier pins, the clock) comes from ``fuzz/context`` (made by
``benchmarks/fuzz.py --make-seeds``) and from the public vectors in ``tests/vectors``.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import tempfile
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fuzz.terminal import terminal_text
from specs.errors import MobileIdError

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).resolve().parent / "seeds"
CONTEXT = Path(__file__).resolve().parent / "context"
CRASHES = Path(__file__).resolve().parent / "crashes"
VECTORS = ROOT / "tests" / "vectors"

ANNEX_D_NOW = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
RFC_KB_IAT = 1748537243  # the RFC 9901 examples' key-binding time
SD_AUD, SD_NONCE = "https://verifier.example.org", "1234567890"
STATUS_SUB = "https://example.com/statuslists/1"
STATUS_NOW = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)

Call = Callable[[bytes], None]


class Rejected(Exception):
    """A target's own check failed (a 5xx, a non-JSON error body, a result of the wrong type)."""


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # the mutator family: cbor, jwt, qr, json, form-json
    setup: Callable[[], Call]
    allowed: tuple[type[BaseException], ...] = (MobileIdError,)
    slow: bool = False
    # The time bound is the run's limit times this: a picture (up to 16 megapixels) is decoded and scanned,
    # ~40 ms for a 7-megapixel PNG and ~20 ms for zxing-cpp plus ~30 ms for zbar on this machine when idle.
    time_scale: float = 1.0


def _context() -> dict[str, Any]:
    return json.loads((CONTEXT / "context.json").read_text())  # type: ignore[no-any-return]


def _hex(path: Path) -> bytes:
    return bytes.fromhex(path.read_text().strip())


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# -- QR text and frames ---------------------------------------------------------------------------------
def _qr() -> Call:
    from specs.qr import FrameCollector
    from specs.qr.presentation import decode_qr_message
    from specs.x509 import TrustStore
    from verifier.qr import ReplayCache, Verifier
    from verifier.result import VerificationResult
    from verifier.trust import VerifierTrust

    ctx = _context()
    now = dt.datetime.fromisoformat(ctx["qr_now"])
    trust = VerifierTrust.from_bundle((CONTEXT / "bundle.cbor").read_bytes(),
                                      TrustStore.from_pem((CONTEXT / "root.pem").read_bytes()), now=now)
    verifier = Verifier(trust, clock=lambda: now)

    def run(data: bytes) -> None:
        frames = _text(data).split("\n")
        try:
            collector = FrameCollector()
            for frame in frames:
                collector.add(frame)
            decode_qr_message(collector.message())
        except MobileIdError:
            pass
        verifier.replays = ReplayCache()  # every input is a first scan
        result = verifier.verify_qr(frames if len(frames) > 1 else frames[0])
        if not isinstance(result, VerificationResult):
            raise Rejected(f"verify_qr returned {type(result).__name__}")

    return run


# -- pictures of QR codes (issue 13 item 4) ------------------------------------------------------------------
def _picture() -> Call:
    """A picture handed to a verifier or a wallet: refused from its header when too large, else decoded and
    scanned. Beyond the crash check: the peak memory stays bounded (RSS is reported by the run) and a refusal
    for size comes before decoding (no input may take long)."""
    from specs.io.symbols import read_texts

    def run(data: bytes) -> None:
        read_texts(data)

    return run


# -- two-way QR answers ---------------------------------------------------------------------------------
def _qr_two_way() -> Call:
    """Answers to one verifier's request (the context's): refused unless the requested document holding exactly
    the requested elements (profile §4, §7 step 10), whatever else they carry."""
    from specs.cbor import decode
    from specs.qr.presentation import QrRequest, decode_qr_message
    from specs.x509 import TrustStore
    from verifier.qr import ReplayCache, Verifier
    from verifier.result import VerificationResult
    from verifier.trust import VerifierTrust

    ctx = _context()
    now = dt.datetime.fromisoformat(ctx["qr_now"])
    trust = VerifierTrust.from_bundle((CONTEXT / "bundle.cbor").read_bytes(),
                                      TrustStore.from_pem((CONTEXT / "root.pem").read_bytes()), now=now)
    request = decode_qr_message(bytes.fromhex(ctx["qr_request"]))
    assert isinstance(request, QrRequest) and decode(request.body, allowed_tags=())
    verifier = Verifier(trust, clock=lambda: now)

    def run(data: bytes) -> None:
        frames = _text(data).split("\n")
        verifier.replays = ReplayCache()
        result = verifier.verify_qr(frames, request=request)
        if not isinstance(result, VerificationResult):
            raise Rejected(f"verify_qr returned {type(result).__name__}")
        if result.valid and result.format == "mdoc":
            shown = {name for items in result.claims.values() for name in items}
            if not shown <= set(request.items.get(result.doctype or "", ())):
                raise Rejected("a valid two-way answer shows an element the request did not ask for")

    return run


# -- wallet files ---------------------------------------------------------------------------------------
_WALLET_STATE: dict[str, Any] = {}


def _wallet_files() -> Call:
    """One damaged or altered wallet file at a time (kind byte P pin.json, C credentials.json, K a device key
    file, H an older wallet's history.json), read as the wallet reads it. Derivation runs only for the
    context's own argon2id parameters: an altered file may ask for up to t=32, m=1 GiB (the documented bound
    of a device owner's own DoS), which is not a parser finding."""
    from wallet._files import read_json
    from wallet.history import read_legacy
    from wallet.keystore import SoftwareKeyStore
    from wallet.pin import KdfParams, PinState, PinVault
    from wallet.store import CredentialStore

    ctx = _context()
    # In memory where the machine has it: what is timed is the wallet's reading, not the disk's fsync.
    shm = Path("/dev/shm")  # noqa: S108  (mkdtemp: a fresh 0700 folder of a random name)
    folder = Path(tempfile.mkdtemp(prefix="mobileid-fuzz-wallet-", dir=shm if shm.is_dir() else None))
    _WALLET_STATE["folder"] = folder
    atexit.register(lambda: __import__("shutil").rmtree(folder, ignore_errors=True))
    pristine = {seed[:1]: seed[1:] for seed in seeds("wallet_files")}
    paths = {b"P": folder / "pin.json", b"C": folder / "credentials" / "credentials.json",
             b"K": folder / "keys" / ctx["wallet_key_file"], b"H": folder / "history.json"}
    for kind, path in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pristine[kind])
    fast = KdfParams(1, 8 * 1024, 1)
    master = PinVault(folder, kdf=fast).unlock(ctx["wallet_pin"])
    paths[b"P"].write_bytes(pristine[b"P"])
    keys = SoftwareKeyStore(folder, kdf=fast)

    def run(data: bytes) -> None:
        kind, body = data[:1], data[1:]
        path = paths.get(kind)
        if path is None:
            return
        path.write_bytes(body)
        try:
            if kind == b"P":
                state = PinState.from_json(read_json(path))
                if state.kdf == fast:
                    PinVault(folder, kdf=fast).unlock(ctx["wallet_pin"])
            elif kind == b"C":
                store = CredentialStore(path.parent, master, legacy_history=paths[b"H"])
                store.list()
                store.history()
            elif kind == b"K":
                keys.signer_unlocked(ctx["wallet_key_alias"], master).sign(b"fuzz")
            else:
                read_legacy(path, master)
        finally:
            path.write_bytes(pristine[kind])

    return run


# -- mdoc CBOR ------------------------------------------------------------------------------------------
def _device_response() -> Call:
    from cryptography.hazmat.primitives.asymmetric import ec

    from specs.mdoc.response import DeviceResponse
    from specs.mdoc.transcript import SessionTranscript
    from specs.mdoc.verify import verify_device_response
    from specs.x509 import TrustStore

    iso = VECTORS / "iso18013-5"
    trust = TrustStore.from_pem((iso / "iaca_root_cert.pem").read_bytes())
    transcript = SessionTranscript.from_cbor(_hex(iso / "session_transcript_bytes.hex"))
    k = json.loads((iso / "keys.json").read_text())["ephemeral_reader_key"]
    reader_key = ec.derive_private_key(int(k["d"], 16), ec.SECP256R1())
    ctx = _context()
    own_trust = TrustStore.from_pem(ctx["mdoc_iaca_pem"].encode())
    own_transcript = SessionTranscript.from_cbor(bytes.fromhex(ctx["mdoc_transcript"]))
    own_now = dt.datetime.fromisoformat(ctx["mdoc_now"])

    def run(data: bytes) -> None:
        try:
            DeviceResponse.from_cbor(data)
        except MobileIdError:
            pass
        try:
            verify_device_response(data, trust=trust, transcript=transcript, now=ANNEX_D_NOW,
                                   reader_private_key=reader_key)
        except MobileIdError:
            pass
        verify_device_response(data, trust=own_trust, transcript=own_transcript, now=own_now)

    return run


def _device_request() -> Call:
    from specs.mdoc.request import DeviceRequest
    from specs.mdoc.transcript import SessionTranscript

    transcript = SessionTranscript.from_cbor(_hex(VECTORS / "iso18013-5" / "session_transcript_bytes.hex"))

    def run(data: bytes) -> None:
        request = DeviceRequest.from_cbor(data)
        for doc in request.doc_requests:
            if doc.reader_auth is not None:
                doc.verify_reader_auth(transcript)
            doc.items_request.to_cbor_value()
        request.to_cbor()

    return run


def _cbor_native() -> Call:
    """The C part of the strict decoder against the Python decoder (specs/cbor/_strict.c): on every input, what
    C returns Python returns too, and what Python refuses C defers. Seeds: the DeviceResponse and DeviceRequest
    seeds; each input is also tried with COSE's tags allowed and at a small depth limit."""
    import specs.cbor.codec as codec
    from specs.cbor import MDOC_TAGS
    from specs.errors import CborError, StructureError

    native = codec._native
    if native is None:
        raise RuntimeError("the C part of specs.cbor is not built (pip install -e . with a C compiler)")
    cose = frozenset({*MDOC_TAGS, 17, 18})

    def run(data: bytes) -> None:
        for allowed, depth in ((MDOC_TAGS, codec.DEFAULT_MAX_DEPTH), (cose, 4)):
            fast = native(data, allowed, depth)
            try:
                value = codec._decode_python(data, allowed, depth)
            except (CborError, StructureError):
                if fast is not codec._DEFER:
                    raise Rejected("the C decoder accepted what the Python decoder refuses") from None
                continue
            if fast is not codec._DEFER and repr(fast) != repr(value):  # repr: types too, and NaN is NaN
                raise Rejected("the C decoder and the Python decoder disagree")

    return run


def _jose_native() -> Call:
    """The C base64url against the Python one (specs/jose/_b64url.c): for the whole input and each of its
    ``~``- and ``.``-separated parts, what C decodes Python decodes to the same bytes (and, for text, the same
    UTF-8 text), and what Python refuses C defers; likewise ``parse_compact`` against ``Jws.parse`` for the whole
    input and each ``~``-separated part; ``der_signature`` against ``raw_to_der_signature`` on the input's bytes as
    ES256 and ES384 signatures. Seeds: the SD-JWT and status-token JWT seeds."""
    import specs.jose.jws as jws
    from specs.crypto import Algorithm
    from specs.crypto.algorithms import raw_to_der_signature
    from specs.errors import JoseDecodeError

    native = jws._native
    if native is None:
        raise RuntimeError("the C part of specs.jose is not built (pip install -e . with a C compiler)")

    def run(data: bytes) -> None:
        text = data.decode("utf-8", "surrogateescape")
        for part in {text, *text.split("~"), *(p for piece in text.split("~") for p in piece.split("."))}:
            fast, fast_text = native.decode(part), native.decode_text(part)
            try:
                value = jws._decode_python(part, "part")
            except JoseDecodeError:
                if fast is not jws._DEFER or fast_text is not jws._DEFER:
                    raise Rejected("the C base64url accepted what the Python one refuses") from None
                continue
            if fast != value:
                raise Rejected("the C base64url and the Python one disagree")
            decoded: object
            try:
                decoded = value.decode("utf-8")
            except UnicodeDecodeError:
                decoded = jws._DEFER
            if fast_text != decoded:
                raise Rejected("the C base64url text and the Python one disagree")
        for compact in {text, *text.split("~")}:  # parse_compact against Jws.parse by the Python code alone
            parsed = native.parse_compact(compact, jws._SCAN)
            jws._native = None
            try:
                python = jws.Jws.parse(compact)
            except JoseDecodeError:
                if parsed is not jws._DEFER:
                    raise Rejected("the C parse_compact accepted what Jws.parse refuses") from None
                continue
            finally:
                jws._native = native
            if parsed is not jws._DEFER and repr(parsed) != repr(
                    (python.header, python.payload, python.signing_input, python.signature)):
                raise Rejected("the C parse_compact and Jws.parse disagree")
        for raw, alg in ((data[:64].ljust(64, b"\x00"), Algorithm.ES256), (data[-96:].rjust(96, b"\x00"),
                                                                            Algorithm.ES384)):
            if native.der_signature(raw) != raw_to_der_signature(raw, alg):  # zeros lead one, trail the other
                raise Rejected("the C der_signature and raw_to_der_signature disagree")
        if len(data) not in (64, 96) and native.der_signature(data) is not jws._DEFER:
            raise Rejected("the C der_signature answered for a length it must defer")

    return run


def _sdjwt_native() -> Call:
    """The C part of SD-JWT disclosure processing against the Python code (specs/sdjwt/_walk.c): on the
    disclosures of every input and the payload of its issuer JWT (or, when that is not a JWS, a payload
    referencing every disclosure from ``_sd`` and from an array), what C rebuilds Python rebuilds too (same claims,
    types and paths in the same order), and what Python refuses C defers; the whole input split by the C part as
    ``split_sd_jwt`` and ``Disclosure.parse`` split it, or deferred. Seeds: the SD-JWT seeds."""
    import specs.jose.jws as jws
    import specs.sdjwt.verify as verify
    from specs.jose import Jws, b64url_encode
    from specs.sdjwt import Disclosure
    from specs.sdjwt.disclosure import HASHERS
    from specs.sdjwt.processing import index_disclosures, process
    from specs.sdjwt.sd_jwt import split_sd_jwt

    native, b64 = verify._native, jws._native
    if native is None or b64 is None:
        raise RuntimeError("the C part of specs.sdjwt is not built (pip install -e . with a C compiler)")

    def compare(parts: list[str], payload: Any, alg: str) -> None:
        fast = native.disclose(parts, b64.decode_text, jws._SCAN, b64.DEFER)
        if fast is not verify._DEFER:
            fast = native.walk(fast, payload, HASHERS[alg], b64url_encode)
        try:
            processed = process(payload, index_disclosures([Disclosure.parse(p) for p in parts], alg))
        except MobileIdError:
            if fast is not verify._DEFER:
                raise Rejected("the C walk accepted what the Python code refuses") from None
            return
        if fast is not verify._DEFER and (repr(fast[0]) != repr(processed.claims)
                                          or fast[1] != list(processed.paths.values())):
            raise Rejected("the C walk and the Python code disagree")

    def compare_present(text: str) -> None:  # split_sd_jwt and Disclosure.parse, or a deferral
        fast = native.present(text, b64.decode_text, jws._SCAN, b64.DEFER)
        try:
            parts = split_sd_jwt(text)
            disclosures = [Disclosure.parse(p) for p in parts[1:-1]]
        except MobileIdError:
            if fast is not verify._DEFER:
                raise Rejected("the C split accepted what the Python code refuses") from None
            return
        if fast is not verify._DEFER and (
                fast[:3] != (parts[0], parts[-1] or None, "~".join([*parts[:-1], ""]))
                or repr(fast[3]) != repr([(d.name, d.value, d.encoded) for d in disclosures])):
            raise Rejected("the C split and the Python code disagree")

    def run(data: bytes) -> None:
        compare_present(_text(data))
        parts = _text(data).strip().split("~")
        disclosures = [p for p in parts[1:-1] if p] if len(parts) > 1 else []
        try:
            payload: Any = dict(Jws.parse(parts[0]).payload)
            alg = payload.get("_sd_alg", "sha-256")
        except MobileIdError:
            payload, alg = None, "sha-256"
        if payload is not None and isinstance(alg, str) and alg in HASHERS:
            compare(disclosures, payload, alg)
        digests = [b64url_encode(HASHERS["sha-256"](p.encode("utf-8", "surrogateescape")).digest())
                   for p in disclosures]
        compare(disclosures, {"_sd": digests, "a": [{"...": d} for d in digests]}, "sha-256")

    return run


def _sdjwt_vc_native() -> Call:
    """The C part of SD-JWT VC verification against the Python code (specs/sdjwt/_vc.h): on every input, the same
    result (every field, types included) or the same refusal (exception class, code and message) from
    ``verify_sd_jwt_vc`` and ``verify_sd_jwt_or_vc`` with and without it, verified against the seeds' own issuer keys,
    clock, nonce and audience so that the checks past the signatures run. Seeds: the SD-JWT seeds."""
    import specs.jose.jws as jws
    import specs.sdjwt.verify as verify
    from specs.jose import key_from_jwk
    from specs.sdjwt.vc import VerifiedSdJwtVc, verify_sd_jwt_or_vc, verify_sd_jwt_vc

    if verify._native is None or jws._native is None:
        raise RuntimeError("the C part of specs.sdjwt is not built (pip install -e . with a C compiler)")
    rfc = key_from_jwk(json.loads((VECTORS / "sd-jwt" / "issuer_public_jwk.json").read_text()))
    own = key_from_jwk(_context()["sd_jwt_issuer_jwk"])
    now = dt.datetime.fromtimestamp(RFC_KB_IAT, dt.UTC)

    def summary(result: Any) -> Any:
        if isinstance(result, VerifiedSdJwtVc):
            return ("vc", result.vct, result.issuer, repr(result.claims), result.status, summary(result.verified))
        key = result.holder_key
        return ("sd", repr(result.header), repr(result.claims), result.disclosed,
                None if key is None else key.public_bytes(*_RAW_POINT), result.holder_bound)

    def outcome(verify_text: Callable[..., Any], text: str, binding: bool) -> object:
        try:
            return summary(verify_text(text, issuer_keys=[rfc, own], now=now, expected_aud=SD_AUD if binding else None,
                                       expected_nonce=SD_NONCE if binding else None))
        except MobileIdError as exc:
            return (type(exc), exc.code, str(exc))

    def run(data: bytes) -> None:
        text = _text(data)
        for verify_text in (verify_sd_jwt_vc, verify_sd_jwt_or_vc):
            for binding in (True, False):
                fast = outcome(verify_text, text, binding)
                native, verify._native = verify._native, None
                try:
                    slow = outcome(verify_text, text, binding)
                finally:
                    verify._native = native
                if fast != slow:
                    raise Rejected("the C part of SD-JWT VC verification changes the result")

    return run


def _raw_point() -> tuple[Any, Any]:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return Encoding.DER, PublicFormat.SubjectPublicKeyInfo  # any key type


_RAW_POINT = _raw_point()


def _mdoc_native() -> Call:
    """The C part of mdoc verification against the Python path (specs/mdoc/_fast.c): on every DeviceResponse, the
    same verified documents or the same error (type and code) with and without it. Seeds: the DeviceResponse seeds,
    verified against our own context (its trust, transcript and clock) so that the checks past the structure run."""
    import specs.cbor.codec as codec
    from specs.mdoc import walk
    from specs.mdoc.transcript import SessionTranscript
    from specs.mdoc.verify import verify_device_response
    from specs.x509 import TrustStore

    if walk._native is None or codec._native is None:
        raise RuntimeError("the C part of specs.mdoc is not built (pip install -e . with a C compiler)")
    ctx = _context()
    trust = TrustStore.from_pem(ctx["mdoc_iaca_pem"].encode())
    transcript = SessionTranscript.from_cbor(bytes.fromhex(ctx["mdoc_transcript"]))
    now = dt.datetime.fromisoformat(ctx["mdoc_now"])

    def outcome(data: bytes) -> object:
        try:
            return verify_device_response(data, trust=trust, transcript=transcript, now=now)
        except MobileIdError as exc:
            return (type(exc), exc.code)

    def run(data: bytes) -> None:
        fast = outcome(data)
        native, codec._native = codec._native, None
        try:
            slow = outcome(data)
        finally:
            codec._native = native
        if fast != slow:
            raise Rejected("the C part of mdoc verification changes the result")

    return run


def _base45_native() -> Call:
    """The C part of base45 decoding against the Python decoder (specs/qr/_base45.c): on every line of the input
    and on its part after the first colon (a frame's payload), what C returns Python returns too, and what
    Python refuses C defers. Seeds: the QR text seeds."""
    import specs.qr.base45 as base45
    from specs.errors import Base45Error

    native = base45._native
    if native is None:
        raise RuntimeError("the C part of specs.qr.base45 is not built (pip install -e . with a C compiler)")

    def run(data: bytes) -> None:
        for line in _text(data).split("\n"):
            for text in (line, line.partition(":")[2]):
                fast = native(text)
                try:
                    value = base45._b45decode_python(text)
                except Base45Error:
                    if fast is not None:
                        raise Rejected("the C base45 decoder accepted what the Python decoder refuses") from None
                    continue
                if fast is not None and fast != value:
                    raise Rejected("the C base45 decoder and the Python decoder disagree")

    return run


def _scan_native() -> Call:
    """The C part of the common scan against the Python path (specs/qr/_scan.c, specs.qr.scan.read_answer): on the
    input and on each of its lines, what C answers ``decode_qr_message(single_code(text))`` (and for a one-way answer
    ``one_way_transcript``) answers too, and what the Python path refuses C defers. The qr mutator re-encodes
    mutated messages as valid frames, so the envelope is fuzzed behind valid base45 and zlib. Seeds: the QR texts."""
    import specs.qr.scan as scan
    from specs.qr import single_code
    from specs.qr.presentation import QrResponse, decode_qr_message, one_way_transcript

    native = scan._native
    if native is None:
        raise RuntimeError("the C part of specs.qr.scan is not built (pip install -e . with a C compiler and zlib)")

    def run(data: bytes) -> None:
        whole = _text(data)
        for text in (whole, *whole.split("\n")):
            fast = native(text)
            try:
                message = single_code(text)
                slow = None if message is None else decode_qr_message(message)
            except MobileIdError:
                if fast is not None:
                    raise Rejected("the C scan answered for a text the Python path refuses") from None
                continue
            if fast is None:
                continue
            if text.splitlines() != [text] or not isinstance(slow, QrResponse) or fast[0] != slow:
                raise Rejected("the C scan and the Python path disagree")
            expected = None if slow.nonce is None or slow.time is None else one_way_transcript(slow.nonce, slow.time)
            if fast[1] != expected or (expected is not None and fast[1] is not None
                                       and fast[1].encoded != expected.encoded):
                raise Rejected("the C scan's one-way transcript differs from one_way_transcript's")

    return run


# -- SD-JWT ---------------------------------------------------------------------------------------------
def _sd_jwt() -> Call:
    from specs.jose import key_from_jwk
    from specs.sdjwt import SdJwt
    from specs.x509 import TrustStore
    from verifier.result import VerificationResult
    from verifier.trust import TrustedKey, VerifierTrust
    from verifier.verify import verify_sd_jwt_presentation

    rfc = key_from_jwk(json.loads((VECTORS / "sd-jwt" / "issuer_public_jwk.json").read_text()))
    own = key_from_jwk(_context()["sd_jwt_issuer_jwk"])
    trust = VerifierTrust(anchors=TrustStore.of([]), keys=(TrustedKey(rfc), TrustedKey(own)))
    now = dt.datetime.fromtimestamp(RFC_KB_IAT, dt.UTC)

    def run(data: bytes) -> None:
        text = _text(data)
        try:
            SdJwt.parse(text)
        except MobileIdError:
            pass
        result = verify_sd_jwt_presentation(text, trust=trust, now=now, nonce=SD_NONCE, aud=SD_AUD)
        if not isinstance(result, VerificationResult):
            raise Rejected(f"verify_sd_jwt_presentation returned {type(result).__name__}")

    return run


# -- status-list tokens ---------------------------------------------------------------------------------
def _status_token() -> Call:
    from specs.jose import key_from_jwk
    from specs.status import verify_status_list_token
    from specs.status.token import TokenHeader

    jwk = json.loads((VECTORS / "status-list" / "status_list_issuer_key.jwk.json").read_text())
    key = key_from_jwk({k: v for k, v in jwk.items() if k != "d"})

    def resolve(header: TokenHeader) -> list[Any]:
        return [key]

    def run(data: bytes) -> None:
        try:
            verify_status_list_token(data, resolve, now=STATUS_NOW, expected_subject=STATUS_SUB)
        except MobileIdError:
            pass
        if data[:2] == b"ey":  # the text form, as a verifier reading a JWT body gets it
            verify_status_list_token(_text(data), resolve, now=STATUS_NOW, expected_subject=STATUS_SUB)

    return run


# -- the trust bundle -----------------------------------------------------------------------------------
def _trust_bundle() -> Call:
    from specs.trust import Vical, verify_trust_bundle
    from specs.trust.bundle import TrustBundle
    from specs.x509 import TrustStore

    roots = TrustStore.from_pem((CONTEXT / "root.pem").read_bytes())
    now = dt.datetime.fromisoformat(_context()["qr_now"])

    def run(data: bytes) -> None:
        for parse in (Vical.from_cbor, TrustBundle.from_cbor):
            try:
                parse(data)
            except MobileIdError:
                pass
        verify_trust_bundle(data, roots, now=now)

    return run


# -- the issuer's OpenID4VCI requests -------------------------------------------------------------------
def _oid4vci_parse() -> Call:
    from issuer.web.oid4vci import CredentialRequest
    from specs.jose import Jws, key_from_jwk

    def run(data: bytes) -> None:
        body = CredentialRequest.model_validate_json(data)
        proofs = list((body.proofs or {}).get("jwt") or []) + ([body.proof["jwt"]] if body.proof and
                                                                "jwt" in body.proof else [])
        for proof in proofs[:16]:
            try:
                jws = Jws.parse(proof)
                jwk = jws.header.get("jwk")
                if isinstance(jwk, dict):
                    jws.verify(key_from_jwk(jwk))
            except MobileIdError:
                pass

    return run


def _oid4vci_allowed() -> tuple[type[BaseException], ...]:
    from pydantic import ValidationError

    return (MobileIdError, ValidationError)  # pydantic's typed rejection: FastAPI answers it with a 422


_HTTP_STATE: dict[str, Any] = {}


def _close_http() -> None:
    client, engine, folder = (_HTTP_STATE.pop(k, None) for k in ("client", "engine", "folder"))
    if client is not None:
        client.__exit__(None, None, None)
    if engine is not None:
        engine.dispose()
    if folder is not None:
        folder.cleanup()


# The first input byte picks the route: a form, a JSON body (with a valid access token), a query or a path.
HTTP_FORMS = {b"T": "/token"}  # not the console login: its argon2 hash (same cost for any input) is slow by design
HTTP_JSON = {b"C": "/credential", b"N": "/notification", b"R": "/remote/offer", b"A": "/api/checks"}


def _oid4vci_http() -> Call:
    """POST /token (a form), /credential, /notification, /remote/offer and /api/checks
    (JSON), a query and a path, on a real issuer app on SQLite (50 people) with its input guard."""
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from issuer.db.models import Licence, Person, Staff
    from issuer.keys import tx_code_pepper
    from issuer.offers import create_offer, record_check
    from issuer.settings import Settings
    from issuer.web.app import bootstrap, create_app

    _close_http()  # a second setup in one process (a smoke run, then the crash replay) closes the first app
    url = "http://localhost"
    folder = tempfile.TemporaryDirectory(prefix="mobileid-fuzz-")
    settings = Settings(data_dir=Path(folder.name) / "data", public_url=url, seed_people=50, status_list_size=4096)
    bootstrap(settings)
    engine = create_engine(settings.sqlalchemy_url)
    now = dt.datetime.now(dt.UTC)
    codes = []
    with Session(engine) as session:
        staff = session.scalars(select(Staff).where(Staff.username == "clerk1")).one()
        person_id = session.scalars(select(Licence.person_id).order_by(Licence.id)).first()
        person = session.get(Person, person_id)
        assert person is not None
        for _ in range(2):
            check = record_check(session, staff=staff, person=person, document_kind="id_card",
                                 document_number="fuzz-0001", photo_match=True, notes="", now=now)
            offer = create_offer(session, check=check, staff=staff, configurations=["mdl", "age_attestation"],
                                 issuer_url=url, ttl_seconds=settings.offer_ttl_seconds, now=now,
                                 pepper=tx_code_pepper(settings.data_dir))
            codes.append(offer)
        session.commit()
        offers = [(o.offer_uri, o.tx_code) for o in codes]
    unlimited = {f"rate_limit_{k}_{s}": 0 for k in ("token", "nonce", "credential", "remote", "login")
                 for s in ("per_client", "overall")}  # a million inputs a target, from one client
    client = TestClient(create_app(settings.model_copy(update=unlimited)), base_url=url)
    client.__enter__()
    from wallet.oid4vci import CredentialOffer

    parsed = CredentialOffer.parse(offers[0][0])
    answer = client.post("/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                                         "pre-authorized_code": parsed.pre_authorized_code, "tx_code": offers[0][1]})
    access = answer.json()["access_token"]
    _HTTP_STATE.update(folder=folder, client=client, engine=engine)
    atexit.register(_close_http)

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    authorized = {"Content-Type": "application/json", "Authorization": f"Bearer {access}"}

    def run(data: bytes) -> None:
        route, body = data[:1], data[1:]
        if route in HTTP_FORMS:
            answer = client.post(HTTP_FORMS[route], content=body, headers=form)
        elif route in HTTP_JSON:
            answer = client.post(HTTP_JSON[route], content=body, headers=authorized)
        elif route == b"Q":  # a query string (raw bytes escaped as a client must; escapes already there kept)
            answer = client.get("/console/audit?" + urllib.parse.quote(body, safe="=&%+"))
        elif route == b"P":  # a path
            answer = client.get("/console/applicants/" + urllib.parse.quote(body, safe="/%"))
        else:
            answer = client.post("/credential", content=body, headers=authorized)
        if answer.status_code >= 500:
            raise Rejected(f"HTTP {answer.status_code}")
        if answer.status_code >= 400:
            try:
                parsed = answer.json()
            except ValueError:
                raise Rejected(f"HTTP {answer.status_code} with a non-JSON body") from None
            if not isinstance(parsed, dict):
                raise Rejected(f"HTTP {answer.status_code} with a non-object JSON body")

    return run


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("qr_text", "qr", _qr),
    Target("qr_two_way", "qr", _qr_two_way),
    Target("picture", "picture", _picture, time_scale=6),
    Target("wallet_files", "wallet", _wallet_files),
    Target("cbor_device_response", "cbor", _device_response),
    Target("cbor_device_request", "cbor", _device_request),
    Target("sd_jwt", "jwt", _sd_jwt),
    Target("status_token", "status", _status_token),
    Target("trust_bundle", "cbor", _trust_bundle),
    Target("cbor_native", "cbor", _cbor_native),
    Target("jose_native", "jwt", _jose_native),
    Target("mdoc_native", "cbor", _mdoc_native),
    Target("base45_native", "qr", _base45_native),
    Target("scan_native", "qr", _scan_native),
    Target("sdjwt_native", "jwt", _sdjwt_native),
    Target("sdjwt_vc_native", "jwt", _sdjwt_vc_native),
    Target("oid4vci", "json", _oid4vci_parse, _oid4vci_allowed()),
    Target("oid4vci_http", "http", _oid4vci_http, slow=True),
    Target("terminal_text", "bytes", terminal_text),
)}


def seeds(name: str) -> list[bytes]:
    if name == "cbor_native":  # the C decoder is fuzzed from the messages it decodes
        return seeds("cbor_device_response") + seeds("cbor_device_request")
    if name == "jose_native":  # the C base64url likewise, from the JWT forms
        return seeds("sd_jwt") + [s for s in seeds("status_token") if s[:2] == b"ey"]
    if name == "mdoc_native":
        return seeds("cbor_device_response")
    if name == "base45_native":  # and the C base45 decoder from the QR texts
        return seeds("qr_text")
    if name == "scan_native":  # and the C scan likewise
        return seeds("qr_text")
    if name in ("sdjwt_native", "sdjwt_vc_native"):  # the C walk and verify likewise, from the SD-JWT seeds
        return seeds("sd_jwt")
    folder = SEEDS / name
    return [p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()]
