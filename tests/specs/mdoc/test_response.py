"""Annex D DeviceResponse: strict decoding and byte-identical re-encoding of every part."""

from __future__ import annotations

import pytest

from specs.cbor import decode
from specs.errors import CborError, StructureError
from specs.mdoc.device_signed import device_authentication_bytes
from specs.mdoc.issuer_signed import IssuerSigned
from specs.mdoc.mso import MobileSecurityObject
from specs.mdoc.response import DeviceResponse


def test_annex_d_reencodes_byte_for_byte(annex_d) -> None:  # type: ignore[no-untyped-def]
    response = DeviceResponse.from_cbor(annex_d.response)
    assert response.to_cbor() == annex_d.response
    doc = response.documents[0]
    assert doc.doctype == "org.iso.18013.5.1.mDL"
    assert [i.element_identifier for i in doc.issuer_signed.namespaces["org.iso.18013.5.1"]] == [
        "family_name", "issue_date", "expiry_date", "document_number", "portrait", "driving_privileges"]


def test_parts_reencode(annex_d, iso_vectors) -> None:  # type: ignore[no-untyped-def]
    doc = DeviceResponse.from_cbor(annex_d.response).documents[0]
    assert doc.issuer_signed.issuer_auth.to_cbor() == iso_vectors.hex("issuer_auth.hex")
    from specs.cbor import encode

    assert encode({"deviceMac": doc.device_signed.device_mac.to_cbor_value()}) == iso_vectors.hex(
        "device_auth.hex")
    mso = MobileSecurityObject.from_bytes(doc.issuer_signed.mso_bytes)
    assert encode(mso.to_cbor_value()) == doc.issuer_signed.mso_bytes.data
    for item in doc.issuer_signed.namespaces["org.iso.18013.5.1"]:
        assert mso.value_digests["org.iso.18013.5.1"][item.digest_id] == item.digest()


def test_device_authentication_bytes_match_vector(annex_d, iso_vectors) -> None:  # type: ignore[no-untyped-def]
    doc = DeviceResponse.from_cbor(annex_d.response).documents[0]
    built = device_authentication_bytes(annex_d.transcript, doc.doctype, doc.device_signed.namespaces_bytes)
    assert built == iso_vectors.hex("device_authentication_bytes.hex")


def test_portrait_element(annex_d, iso_vectors) -> None:  # type: ignore[no-untyped-def]
    doc = DeviceResponse.from_cbor(annex_d.response).documents[0]
    portrait = {i.element_identifier: i for i in doc.issuer_signed.namespaces["org.iso.18013.5.1"]}["portrait"]
    assert portrait.element_value == iso_vectors.hex("device_response_portrait.jpg.hex")


@pytest.mark.parametrize(("mutate", "error"), [
    (lambda d: d + b"\x00", CborError),                       # trailing byte
    (lambda d: d[:-1], CborError),                            # truncated
    (lambda d: d.replace(b"\x67version", b"\x67versioX", 1), StructureError),  # no version
])
def test_rejects_malformed(annex_d, mutate, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        DeviceResponse.from_cbor(mutate(annex_d.response))


def test_issuer_signed_requires_issuer_auth(annex_d) -> None:  # type: ignore[no-untyped-def]
    value = decode(annex_d.response)["documents"][0]["issuerSigned"]
    with pytest.raises(StructureError):
        IssuerSigned.from_cbor_value({"nameSpaces": value["nameSpaces"]})
