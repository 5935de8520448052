"""Trust anchors: the IACA roots (and reader roots) a verifier accepts, loaded from PEM or DER."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.verification import Store

from specs.errors import CertificateError
from specs.x509.load import load_der_certificate

__all__ = ["TrustStore", "fingerprint"]


def fingerprint(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA256())


@dataclass(frozen=True, slots=True)
class TrustStore:
    """The anchors, their fingerprints, and what a path validation needs of them made once: anchors are long
    lived, so building the ``cryptography`` store and checking an anchor's Annex B profile per validation would
    repeat the same work on every uncached chain."""

    anchors: tuple[x509.Certificate, ...] = ()
    fingerprints: frozenset[bytes] = field(default=frozenset(), compare=False)
    # The anchors as a cryptography verification store (None when there are none: a store cannot be empty).
    store: Store | None = field(init=False, default=None, compare=False, repr=False)
    # (position of an anchor, role) pairs whose Annex B profile passed; only passes are remembered.
    profiled: set[tuple[int, object]] = field(init=False, default_factory=set, compare=False, repr=False)
    # Positions of anchors whose subject, as the issuer of a leaf read strictly, proved well formed.
    well_formed: set[int] = field(init=False, default_factory=set, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "store", Store(list(self.anchors)) if self.anchors else None)

    @classmethod
    def of(cls, anchors: tuple[x509.Certificate, ...] | list[x509.Certificate]) -> TrustStore:
        return cls(tuple(anchors), frozenset(fingerprint(a) for a in anchors))

    @classmethod
    def from_pem(cls, data: bytes) -> TrustStore:
        if b"-----BEGIN" not in data:
            return cls.of([])
        try:
            return cls.of(x509.load_pem_x509_certificates(data))
        except ValueError:
            raise CertificateError("trust anchors are not valid PEM certificates") from None

    @classmethod
    def from_path(cls, path: Path) -> TrustStore:
        """A PEM/DER file, or a folder of them (a thin loader: the rest of specs/ does no I/O)."""
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        anchors: list[x509.Certificate] = []
        for file in files:
            data = file.read_bytes()
            if b"-----BEGIN CERTIFICATE" in data:
                anchors.extend(cls.from_pem(data).anchors)
            elif data[:1] == b"\x30":
                try:
                    anchors.append(load_der_certificate(data))
                except CertificateError:
                    raise CertificateError(f"{file.name} is not a DER certificate") from None
        return cls.of(anchors)

    def find_issuer(self, cert: x509.Certificate) -> tuple[x509.Certificate, ...]:
        """Anchors whose subject is ``cert``'s issuer (the signature is checked by the validator)."""
        return tuple(a for a in self.anchors if a.subject == cert.issuer)

    def position(self, cert: x509.Certificate) -> int | None:
        """The index of this very certificate object among the anchors (identity, not equality)."""
        for i, anchor in enumerate(self.anchors):
            if anchor is cert:
                return i
        return None

    def by_key_id(self, ski: bytes) -> x509.Certificate | None:
        for anchor in self.anchors:
            try:
                ext = anchor.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            if ext.value.digest == ski:
                return anchor
        return None

    def __contains__(self, cert: object) -> bool:
        return isinstance(cert, x509.Certificate) and fingerprint(cert) in self.fingerprints
