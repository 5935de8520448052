"""Trust distribution for offline verifiers: the VICAL (ISO/IEC 18013-5 Annex C.1.7) and the signed
trust bundle that carries it with the document signers and status list tokens."""

from specs.trust.bundle import (
    DEFAULT_MAX_AGE,
    StatusListToken,
    TrustBundle,
    TrustBundleError,
    VerifiedTrustBundle,
    check_bundle_age,
    key_id,
    sign_trust_bundle,
    verify_trust_bundle,
)
from specs.trust.vical import CertificateInfo, Vical, VicalError, sign_vical, verify_vical

__all__ = [
    "DEFAULT_MAX_AGE",
    "CertificateInfo",
    "StatusListToken",
    "TrustBundle",
    "TrustBundleError",
    "VerifiedTrustBundle",
    "Vical",
    "VicalError",
    "check_bundle_age",
    "key_id",
    "sign_trust_bundle",
    "sign_vical",
    "verify_trust_bundle",
    "verify_vical",
]
