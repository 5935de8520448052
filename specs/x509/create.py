"""Create IACA, document-signer and reader certificates (ISO/IEC 18013-5 Annex B) through a ``Signer``.

The issuer's private key never has to leave its HSM: the TBSCertificate is built with cryptography's
``CertificateBuilder`` (signed by a throwaway key of the same algorithm, only so that the builder emits
the right ``signature`` AlgorithmIdentifier), and the real signature over the TBS bytes comes from the
``Signer``. The DER Certificate (RFC 5280 §4.1) is then assembled here.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID, ObjectIdentifier

from specs.crypto import Algorithm, PublicKey, Signer, generate_private_key, raw_to_der_signature
from specs.x509.profile import MDL_DS_EKU, MDL_READER_EKU, MDL_VICAL_EKU

__all__ = ["create_document_signer", "create_iaca", "create_reader", "create_reader_root", "create_vical_signer"]

# AlgorithmIdentifier DER (RFC 5758 §3.2, RFC 8410 §3): ecdsa-with-SHA256/384/512, Ed25519.
_ALG_ID = {
    Algorithm.ES256: bytes.fromhex("300a06082a8648ce3d040302"),
    Algorithm.ES384: bytes.fromhex("300a06082a8648ce3d040303"),
    Algorithm.ES512: bytes.fromhex("300a06082a8648ce3d040304"),
    Algorithm.EDDSA: bytes.fromhex("300506032b6570"),
}
_HASH: dict[Algorithm, hashes.SHA256 | hashes.SHA384 | hashes.SHA512 | None] = {
    Algorithm.ES256: hashes.SHA256(), Algorithm.ES384: hashes.SHA384(), Algorithm.ES512: hashes.SHA512(),
    Algorithm.EDDSA: None,
}
Rng = Callable[[int], bytes]


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _sign(builder: x509.CertificateBuilder, signer: Signer) -> x509.Certificate:
    alg = signer.algorithm
    throwaway = generate_private_key(alg)
    tbs = builder.sign(throwaway, _HASH[alg]).tbs_certificate_bytes
    raw = signer.sign(tbs)
    signature = raw if alg is Algorithm.EDDSA else raw_to_der_signature(raw, alg)
    der = _der(0x30, tbs + _ALG_ID[alg] + _der(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(der)


def _serial(rng: Rng) -> int:
    # RFC 5280 §4.1.2.2: positive, at most 20 octets; 159 random bits.
    return int.from_bytes(rng(20), "big") >> 1 or 1


def _name(common_name: str, country: str | None, organization: str | None = None,
          state: str | None = None) -> x509.Name:
    parts = []
    if country:
        parts.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    if state:
        parts.append(x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, state))
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(False, False, False, False, False, True, True, False, False)


def _leaf_usage() -> x509.KeyUsage:
    return x509.KeyUsage(True, False, False, False, False, False, False, False, False)


def _root(signer: Signer, subject: x509.Name, not_before: dt.datetime, not_after: dt.datetime,
          issuer_alt_uri: str | None, crl_uri: str | None, rng: Rng) -> x509.Certificate:
    key = signer.public_key()
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key)
        .serial_number(_serial(rng)).not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    )
    if issuer_alt_uri:
        builder = builder.add_extension(
            x509.IssuerAlternativeName([x509.UniformResourceIdentifier(issuer_alt_uri)]), critical=False)
    if crl_uri:
        builder = builder.add_extension(_crl(crl_uri), critical=False)
    return _sign(builder, signer)


def _crl(uri: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([x509.DistributionPoint(
        [x509.UniformResourceIdentifier(uri)], None, None, None)])


def create_iaca(signer: Signer, *, country: str, common_name: str, not_before: dt.datetime,
                not_after: dt.datetime, organization: str | None = None, state_or_province: str | None = None,
                issuer_alt_uri: str = "https://example.invalid", crl_uri: str | None = None,
                rng: Rng = secrets.token_bytes) -> x509.Certificate:
    """An IACA root certificate (Annex B.1.2), self-signed by ``signer``."""
    subject = _name(common_name, country, organization, state_or_province)
    return _root(signer, subject, not_before, not_after, issuer_alt_uri, crl_uri, rng)


def create_reader_root(signer: Signer, *, common_name: str, not_before: dt.datetime,
                       not_after: dt.datetime, country: str | None = None, organization: str | None = None,
                       rng: Rng = secrets.token_bytes) -> x509.Certificate:
    """A reader-authentication root (Annex B.1.7 / B.2), self-signed by ``signer``."""
    return _root(signer, _name(common_name, country, organization), not_before, not_after, None, None, rng)


def _leaf(issuer_signer: Signer, issuer_cert: x509.Certificate, subject: x509.Name, key: PublicKey,
          not_before: dt.datetime, not_after: dt.datetime, eku: str, rng: Rng,
          issuer_alt_uri: str | None, crl_uri: str | None, dns_names: Sequence[str] = ()) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_cert.subject).public_key(key)
        .serial_number(_serial(rng)).not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_signer.public_key()), critical=False)
        .add_extension(_leaf_usage(), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ObjectIdentifier(eku)]), critical=True)
    )
    if issuer_alt_uri:
        builder = builder.add_extension(
            x509.IssuerAlternativeName([x509.UniformResourceIdentifier(issuer_alt_uri)]), critical=False)
    if crl_uri:
        builder = builder.add_extension(_crl(crl_uri), critical=False)
    if dns_names:  # OpenID4VP 1.0 §5.9.3 x509_san_dns: the relying party's DNS name as a dNSName SAN
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]),
                                        critical=False)
    return _sign(builder, issuer_signer)


def create_document_signer(iaca_signer: Signer, iaca_cert: x509.Certificate, subject_public_key: PublicKey,
                           *, common_name: str, not_before: dt.datetime, not_after: dt.datetime,
                           issuer_alt_uri: str = "https://example.invalid", crl_uri: str | None = None,
                           rng: Rng = secrets.token_bytes) -> x509.Certificate:
    """A document-signer certificate (Annex B.1.3) with the IACA's country, signed by the IACA."""
    countries = iaca_cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    country = str(countries[0].value) if countries else None
    return _leaf(iaca_signer, iaca_cert, _name(common_name, country), subject_public_key, not_before,
                 not_after, MDL_DS_EKU, rng, issuer_alt_uri, crl_uri)


