"""SD-JWT (RFC 9901) and SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): issue, present, verify."""

from specs.sdjwt.disclosure import Disclosure
from specs.sdjwt.issuance import SD, issue_sd_jwt
from specs.sdjwt.key_binding import KB_TYPE, create_kb_jwt, sd_hash
from specs.sdjwt.presentation import present, select
from specs.sdjwt.sd_jwt import SdJwt
from specs.sdjwt.vc import (
    VC_TYPE,
    VerifiedSdJwtVc,
    issue_sd_jwt_vc,
    verified_vc,
    verify_sd_jwt_or_vc,
    verify_sd_jwt_vc,
    x5c_chain,
    x5c_ders,
)
from specs.sdjwt.verify import KeyResolver, VerifiedSdJwt, verify_sd_jwt

__all__ = [
    "KB_TYPE",
    "SD",
    "VC_TYPE",
    "Disclosure",
    "KeyResolver",
    "SdJwt",
    "VerifiedSdJwt",
    "VerifiedSdJwtVc",
    "create_kb_jwt",
    "issue_sd_jwt",
    "issue_sd_jwt_vc",
    "present",
    "sd_hash",
    "select",
    "verified_vc",
    "verify_sd_jwt",
    "verify_sd_jwt_or_vc",
    "verify_sd_jwt_vc",
    "x5c_chain",
    "x5c_ders",
]
