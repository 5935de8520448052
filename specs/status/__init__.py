"""IETF Token Status List (draft-ietf-oauth-status-list): lists, tokens (JWT and CWT), references."""

from specs.status.reference import StatusReference, require_valid
from specs.status.status_list import DEFAULT_MAX_INFLATED, StatusList, StatusValue
from specs.status.token import (
    CWT_TYPE,
    JWT_TYPE,
    StatusListToken,
    TokenHeader,
    issue_cwt,
    issue_jwt,
    verify_status_list_token,
)

__all__ = [
    "CWT_TYPE",
    "DEFAULT_MAX_INFLATED",
    "JWT_TYPE",
    "StatusList",
    "StatusListToken",
    "StatusReference",
    "StatusValue",
    "TokenHeader",
    "issue_cwt",
    "issue_jwt",
    "require_valid",
    "verify_status_list_token",
]
