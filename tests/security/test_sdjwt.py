"""Security suite, SD-JWT (RFC 9901) and SD-JWT VC: disclosure, claim and key-binding attacks."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from specs.crypto import SoftwareSigner
from specs.errors import (
    DisclosureError,
    KeyBindingError,
    MobileIdError,
    SdJwtClaimError,
    SdJwtIssuerSignatureError,
)
from specs.jose import b64url_encode, jwk_from_key, sign_compact
from specs.sdjwt import SD, Disclosure, SdJwt, issue_sd_jwt, issue_sd_jwt_vc, present, sd_hash, verify_sd_jwt
from specs.sdjwt.disclosure import digest_of
from specs.x509 import TrustStore
from verifier.trust import TrustedKey, VerifierTrust
from verifier.verify import verify_sd_jwt_presentation

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
ISSUER = SoftwareSigner.generate()
HOLDER = SoftwareSigner.generate()
CNF = {"jwk": jwk_from_key(HOLDER.public_key())}
AUD, NONCE = "https://verifier.example", "n-0S6_WzA2Mj"


def _raises(error: type[MobileIdError], code: str, presentation: str, **kw: Any) -> None:
    options: dict[str, Any] = {"issuer_keys": [ISSUER.public_key()], "now": NOW, **kw}
    with pytest.raises(error) as info:
        verify_sd_jwt(presentation, **options)
    assert type(info.value) is error
    assert info.value.code == code


def _signed(payload: dict[str, Any], disclosures: list[Disclosure]) -> str:
    return SdJwt(sign_compact(ISSUER, {}, payload), tuple(disclosures)).serialize()


def _bound() -> SdJwt:
    return issue_sd_jwt(ISSUER, {"cnf": CNF, "family_name": SD("김"), "birth_date": SD("1990-03-15")})


def _raw_disclosure(array: list[Any]) -> Disclosure:
    raw = b64url_encode(json.dumps(array).encode())
    return Disclosure(array[0], array[1] if len(array) == 3 else None, array[-1], raw)


def test_sdjwt_unreferenced_disclosure() -> None:
    """A disclosure no digest references is refused, not silently added (RFC 9901 §7.1 step 4.3.5)."""
    _raises(DisclosureError, "sdjwt.disclosure_unreferenced", _signed({"_sd": []}, [Disclosure.create("x", 1)]))


def test_sdjwt_duplicate_digest() -> None:
    """A digest appearing twice in the payload is refused (RFC 9901 §7.1 step 4.3.4)."""
    d = Disclosure.create("a", 1)
    _raises(DisclosureError, "sdjwt.disclosure_duplicate_digest", _signed({"_sd": [d.digest(), d.digest()]}, [d]))
    nested = Disclosure.create("b", {"_sd": [d.digest()]})
    _raises(DisclosureError, "sdjwt.disclosure_duplicate_digest",
            _signed({"_sd": [d.digest(), nested.digest()]}, [d, nested]))


def test_sdjwt_repeated_disclosure() -> None:
    """The same disclosure presented twice is refused (RFC 9901 §7.1 step 4.3.4)."""
    d = Disclosure.create("a", 1)
    _raises(DisclosureError, "sdjwt.disclosure_repeated", _signed({"_sd": [d.digest()]}, [d, d]))


@pytest.mark.parametrize("name", ["_sd", "..."])
def test_sdjwt_reserved_claim_name(name: str) -> None:
    """A disclosure naming the claim "_sd" or "..." is refused (RFC 9901 §7.1 step 4.3.2.3)."""
    reserved = _raw_disclosure(["salt-salt-salt-salt", name, ["x"]])
    _raises(DisclosureError, "sdjwt.claim_reserved_name", _signed({"_sd": [digest_of(reserved.encoded)]}, [reserved]))
    with pytest.raises(DisclosureError) as info:
        Disclosure.create(name, 1)
    assert info.value.code == "sdjwt.claim_reserved_name"


def test_sdjwt_overwrite_attempt() -> None:
    """A disclosure may not replace a plaintext claim of the same name (RFC 9901 §7.1 step 4.3.2.4)."""
    d = Disclosure.create("family_name", "Mallory")
    _raises(SdJwtClaimError, "sdjwt.claim_overwrite", _signed({"family_name": "김", "_sd": [d.digest()]}, [d]))
    twin = Disclosure.create("family_name", "Eve")
    _raises(SdJwtClaimError, "sdjwt.claim_overwrite", _signed({"_sd": [d.digest(), twin.digest()]}, [d, twin]))


def test_sdjwt_wrong_kind_of_disclosure() -> None:
    """An array-element disclosure in an object (or vice versa) is refused (RFC 9901 §7.1 steps 4.3.2, 4.4)."""
    element = Disclosure.create(None, "KR")
    _raises(DisclosureError, "sdjwt.disclosure_wrong_kind", _signed({"_sd": [element.digest()]}, [element]))


@pytest.mark.parametrize("alg", ["md5", "sha-1", "none", "SHA-256", 256, ""])
def test_sdjwt_bad_sd_alg(alg: Any) -> None:
    """_sd_alg other than an accepted IANA hash name is refused (RFC 9901 §4.1.1, §7.1 step 3)."""
    _raises(SdJwtClaimError, "sdjwt.claim_sd_alg", _signed({"_sd_alg": alg}, []))


def test_sdjwt_missing_kb_jwt() -> None:
    """A verifier requiring holder binding refuses a presentation without KB-JWT (RFC 9901 §7.3 step 2)."""
    _raises(KeyBindingError, "sdjwt.kb_missing", _bound().serialize(), require_key_binding=True)
    _raises(KeyBindingError, "sdjwt.kb_missing", _bound().serialize(), expected_nonce=NONCE, expected_aud=AUD)


def test_sdjwt_kb_stripped_from_unbound_credential() -> None:
    """Key binding required but the credential has no cnf key: refused (RFC 9901 §7.3 step 5.1)."""
    _raises(KeyBindingError, "sdjwt.kb_no_cnf", issue_sd_jwt(ISSUER, {"a": SD(1)}).serialize(),
            require_key_binding=True)


def test_sdjwt_replayed_kb_jwt() -> None:
    """A KB-JWT captured for one nonce, verifier or time is not accepted again (RFC 9901 §7.3 step 5.4, §9.8)."""
    good = present(_bound(), [("family_name",)], holder=HOLDER, aud=AUD, nonce=NONCE, iat=NOW).serialize()
    verify_sd_jwt(good, issuer_keys=[ISSUER.public_key()], now=NOW, expected_aud=AUD, expected_nonce=NONCE)
    _raises(KeyBindingError, "sdjwt.kb_nonce", good, expected_aud=AUD, expected_nonce="fresh-nonce")
    _raises(KeyBindingError, "sdjwt.kb_aud", good, expected_aud="https://other.example", expected_nonce=NONCE)
    _raises(KeyBindingError, "sdjwt.kb_iat", good, now=NOW + dt.timedelta(hours=1), expected_aud=AUD,
            expected_nonce=NONCE)


def test_sdjwt_wrong_sd_hash() -> None:
    """Adding a disclosure after binding breaks sd_hash (RFC 9901 §4.3.1, §7.3 step 5.5)."""
    sd = _bound()
    bound = present(sd, [("family_name",)], holder=HOLDER, aud=AUD, nonce=NONCE, iat=NOW)
    extra = next(d for d in sd.disclosures if d.name == "birth_date")
    tampered = SdJwt(bound.issuer_jwt, (*bound.disclosures, extra), bound.kb_jwt).serialize()
    _raises(KeyBindingError, "sdjwt.kb_sd_hash", tampered, expected_aud=AUD, expected_nonce=NONCE)
    # A KB-JWT whose sd_hash was computed over another SD-JWT (same holder) does not transfer either.
    other = present(_bound(), [("family_name",)])
    kb = sign_compact(HOLDER, {"typ": "kb+jwt"}, {"iat": int(NOW.timestamp()), "aud": AUD, "nonce": NONCE,
                                                  "sd_hash": sd_hash(other)})
    moved = present(sd, [("family_name",)]).with_kb(kb).serialize()
    _raises(KeyBindingError, "sdjwt.kb_sd_hash", moved, expected_aud=AUD, expected_nonce=NONCE)


def test_sdjwt_kb_wrong_key() -> None:
    """A KB-JWT signed by a key other than cnf.jwk is refused (RFC 9901 §7.3 step 5.2)."""
    stolen = present(_bound(), [("family_name",)], holder=SoftwareSigner.generate(), aud=AUD, nonce=NONCE, iat=NOW)
    _raises(KeyBindingError, "sdjwt.kb_signature_invalid", stolen.serialize(), expected_aud=AUD,
            expected_nonce=NONCE)


def test_sdjwt_kb_wrong_typ() -> None:
    """A KB-JWT without typ kb+jwt (e.g. an issuer JWT reused as KB) is refused (RFC 9901 §4.3, §7.3 step 5.1)."""
    sd = present(_bound(), [("family_name",)])
    kb = sign_compact(HOLDER, {"typ": "JWT"}, {"iat": int(NOW.timestamp()), "aud": AUD, "nonce": NONCE,
                                               "sd_hash": sd_hash(sd)})
    _raises(KeyBindingError, "sdjwt.kb_type", sd.with_kb(kb).serialize(), expected_aud=AUD, expected_nonce=NONCE)


def test_sdjwt_issuer_wrong_key() -> None:
    """An SD-JWT signed by any key but the pinned issuer's is refused (RFC 9901 §7.1 step 2)."""
    forged = issue_sd_jwt(SoftwareSigner.generate(), {"cnf": CNF, "family_name": SD("김")}).serialize()
    _raises(SdJwtIssuerSignatureError, "sdjwt.issuer_signature_invalid", forged)


