"""Engagement, session encryption and requests against ISO/IEC 18013-5 Annex D, plus a negative per check."""

from __future__ import annotations

import dataclasses
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from specs.cose import CoseKey
from specs.crypto import SoftwareSigner
from specs.errors import DecryptionError, MobileIdError, StructureError
from specs.mdoc.engagement import DeviceEngagement
from specs.mdoc.request import DeviceRequest, DocRequest, ItemsRequest, reader_authentication_bytes
from specs.mdoc.session import SessionData, SessionEncryption, SessionEstablishment, derive_session_key
from specs.mdoc.transcript import SessionTranscript
from specs.x509 import CertificateRole, TrustStore, validate_chain

from .conftest import ANNEX_D_NOW


def _key(iso_vectors, name: str) -> ec.EllipticCurvePrivateKey:  # type: ignore[no-untyped-def]
    return ec.derive_private_key(int(iso_vectors.json("keys.json")[name]["d"], 16), ec.SECP256R1())


@pytest.fixture(scope="module")
def session(iso_vectors):  # type: ignore[no-untyped-def]
    transcript = SessionTranscript.from_cbor(iso_vectors.hex("session_transcript_bytes.hex"))
    reader, device = _key(iso_vectors, "ephemeral_reader_key"), _key(iso_vectors, "ephemeral_device_key")
    return transcript, reader, device


def test_engagements_reencode_and_carry_the_device_key(iso_vectors) -> None:  # type: ignore[no-untyped-def]
    for name in ("device_engagement.hex", "session_transcript_device_engagement.hex"):
        data = iso_vectors.hex(name)
        engagement = DeviceEngagement.from_cbor(data)
        assert engagement.to_cbor() == data
        assert DeviceEngagement.from_uri(engagement.to_uri()).to_cbor() == data
        x = iso_vectors.json("keys.json")["ephemeral_device_key"]["x"]
        assert engagement.e_device_key.x.hex() == x


def test_session_keys_match_the_vectors(iso_vectors, session) -> None:  # type: ignore[no-untyped-def]
    transcript, reader, device = session
    assert reader.exchange(ec.ECDH(), device.public_key()) == iso_vectors.hex("shared_secret_device_reader.hex")
    assert derive_session_key(reader, device.public_key(), transcript, "SKReader") == iso_vectors.hex("skreader.hex")


def test_establishment_and_data_decrypt_to_exact_messages(iso_vectors, session) -> None:  # type: ignore[no-untyped-def]
    transcript, reader, device = session
    establishment = SessionEstablishment.from_cbor(iso_vectors.hex("session_establishment.hex"))
    assert establishment.to_cbor() == iso_vectors.hex("session_establishment.hex")
    reader_key = CoseKey.from_cbor(establishment.e_reader_key_bytes.data).public_key()
    mdoc = SessionEncryption.for_role("mdoc", device, reader_key, transcript)  # type: ignore[arg-type]
    assert mdoc.decrypt(establishment.data) == iso_vectors.hex("device_request.hex")
    response = SessionData.from_cbor(iso_vectors.hex("session_data.hex"))
    assert mdoc.encrypt(iso_vectors.hex("device_response.hex")) == response.data
    reader_side = SessionEncryption.for_role("reader", reader, device.public_key(), transcript)
    assert reader_side.encrypt(iso_vectors.hex("device_request.hex")) == establishment.data
    assert reader_side.decrypt(response.data or b"") == iso_vectors.hex("device_response.hex")
    assert SessionData.from_cbor(iso_vectors.hex("session_termination.hex")).status == 20


def test_tampered_replayed_and_wrong_key_fail(iso_vectors, session) -> None:  # type: ignore[no-untyped-def]
    transcript, reader, device = session
    data = SessionEstablishment.from_cbor(iso_vectors.hex("session_establishment.hex")).data
    stranger = ec.generate_private_key(ec.SECP256R1())
    for ciphertext, key in [(data[:-1] + bytes([data[-1] ^ 1]), device), (data, stranger)]:
        side = SessionEncryption.for_role("mdoc", key, reader.public_key(), transcript)
        with pytest.raises(DecryptionError) as info:
            side.decrypt(ciphertext)
        assert info.value.code == "crypto.decryption_failed"
    side = SessionEncryption.for_role("mdoc", device, reader.public_key(), transcript)
    side.decrypt(data)
    with pytest.raises(DecryptionError):  # the same message again: counter 2 expected
        side.decrypt(data)


