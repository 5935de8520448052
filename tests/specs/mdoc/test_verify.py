"""mdoc verification: the Annex D response, our own issued mDL, and a negative case for every check."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization

from specs.cbor import EncodedCBOR
from specs.cose import CoseKey, CoseSign1
from specs.crypto import SoftwareSigner
from specs.errors import MobileIdError
from specs.mdoc.issuance import issue_mdoc
from specs.mdoc.items import IssuerSignedItem
from specs.mdoc.mso import ValidityInfo
from specs.mdoc.presentation import build_device_response, build_document
from specs.mdoc.response import DeviceResponse
from specs.mdoc.transcript import SessionTranscript
from specs.mdoc.verify import verify_device_response
from specs.x509 import ChainCache, TrustStore

from .conftest import ANNEX_D_NOW, MDL, NS, issue

ALL = {NS: ["family_name", "given_name", "birth_date", "portrait", "age_over_19"]}


def test_annex_d_verifies_with_device_mac(annex_d) -> None:  # type: ignore[no-untyped-def]
    (doc,) = verify_device_response(annex_d.response, trust=annex_d.trust, transcript=annex_d.transcript,
                                    now=ANNEX_D_NOW, reader_private_key=annex_d.reader_key)
    assert doc.authentication == "mac"
    assert doc.issuer_claims[NS]["document_number"] == "123456789"
    assert doc.document_signer.subject.rfc4514_string() == "C=US,CN=utopia ds"


def test_our_mdl_round_trip_with_device_signature(issued) -> None:  # type: ignore[no-untyped-def]
    response = build_device_response(issued.issuer_signed, ALL, issued.transcript, issued.device_signer)
    data = response.to_cbor()
    cache = ChainCache()
    for _ in range(2):  # second time through the chain cache
        (doc,) = verify_device_response(data, trust=issued.trust, transcript=issued.transcript,
                                        now=issued.now, chain_cache=cache)
    assert doc.authentication == "signature"
    assert doc.issuer_claims[NS] == {k: v for k, v in _elements().items() if k in ALL[NS]}
    assert DeviceResponse.from_cbor(data).to_cbor() == data


def _elements() -> dict[str, object]:
    from .conftest import ELEMENTS

    return ELEMENTS


def _code(data: bytes | DeviceResponse, issued, **kw) -> str:  # type: ignore[no-untyped-def]
    options = {"trust": issued.trust, "transcript": issued.transcript, "now": issued.now, **kw}
    with pytest.raises(MobileIdError) as info:
        verify_device_response(data, **options)
    return info.value.code


def _response(issued, issuer_signed=None, **kw) -> DeviceResponse:  # type: ignore[no-untyped-def]
    return DeviceResponse((build_document(issuer_signed or issued.issuer_signed, ALL, issued.transcript,
                                          device_signer=issued.device_signer, **kw),))


def test_untrusted_issuer(issued, pki) -> None:  # type: ignore[no-untyped-def]
    assert _code(_response(issued), issued, trust=TrustStore.of([pki.reader_root])) == "x509.untrusted_chain"


def test_attacker_x5chain_with_its_own_signature(issued, pki) -> None:  # type: ignore[no-untyped-def]
    # The attacker signs the MSO with their own key and ships a self-made IACA and DS in x5chain.
    from specs.x509 import create_document_signer, create_iaca

    rogue_ca_signer, rogue_ds_signer = SoftwareSigner.generate(), SoftwareSigner.generate()
    rogue_ca = create_iaca(rogue_ca_signer, country="KR", common_name="mobileid test IACA",
                           organization="Test Licensing Office", not_before=pki.not_before,
                           not_after=pki.not_before + dt.timedelta(days=3650))
    rogue_ds = create_document_signer(rogue_ca_signer, rogue_ca, rogue_ds_signer.public_key(),
                                      common_name="DS", not_before=pki.not_before,
                                      not_after=pki.not_before + dt.timedelta(days=300))
    der = [c.public_bytes(serialization.Encoding.DER) for c in (rogue_ds, rogue_ca)]
    validity = issued.issuer_signed.mso.validity_info
    forged = issue_mdoc(rogue_ds_signer, der, MDL, {NS: {"family_name": "x"}},
                        CoseKey.from_public_key(issued.device_signer.public_key()), validity)
    response = DeviceResponse((build_document(forged, {NS: ["family_name"]}, issued.transcript,
                                              device_signer=issued.device_signer),))
    assert _code(response, issued) == "x509.untrusted_chain"


def test_expired_document_signer(issued, pki) -> None:  # type: ignore[no-untyped-def]
    late = pki.not_before + dt.timedelta(days=401)
    assert _code(_response(issued), issued, now=late) == "x509.expired"


def test_issuer_signature(issued) -> None:  # type: ignore[no-untyped-def]
    auth = issued.issuer_signed.issuer_auth
    bad = dataclasses.replace(auth, signature=auth.signature[:-1] + bytes([auth.signature[-1] ^ 1]))
    forged = dataclasses.replace(issued.issuer_signed, issuer_auth=bad)
    assert _code(_response(issued, forged), issued) == "mdoc.issuer_signature_invalid"


def test_unprotected_algorithm_is_refused(issued) -> None:  # type: ignore[no-untyped-def]
    auth = issued.issuer_signed.issuer_auth
    value = auth.to_cbor_value()
    value[1] = {**value[1], 1: -7}
    with pytest.raises(MobileIdError) as info:
        CoseSign1.from_cbor_value(value)
    assert info.value.code == "crypto.alg_not_protected"


def test_doctype_mismatch(issued) -> None:  # type: ignore[no-untyped-def]
    doc = _response(issued).documents[0]
    swapped = DeviceResponse((dataclasses.replace(doc, doctype="org.example.other"),))
    assert _code(swapped, issued) == "mdoc.doctype_mismatch"
    assert _code(_response(issued), issued, expected_doctype="org.example.other") == "mdoc.doctype_mismatch"


def test_digest_mismatch_on_reencoded_item(issued) -> None:  # type: ignore[no-untyped-def]
    items = issued.issuer_signed.namespaces[NS]
    victim = items[0]
    # Same content, different encoding bytes (a longer integer head): the digest must catch it.
    changed = IssuerSignedItem(victim.digest_id, victim.random, victim.element_identifier,
                               victim.element_value, EncodedCBOR(_reencode_wider(victim)))
    forged = dataclasses.replace(issued.issuer_signed, namespaces={NS: (changed, *items[1:])})
    assert _code(_response(issued, forged), issued) == "mdoc.digest_mismatch"


def _reencode_wider(item: IssuerSignedItem) -> bytes:
    import cbor2

    body = cbor2.dumps({"digestID": item.digest_id, "random": item.random,
                        "elementIdentifier": item.element_identifier, "elementValue": item.element_value},
                       default=lambda e, v: e.encode(cbor2.CBORTag(1004, v.isoformat())))
    assert body.startswith(b"\xa4\x68digestID")
    # Rewrite digestID's unsigned integer as a 2-byte form: same value, different bytes.
    head = len(b"\xa4\x68digestID")
    return body[:head] + b"\x19" + item.digest_id.to_bytes(2, "big") + body[head + _int_len(body[head]):]


def _int_len(first: int) -> int:
    return 1 if first < 0x18 else {0x18: 2, 0x19: 3, 0x1A: 5, 0x1B: 9}[first]


def test_changed_value_with_old_digest(issued) -> None:  # type: ignore[no-untyped-def]
    items = issued.issuer_signed.namespaces[NS]
    victim = next(i for i in items if i.element_identifier == "age_over_19")
    fake = IssuerSignedItem.create(victim.digest_id, victim.random, "age_over_19", not victim.element_value)
    forged = dataclasses.replace(issued.issuer_signed,
                                 namespaces={NS: tuple(fake if i is victim else i for i in items)})
    assert _code(_response(issued, forged), issued) == "mdoc.digest_mismatch"


def test_unknown_digest_id(issued) -> None:  # type: ignore[no-untyped-def]
    items = issued.issuer_signed.namespaces[NS]
    extra = IssuerSignedItem.create(999, b"\x00" * 16, "nickname", "Mallory")
    forged = dataclasses.replace(issued.issuer_signed, namespaces={NS: (*items, extra)})
    response = DeviceResponse((build_document(forged, {NS: [*ALL[NS], "nickname"]}, issued.transcript,
                                              device_signer=issued.device_signer),))
    assert _code(response, issued) == "mdoc.digest_missing"


def test_unknown_namespace(issued) -> None:  # type: ignore[no-untyped-def]
    extra = IssuerSignedItem.create(0, b"\x00" * 16, "x", 1)
    forged = dataclasses.replace(issued.issuer_signed,
                                 namespaces={**issued.issuer_signed.namespaces, "org.example": (extra,)})
    response = DeviceResponse((build_document(forged, {**ALL, "org.example": ["x"]}, issued.transcript,
                                              device_signer=issued.device_signer),))
    assert _code(response, issued) == "mdoc.digest_missing"


def test_digest_id_reuse(issued) -> None:  # type: ignore[no-untyped-def]
    items = issued.issuer_signed.namespaces[NS]
    forged = dataclasses.replace(issued.issuer_signed, namespaces={NS: (items[0], items[0], *items[1:])})
    response = DeviceResponse((build_document(forged, {NS: [i.element_identifier for i in items]},
                                              issued.transcript, device_signer=issued.device_signer),))
    assert _code(response, issued) == "mdoc.digest_id_reused"


@pytest.mark.parametrize(("days", "code"), [(0, "mdoc.not_yet_valid"), (361, "mdoc.expired")])
def test_mso_validity(issued, pki, days: int, code: str) -> None:  # type: ignore[no-untyped-def]
    when = pki.not_before + dt.timedelta(days=days, hours=12)
    assert _code(_response(issued), issued, now=when) == code


def test_mso_signed_outside_ds_validity(pki) -> None:  # type: ignore[no-untyped-def]
    early = pki.not_before - dt.timedelta(days=5)
    validity = ValidityInfo(early, pki.not_before, pki.not_before + dt.timedelta(days=300))
    bad = issue(pki)
    issuer_signed = issue_mdoc(pki.ds_signer, [pki.ds.public_bytes(serialization.Encoding.DER)], MDL,
                               {NS: {"family_name": "x"}}, CoseKey.from_public_key(bad.device_signer.public_key()),
                               validity)
    response = DeviceResponse((build_document(issuer_signed, {NS: ["family_name"]}, bad.transcript,
                                              device_signer=bad.device_signer),))
    assert _code(response, bad) == "mdoc.validity_invalid"


def test_device_signature_wrong_key(issued) -> None:  # type: ignore[no-untyped-def]
    response = DeviceResponse((build_document(issued.issuer_signed, ALL, issued.transcript,
                                              device_signer=SoftwareSigner.generate()),))
    assert _code(response, issued) == "mdoc.device_signature_invalid"


def test_device_signature_other_transcript(issued) -> None:  # type: ignore[no-untyped-def]
    other = SessionTranscript.build(None, None, ["test-handover", b"\x02" * 16])
    assert _code(_response(issued), issued, transcript=other) == "mdoc.device_signature_invalid"


def test_device_mac_needs_reader_key_and_right_key(annex_d) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric import ec

    for key, code in [(None, "mdoc.device_mac_unverifiable"),
                      (ec.generate_private_key(ec.SECP256R1()), "mdoc.device_mac_invalid")]:
        with pytest.raises(MobileIdError) as info:
            verify_device_response(annex_d.response, trust=annex_d.trust, transcript=annex_d.transcript,
                                   now=ANNEX_D_NOW, reader_private_key=key)
        assert info.value.code == code


def test_key_authorizations(issued) -> None:  # type: ignore[no-untyped-def]
    ok = _response(issued, device_namespaces={NS: {"age_in_years": 36}})
    verify_device_response(ok, trust=issued.trust, transcript=issued.transcript, now=issued.now)
    bad = _response(issued, device_namespaces={NS: {"family_name": "Mallory"}})
    assert _code(bad, issued) == "mdoc.element_not_authorized"


def test_response_status_and_empty(issued) -> None:  # type: ignore[no-untyped-def]
    assert _code(DeviceResponse((), status=10), issued) == "mdoc.response_status"
    assert _code(DeviceResponse(()), issued) == "mdoc.no_documents"
