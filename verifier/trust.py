"""What an offline verifier trusts: anchor certificates (IACA, reader roots) and issuer public keys.

``--trust`` takes a trust bundle (a folder ``mobileid verifier sync`` keeps, see ``verifier.sync``; a folder
with ``bundle.cbor`` (``specs.trust.bundle``) and the pinned ``root.pem``, or a ``.cbor`` file with ``root.pem``
beside it), PEM or DER certificates, a folder of them,
PEM public keys, or a JWK / JWK Set file. Certificates become trust anchors for ``x5chain`` / ``x5c``
chains (ISO/IEC 18013-5 Annex B); bare keys are the SD-JWT issuer keys (and status-list signer keys)
a verifier pins by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from specs.crypto import PublicKey
from specs.errors import InputError, MobileIdError
from specs.trust import DEFAULT_MAX_AGE, verify_trust_bundle
from specs.x509 import TrustStore
from specs.x509.load import load_der_certificate
from verifier.copy import StatusPatches

__all__ = ["TrustedKey", "VerifierTrust"]

_MAX_FILE = 1024 * 1024
_MAX_FILES = 1000


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """An issuer key trusted directly (not through a certificate), with its ``kid`` when it has one."""

    key: PublicKey
    kid: str | None = None


@dataclass(frozen=True, slots=True)
class VerifierTrust:
    anchors: TrustStore
    keys: tuple[TrustedKey, ...] = ()
    status_tokens: Mapping[str, bytes] = field(default_factory=dict)  # status list uri -> cached token
    document_signers: Mapping[bytes, x509.Certificate] = field(default_factory=dict)  # key id -> DS cert
    bundle_issued_at: dt.datetime | None = None
    # Status change logs applied on top of ``status_tokens`` (a synced copy's, ``verifier.copy``): lookups answer
    # the patched status, check the tokens as of the time they were current and take freshness from the logs.
    status_patches: StatusPatches | None = None
    # Status list tokens whose signature already verified under THIS trust (token bytes -> parsed token):
    # a scanner checks many credentials against the same few lists, one signature check per list is enough.
    verified_tokens: dict[bytes, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_bundle(cls, data: bytes, roots: TrustStore, *, now: dt.datetime | None = None,
                    max_age: dt.timedelta = DEFAULT_MAX_AGE) -> VerifierTrust:
        """Trust what a verified trust bundle lists (fails closed: see ``verify_trust_bundle``)."""
        verified = verify_trust_bundle(data, roots, now=now or dt.datetime.now(dt.UTC), max_age=max_age)
        tokens = {s.uri: (s.jwt.encode() if s.jwt is not None else s.cwt or b"") for s in verified.bundle.status_lists}
        return cls(anchors=verified.iaca, status_tokens=tokens, document_signers=dict(verified.document_signers),
                   bundle_issued_at=verified.bundle.issued_at)

    @classmethod
    def from_path(cls, path: Path, *, now: dt.datetime | None = None,
                  max_age: dt.timedelta = DEFAULT_MAX_AGE) -> VerifierTrust:
        """Load a synced copy (``verifier.sync``), a trust bundle, or every certificate and key in ``path`` (a
        file or a folder of files)."""
        if path.is_dir() and (path / "current").is_file():
            from verifier.sync import load_copy

            copy = load_copy(path, now=now or dt.datetime.now(dt.UTC), max_age=max_age)
            return cls(anchors=copy.bundle.iaca, status_tokens=copy.tokens,
                       document_signers=dict(copy.bundle.document_signers), bundle_issued_at=copy.index.issued_at,
                       status_patches=copy.patches)
        bundle = path / "bundle.cbor" if path.is_dir() else path
        if bundle.suffix == ".cbor" and bundle.is_file():
            root = bundle.parent / "root.pem"
            if not root.is_file():
                raise InputError(f"{bundle.name}: the pinned root.pem must sit beside the trust bundle")
            return cls.from_bundle(_read(bundle), TrustStore.from_pem(_read(root)), now=now, max_age=max_age)
        files = _files(path)
        certs: list[x509.Certificate] = []
        keys: list[TrustedKey] = []
        for file in files:
            found_certs, found_keys = _load_file(file)
            certs.extend(found_certs)
            keys.extend(found_keys)
        if not certs and not keys:
            raise InputError(f"{path.name}: no certificate or key found")
        pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)
        return cls(anchors=TrustStore.from_pem(pem) if pem else TrustStore.from_pem(b""), keys=tuple(keys))

    def key_candidates(self, kid: str | None) -> tuple[PublicKey, ...]:
        """Keys to try for a JWS/COSE object: those with a matching ``kid`` first, then unnamed ones."""
        if kid is not None:
            named = tuple(k.key for k in self.keys if k.kid == kid)
            if named:
                return named
        return tuple(k.key for k in self.keys if k.kid is None or kid is None)


def _files(path: Path) -> list[Path]:
    try:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if len(files) > _MAX_FILES:
                raise InputError(f"{path.name}: more than {_MAX_FILES} files")
            return files
        if path.is_file():
            return [path]
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    raise InputError(f"{path}: no such file or folder")


def _load_file(path: Path) -> tuple[list[x509.Certificate], list[TrustedKey]]:
    try:
        if path.stat().st_size > _MAX_FILE:
            raise InputError(f"{path.name} is larger than {_MAX_FILE} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    stripped = data.lstrip()
    if stripped.startswith(b"{"):
        return [], _load_jwks(path.name, data)
    if b"-----BEGIN" in data:
        return _load_pem(path.name, data)
    try:
        return [load_der_certificate(data)], []
    except MobileIdError:
        raise InputError(f"{path.name}: not a PEM/DER certificate, PEM public key or JWK") from None


def _load_pem(name: str, data: bytes) -> tuple[list[x509.Certificate], list[TrustedKey]]:
    certs: list[x509.Certificate] = []
    keys: list[TrustedKey] = []
    try:
        if b"CERTIFICATE-----" in data:
            certs = x509.load_pem_x509_certificates(data)
        for block in _pem_blocks(data, b"PUBLIC KEY"):
            keys.append(TrustedKey(_check_key(name, serialization.load_pem_public_key(block))))
    except ValueError:
        raise InputError(f"{name}: malformed PEM") from None
    return certs, keys


def _pem_blocks(data: bytes, label: bytes) -> Iterable[bytes]:
    begin, end = b"-----BEGIN " + label + b"-----", b"-----END " + label + b"-----"
    start = data.find(begin)
    while start != -1:
        stop = data.find(end, start)
        if stop == -1:
            raise ValueError("unterminated PEM block")
        yield data[start : stop + len(end)]
        start = data.find(begin, stop)


def _load_jwks(name: str, data: bytes) -> list[TrustedKey]:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        raise InputError(f"{name}: not valid JSON") from None
    entries = document.get("keys") if isinstance(document, dict) and "keys" in document else [document]
    if not isinstance(entries, list):
        raise InputError(f"{name}: 'keys' must be an array")
    return [_jwk_key(name, entry) for entry in entries]


def _jwk_key(name: str, jwk: Any) -> TrustedKey:
    if not isinstance(jwk, dict):
        raise InputError(f"{name}: a JWK must be a JSON object")
    public = {k: v for k, v in jwk.items() if k != "d"}  # never keep a private part we were handed
    kty = public.get("kty")
    try:
        if kty == "EC":
            key: Any = ECAlgorithm.from_jwk(public)
        elif kty == "OKP":
            key = OKPAlgorithm.from_jwk(public)
        else:
            raise InputError(f"{name}: unsupported JWK kty {kty!r} (EC or OKP only)")
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{name}: malformed JWK ({type(exc).__name__})") from None
    kid = public.get("kid")
    return TrustedKey(_check_key(name, key), kid if isinstance(kid, str) else None)


def _check_key(name: str, key: object) -> PublicKey:
    if isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        return key
    raise InputError(f"{name}: only EC (P-256/384/521) and Ed25519 public keys are trusted")


def _read(path: Path, limit: int = 4 * 1024 * 1024) -> bytes:
    try:
        if path.stat().st_size > limit:
            raise InputError(f"{path.name} is larger than {limit} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
