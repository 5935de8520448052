"""The issuer's signing keys: an IACA root and document signers (ISO/IEC 18013-5 Annex B), encrypted at rest.

Private keys are stored as encrypted PKCS#8 under a master secret kept in ``data_dir/master.key`` (mode
0600). With ``ds_key_store = "pkcs11"`` the document-signer keys are generated on a PKCS#11 token
(``issuer.hsm``) and only their labels are stored here; the ``Signer`` of the running service is then the
token's. Certificates name the issuer's public URL: the IACA and DS as issuer alternative name, the DS also
as a URI subject alternative name (what SD-JWT VC verifiers match ``iss`` against). When the active DS no
longer fits the settings (another public URL, another key store) the first start after the change rotates it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import audit
from issuer.db.models import SigningKey
from issuer.settings import Settings
from issuer.validity import WINDOW
from specs.crypto import Signer, SoftwareSigner
from specs.x509 import create_document_signer, create_iaca, create_vical_signer


@dataclass(frozen=True, slots=True)
class Pkcs11Config:
    """Where the document-signer keys live when ``ds_key_store = "pkcs11"`` (the PIN from the environment)."""

    module: str
    token: str
    label: str
    pin: str = field(repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Pkcs11Config | None:
        if settings.ds_key_store != "pkcs11":
            return None
        if not settings.pkcs11_module or not settings.pkcs11_token or settings.pkcs11_pin is None:
            raise ValueError("ds_key_store=pkcs11 needs MOBILEID_PKCS11_MODULE, MOBILEID_PKCS11_TOKEN and "
                             "MOBILEID_PKCS11_PIN")
        return cls(settings.pkcs11_module, settings.pkcs11_token, settings.pkcs11_key_label,
                   settings.pkcs11_pin.get_secret_value())


@dataclass(frozen=True, slots=True)
class KeyPolicy:
    """What the keys must fit: the public URL the certificates name, and where DS keys live."""

    public_url: str
    pkcs11: Pkcs11Config | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyPolicy:
        return cls(settings.public_url.rstrip("/"), Pkcs11Config.from_settings(settings))


@dataclass(frozen=True, slots=True)
class IssuerKeys:
    iaca: x509.Certificate
    ds: x509.Certificate
    ds_signer: Signer
    previous_ds: tuple[x509.Certificate, ...]
    vical: x509.Certificate | None = None
    vical_signer: SoftwareSigner | None = None

    @property
    def ds_der(self) -> bytes:
        return self.ds.public_bytes(serialization.Encoding.DER)

    def close(self) -> None:
        """Release an HSM session (a software signer holds none)."""
        close = getattr(self.ds_signer, "close", None)
        if callable(close):
            close()


def master_secret(data_dir: Path) -> bytes:
    path = data_dir / "master.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32).hex().encode())
    return path.read_bytes().strip()


def tx_code_pepper(data_dir: Path) -> bytes:
    """The HMAC key for stored tx_codes (``data_dir/tx_code.pepper``, mode 0600), made on first use.

    It lives in the data folder, not the database, so a copy of the database alone cannot enumerate tx_codes.
    Created atomically (write a private temporary file, then hard-link it), as several workers may start at once.
    """
    path = data_dir / "tx_code.pepper"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".tx_code.pepper.{secrets.token_hex(8)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32).hex().encode())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink()
    return path.read_bytes().strip()


def _store(session: Session, kind: str, cert: x509.Certificate, signer: SoftwareSigner | None, secret: bytes,
           now: dt.datetime, hsm_label: str | None = None) -> None:
    pem = b"" if signer is None else signer.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(secret))
    session.add(SigningKey(kind=kind, certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
                           private_key_pem=pem.decode(), created_at=now, active=True, hsm_label=hsm_label))


def _signer(row: SigningKey, secret: bytes) -> SoftwareSigner:
    key = serialization.load_pem_private_key(row.private_key_pem.encode(), password=secret)
    return SoftwareSigner(key)  # type: ignore[arg-type]


def _iaca(session: Session) -> tuple[SigningKey, x509.Certificate]:
    row = session.scalars(select(SigningKey).where(SigningKey.kind == "iaca", SigningKey.active)).one()
    return row, x509.load_pem_x509_certificate(row.certificate_pem.encode())


def ensure_keys(session: Session, data_dir: Path, *, policy: KeyPolicy, now: dt.datetime | None = None) -> None:
    """Create the IACA and a first document signer when the database has none; rotate the DS when it no
    longer fits ``policy`` (another public URL or key store)."""
    now = now or dt.datetime.now(dt.UTC)
    tx_code_pepper(data_dir)  # made with the keys, before any worker needs it
    if session.scalars(select(SigningKey).where(SigningKey.kind == "iaca")).first() is not None:
        if session.scalars(select(SigningKey).where(SigningKey.kind == "vical")).first() is None:
            _create_vical_signer(session, data_dir, now)  # databases made before trust bundles existed
        active = session.scalars(select(SigningKey).where(SigningKey.kind == "ds", SigningKey.active)).one()
        cert = x509.load_pem_x509_certificate(active.certificate_pem.encode())
        if _named_url(cert) != policy.public_url or (active.hsm_label is not None) != (policy.pkcs11 is not None):
            rotate_document_signer(session, data_dir, policy=policy, now=now, actor="system")
        return
    secret = master_secret(data_dir)
    iaca_signer = SoftwareSigner.generate()
    iaca = create_iaca(iaca_signer, country="KR", common_name="mobileid IACA", organization="mobileid Licensing Office",
                       not_before=now - dt.timedelta(minutes=5), not_after=now + dt.timedelta(days=3650),
                       issuer_alt_uri=policy.public_url)
    _store(session, "iaca", iaca, iaca_signer, secret, now)
    session.flush()
    rotate_document_signer(session, data_dir, policy=policy, now=now, actor="system")
    _create_vical_signer(session, data_dir, now)


def _named_url(cert: x509.Certificate) -> str | None:
    """The URI subject alternative name of a DS certificate (None when it has none)."""
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    uris = names.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


def _create_vical_signer(session: Session, data_dir: Path, now: dt.datetime) -> None:
    """The key that signs the VICAL and the trust bundle (ISO/IEC 18013-5 Annex C.1.7.2), under our IACA:
    in a one-issuer deployment the IACA is also the VICAL provider's root that verifiers pin."""
    secret = master_secret(data_dir)
    iaca_row, iaca = _iaca(session)
    signer = SoftwareSigner.generate()
    cert = create_vical_signer(_signer(iaca_row, secret), iaca, signer.public_key(), common_name="mobileid VICAL",
                               not_before=now - dt.timedelta(minutes=5), not_after=now + dt.timedelta(days=1000))
    _store(session, "vical", cert, signer, secret, now)
    session.flush()


