"""The one exception tree of mobileid.

Every error the outside world can provoke is one of these. Each carries a stable, dotted ``code``
(the contract with verifiers' JSON output and with the tests: one code per check) and a message that
names what is wrong but never carries personal data, keys, codes or disclosures.

::

    MobileIdError                                   mobileid.error
    ├── DecodeError                                 decode.invalid
    │   ├── CborError                               cbor.malformed
    │   │   ├── CborSizeError                       cbor.too_large
    │   │   ├── CborDepthError                      cbor.too_deep
    │   │   ├── CborTagError                        cbor.tag_not_allowed
    │   │   ├── CborDuplicateKeyError               cbor.duplicate_key
    │   │   └── CborTrailingBytesError              cbor.trailing_bytes
    │   ├── StructureError                          structure.invalid      (missing / wrong-typed field)
    │   ├── JoseDecodeError                         jose.malformed
    │   ├── InputError                              input.unreadable       (a file or argument)
    │   └── QrError                                 qr.invalid
    │       ├── Base45Error                         qr.base45_invalid
    │       └── QrFrameError                        qr.frame_* (prefix, version, mixed, incomplete)
    ├── CryptoError                                 crypto.error
    │   ├── UnsupportedAlgorithmError               crypto.unsupported_algorithm
    │   ├── InvalidKeyError                         crypto.invalid_key
    │   ├── SignatureError                          crypto.bad_signature   (subclasses name *which*)
    │   ├── MacError                                crypto.bad_mac
    │   └── DecryptionError                         crypto.decryption_failed
    ├── CertificateError                            x509.invalid
    │   ├── CertificateProfileError                 x509.profile.<rule>    (one code per Annex B rule)
    │   ├── CertificateValidityError                x509.expired | x509.not_yet_valid
    │   └── ChainError                              x509.untrusted_chain
    ├── CredentialError                             credential.invalid
    │   ├── MdocError                               mdoc.invalid
    │   │   ├── IssuerAuthError                     mdoc.issuer_signature_invalid
    │   │   ├── DigestMismatchError                 mdoc.digest_mismatch
    │   │   ├── DigestMissingError                  mdoc.digest_missing
    │   │   ├── DocTypeMismatchError                mdoc.doctype_mismatch
    │   │   ├── MsoValidityError                    mdoc.expired | mdoc.not_yet_valid | mdoc.validity_invalid
    │   │   ├── DeviceAuthError                     mdoc.device_signature_invalid | mdoc.device_mac_invalid
    │   │   ├── KeyAuthorizationError               mdoc.element_not_authorized
    │   │   └── ReaderAuthError                     mdoc.reader_auth_invalid
    │   ├── SdJwtError                              sdjwt.invalid
    │   │   ├── SdJwtIssuerSignatureError           sdjwt.issuer_signature_invalid
    │   │   ├── DisclosureError                     sdjwt.disclosure_* (unreferenced, duplicate, malformed)
    │   │   ├── SdJwtClaimError                     sdjwt.claim_* (reserved name, overwrite, bad _sd_alg)
    │   │   ├── SdJwtValidityError                  sdjwt.expired | sdjwt.not_yet_valid
    │   │   └── KeyBindingError                     sdjwt.kb_* (missing, signature, nonce, aud, iat, sd_hash)
    │   └── StatusError                             status.invalid
    │       ├── StatusListError                     status.list_* (malformed, too_large, index_out_of_range)
    │       ├── StatusTokenError                    status.token_* (signature, expired, subject)
    │       └── CredentialStatusError               status.revoked | status.suspended | status.<value>
    ├── TrustError                                  trust.untrusted_issuer
    │   ├── VicalError (specs.trust.vical)          trust.vical_* (signature, stale, certificate)
    │   └── TrustBundleError (specs.trust.bundle)   trust.bundle_* (signature, stale, signer)
    ├── Oid4vpError                                 oid4vp.* (OpenID4VP 1.0: request, dcql, jwe, response)
    ├── NetworkError (specs.io.http)                net.offline | net.timeout | net.server
    ├── WalletError                                 wallet.error           (wallet.not_found, ...)
    │   ├── PinError                                wallet.wrong_pin
    │   ├── LockedError                             wallet.locked
    │   └── StoreCorruptedError                     wallet.store_corrupted
    └── CatalogueError                              catalogue.invalid
        └── UnknownDocumentTypeError                catalogue.unknown_type

Subclasses set a class-level default ``code``; a raise site may pass a more specific one
(``DisclosureError("…", code="sdjwt.disclosure_unreferenced")``) as long as it stays under the
class's prefix, so tests can assert both the class and the exact code.
"""

