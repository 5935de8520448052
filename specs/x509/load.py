"""Loading certificates from the outside world: one place that turns every way a DER blob can be bad into
a ``CertificateError`` (code ``x509.malformed``).

``cryptography`` parses lazily: a certificate that loads can still raise ``ValueError`` later, when its
issuer, extensions or key are first read, and some defects surface as ``InvalidVersion``,
``UnsupportedAlgorithm`` or a warning (a non-positive serial number, RFC 5280 §4.1.2.2; a country name
that is not two letters).
Reading those fields here, once, means nothing past this point can raise anything but our errors.
"""

from __future__ import annotations

import warnings

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.utils import CryptographyDeprecationWarning

from specs.errors import CertificateError

__all__ = ["load_der_certificate", "read_issuer"]


def load_der_certificate(der: bytes, *, what: str = "certificate", issuer: bool = True) -> x509.Certificate:
    """Parse ``der`` completely or raise ``CertificateError``.

    ``issuer=False`` leaves the issuer name unread, for a caller that proves it well formed another way and
    otherwise reads it with ``read_issuer`` before anything else does (``validate_der_chain``: a leaf's issuer
    is, as encoded, the subject of the anchor the path builder found)."""
    try:
        with warnings.catch_warnings():
            # A name attribute of the wrong length (a 25-character country name) is only a UserWarning
            # in cryptography; it is a malformed certificate to us (RFC 5280 Appendix A, X520countryName).
            # CryptographyDeprecationWarning is a UserWarning, so this one filter turns both into errors
            # (a second filter costs a list insertion on every certificate loaded).
            warnings.simplefilter("error", UserWarning)
            cert = x509.load_der_x509_certificate(der)
            _ = (cert.version, cert.serial_number, cert.issuer if issuer else None, cert.subject,
                 cert.not_valid_before_utc, cert.not_valid_after_utc, cert.extensions, cert.public_key(),
                 cert.signature_hash_algorithm)
    except (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion, x509.DuplicateExtension,
            x509.UnsupportedGeneralNameType, CryptographyDeprecationWarning, UserWarning):
        raise CertificateError(f"the {what} is malformed", code="x509.malformed") from None
    return cert


def read_issuer(cert: x509.Certificate, *, what: str = "certificate") -> x509.Name:
    """The issuer name, read as ``load_der_certificate`` reads it (the first read decides: cryptography keeps
    the name it built, warning or not)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            return cert.issuer
    except (ValueError, UserWarning):
        raise CertificateError(f"the {what} is malformed", code="x509.malformed") from None
