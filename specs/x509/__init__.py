"""X.509 for mdoc: Annex B profiles, certificate creation through a ``Signer``, path validation."""

from specs.x509.create import (
    create_document_signer,
    create_iaca,
    create_reader,
    create_reader_root,
    create_vical_signer,
)
from specs.x509.profile import MAX_VALIDITY, MDL_DS_EKU, MDL_READER_EKU, CertificateRole, check_profile
from specs.x509.trust import TrustStore, fingerprint
from specs.x509.validate import ChainCache, ValidatedChain, check_validity, validate_chain, validate_der_chain

__all__ = [
    "MAX_VALIDITY",
    "MDL_DS_EKU",
    "MDL_READER_EKU",
    "CertificateRole",
    "ChainCache",
    "TrustStore",
    "ValidatedChain",
    "check_profile",
    "check_validity",
    "create_document_signer",
    "create_iaca",
    "create_reader",
    "create_reader_root",
    "create_vical_signer",
    "fingerprint",
    "validate_chain",
    "validate_der_chain",
]
