"""The issuer's signing keys: an IACA root and document signers (ISO/IEC 18013-5 Annex B), encrypted at rest.

Private keys are stored as encrypted PKCS#8 under a master secret kept in ``data_dir/master.key`` (mode
0600); in production the ``Signer`` comes from an HSM instead and no private key is stored here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from issuer import audit
from issuer.db.models import SigningKey
from issuer.security import register_pepper
from issuer.validity import WINDOW
from specs.crypto import SoftwareSigner
from specs.x509 import create_document_signer, create_iaca, create_vical_signer


@dataclass(frozen=True, slots=True)
class IssuerKeys:
    iaca: x509.Certificate
    ds: x509.Certificate
    ds_signer: SoftwareSigner
    previous_ds: tuple[x509.Certificate, ...]
    vical: x509.Certificate | None = None
    vical_signer: SoftwareSigner | None = None

    @property
    def ds_der(self) -> bytes:
        return self.ds.public_bytes(serialization.Encoding.DER)


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


def register_tx_code_pepper(database_url: str | URL, data_dir: Path) -> bytes:
    """Tell this process which pepper belongs to ``database_url`` (used by ``issuer.offers``)."""
    pepper = tx_code_pepper(data_dir)
    register_pepper(database_url, pepper)
    return pepper


def _store(session: Session, kind: str, cert: x509.Certificate, signer: SoftwareSigner, secret: bytes,
           now: dt.datetime) -> None:
    pem = signer.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.BestAvailableEncryption(secret))
    session.add(SigningKey(kind=kind, certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
                           private_key_pem=pem.decode(), created_at=now, active=True))


def _signer(row: SigningKey, secret: bytes) -> SoftwareSigner:
    key = serialization.load_pem_private_key(row.private_key_pem.encode(), password=secret)
    return SoftwareSigner(key)  # type: ignore[arg-type]


def ensure_keys(session: Session, data_dir: Path, *, now: dt.datetime | None = None) -> None:
    """Create the IACA and a first document signer when the database has none."""
    now = now or dt.datetime.now(dt.UTC)
    register_tx_code_pepper(session.get_bind().engine.url, data_dir)
    if session.scalars(select(SigningKey).where(SigningKey.kind == "iaca")).first() is not None:
        if session.scalars(select(SigningKey).where(SigningKey.kind == "vical")).first() is None:
            _create_vical_signer(session, data_dir, now)  # databases made before trust bundles existed
        return
    secret = master_secret(data_dir)
    iaca_signer = SoftwareSigner.generate()
    iaca = create_iaca(iaca_signer, country="KR", common_name="mobileid IACA", organization="mobileid Licensing Office",
                       not_before=now - dt.timedelta(minutes=5), not_after=now + dt.timedelta(days=3650))
    _store(session, "iaca", iaca, iaca_signer, secret, now)
    session.flush()
    rotate_document_signer(session, data_dir, now=now, actor="system")
    _create_vical_signer(session, data_dir, now)


def _create_vical_signer(session: Session, data_dir: Path, now: dt.datetime) -> None:
    """The key that signs the VICAL and the trust bundle (ISO/IEC 18013-5 Annex C.1.7.2), under our IACA:
    in a one-issuer deployment the IACA is also the VICAL provider's root that verifiers pin."""
    secret = master_secret(data_dir)
    iaca_row = session.scalars(select(SigningKey).where(SigningKey.kind == "iaca", SigningKey.active)).one()
    iaca = x509.load_pem_x509_certificate(iaca_row.certificate_pem.encode())
    signer = SoftwareSigner.generate()
    cert = create_vical_signer(_signer(iaca_row, secret), iaca, signer.public_key(), common_name="mobileid VICAL",
                               not_before=now - dt.timedelta(minutes=5), not_after=now + dt.timedelta(days=1000))
    _store(session, "vical", cert, signer, secret, now)
    session.flush()


def rotate_document_signer(session: Session, data_dir: Path, *, now: dt.datetime | None = None,
                           actor: str = "system") -> x509.Certificate:
    """A new DS key and certificate; the old ones stay in the trust bundle until they expire."""
    now = now or dt.datetime.now(dt.UTC)
    secret = master_secret(data_dir)
    iaca_row = session.scalars(select(SigningKey).where(SigningKey.kind == "iaca", SigningKey.active)).one()
    iaca = x509.load_pem_x509_certificate(iaca_row.certificate_pem.encode())
    ds_signer = SoftwareSigner.generate()
    # It starts a validity window early: copies signed with it from the first day carry times anywhere in that
    # window (issuer.validity), and a verifier checks an MSO's signed time against this certificate.
    ds = create_document_signer(_signer(iaca_row, secret), iaca, ds_signer.public_key(), common_name="mobileid DS",
                                not_before=now - WINDOW - dt.timedelta(minutes=5),
                                not_after=now + dt.timedelta(days=450))
    for old in session.scalars(select(SigningKey).where(SigningKey.kind == "ds", SigningKey.active)):
        old.active = False
    _store(session, "ds", ds, ds_signer, secret, now)
    audit.append(session, actor=actor, action="keys.rotate_ds", target=f"serial:{ds.serial_number:x}"[:80])
    session.flush()
    return ds


def load_keys(session: Session, data_dir: Path) -> IssuerKeys:
    secret = master_secret(data_dir)
    iaca_row = session.scalars(select(SigningKey).where(SigningKey.kind == "iaca", SigningKey.active)).one()
    ds_rows = list(session.scalars(select(SigningKey).where(SigningKey.kind == "ds").order_by(SigningKey.id.desc())))
    active = next(r for r in ds_rows if r.active)
    previous = tuple(x509.load_pem_x509_certificate(r.certificate_pem.encode())
                     for r in ds_rows if not r.active)
    vical_row = session.scalars(select(SigningKey).where(SigningKey.kind == "vical", SigningKey.active)).first()
    return IssuerKeys(x509.load_pem_x509_certificate(iaca_row.certificate_pem.encode()),
                      x509.load_pem_x509_certificate(active.certificate_pem.encode()), _signer(active, secret),
                      previous,
                      None if vical_row is None else x509.load_pem_x509_certificate(vical_row.certificate_pem.encode()),
                      None if vical_row is None else _signer(vical_row, secret))
