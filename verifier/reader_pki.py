"""A reader-authentication root and one reader certificate for a business (ISO/IEC 18013-5 Annex B.1.7),
for trying two-way requests and for a business that runs its own small reader PKI.

``mobileid verifier reader-cert --out DIR --name "Corner shop"`` writes ``reader_root.pem`` (give it to
wallets: ``--reader-roots``), ``reader.pem`` and ``reader_key.pem`` (for ``verifier request --reader-cert
--reader-key``). The root's private key is not kept: this root signs this one reader certificate only.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from specs.crypto import SoftwareSigner
from specs.errors import InputError
from specs.x509 import create_reader, create_reader_root

__all__ = ["ReaderFiles", "make_reader_files"]

VALIDITY = dt.timedelta(days=365)


@dataclass(frozen=True, slots=True)
class ReaderFiles:
    root: Path
    certificate: Path
    key: Path


def make_reader_files(out: Path, name: str, *, now: dt.datetime, dns_names: Sequence[str] = ()) -> ReaderFiles:
    """Create the three files in ``out``; refuses to overwrite any of them (a key is never replaced silently).
    ``dns_names`` go into the reader certificate as dNSName SANs (OpenID4VP ``x509_san_dns`` clients)."""
    files = ReaderFiles(out / "reader_root.pem", out / "reader.pem", out / "reader_key.pem")
    if not 0 < len(name) <= 64:
        raise InputError("the reader name must be 1..64 characters", code="input.usage")
    existing = [p.name for p in (files.root, files.certificate, files.key) if p.exists()]
    if existing:
        raise InputError(f"{out} already holds {', '.join(existing)}: choose another --out", code="input.usage")
    root_signer, reader_signer = SoftwareSigner.generate(), SoftwareSigner.generate()
    root = create_reader_root(root_signer, common_name=f"{name} reader root", not_before=now,
                              not_after=now + 2 * VALIDITY)
    reader = create_reader(root_signer, root, reader_signer.public_key(), common_name=name, not_before=now,
                           not_after=now + VALIDITY, dns_names=dns_names)
    key = reader_signer.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption())
    try:
        out.mkdir(parents=True, exist_ok=True)
        files.root.write_bytes(root.public_bytes(serialization.Encoding.PEM))
        files.certificate.write_bytes(reader.public_bytes(serialization.Encoding.PEM))
        descriptor = os.open(files.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # the key: owner only
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
    except OSError as exc:
        raise InputError(f"cannot write to {out} ({exc.strerror})", code="input.unwritable") from None
    return files
