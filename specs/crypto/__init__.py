"""Signature algorithms and the ``Signer`` protocol shared by COSE (mdoc) and JOSE (SD-JWT)."""

from specs.crypto.algorithms import (
    Algorithm,
    PrivateKey,
    PublicKey,
    algorithm_for_key,
    der_to_raw_signature,
    generate_private_key,
    raw_to_der_signature,
    verify_signature,
)
from specs.crypto.signer import Signer, SoftwareSigner

__all__ = [
    "Algorithm",
    "PrivateKey",
    "PublicKey",
    "Signer",
    "SoftwareSigner",
    "algorithm_for_key",
    "der_to_raw_signature",
    "generate_private_key",
    "raw_to_der_signature",
    "verify_signature",
]
