"""Loading certificates from the outside world: one place that turns every way a DER blob can be bad into
a ``CertificateError`` (code ``x509.malformed``).

``cryptography`` parses lazily: a certificate that loads can still raise ``ValueError`` later, when its
issuer, extensions or key are first read, and some defects surface as ``InvalidVersion``,
``UnsupportedAlgorithm`` or a warning (a non-positive serial number, RFC 5280 §4.1.2.2; a country name
that is not two letters).
Reading those fields here, once, means nothing past this point can raise anything but our errors.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.utils import CryptographyDeprecationWarning

from specs.errors import CertificateError

__all__ = ["load_der_certificate", "read_issuer"]

T = TypeVar("T")

# What warnings.simplefilter("error", UserWarning) puts first. CryptographyDeprecationWarning is a UserWarning, so this
# one filter turns a name attribute of the wrong length (a 25-character country name, only a UserWarning in
# cryptography; a malformed certificate to us, RFC 5280 Appendix A, X520countryName) and a deprecated encoding (a
# non-positive serial number, RFC 5280 §4.1.2.2) into errors.
_USER_WARNINGS_FAIL = ("error", None, UserWarning, None, 0)
# The warnings module's own "the filters changed" hook (it drops the decisions cached under the old filters). Where it
# is missing, or the filters live in a context (Python 3.14 on), catch_warnings does the same more slowly.
_mutated: Callable[[], None] | None = getattr(warnings, "_filters_mutated", None)
_PLAIN_FILTERS = _mutated is not None and sys.version_info < (3, 14)


def _strictly(read: Callable[[], T]) -> T:
    """``read()`` with every UserWarning an error, as ``with catch_warnings(): simplefilter("error", UserWarning)``
    runs it: the filter put first for the call and the list as it was after. Without catch_warnings' own work (a copy,
    a remove that raises and is caught on every call, then an insert; saving showwarning, which nothing here changes):
    a verifier meeting a document signer it has not cached pays it on each presentation. Like catch_warnings, not for
    threads that change the filters meanwhile."""
    if not _PLAIN_FILTERS or _mutated is None:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            return read()
    saved = warnings.filters
    warnings.filters = [_USER_WARNINGS_FAIL, *saved]
    _mutated()
    try:
        return read()
    finally:
        warnings.filters = saved
        _mutated()


def load_der_certificate(der: bytes, *, what: str = "certificate", issuer: bool = True) -> x509.Certificate:
    """Parse ``der`` completely or raise ``CertificateError``.

    ``issuer=False`` leaves the issuer name unread, for a caller that proves it well formed another way and
    otherwise reads it with ``read_issuer`` before anything else does (``validate_der_chain``: a leaf's issuer
    is, as encoded, the subject of the anchor the path builder found)."""
    try:
        return _strictly(lambda: _read(der, issuer))
    except (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion, x509.DuplicateExtension,
            x509.UnsupportedGeneralNameType, CryptographyDeprecationWarning, UserWarning):
        raise CertificateError(f"the {what} is malformed", code="x509.malformed") from None


def _read(der: bytes, issuer: bool) -> x509.Certificate:
    cert = x509.load_der_x509_certificate(der)
    _ = (cert.version, cert.serial_number, cert.issuer if issuer else None, cert.subject, cert.not_valid_before_utc,
         cert.not_valid_after_utc, cert.extensions, cert.public_key(), cert.signature_hash_algorithm)
    return cert


def read_issuer(cert: x509.Certificate, *, what: str = "certificate") -> x509.Name:
    """The issuer name, read as ``load_der_certificate`` reads it (the first read decides: cryptography keeps
    the name it built, warning or not)."""
    try:
        return _strictly(lambda: cert.issuer)
    except (ValueError, UserWarning):
        raise CertificateError(f"the {what} is malformed", code="x509.malformed") from None
