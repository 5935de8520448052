"""COSE (RFC 9052 / RFC 9053) as ISO/IEC 18013-5 uses it: COSE_Sign1, COSE_Mac0, COSE_Key."""

from specs.cose.headers import HeaderLabel
from specs.cose.key import CoseKey
from specs.cose.mac0 import CoseMac0
from specs.cose.sign1 import CoseSign1, UnsignedCoseSign1

__all__ = ["CoseKey", "CoseMac0", "CoseSign1", "HeaderLabel", "UnsignedCoseSign1"]