def create_reader(root_signer: Signer, root_cert: x509.Certificate, subject_public_key: PublicKey, *,
                  common_name: str, not_before: dt.datetime, not_after: dt.datetime,
                  rng: Rng = secrets.token_bytes, dns_names: Sequence[str] = ()) -> x509.Certificate:
    """A reader-authentication certificate (Annex B.1.7), signed by the reader root; ``dns_names`` become
    dNSName SANs so the same certificate can sign OpenID4VP requests as ``x509_san_dns``."""
    return _leaf(root_signer, root_cert, _name(common_name, None), subject_public_key, not_before, not_after,
                 MDL_READER_EKU, rng, None, None, dns_names)


def create_vical_signer(root_signer: Signer, root_cert: x509.Certificate, subject_public_key: PublicKey, *,
                        common_name: str, not_before: dt.datetime, not_after: dt.datetime,
                        rng: Rng = secrets.token_bytes) -> x509.Certificate:
    """A VICAL signer certificate (ISO/IEC 18013-5 Annex C.1.7.2, EKU id-mdl-kp-mdlVICAL), signed by the
    provider's root; it signs the VICAL and the trust bundle that carries it."""
    countries = root_cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    country = str(countries[0].value) if countries else None
    return _leaf(root_signer, root_cert, _name(common_name, country), subject_public_key, not_before, not_after,
                 MDL_VICAL_EKU, rng, None, None)