def test_device_request_and_reader_auth(iso_vectors, session) -> None:  # type: ignore[no-untyped-def]
    transcript, _, _ = session
    data = iso_vectors.hex("device_request.hex")
    request = DeviceRequest.from_cbor(data)
    assert request.to_cbor() == data
    doc = request.doc_requests[0]
    assert doc.items_request_bytes.data == iso_vectors.hex("items_request.hex")
    assert doc.items_request.namespaces["org.iso.18013.5.1"]["portrait"] is False
    assert doc.reader_auth is not None and doc.reader_auth.to_cbor() == iso_vectors.hex("reader_auth.hex")
    assert reader_authentication_bytes(transcript, doc.items_request_bytes) == iso_vectors.hex(
        "reader_authentication_bytes.hex")
    cert = doc.verify_reader_auth(transcript)
    roots = TrustStore.of([x509.load_pem_x509_certificate(iso_vectors.bytes("reader_root_cert.pem"))])
    validate_chain([cert], roots, now=ANNEX_D_NOW, role=CertificateRole.READER)


def _reader_code(doc: DocRequest, transcript: SessionTranscript) -> str:
    with pytest.raises(MobileIdError) as info:
        doc.verify_reader_auth(transcript)
    return info.value.code


def test_reader_auth_negatives(iso_vectors, session, pki) -> None:  # type: ignore[no-untyped-def]
    transcript, _, _ = session
    doc = DeviceRequest.from_cbor(iso_vectors.hex("device_request.hex")).doc_requests[0]
    other = SessionTranscript.build(None, None, ["other"])
    assert _reader_code(doc, other) == "mdoc.reader_auth_invalid"
    assert _reader_code(dataclasses.replace(doc, reader_auth=None), transcript) == "mdoc.reader_auth_missing"
    changed = ItemsRequest(doc.items_request.doctype, {"org.iso.18013.5.1": {"portrait": True}})
    from specs.cbor import EncodedCBOR

    swapped = dataclasses.replace(doc, items_request_bytes=EncodedCBOR.wrap(changed.to_cbor_value()))
    assert _reader_code(swapped, transcript) == "mdoc.reader_auth_invalid"
    from cryptography.hazmat.primitives import serialization

    der = pki.reader.public_bytes(serialization.Encoding.DER)
    ours = DocRequest.build(changed, transcript=transcript, reader_signer=pki.reader_signer, reader_chain=[der])
    assert ours.verify_reader_auth(transcript) == pki.reader
    foreign = DocRequest.build(changed, transcript=transcript, reader_signer=SoftwareSigner.generate(),
                               reader_chain=[der])
    assert _reader_code(foreign, transcript) == "mdoc.reader_auth_invalid"


@pytest.mark.parametrize("uri", ["https://x", "mdoc:", "mdoc:a+b/", "mdoc:AAAA", "mdoc:" + "A" * 20000])
def test_malformed_uri(uri: str) -> None:
    with pytest.raises(MobileIdError):
        DeviceEngagement.from_uri(uri)


@given(st.binary(max_size=300), st.integers(0, 100) | st.none())
def test_session_data_round_trip(data: bytes, status: int | None) -> None:
    message = SessionData(data, status)
    assert SessionData.from_cbor(message.to_cbor()) == message


def test_engagement_uri_round_trip_for_new_keys() -> None:
    key = CoseKey.from_public_key(SoftwareSigner.generate().public_key())
    engagement = DeviceEngagement.build(key, retrieval_methods=([2, 1, {0: False, 1: True}],))
    assert DeviceEngagement.from_uri(engagement.to_uri()) == engagement
    with pytest.raises(StructureError):
        SessionData.from_cbor(b"\xa0")
    assert json.dumps(engagement.to_uri()).startswith('"mdoc:')
