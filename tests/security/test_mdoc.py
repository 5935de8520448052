"""Security suite, ISO/IEC 18013-5 mdoc: MSO digests, validity, issuer chain, device authentication."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from specs.cbor import EncodedCBOR, encode
from specs.cose import CoseKey
from specs.crypto import SoftwareSigner
from specs.errors import (
    CertificateProfileError,
    CertificateValidityError,
    ChainError,
    DeviceAuthError,
    DigestMismatchError,
    DigestMissingError,
    DocTypeMismatchError,
    IssuerAuthError,
    KeyAuthorizationError,
    MdocError,
    MobileIdError,
    MsoValidityError,
    UnsupportedAlgorithmError,
)
from specs.mdoc.issuance import issue_mdoc
from specs.mdoc.items import IssuerSignedItem
from specs.mdoc.presentation import build_document
from specs.mdoc.response import DeviceResponse
from specs.mdoc.transcript import SessionTranscript
from specs.mdoc.verify import verify_device_response
from specs.x509 import TrustStore, create_document_signer, create_iaca
from tests.specs.mdoc.conftest import ANNEX_D_NOW, MDL, NS, Issued, issue
from verifier.trust import VerifierTrust
from verifier.verify import verify_mdoc

ALL = {NS: ["family_name", "given_name", "birth_date", "age_over_19"]}


@pytest.fixture()
def issued(pki) -> Issued:  # type: ignore[no-untyped-def]
    return issue(pki)


def _response(issued: Issued, issuer_signed: Any = None, request: Any = None, **kw: Any) -> DeviceResponse:
    kw.setdefault("device_signer", issued.device_signer)
    return DeviceResponse((build_document(issuer_signed or issued.issuer_signed, request or ALL, issued.transcript,
                                          **kw),))


def _fails(error: type[MobileIdError], code: str, data: DeviceResponse | bytes, issued: Issued, **kw: Any) -> None:
    """The typed error at the spec API, and a fail-closed ``VerificationResult`` at the verifier API."""
    options: dict[str, Any] = {"trust": issued.trust, "transcript": issued.transcript, "now": issued.now, **kw}
    with pytest.raises(error) as info:
        verify_device_response(data, **options)
    assert info.value.code == code
    if not kw or set(kw) <= {"now", "transcript", "trust"}:
        raw = data.to_cbor() if isinstance(data, DeviceResponse) else data
        result = verify_mdoc(raw, trust=VerifierTrust(anchors=options["trust"]), transcript=options["transcript"],
                             now=options["now"])
        assert result.valid is False and result.claims == {}
        assert [e.code for e in result.errors] == [code]


def _replace_items(issued: Issued, items: tuple[IssuerSignedItem, ...]) -> Any:
    return dataclasses.replace(issued.issuer_signed, namespaces={NS: items})


def test_mdoc_digest_mismatch(issued: Issued) -> None:
    """An element value changed under the issuer's digest is refused (18013-5 §9.3.1 step 3)."""
    items = issued.issuer_signed.namespaces[NS]
    victim = next(i for i in items if i.element_identifier == "age_over_19")
    fake = IssuerSignedItem.create(victim.digest_id, victim.random, "age_over_19", not victim.element_value)
    forged = _replace_items(issued, tuple(fake if i is victim else i for i in items))
    _fails(DigestMismatchError, "mdoc.digest_mismatch", _response(issued, forged), issued)


def test_mdoc_reencoded_item(issued: Issued) -> None:
    """Same item re-encoded with other bytes fails: digests cover the bytes as received (§9.1.2.5, §8.1)."""
    items = issued.issuer_signed.namespaces[NS]
    victim = next(i for i in items if i.element_identifier == "family_name")
    body = cbor2.dumps({"digestID": victim.digest_id, "random": victim.random,
                        "elementIdentifier": victim.element_identifier, "elementValue": victim.element_value})
    head = len(b"\xa4\x68digestID")
    width = 1 if body[head] < 0x18 else {0x18: 2, 0x19: 3}[body[head]]
    wider = body[:head] + b"\x1a" + victim.digest_id.to_bytes(4, "big") + body[head + width:]
    assert cbor2.loads(wider) == cbor2.loads(body) and wider != victim.encoded.data
    changed = IssuerSignedItem(victim.digest_id, victim.random, victim.element_identifier, victim.element_value,
                               EncodedCBOR(wider))
    forged = _replace_items(issued, tuple(changed if i is victim else i for i in items))
    _fails(DigestMismatchError, "mdoc.digest_mismatch", _response(issued, forged), issued)


def test_mdoc_digest_id_reuse(issued: Issued) -> None:
    """The same digestID presented twice in one namespace is refused (§9.1.2.5: digestIDs are unique)."""
    items = issued.issuer_signed.namespaces[NS]
    forged = _replace_items(issued, (items[0], items[0], *items[1:]))
    request = {NS: [i.element_identifier for i in items]}
    with pytest.raises(MdocError) as info:
        verify_device_response(_response(issued, forged, request), trust=issued.trust, transcript=issued.transcript,
                               now=issued.now)
    assert type(info.value) is MdocError and info.value.code == "mdoc.digest_id_reused"


