"""ISO/IEC 18013-5 Annex B certificate profiles: IACA, document signer, reader root and reader.

``check_profile`` raises ``CertificateProfileError`` with one code per violated rule, so a verifier can
say exactly what is wrong with a certificate (``x509.profile.key_usage``, ...). The rules:

========================  =====================================================================
rule (code suffix)        what Annex B asks
========================  =====================================================================
version                   X.509 v3 (B.1.1)
serial_number             positive, at most 20 octets (B.1.1, RFC 5280 §4.1.2.2)
signature_algorithm       ECDSA with SHA-256/384/512 or Ed25519 (B.1.1, 18013-5 §9.1.5)
missing_country           IACA and DS subjects carry countryName (B.1.2, B.1.3)
country_mismatch          a DS has the country of its IACA (B.1.3)
validity_too_long         IACA at most 20 years, DS at most 457 days, reader at most 1187 days
basic_constraints         CA certificates: critical, cA true, pathLenConstraint 0; leaves: not a CA
key_usage                 critical; CAs keyCertSign + cRLSign only; leaves digitalSignature only
extended_key_usage        DS: critical, mDL DS (1.0.18013.5.1.2); reader: 1.0.18013.5.1.6;
                          VICAL signer: 1.0.18013.5.1.8 (Annex C.1.7.2); CAs none
key_identifier            subjectKeyIdentifier everywhere; authorityKeyIdentifier on leaves
issuer_alt_name           IACA and DS carry issuerAlternativeName (email or URI of the issuer)
========================  =====================================================================
"""

from __future__ import annotations

import datetime as dt
import enum

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID, ObjectIdentifier, SignatureAlgorithmOID

from specs.errors import CertificateProfileError

__all__ = ["MAX_VALIDITY", "MDL_DS_EKU", "MDL_READER_EKU", "MDL_VICAL_EKU", "CertificateRole", "check_profile"]

MDL_DS_EKU = "1.0.18013.5.1.2"
MDL_READER_EKU = "1.0.18013.5.1.6"
MDL_VICAL_EKU = "1.0.18013.5.1.8"  # id-mdl-kp-mdlVICAL, ISO/IEC 18013-5 Annex C.1.7.2


class CertificateRole(enum.Enum):
    IACA = "iaca"
    DOCUMENT_SIGNER = "document_signer"
    READER_ROOT = "reader_root"
    READER = "reader"
    VICAL_SIGNER = "vical_signer"

    # Members are singletons compared by identity, so the identity hash agrees with equality; Enum's own
    # __hash__ (hash of the name, in Python) costs a call on every lookup of the tables keyed by role.
    __hash__ = object.__hash__

    @property
    def is_ca(self) -> bool:
        return self in (CertificateRole.IACA, CertificateRole.READER_ROOT)


MAX_VALIDITY = {
    CertificateRole.IACA: dt.timedelta(days=20 * 366),
    CertificateRole.DOCUMENT_SIGNER: dt.timedelta(days=457),
    CertificateRole.READER_ROOT: dt.timedelta(days=20 * 366),
    CertificateRole.READER: dt.timedelta(days=1187),
    CertificateRole.VICAL_SIGNER: dt.timedelta(days=1187),
}
_EKU = {CertificateRole.DOCUMENT_SIGNER: MDL_DS_EKU, CertificateRole.READER: MDL_READER_EKU,
        CertificateRole.VICAL_SIGNER: MDL_VICAL_EKU}
_HASHES = (hashes.SHA256, hashes.SHA384, hashes.SHA512)


_NAMES = {role: role.value.replace("_", " ") for role in CertificateRole}
_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)
# The keyUsage bits Annex B allows, exactly: (digitalSignature, contentCommitment, keyEncipherment,
# dataEncipherment, keyAgreement, keyCertSign, cRLSign).
_CA_USAGE = (False, False, False, False, False, True, True)
_LEAF_USAGE = (True, False, False, False, False, False, False)

_Extensions = dict[type, x509.Extension[x509.ExtensionType]]


def _fail(rule: str, message: str) -> CertificateProfileError:
    return CertificateProfileError(message, code=f"x509.profile.{rule}")


def _extensions(cert: x509.Certificate) -> _Extensions:
    """The extensions by their class, read once (``get_extension_for_class`` walks them on every call); a
    duplicate extension never gets here (``cert.extensions`` refuses it), an unknown one is keyed by
    ``UnrecognizedExtension`` and asked for by no rule."""
    try:
        return {type(ext.value): ext for ext in cert.extensions}
    except ValueError:  # duplicate or malformed extensions
        raise _fail("extensions", "certificate extensions are malformed or duplicated") from None


