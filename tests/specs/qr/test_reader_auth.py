"""QrRequest readerAuth (specs/qr-presentation.md §4): the verifier signs its request's exact bytes with a
reader certificate (ISO/IEC 18013-5 Annex B.1.7); the wallet authenticates it before showing who asks."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from specs.errors import ReaderAuthError
from specs.qr import FrameCollector, encode_message
from specs.qr.presentation import QrRequest, decode_qr_message
from specs.x509 import TrustStore
from tests.conftest import Pki

MDL = "org.iso.18013.5.1.mDL"


def _request(pki: Pki, **changes: object) -> QrRequest:
    request = QrRequest.create(nonce=b"\x07" * 16, verifier="Hanbit Bank", items={MDL: ["family_name", "portrait"]},
                               expires=pki.now + dt.timedelta(minutes=5), reader_signer=pki.reader_signer,
                               reader_chain=(pki.reader.public_bytes(Encoding.DER),))
    return dataclasses.replace(request, **changes)  # type: ignore[arg-type]


def _scan(request: QrRequest) -> QrRequest:
    collector = FrameCollector()
    for text in encode_message(request.to_cbor()):
        collector.add(text)
    scanned = decode_qr_message(collector.message())
    assert isinstance(scanned, QrRequest)
    return scanned


def test_signed_request_authenticates_after_the_qr_round_trip(pki: Pki) -> None:
    reader = _scan(_request(pki)).verify_reader(TrustStore.of([pki.reader_root]), now=pki.now)
    assert reader == pki.reader


def test_unsigned_request(pki: Pki) -> None:
    with pytest.raises(ReaderAuthError) as err:
        _request(pki, reader_auth=None).verify_reader(TrustStore.of([pki.reader_root]), now=pki.now)
    assert err.value.code == "qr.reader_unsigned"


def test_signature_over_other_bytes(pki: Pki) -> None:
    other = QrRequest.create(nonce=b"\x08" * 16, verifier="Hanbit Bank", items={MDL: ["family_name"]},
                             expires=pki.now + dt.timedelta(minutes=5))
    forged = dataclasses.replace(other, reader_auth=_request(pki).reader_auth)  # a signature moved to new items
    with pytest.raises(ReaderAuthError) as err:
        _scan(forged).verify_reader(TrustStore.of([pki.reader_root]), now=pki.now)
    assert err.value.code == "qr.reader_auth_invalid"


def test_reader_not_under_a_trusted_root(pki: Pki) -> None:
    with pytest.raises(ReaderAuthError) as err:
        _request(pki).verify_reader(TrustStore.of([pki.iaca]), now=pki.now)
    assert err.value.code == "qr.reader_auth_invalid"


def test_signed_by_a_document_signer_not_a_reader(pki: Pki) -> None:
    request = QrRequest.create(nonce=b"\x07" * 16, verifier="x", items={MDL: ["family_name"]},
                               expires=pki.now + dt.timedelta(minutes=5), reader_signer=pki.ds_signer,
                               reader_chain=(pki.ds.public_bytes(Encoding.DER),))
    with pytest.raises(ReaderAuthError) as err:
        request.verify_reader(TrustStore.of([pki.iaca, pki.reader_root]), now=pki.now)
    assert err.value.code == "qr.reader_auth_invalid"