def rotate_document_signer(session: Session, data_dir: Path, *, policy: KeyPolicy, now: dt.datetime | None = None,
                           actor: str = "system") -> x509.Certificate:
    """A new DS key (in software, or generated on the PKCS#11 token) and certificate naming the public URL;
    the old ones stay in the trust bundle until they expire."""
    now = now or dt.datetime.now(dt.UTC)
    secret = master_secret(data_dir)
    iaca_row, iaca = _iaca(session)
    software: SoftwareSigner | None = None
    label = None
    if policy.pkcs11 is None:
        software = SoftwareSigner.generate()
        public = software.public_key()
    else:
        from issuer.hsm import generate_key

        label = f"{policy.pkcs11.label}-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        hsm = generate_key(policy.pkcs11.module, policy.pkcs11.token, policy.pkcs11.pin, label)
        public = hsm.public_key()
        hsm.close()
    # It starts a validity window early: copies signed with it from the first day carry times anywhere in that
    # window (issuer.validity), and a verifier checks an MSO's signed time against this certificate.
    ds = create_document_signer(_signer(iaca_row, secret), iaca, public, common_name="mobileid DS",
                                not_before=now - WINDOW - dt.timedelta(minutes=5),
                                not_after=now + dt.timedelta(days=450),
                                issuer_alt_uri=policy.public_url, subject_alt_uri=policy.public_url)
    for old in session.scalars(select(SigningKey).where(SigningKey.kind == "ds", SigningKey.active)):
        old.active = False
    _store(session, "ds", ds, software, secret, now, hsm_label=label)
    audit.append(session, actor=actor, action="keys.rotate_ds", target=f"serial:{ds.serial_number:x}"[:80],
                 detail={"store": "pkcs11" if label else "software"})
    session.flush()
    return ds


def load_keys(session: Session, data_dir: Path, *, pkcs11: Pkcs11Config | None = None) -> IssuerKeys:
    """The current keys; a DS key on a token is opened there (``pkcs11`` says how), and stays logged in until
    ``IssuerKeys.close``."""
    secret = master_secret(data_dir)
    _, iaca = _iaca(session)
    ds_rows = list(session.scalars(select(SigningKey).where(SigningKey.kind == "ds").order_by(SigningKey.id.desc())))
    active = next(r for r in ds_rows if r.active)
    previous = tuple(x509.load_pem_x509_certificate(r.certificate_pem.encode())
                     for r in ds_rows if not r.active)
    vical_row = session.scalars(select(SigningKey).where(SigningKey.kind == "vical", SigningKey.active)).first()
    return IssuerKeys(iaca, x509.load_pem_x509_certificate(active.certificate_pem.encode()),
                      _ds_signer(active, secret, pkcs11), previous,
                      None if vical_row is None else x509.load_pem_x509_certificate(vical_row.certificate_pem.encode()),
                      None if vical_row is None else _signer(vical_row, secret))


def _ds_signer(row: SigningKey, secret: bytes, pkcs11: Pkcs11Config | None) -> Signer:
    if row.hsm_label is None:
        return _signer(row, secret)
    if pkcs11 is None:
        raise RuntimeError("the document-signer key is on a PKCS#11 token: set MOBILEID_DS_KEY_STORE=pkcs11 with "
                           "MOBILEID_PKCS11_MODULE, MOBILEID_PKCS11_TOKEN and MOBILEID_PKCS11_PIN")
    from issuer.hsm import Pkcs11Signer

    return Pkcs11Signer.open(pkcs11.module, pkcs11.token, pkcs11.pin, row.hsm_label)