def test_mdoc_unknown_digest_id(issued: Issued) -> None:
    """An injected element whose digestID the MSO does not list is refused (§9.3.1 step 3)."""
    items = issued.issuer_signed.namespaces[NS]
    extra = IssuerSignedItem.create(999, b"\x00" * 16, "nickname", "Mallory")
    response = _response(issued, _replace_items(issued, (*items, extra)), {NS: [*ALL[NS], "nickname"]})
    _fails(DigestMissingError, "mdoc.digest_missing", response, issued)


def test_mdoc_doctype_mismatch(issued: Issued) -> None:
    """Document docType must equal the MSO docType (§9.3.1 step 5)."""
    doc = _response(issued).documents[0]
    _fails(DocTypeMismatchError, "mdoc.doctype_mismatch",
           DeviceResponse((dataclasses.replace(doc, doctype="org.iso.23220.photoid.1"),)), issued)


@pytest.mark.parametrize(("days", "code"), [(0, "mdoc.not_yet_valid"), (361, "mdoc.expired")])
def test_mdoc_validity(issued: Issued, pki, days: int, code: str) -> None:  # type: ignore[no-untyped-def]
    """now outside validFrom..validUntil is refused (§9.3.1 step 6)."""
    _fails(MsoValidityError, code, _response(issued), issued, now=pki.not_before + dt.timedelta(days=days, hours=12))


def test_mdoc_signed_outside_ds_validity(pki) -> None:  # type: ignore[no-untyped-def]
    """MSO "signed" outside the DS certificate's validity is refused (§9.1.2.4)."""
    bad = issue(pki)
    from specs.mdoc.mso import ValidityInfo

    early = pki.not_before - dt.timedelta(days=5)
    signed = issue_mdoc(pki.ds_signer, [pki.ds.public_bytes(serialization.Encoding.DER)], MDL,
                        {NS: {"family_name": "x"}}, CoseKey.from_public_key(bad.device_signer.public_key()),
                        ValidityInfo(early, pki.not_before, pki.not_before + dt.timedelta(days=300)))
    response = _response(bad, signed, {NS: ["family_name"]})
    _fails(MsoValidityError, "mdoc.validity_invalid", response, bad)


def test_mdoc_expired_document_signer(issued: Issued, pki) -> None:  # type: ignore[no-untyped-def]
    """A DS certificate past notAfter is refused (§9.3.3, RFC 5280 §6.1.3)."""
    _fails(CertificateValidityError, "x509.expired", _response(issued), issued,
           now=pki.not_before + dt.timedelta(days=401))


def _rebuilt_ds(pki, edit) -> x509.Certificate:  # type: ignore[no-untyped-def]
    ds = pki.ds
    builder = (x509.CertificateBuilder().subject_name(ds.subject).issuer_name(ds.issuer)
               .public_key(ds.public_key()).serial_number(ds.serial_number + 1)
               .not_valid_before(ds.not_valid_before_utc).not_valid_after(ds.not_valid_after_utc))
    for ext in ds.extensions:
        replaced = edit(ext)
        if replaced is not None:
            builder = builder.add_extension(*replaced)
    return builder.sign(pki.iaca_signer.private_key, hashes.SHA256())


@pytest.mark.parametrize(("label", "rule"), [("eku", "extended_key_usage"), ("ca", "basic_constraints"),
                                            ("ku", "key_usage")])
def test_mdoc_certificate_profile_violation(pki, label: str, rule: str) -> None:  # type: ignore[no-untyped-def]
    """A DS certificate signed by the trusted IACA but breaking Annex B (EKU, CA flag, keyUsage) is refused."""

    def edit(ext: x509.Extension[Any]) -> tuple[Any, bool] | None:
        if label == "eku" and ext.oid == ExtensionOID.EXTENDED_KEY_USAGE:
            return x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), True
        if label == "ku" and ext.oid == ExtensionOID.KEY_USAGE:
            return x509.KeyUsage(True, False, False, False, False, True, True, False, False), True
        return ext.value, ext.critical

    cert = _rebuilt_ds(pki, edit)
    if label == "ca":
        cert = _rebuilt_ds(pki, lambda e: (e.value, e.critical))
        builder = x509.CertificateBuilder().subject_name(cert.subject).issuer_name(cert.issuer).public_key(
            cert.public_key()).serial_number(7).not_valid_before(cert.not_valid_before_utc).not_valid_after(
            cert.not_valid_after_utc)
        for ext in cert.extensions:
            if ext.oid != ExtensionOID.BASIC_CONSTRAINTS:
                builder = builder.add_extension(ext.value, ext.critical)
        cert = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True).sign(
            pki.iaca_signer.private_key, hashes.SHA256())
    bad = issue(pki)
    from specs.mdoc.mso import ValidityInfo

    validity = ValidityInfo(pki.not_before + dt.timedelta(days=1), pki.not_before + dt.timedelta(days=1),
                            pki.not_before + dt.timedelta(days=360))
    signed = issue_mdoc(pki.ds_signer, [cert.public_bytes(serialization.Encoding.DER)], MDL,
                        {NS: {"family_name": "x"}}, CoseKey.from_public_key(bad.device_signer.public_key()), validity)
    _fails(CertificateProfileError, f"x509.profile.{rule}", _response(bad, signed, {NS: ["family_name"]}), bad)


