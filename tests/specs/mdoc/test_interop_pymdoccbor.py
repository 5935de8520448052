"""Interop both ways with pyMDOC-CBOR (test-only dependency): its mdocs verify with ours, ours with it."""

from __future__ import annotations

import datetime as dt

import cbor2
from cryptography.hazmat.primitives import serialization
from pymdoccbor.mdoc.issuer import MdocCborIssuer
from pymdoccbor.mdoc.verifier import MdocCbor

from specs.cbor import decode, encode
from specs.cose import CoseKey
from specs.crypto import SoftwareSigner
from specs.mdoc.issuer_signed import IssuerSigned
from specs.mdoc.presentation import build_device_response
from specs.mdoc.response import DeviceResponse
from specs.mdoc.verify import verify_device_response

from .conftest import MDL, NS, issue


def _cose_private(signer: SoftwareSigner) -> dict[int, object]:
    numbers = signer.private_key.private_numbers()  # type: ignore[union-attr]
    return {1: 2, 3: -7, -1: 1, -2: numbers.public_numbers.x.to_bytes(32, "big"),
            -3: numbers.public_numbers.y.to_bytes(32, "big"), -4: numbers.private_value.to_bytes(32, "big")}


def test_pymdoccbor_issued_mdoc_verifies_with_ours(pki, tmp_path) -> None:  # type: ignore[no-untyped-def]
    device = SoftwareSigner.generate()
    device_key = CoseKey.from_public_key(device.public_key())
    cert = tmp_path / "ds.pem"
    cert.write_bytes(pki.ds.public_bytes(serialization.Encoding.PEM))
    issuer = MdocCborIssuer(private_key=_cose_private(pki.ds_signer), alg="ES256")
    today = dt.datetime.now(dt.UTC).date()
    issued = issuer.new(data={NS: {"family_name": "Kim", "given_name": "Minjun", "age_over_19": True}},
                        doctype=MDL, devicekeyinfo=device_key.to_cbor_value(), cert_path=str(cert),
                        validity={"issuance_date": today.isoformat(),
                                  "expiry_date": (today + dt.timedelta(days=30)).isoformat()})
    raw_issuer_signed = cbor2.dumps(issued["documents"][0]["issuerSigned"])
    issuer_signed = IssuerSigned.from_cbor_value(decode(raw_issuer_signed))
    now = dt.datetime.now(dt.UTC)
    transcript = issue(pki).transcript
    response = build_device_response(issuer_signed, {NS: ["family_name", "age_over_19"]}, transcript, device)
    (doc,) = verify_device_response(response.to_cbor(), trust=issue(pki).trust, transcript=transcript, now=now)
    assert doc.issuer_claims[NS] == {"family_name": "Kim", "age_over_19": True}


def test_our_mdoc_verifies_with_pymdoccbor(pki, issued) -> None:  # type: ignore[no-untyped-def]
    response = build_device_response(issued.issuer_signed, {NS: ["family_name", "birth_date", "portrait"]},
                                     issued.transcript, issued.device_signer)
    data = response.to_cbor()
    assert DeviceResponse.from_cbor(data).to_cbor() == data
    peer = MdocCbor()
    peer.loads(data.hex())
    assert peer.verify(trusted_root_certs=[pki.iaca]) is True
    assert peer.documents[0].doctype == MDL
    # And the peer notices a tampered item (the digest no longer matches).
    tampered = data.replace("김".encode(), "이".encode(), 1)
    assert tampered != data
    other = MdocCbor()
    other.loads(tampered.hex())
    assert other.verify(trusted_root_certs=[pki.iaca]) is False
    assert encode(issued.issuer_signed.to_cbor_value())  # encodes with our codec as well
