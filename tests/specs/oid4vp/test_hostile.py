"""Hostile JSON into every OpenID4VP parser: only typed errors (``MobileIdError``) come out, never a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from specs.errors import MobileIdError
from specs.oid4vp import AuthorizationRequest, ClientMetadata, DcqlQuery, DigitalCredentialRequest, parse_response

_scalar = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=8))
_json = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                     max_leaves=20)
_keys = st.sampled_from(["credentials", "credential_sets", "id", "format", "meta", "claims", "claim_sets", "path",
                         "values", "options", "required", "doctype_value", "vct_values", "multiple", "vp_token",
                         "state", "error", "response_type", "response_mode", "nonce", "client_id", "dcql_query",
                         "response_uri", "client_metadata", "jwks", "keys", "protocol", "data", "request"])
_shaped = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(_keys, inner, max_size=6)), max_leaves=30)


def _only_typed_errors(parse: Any, value: Any) -> None:
    try:
        parse(value)
    except MobileIdError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.one_of(_json, _shaped))
def test_parsers_raise_only_typed_errors(value: Any) -> None:
    for parse in (DcqlQuery.from_json, AuthorizationRequest.from_json, ClientMetadata.from_json, parse_response,
                  DigitalCredentialRequest.from_json):
        _only_typed_errors(parse, value)
