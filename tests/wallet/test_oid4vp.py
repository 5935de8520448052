"""wallet.oid4vp without a verifier: unsigned requests, hostile text from requesters, plain words."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse

import pytest

from specs.errors import Oid4vpError
from wallet.oid4vp import fetch_request, safe_text
from wallet.oid4vp_words import describe_request

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
DCQL = {"credentials": [{"id": "age", "format": "mso_mdoc", "meta": {"doctype_value": "kr.mobileid.age.1"},
                         "claims": [{"path": ["kr.mobileid.age.1", "age_over_19"]}]}]}


def _link(client_id: str, response_uri: str, name: str = "Corner shop") -> str:
    params = {"response_type": "vp_token", "client_id": client_id, "response_mode": "direct_post",
              "response_uri": response_uri, "nonce": "n", "dcql_query": json.dumps(DCQL),
              "client_metadata": json.dumps({"client_name": name})}
    return "openid4vp://?" + urllib.parse.urlencode(params)


class NoNetwork:
    def get(self, url: str, *, headers: object = None) -> object:
        raise AssertionError("an unsigned request needs no fetch")

    def post(self, url: str, *, data: object = None, json: object = None, headers: object = None) -> object:
        raise AssertionError("nothing is posted here")


def test_unsigned_request_is_shown_as_such() -> None:
    received = fetch_request(_link("redirect_uri:https://shop.example/r", "https://shop.example/r",
                                   name="Bank\x1b[31m of\u202e Korea"), http=NoNetwork(), reader_roots=None, now=NOW)
    assert received.requester.trust == "unsigned" and received.requester.problem == "oid4vp.unsigned"
    (first, *_rest) = describe_request(received, "en")
    assert first.startswith("unsigned request — the requester cannot be identified")
    assert "\x1b" not in first and "\u202e" not in first and "Bank?[31m of? Korea" in first
    assert describe_request(received, "ko")[0].startswith("서명되지 않은 요청")
    assert "Age attestation" in " ".join(describe_request(received, "en"))


@pytest.mark.parametrize(("client_id", "response_uri"), [("shop.example", "https://shop.example/r"),
                                                          ("redirect_uri:https://a.example/r", "https://b.example/r")])
def test_unsigned_request_must_name_its_response_uri(client_id: str, response_uri: str) -> None:
    with pytest.raises(Oid4vpError) as err:
        fetch_request(_link(client_id, response_uri), http=NoNetwork(), reader_roots=None, now=NOW)
    assert err.value.code == "oid4vp.client_id"


def test_safe_text() -> None:
    assert safe_text("plain") == "plain"
    assert safe_text("a\nb\tc\x07") == "a?b?c?"
    assert safe_text("x" * 300, 10) == "x" * 9 + "…"