def test_mdoc_attacker_x5chain(issued: Issued, pki) -> None:  # type: ignore[no-untyped-def]
    """A self-made IACA + DS shipped in x5chain (same names as the real one) is refused (§9.3.3, Annex B)."""
    rogue_ca_signer, rogue_ds_signer = SoftwareSigner.generate(), SoftwareSigner.generate()
    rogue_ca = create_iaca(rogue_ca_signer, country="KR", common_name="mobileid test IACA",
                           organization="Test Licensing Office", not_before=pki.not_before,
                           not_after=pki.not_before + dt.timedelta(days=3650))
    rogue_ds = create_document_signer(rogue_ca_signer, rogue_ca, rogue_ds_signer.public_key(), common_name="DS",
                                      not_before=pki.not_before, not_after=pki.not_before + dt.timedelta(days=300))
    der = [c.public_bytes(serialization.Encoding.DER) for c in (rogue_ds, rogue_ca)]
    forged = issue_mdoc(rogue_ds_signer, der, MDL, {NS: {"family_name": "Mallory"}},
                        CoseKey.from_public_key(issued.device_signer.public_key()),
                        issued.issuer_signed.mso.validity_info)
    _fails(ChainError, "x509.untrusted_chain", _response(issued, forged, {NS: ["family_name"]}), issued)


def test_mdoc_issuer_signature_tampered(issued: Issued) -> None:
    """A flipped bit in issuerAuth's signature is refused (§9.3.1 step 2, RFC 9052 §4.4)."""
    auth = issued.issuer_signed.issuer_auth
    bad = dataclasses.replace(auth, signature=auth.signature[:-1] + bytes([auth.signature[-1] ^ 1]))
    _fails(IssuerAuthError, "mdoc.issuer_signature_invalid",
           _response(issued, dataclasses.replace(issued.issuer_signed, issuer_auth=bad)), issued)


def test_mdoc_unprotected_alg(issued: Issued) -> None:
    """alg in the unprotected bucket (downgrade attempt) is refused (RFC 9052 §3.1, 18013-5 §9.1.2.4)."""
    value = _response(issued).to_cbor_value()
    auth = value["documents"][0]["issuerSigned"]["issuerAuth"]
    auth[1] = {**auth[1], 1: -7}
    _fails(UnsupportedAlgorithmError, "crypto.alg_not_protected", encode(value), issued)


def test_mdoc_device_signature_wrong_key(issued: Issued) -> None:
    """DeviceSignature by a key other than the MSO deviceKey is refused (§9.1.3.6): a cloned mdoc."""
    _fails(DeviceAuthError, "mdoc.device_signature_invalid",
           _response(issued, device_signer=SoftwareSigner.generate()), issued)


def test_mdoc_device_signature_wrong_transcript(issued: Issued) -> None:
    """A DeviceSignature made for another session transcript is refused (§9.1.3.4): replay/relay."""
    other = SessionTranscript.build(None, None, ["test-handover", b"\x02" * 16])
    _fails(DeviceAuthError, "mdoc.device_signature_invalid", _response(issued), issued, transcript=other)


def test_mdoc_device_mac_wrong_reader_key(annex_d) -> None:  # type: ignore[no-untyped-def]
    """A deviceMac checked with another reader's ephemeral key fails (§9.1.3.5, §9.2.1 EMacKey)."""
    with pytest.raises(DeviceAuthError) as info:
        verify_device_response(annex_d.response, trust=annex_d.trust, transcript=annex_d.transcript,
                               now=ANNEX_D_NOW, reader_private_key=ec.generate_private_key(ec.SECP256R1()))
    assert info.value.code == "mdoc.device_mac_invalid"


def test_mdoc_key_authorizations(issued: Issued) -> None:
    """A device-signed element outside keyAuthorizations is refused (§9.1.2.4 KeyAuthorizations)."""
    ok = _response(issued, device_namespaces={NS: {"age_in_years": 36}})
    verify_device_response(ok, trust=issued.trust, transcript=issued.transcript, now=issued.now)
    _fails(KeyAuthorizationError, "mdoc.element_not_authorized",
           _response(issued, device_namespaces={NS: {"family_name": "Mallory"}}), issued)


def test_mdoc_untrusted_anchor(issued: Issued, pki) -> None:  # type: ignore[no-untyped-def]
    """A genuine mdoc checked against another anchor set (reader root only) is refused (§9.3.3)."""
    _fails(ChainError, "x509.untrusted_chain", _response(issued), issued, trust=TrustStore.of([pki.reader_root]))