def test_sdjwt_verifier_fails_closed() -> None:
    """At the verifier API a forged or tampered VC gives valid False with no claims (RFC 9901 §7)."""
    holder = SoftwareSigner.generate()
    vc = issue_sd_jwt_vc(ISSUER, vct="urn:test", claims={"family_name": SD("김")}, holder_key=holder.public_key(),
                         issued_at=NOW)
    d = Disclosure.create("family_name", "Mallory")
    tampered = SdJwt(vc.issuer_jwt, (*vc.disclosures, d)).serialize()
    trust = VerifierTrust(TrustStore.of([]), (TrustedKey(ISSUER.public_key(), None),))
    result = verify_sd_jwt_presentation(tampered, trust=trust, now=NOW)
    assert result.valid is False and result.claims == {}
    assert [e.code for e in result.errors] == ["sdjwt.disclosure_unreferenced"]
    unbound = verify_sd_jwt_presentation(vc.serialize(), trust=trust, now=NOW, nonce=NONCE, aud=AUD)
    assert unbound.valid is False and unbound.claims == {}
    assert [e.code for e in unbound.errors] == ["sdjwt.kb_missing"]


def test_sdjwt_vc_registered_claim_disclosed() -> None:
    """vct/iss/cnf/status may not come from a disclosure (SD-JWT VC §3.2.2.2)."""
    vc = issue_sd_jwt(ISSUER, {"vct": SD("urn:evil")}, header={"typ": "dc+sd-jwt"})
    trust = VerifierTrust(TrustStore.of([]), (TrustedKey(ISSUER.public_key(), None),))
    result = verify_sd_jwt_presentation(vc.serialize(), trust=trust, now=NOW)
    assert result.valid is False and result.claims == {}
    assert [e.code for e in result.errors] == ["sdjwt.claim_not_disclosable"]
