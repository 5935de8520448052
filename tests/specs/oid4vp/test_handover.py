"""OpenID4VP 1.0 Appendix B.2.6: the worked SessionTranscript examples, byte for byte."""

from __future__ import annotations

import hashlib

from specs.jose import jwk_thumbprint
from specs.mdoc.transcript import SessionTranscript
from specs.oid4vp import (
    OpenID4VPDCAPIHandoverInfo,
    OpenID4VPHandoverInfo,
    dc_api_transcript,
    openid4vp_transcript,
)
from tests.conftest import VECTORS, Vectors

V = Vectors(VECTORS / "oid4vp")


def test_b261_redirect_handover_matches_the_specification() -> None:
    ex = V.json("b261_handover.json")
    thumbprint = jwk_thumbprint(ex["jwk"])
    assert thumbprint.hex() == ex["jwk_thumbprint_hex"]
    info = OpenID4VPHandoverInfo(ex["client_id"], ex["nonce"], thumbprint, ex["response_uri"])
    assert info.to_cbor().hex() == ex["handover_info_hex"]
    transcript = openid4vp_transcript(ex["client_id"], ex["nonce"], thumbprint, ex["response_uri"])
    assert transcript.to_cbor().hex() == ex["session_transcript_hex"]
    assert ex["session_transcript_hex"].endswith(ex["handover_hex"])
    assert hashlib.sha256(info.to_cbor()).digest() == info.handover()[1]
    # what a verifier reads back is the same transcript
    assert SessionTranscript.from_cbor(transcript.to_cbor()).to_cbor() == transcript.to_cbor()


def test_b262_dc_api_handover_matches_the_specification() -> None:
    ex = V.json("b262_handover.json")
    thumbprint = jwk_thumbprint(ex["jwk"])
    info = OpenID4VPDCAPIHandoverInfo(ex["origin"], ex["nonce"], thumbprint)
    assert info.to_cbor().hex() == ex["handover_info_hex"]
    assert dc_api_transcript(ex["origin"], ex["nonce"], thumbprint).to_cbor().hex() == ex["session_transcript_hex"]


def test_each_input_changes_the_transcript() -> None:
    ex = V.json("b261_handover.json")
    base = openid4vp_transcript(ex["client_id"], ex["nonce"], None, ex["response_uri"]).to_cbor()
    for changed in (("example.com", ex["nonce"], None, ex["response_uri"]),  # client_id without its prefix
                    (ex["client_id"], ex["nonce"] + "x", None, ex["response_uri"]),
                    (ex["client_id"], ex["nonce"], bytes(32), ex["response_uri"]),
                    (ex["client_id"], ex["nonce"], None, "https://example.com/other")):
        assert openid4vp_transcript(*changed).to_cbor() != base