def check_profile(cert: x509.Certificate, role: CertificateRole, *,
                  issuer: x509.Certificate | None = None) -> None:
    """ISO/IEC 18013-5 Annex B: raise ``CertificateProfileError`` on the first violated rule."""
    if _conforms(cert, role, issuer):
        return
    name = _NAMES[role]
    _check_basics(cert, name)
    _check_names(cert, role, issuer, name)
    if cert.not_valid_after_utc - cert.not_valid_before_utc > MAX_VALIDITY[role]:
        limit = MAX_VALIDITY[role].days
        raise _fail("validity_too_long", f"{name} certificate validity exceeds {limit} days")
    exts = _extensions(cert)
    _check_basic_constraints(exts.get(x509.BasicConstraints), role, name)
    _check_key_usage(exts.get(x509.KeyUsage), role, name)
    _check_eku(exts.get(x509.ExtendedKeyUsage), role, name)
    if x509.SubjectKeyIdentifier not in exts or (not role.is_ca and x509.AuthorityKeyIdentifier not in exts):
        raise _fail("key_identifier", f"{name} certificate lacks a subject/authority key identifier")
    if role in (CertificateRole.IACA, CertificateRole.DOCUMENT_SIGNER) and x509.IssuerAlternativeName not in exts:
        raise _fail("issuer_alt_name", f"{name} certificate lacks issuerAlternativeName")


def _check_basics(cert: x509.Certificate, name: str) -> None:
    if cert.version is not x509.Version.v3:
        raise _fail("version", f"{name} certificate is not X.509 v3")
    serial = cert.serial_number
    if serial <= 0 or serial.bit_length() > 160:
        raise _fail("serial_number", f"{name} certificate serial number is not a positive 20-octet integer")
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(cert.signature_hash_algorithm, _HASHES) or not isinstance(key.curve, _CURVES):
            raise _fail("signature_algorithm", f"{name} certificate uses a curve or hash outside the profile")
    elif not isinstance(key, ed25519.Ed25519PublicKey):
        raise _fail("signature_algorithm", f"{name} certificate key is not EC or Ed25519")


def _country(cert_name: x509.Name) -> str | None:
    for attribute in cert_name:  # the first countryName, as get_attributes_for_oid(...)[0] would give
        if attribute.oid == NameOID.COUNTRY_NAME:
            return str(attribute.value)
    return None


def _check_names(cert: x509.Certificate, role: CertificateRole, issuer: x509.Certificate | None,
                 name: str) -> None:
    if role not in (CertificateRole.IACA, CertificateRole.DOCUMENT_SIGNER):
        return
    country = _country(cert.subject)
    if country is None:
        raise _fail("missing_country", f"{name} certificate subject has no countryName")
    if role is CertificateRole.DOCUMENT_SIGNER and issuer is not None and country != _country(issuer.subject):
        raise _fail("country_mismatch", "document signer country differs from its IACA's")


def _check_basic_constraints(ext: x509.Extension[x509.ExtensionType] | None, role: CertificateRole,
                             name: str) -> None:
    if role.is_ca:
        ok = (ext is not None and ext.critical and isinstance(ext.value, x509.BasicConstraints)
              and ext.value.ca and ext.value.path_length == 0)
    else:
        ok = ext is None or (isinstance(ext.value, x509.BasicConstraints) and not ext.value.ca)
    if not ok:
        raise _fail("basic_constraints", f"{name} certificate basicConstraints violate the profile")


def _check_key_usage(ext: x509.Extension[x509.ExtensionType] | None, role: CertificateRole, name: str) -> None:
    if ext is None or not ext.critical or not isinstance(ext.value, x509.KeyUsage):
        raise _fail("key_usage", f"{name} certificate lacks a critical keyUsage")
    ku = ext.value
    flags = (ku.digital_signature, ku.content_commitment, ku.key_encipherment, ku.data_encipherment,
             ku.key_agreement, ku.key_cert_sign, ku.crl_sign)
    if flags != (_CA_USAGE if role.is_ca else _LEAF_USAGE):
        wanted = ["crl_sign", "key_cert_sign"] if role.is_ca else ["digital_signature"]
        raise _fail("key_usage", f"{name} certificate keyUsage must be exactly {wanted}")


def _check_eku(ext: x509.Extension[x509.ExtensionType] | None, role: CertificateRole, name: str) -> None:
    wanted = _EKU.get(role)
    if wanted is None:
        if ext is not None:
            raise _fail("extended_key_usage", f"{name} certificate must not carry extendedKeyUsage")
        return
    usages = [u.dotted_string for u in ext.value] if ext is not None and isinstance(
        ext.value, x509.ExtendedKeyUsage) else []
    if ext is None or wanted not in usages or (role is CertificateRole.DOCUMENT_SIGNER and not ext.critical):
        raise _fail("extended_key_usage", f"{name} certificate lacks the critical mDL usage {wanted}")


