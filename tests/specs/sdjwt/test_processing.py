"""specs/sdjwt/processing.py: the hash named by ``_sd_alg`` (RFC 9901 §4.1.1) is checked where the disclosures are
indexed, so that a holder reading its own credential (``presentation.select``, the wallet) gets the verifier's typed
error, not a KeyError or TypeError."""

from __future__ import annotations

from typing import Any

import pytest

from specs.crypto import SoftwareSigner
from specs.errors import SdJwtClaimError
from specs.jose import sign_compact
from specs.sdjwt import SdJwt, select
from specs.sdjwt.disclosure import Disclosure
from specs.sdjwt.processing import index_disclosures, process

_DISCLOSURE = Disclosure.create("given_name", "Minjun", rng=lambda n: b"\x01" * n)


@pytest.mark.parametrize("alg", ["md5", "SHA-256", "", ["sha-256"], {"a": 1}, None, 256])
def test_an_unsupported_sd_alg_is_refused_with_its_code(alg: Any) -> None:
    with pytest.raises(SdJwtClaimError) as caught:
        index_disclosures([_DISCLOSURE], alg)
    assert caught.value.code == "sdjwt.claim_sd_alg"


@pytest.mark.parametrize("alg", ["sha-256", "sha-384", "sha-512"])
def test_each_supported_sd_alg_indexes_by_its_digest(alg: str) -> None:
    by_digest = index_disclosures([_DISCLOSURE], alg)
    assert list(by_digest) == [_DISCLOSURE.digest(alg)]
    payload = {"_sd": [_DISCLOSURE.digest(alg)], "_sd_alg": alg}
    assert process(payload, by_digest).claims == {"given_name": "Minjun"}


def test_select_on_a_credential_with_an_unsupported_sd_alg_says_so() -> None:
    jwt = sign_compact(SoftwareSigner.generate(), {"typ": "dc+sd-jwt"},
                       {"_sd": [_DISCLOSURE.digest()], "_sd_alg": "md5"})
    with pytest.raises(SdJwtClaimError) as caught:
        select(SdJwt.parse(f"{jwt}~{_DISCLOSURE.encoded}~"), [("given_name",)])
    assert caught.value.code == "sdjwt.claim_sd_alg"
