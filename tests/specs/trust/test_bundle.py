"""Trust bundle: sign/verify, and a negative case for every check (fails closed)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from specs.cbor import encode
from specs.cose.sign1 import CoseSign1
from specs.crypto import SoftwareSigner
from specs.errors import StructureError
from specs.trust import (
    CertificateInfo,
    StatusListToken,
    TrustBundle,
    TrustBundleError,
    Vical,
    VicalError,
    key_id,
    sign_trust_bundle,
    sign_vical,
    verify_trust_bundle,
)
from specs.x509 import TrustStore, create_document_signer, create_iaca
from tests.conftest import Pki

MDL = "org.iso.18013.5.1.mDL"


def _bundle(pki: Pki, vical_key: tuple[SoftwareSigner, object], **changes: object) -> TrustBundle:
    signer, cert = vical_key
    vical = sign_vical(Vical("test", pki.now, (CertificateInfo.for_certificate(pki.iaca, (MDL,)),),
                             next_update=pki.now + dt.timedelta(days=2)), signer, (cert,))  # type: ignore[arg-type]
    bundle = TrustBundle(issuer="https://issuer.test", issued_at=pki.now, next_update=pki.now + dt.timedelta(days=1),
                         vical=vical, document_signers=(pki.ds.public_bytes(_DER),),
                         status_lists=(StatusListToken("https://issuer.test/status/1", jwt="a.b.c"),))
    return dataclasses.replace(bundle, **changes)  # type: ignore[arg-type]


def _sign(bundle: TrustBundle, vical_key: tuple[SoftwareSigner, object]) -> bytes:
    signer, cert = vical_key
    return sign_trust_bundle(bundle, signer, (cert,))  # type: ignore[arg-type]


def _der() -> object:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


_DER = _der()


def test_verifies_and_exposes_anchors_signers_and_tokens(pki: Pki, vical_key: tuple[SoftwareSigner, object]) -> None:
    bundle = _bundle(pki, vical_key)
    verified = verify_trust_bundle(_sign(bundle, vical_key), TrustStore.of([pki.iaca]), now=pki.now)
    assert verified.bundle == bundle
    assert verified.iaca.anchors == (pki.iaca,)
    assert verified.document_signers == {key_id(pki.ds): pki.ds}
    assert verified.bundle.status_token("https://issuer.test/status/1") == bundle.status_lists[0]
    assert verified.age(pki.now + dt.timedelta(hours=1)) == dt.timedelta(hours=1)


def test_foreign_root(pki: Pki, vical_key: tuple[SoftwareSigner, object]) -> None:
    other = create_iaca(SoftwareSigner.generate(), country="KR", common_name="other", not_before=pki.not_before,
                        not_after=pki.not_before + dt.timedelta(days=3650))
    with pytest.raises(TrustBundleError) as err:
        verify_trust_bundle(_sign(_bundle(pki, vical_key), vical_key), TrustStore.of([other]), now=pki.now)
    assert err.value.code == "trust.bundle_signature"


def test_bad_signature(pki: Pki, vical_key: tuple[SoftwareSigner, object]) -> None:
    data = bytearray(_sign(_bundle(pki, vical_key), vical_key))
    data[-2] ^= 0x40
    with pytest.raises(TrustBundleError) as err:
        verify_trust_bundle(bytes(data), TrustStore.of([pki.iaca]), now=pki.now)
    assert err.value.code == "trust.bundle_signature"


def test_signed_by_a_document_signer(pki: Pki, vical_key: tuple[SoftwareSigner, object]) -> None:
    data = sign_trust_bundle(_bundle(pki, vical_key), pki.ds_signer, (pki.ds,))
    with pytest.raises(TrustBundleError) as err:
        verify_trust_bundle(data, TrustStore.of([pki.iaca]), now=pki.now)
    assert err.value.code == "trust.bundle_signature"


@pytest.mark.parametrize(("later", "max_age"), [(dt.timedelta(days=1, seconds=1), dt.timedelta(days=7)),
                                                (dt.timedelta(hours=2), dt.timedelta(hours=1))])
def test_stale(pki: Pki, vical_key: tuple[SoftwareSigner, object], later: dt.timedelta,
               max_age: dt.timedelta) -> None:
    data = _sign(_bundle(pki, vical_key), vical_key)
    with pytest.raises(TrustBundleError) as err:
        verify_trust_bundle(data, TrustStore.of([pki.iaca]), now=pki.now + later, max_age=max_age)
    assert err.value.code == "trust.bundle_stale"


def test_future_dated(pki: Pki, vical_key: tuple[SoftwareSigner, object]) -> None:
    data = _sign(_bundle(pki, vical_key, issued_at=pki.now + dt.timedelta(hours=1)), vical_key)
    with pytest.raises(TrustBundleError) as err:
        verify_trust_bundle(data, TrustStore.of([pki.iaca]), now=pki.now)
    assert err.value.code == "trust.bundle_stale"


def test_document_signer_of_another_iaca(pki: Pki, vical_key: tuple[SoftwareSigner, object]) -> None:
    other_key = SoftwareSigner.generate()
    other = create_iaca(other_key, country="KR", common_name="other", not_before=pki.not_before,
                        not_after=pki.not_before + dt.timedelta(days=3650))
    foreign = create_document_signer(other_key, other, SoftwareSigner.generate().public_key(), common_name="x",
                                     not_before=pki.not_before, not_after=pki.not_before + dt.timedelta(days=400))
    data = _sign(_bundle(pki, vical_key, document_signers=(foreign.public_bytes(_DER),)), vical_key)  # type: ignore[arg-type]
    with pytest.raises(TrustBundleError) as err:
        verify_trust_bundle(data, TrustStore.of([pki.iaca]), now=pki.now)
    assert err.value.code == "trust.bundle_signer"


def test_expired_document_signer_is_left_out(pki: Pki, vical_key: tuple[SoftwareSigner, object]) -> None:
    old = create_document_signer(pki.iaca_signer, pki.iaca, SoftwareSigner.generate().public_key(), common_name="old",
                                 not_before=pki.not_before, not_after=pki.now - dt.timedelta(days=1))
    bundle = _bundle(pki, vical_key, document_signers=(old.public_bytes(_DER), pki.ds.public_bytes(_DER)))  # type: ignore[arg-type]
    verified = verify_trust_bundle(_sign(bundle, vical_key), TrustStore.of([pki.iaca]), now=pki.now)
    assert list(verified.document_signers.values()) == [pki.ds]


def test_bad_vical_inside(pki: Pki, vical_key: tuple[SoftwareSigner, object]) -> None:
    data = _sign(_bundle(pki, vical_key, vical=b"\xa0"), vical_key)
    with pytest.raises(VicalError) as err:
        verify_trust_bundle(data, TrustStore.of([pki.iaca]), now=pki.now)
    assert err.value.code == "trust.vical_signature"


@pytest.mark.parametrize("payload", [{"version": 2}, {"version": 1, "issuer": "x"}, [1, 2]])
def test_malformed_payload(pki: Pki, vical_key: tuple[SoftwareSigner, object], payload: object) -> None:
    signer, cert = vical_key
    data = CoseSign1.sign(signer, encode(payload), x5chain=(cert.public_bytes(_DER),)).to_cbor()  # type: ignore[attr-defined]
    with pytest.raises(TrustBundleError) as err:
        verify_trust_bundle(data, TrustStore.of([pki.iaca]), now=pki.now)
    assert err.value.code == "trust.bundle_signature"
    with pytest.raises(StructureError):
        TrustBundle.from_cbor(encode(payload))


def test_status_entry_needs_a_token() -> None:
    with pytest.raises(StructureError):
        StatusListToken.from_cbor_value({"uri": "https://x"})


def test_check_bundle_age_is_the_one_age_rule() -> None:
    """Loading a bundle and verifying with it apply the same rule (``verifier.qr.Verifier`` calls it too)."""
    from specs.trust import check_bundle_age

    issued = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    week = dt.timedelta(days=7)
    check_bundle_age(issued, issued + week, week)  # exactly the maximum age is still fresh
    check_bundle_age(issued, issued - dt.timedelta(minutes=5), week)  # clock skew
    for now, next_update in [(issued + week + dt.timedelta(seconds=1), None),  # too old for this verifier
                             (issued + dt.timedelta(days=2), issued + dt.timedelta(days=1)),  # past nextUpdate
                             (issued - dt.timedelta(minutes=6), None)]:  # dated in the future
        with pytest.raises(TrustBundleError) as err:
            check_bundle_age(issued, now, week, next_update=next_update)
        assert err.value.code == "trust.bundle_stale"
