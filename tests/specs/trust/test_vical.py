"""VICAL (ISO/IEC 18013-5 Annex C.1.7): signing, strict decoding, and a negative case for every check."""

from __future__ import annotations

import dataclasses
import datetime as dt

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from specs.cbor import decode
from specs.cose.sign1 import CoseSign1
from specs.crypto import SoftwareSigner
from specs.errors import StructureError
from specs.trust import CertificateInfo, Vical, VicalError, sign_vical, verify_vical
from specs.x509 import TrustStore, create_iaca, create_vical_signer
from tests.conftest import Pki

MDL = "org.iso.18013.5.1.mDL"


@pytest.fixture(scope="module")
def vical_signer(pki: Pki) -> tuple[SoftwareSigner, object]:
    signer = SoftwareSigner.generate()
    cert = create_vical_signer(pki.iaca_signer, pki.iaca, signer.public_key(), common_name="test VICAL signer",
                               not_before=pki.not_before, not_after=pki.not_before + dt.timedelta(days=700))
    return signer, cert


def _vical(pki: Pki, **changes: object) -> Vical:
    vical = Vical(provider="mobileid test", date=pki.now, issue_id=7, next_update=pki.now + dt.timedelta(days=30),
                  certificate_infos=(CertificateInfo.for_certificate(pki.iaca, (MDL,), issuing_authority="Test"),))
    return dataclasses.replace(vical, **changes)  # type: ignore[arg-type]


def _signed(pki: Pki, vical_signer: tuple[SoftwareSigner, object], vical: Vical) -> bytes:
    signer, cert = vical_signer
    return sign_vical(vical, signer, (cert,))  # type: ignore[arg-type]


def test_round_trip_and_verify(pki: Pki, vical_signer: tuple[SoftwareSigner, object]) -> None:
    vical = _vical(pki)
    data = _signed(pki, vical_signer, vical)
    verified = verify_vical(data, TrustStore.of([pki.iaca]), now=pki.now)
    assert verified == vical
    assert verified.trust_store(MDL).anchors == (pki.iaca,)
    assert verified.trust_store("other.doctype").anchors == ()
    raw = CoseSign1.from_cbor(data).payload or b""
    assert b"lserialNumber\xc2" in raw  # biguint: tag 2 over a byte string
    payload = decode(raw, allowed_tags={0, 2})
    assert list(payload) == ["version", "vicalProvider", "date", "vicalIssueID", "nextUpdate", "certificateInfos"]


def test_untrusted_provider(pki: Pki, vical_signer: tuple[SoftwareSigner, object]) -> None:
    other = SoftwareSigner.generate()
    root = create_iaca(other, country="KR", common_name="other", not_before=pki.not_before,
                       not_after=pki.not_before + dt.timedelta(days=3650))
    with pytest.raises(VicalError) as err:
        verify_vical(_signed(pki, vical_signer, _vical(pki)), TrustStore.of([root]), now=pki.now)
    assert err.value.code == "trust.vical_signature"


def test_signer_without_the_vical_usage(pki: Pki) -> None:
    data = sign_vical(_vical(pki), pki.ds_signer, (pki.ds,))  # a document signer is not a VICAL signer
    with pytest.raises(VicalError) as err:
        verify_vical(data, TrustStore.of([pki.iaca]), now=pki.now)
    assert err.value.code == "trust.vical_signature"


def test_tampered_signature(pki: Pki, vical_signer: tuple[SoftwareSigner, object]) -> None:
    data = bytearray(_signed(pki, vical_signer, _vical(pki)))
    data[-1] ^= 1
    with pytest.raises(VicalError) as err:
        verify_vical(bytes(data), TrustStore.of([pki.iaca]), now=pki.now)
    assert err.value.code == "trust.vical_signature"


def test_past_next_update(pki: Pki, vical_signer: tuple[SoftwareSigner, object]) -> None:
    data = _signed(pki, vical_signer, _vical(pki, next_update=pki.now - dt.timedelta(seconds=1)))
    with pytest.raises(VicalError) as err:
        verify_vical(data, TrustStore.of([pki.iaca]), now=pki.now)
    assert err.value.code == "trust.vical_stale"


def test_entry_serial_mismatch(pki: Pki, vical_signer: tuple[SoftwareSigner, object]) -> None:
    info = dataclasses.replace(CertificateInfo.for_certificate(pki.iaca, (MDL,)), serial_number=1)
    with pytest.raises(VicalError) as err:
        verify_vical(_signed(pki, vical_signer, _vical(pki, certificate_infos=(info,))), TrustStore.of([pki.iaca]),
                     now=pki.now)
    assert err.value.code == "trust.vical_certificate"


def test_entry_that_is_not_an_iaca(pki: Pki, vical_signer: tuple[SoftwareSigner, object]) -> None:
    info = CertificateInfo.for_certificate(pki.ds, (MDL,))
    with pytest.raises(VicalError) as err:
        verify_vical(_signed(pki, vical_signer, _vical(pki, certificate_infos=(info,))), TrustStore.of([pki.iaca]),
                     now=pki.now)
    assert err.value.code == "trust.vical_certificate"


@pytest.mark.parametrize("payload", [
    {"version": "1.0"},
    {"version": "1.0", "vicalProvider": "x", "date": "2026-01-01", "certificateInfos": []},
    {"version": "1.0", "vicalProvider": "x", "date": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
     "certificateInfos": [{"certificate": b"x", "ski": b"y", "docType": [], "serialNumber": 1}]},
    {"version": "1.0", "vicalProvider": "x", "date": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
     "certificateInfos": [{"certificate": b"x", "ski": b"y", "docType": ["d"], "serialNumber": -1}]},
    {"version": "1.0", "vicalProvider": "x", "date": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "vicalIssueID": True,
     "certificateInfos": []},
])
def test_malformed_payloads(payload: dict[str, object]) -> None:
    with pytest.raises(StructureError):
        Vical.from_cbor(cbor2.dumps(payload, datetime_as_timestamp=False, timezone=dt.UTC))


@given(serial=st.integers(min_value=1, max_value=(1 << 159) - 1), ski=st.binary(min_size=1, max_size=32),
       types=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=4))
def test_certificate_info_round_trip(serial: int, ski: bytes, types: list[str]) -> None:
    info = CertificateInfo(b"\x30\x00", serial, ski, tuple(types), "Authority", "KR")
    assert CertificateInfo.from_cbor_value(decode(cbor2.dumps(info.to_cbor_value()), allowed_tags={2})) == info