# The common case of check_profile in one pass (a verifier meeting a document signer it has not cached checks its
# profile on every presentation): fewer attribute reads and calls, and no new objects where a class or an OID
# identifies what the rules ask. It only says "every rule passes"; anything else goes through the rules above,
# one by one, which decide and word the error.
_V3 = x509.Version.v3
_SERIAL_LIMIT = 1 << 160  # a positive serial of at most 20 octets (160 bits) is below this
_ECDSA_SHA2 = frozenset({SignatureAlgorithmOID.ECDSA_WITH_SHA256, SignatureAlgorithmOID.ECDSA_WITH_SHA384,
                         SignatureAlgorithmOID.ECDSA_WITH_SHA512})  # their hashes are _HASHES, exactly
_CURVE_CLASSES = frozenset(_CURVES)
_IS_CA = {role: role.is_ca for role in CertificateRole}
_WITH_COUNTRY = frozenset({CertificateRole.IACA, CertificateRole.DOCUMENT_SIGNER})  # also need issuerAltName
_USAGE = {role: _CA_USAGE if role.is_ca else _LEAF_USAGE for role in CertificateRole}
_EKU_OID = {role: ObjectIdentifier(oid) for role, oid in _EKU.items()}
# Classes of public keys by whether they are EC keys (isinstance on the ABC, once per class).
_EC_CLASSES: dict[type, bool] = {}
# The countryName of an issuer (an anchor: a few, long lived), by the very object; each entry holds its object, so
# its id is not reused while the entry lives.
_ISSUER_COUNTRY: dict[int, tuple[x509.Certificate, str | None]] = {}


def _issuer_country(issuer: x509.Certificate) -> str | None:
    known = _ISSUER_COUNTRY.get(id(issuer))
    if known is not None and known[0] is issuer:
        return known[1]
    country = _country(issuer.subject)
    if len(_ISSUER_COUNTRY) < 1024:
        _ISSUER_COUNTRY[id(issuer)] = (issuer, country)
    return country


def _conforms(cert: x509.Certificate, role: CertificateRole, issuer: x509.Certificate | None) -> bool:
    """True only when ``cert`` passes every rule of ``check_profile`` for ``role``; False decides nothing."""
    key = cert.public_key()
    kind = key.__class__
    is_ec = _EC_CLASSES.get(kind)
    if is_ec is None:
        is_ec = _EC_CLASSES.setdefault(kind, isinstance(key, ec.EllipticCurvePublicKey))
    serial = cert.serial_number
    if (cert.version is not _V3 or not 0 < serial < _SERIAL_LIMIT or not is_ec
            or cert.signature_algorithm_oid not in _ECDSA_SHA2
            or key.curve.__class__ not in _CURVE_CLASSES):  # type: ignore[union-attr]
        return False
    named = role in _WITH_COUNTRY
    if named:
        country = _country(cert.subject)
        if country is None or (role is CertificateRole.DOCUMENT_SIGNER and issuer is not None
                               and country != _issuer_country(issuer)):
            return False
    if cert.not_valid_after_utc - cert.not_valid_before_utc > MAX_VALIDITY[role]:
        return False
    try:
        exts = {ext.value.__class__: ext for ext in cert.extensions}
    except ValueError:
        return False
    basic, usage, eku = exts.get(x509.BasicConstraints), exts.get(x509.KeyUsage), exts.get(x509.ExtendedKeyUsage)
    is_ca = _IS_CA[role]
    if is_ca:
        if basic is None or not basic.critical or not basic.value.ca or basic.value.path_length != 0:
            return False
    elif basic is not None and basic.value.ca:
        return False
    if usage is None or not usage.critical:
        return False
    ku: x509.KeyUsage = usage.value
    if (ku.digital_signature, ku.content_commitment, ku.key_encipherment, ku.data_encipherment, ku.key_agreement,
            ku.key_cert_sign, ku.crl_sign) != _USAGE[role]:
        return False
    wanted = _EKU_OID.get(role)
    if wanted is None:
        if eku is not None:
            return False
    elif eku is None or wanted not in eku.value or (
            role is CertificateRole.DOCUMENT_SIGNER and not eku.critical):
        return False
    return x509.SubjectKeyIdentifier in exts and (is_ca or x509.AuthorityKeyIdentifier in exts) and (
        not named or x509.IssuerAlternativeName in exts)