from __future__ import annotations

__all__ = [
    "Base45Error",
    "CatalogueError",
    "CborDepthError",
    "CborDuplicateKeyError",
    "CborError",
    "CborSizeError",
    "CborTagError",
    "CborTrailingBytesError",
    "CertificateError",
    "CertificateProfileError",
    "CertificateValidityError",
    "ChainError",
    "CredentialError",
    "CredentialStatusError",
    "CryptoError",
    "DecodeError",
    "DecryptionError",
    "DeviceAuthError",
    "DigestMismatchError",
    "DigestMissingError",
    "DisclosureError",
    "DocTypeMismatchError",
    "InputError",
    "InvalidKeyError",
    "IssuerAuthError",
    "JoseDecodeError",
    "KeyAuthorizationError",
    "KeyBindingError",
    "LockedError",
    "MacError",
    "MdocError",
    "MobileIdError",
    "MsoValidityError",
    "NetworkError",
    "Oid4vpError",
    "PinError",
    "QrError",
    "QrFrameError",
    "ReaderAuthError",
    "SdJwtClaimError",
    "SdJwtError",
    "SdJwtIssuerSignatureError",
    "SdJwtValidityError",
    "SignatureError",
    "StatusError",
    "StatusListError",
    "StatusTokenError",
    "StoreCorruptedError",
    "StructureError",
    "TrustError",
    "UnknownDocumentTypeError",
    "UnsupportedAlgorithmError",
    "WalletError",
]


class MobileIdError(Exception):
    """Root of every error mobileid raises on bad input."""

    code: str = "mobileid.error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

    def plain(self, lang: str) -> str:
        """What a shop owner or card holder reads for this error, in ``lang`` (``specs/messages.toml``)."""
        from specs.messages import message  # the table reads a data file: only when words are asked for

        return message(self.code, lang)

    def to_json(self, lang: str = "en") -> dict[str, str]:
        """What scripts receive (CLI ``--json``): the stable ``code``, the plain ``message`` in ``lang`` and
        the technical ``detail`` (names the cause, never personal data)."""
        return {"code": self.code, "message": self.plain(lang), "detail": self.message}


# --- decoding --------------------------------------------------------------------------------------
class DecodeError(MobileIdError):
    code = "decode.invalid"


class CborError(DecodeError):
    code = "cbor.malformed"


class CborSizeError(CborError):
    code = "cbor.too_large"


class CborDepthError(CborError):
    code = "cbor.too_deep"


class CborTagError(CborError):
    code = "cbor.tag_not_allowed"


class CborDuplicateKeyError(CborError):
    code = "cbor.duplicate_key"


class CborTrailingBytesError(CborError):
    code = "cbor.trailing_bytes"


class StructureError(DecodeError):
    """A structure is missing a field, has one of the wrong type, or an unexpected value."""

    code = "structure.invalid"


class JoseDecodeError(DecodeError):
    code = "jose.malformed"


class InputError(DecodeError):
    """An input file or argument cannot be read or is not in a form we accept (CLI exit code 2)."""

    code = "input.unreadable"


class QrError(DecodeError):
    """A QR payload that is not in the mobileid QR profile (docs: specs/qr-presentation.md)."""

    code = "qr.invalid"


class Base45Error(QrError):
    """Text that is not valid base45 (RFC 9285 §4.2)."""

    code = "qr.base45_invalid"


class QrFrameError(QrError):
    """A frame that cannot belong to the message: bad prefix or version, mixed messages, incomplete."""

    code = "qr.frame_invalid"


# --- cryptography ----------------------------------------------------------------------------------
class CryptoError(MobileIdError):
    code = "crypto.error"


class UnsupportedAlgorithmError(CryptoError):
    code = "crypto.unsupported_algorithm"


class InvalidKeyError(CryptoError):
    code = "crypto.invalid_key"


class SignatureError(CryptoError):
    code = "crypto.bad_signature"


class MacError(CryptoError):
    code = "crypto.bad_mac"


class DecryptionError(CryptoError):
    code = "crypto.decryption_failed"


# --- certificates ----------------------------------------------------------------------------------
class CertificateError(MobileIdError):
    code = "x509.invalid"


class CertificateProfileError(CertificateError):
    """A certificate breaks a rule of its ISO/IEC 18013-5 Annex B profile; ``code`` names the rule."""

    code = "x509.profile"


class CertificateValidityError(CertificateError):
    code = "x509.expired"


class ChainError(CertificateError):
    code = "x509.untrusted_chain"


# --- credentials -----------------------------------------------------------------------------------
class CredentialError(MobileIdError):
    code = "credential.invalid"


class MdocError(CredentialError):
    code = "mdoc.invalid"


class IssuerAuthError(MdocError, SignatureError):
    code = "mdoc.issuer_signature_invalid"


class DigestMismatchError(MdocError):
    code = "mdoc.digest_mismatch"


class DigestMissingError(MdocError):
    code = "mdoc.digest_missing"


class DocTypeMismatchError(MdocError):
    code = "mdoc.doctype_mismatch"


class MsoValidityError(MdocError):
    code = "mdoc.validity_invalid"


class DeviceAuthError(MdocError):
    code = "mdoc.device_signature_invalid"


class KeyAuthorizationError(MdocError):
    code = "mdoc.element_not_authorized"


class ReaderAuthError(MdocError):
    code = "mdoc.reader_auth_invalid"


class SdJwtError(CredentialError):
    code = "sdjwt.invalid"


class SdJwtIssuerSignatureError(SdJwtError, SignatureError):
    code = "sdjwt.issuer_signature_invalid"


class DisclosureError(SdJwtError):
    code = "sdjwt.disclosure_invalid"


class SdJwtClaimError(SdJwtError):
    code = "sdjwt.claim_invalid"


class SdJwtValidityError(SdJwtError):
    code = "sdjwt.expired"


class KeyBindingError(SdJwtError):
    code = "sdjwt.kb_invalid"


class StatusError(CredentialError):
    code = "status.invalid"


class StatusListError(StatusError):
    code = "status.list_malformed"


class StatusTokenError(StatusError):
    code = "status.token_invalid"


class CredentialStatusError(StatusError):
    """The credential's status is not VALID (revoked, suspended, or an application-specific value)."""

    code = "status.revoked"


# --- trust and catalogue ---------------------------------------------------------------------------
class TrustError(MobileIdError):
    code = "trust.untrusted_issuer"


# --- OpenID4VP (online presentation) --------------------------------------------------------------
class Oid4vpError(MobileIdError):
    """An OpenID4VP 1.0 message breaks a rule: the request object or its signer (``oid4vp.request_*``),
    the DCQL query (``oid4vp.dcql``), the encrypted response (``oid4vp.jwe``), or the response's binding to
    its transaction (``oid4vp.state``, ``oid4vp.expired``, ``oid4vp.replayed``, ``oid4vp.unencrypted``,
    ``oid4vp.mismatch``). ``specs.oid4vp.response.oauth_error`` maps each code to the §8.5 error code."""

    code = "oid4vp.invalid"


# --- the network (specs.io.http) ----------------------------------------------------------------------
class NetworkError(MobileIdError):
    """The other side could not be reached or gave no usable answer: ``net.offline`` (no route, refused, DNS,
    a broken connection), ``net.timeout`` (connected, no answer in time), ``net.server`` (any other failure of
    the exchange). Raised by ``specs.io.http``, the one place that maps the HTTP client's exceptions."""

    code = "net.offline"


# --- wallet (holder storage) -----------------------------------------------------------------------
class WalletError(MobileIdError):
    """The holder's key or credential store refuses an operation (unknown alias/id, bad state)."""

    code = "wallet.error"


class PinError(WalletError):
    """The PIN does not unlock the wallet (the attempt is counted)."""

    code = "wallet.wrong_pin"


class LockedError(WalletError):
    """Too many wrong PINs in a row: the wallet's master key was destroyed (crypto-erase)."""

    code = "wallet.locked"


class StoreCorruptedError(WalletError):
    """A wallet file is truncated, tampered with or unreadable (AES-GCM tag or structure check)."""

    code = "wallet.store_corrupted"


class CatalogueError(MobileIdError):
    code = "catalogue.invalid"


class UnknownDocumentTypeError(CatalogueError):
    code = "catalogue.unknown_type"

