"""The C part of mdoc verification (specs/mdoc/_fast.c, through specs.mdoc.walk) against the Python path.

Whatever ``verify_device_response`` answers with the C part, it answers without it (the pure Python path, as with
MOBILEID_PURE_CBOR=1): the same verified documents, or the same error type and code. Checked on valid responses
of several shapes, the Annex D response, and Hypothesis-driven mutations of them: bit flips, truncations, inserted
and deleted bytes, and edits of their structure, MSO, items and device-signed part, re-signed so that the checks
behind the signatures are reached. And the C part must answer (not defer) for the common case, or it gains
nothing. These tests fail, not skip, when the C part is not built.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import specs.cbor.codec as codec
from specs.cbor import EncodedCBOR, decode, encode
from specs.crypto import SoftwareSigner
from specs.errors import KeyAuthorizationError, MobileIdError
from specs.mdoc import walk as walk_module
from specs.mdoc.presentation import build_device_response, build_document
from specs.mdoc.response import DeviceResponse
from specs.mdoc.transcript import SessionTranscript
from specs.mdoc.verify import verify_device_response
from specs.status.reference import StatusReference
from specs.x509 import ChainCache, TrustStore
from tests.conftest import Pki

from .conftest import ANNEX_D_NOW, ELEMENTS, NS, issue

SOME = {NS: ["family_name", "given_name", "birth_date", "portrait", "age_over_19"]}
EVERY = {NS: list(ELEMENTS)}


def _require_native() -> None:
    if walk_module._native is None or codec._native is None:
        pytest.fail("the C part of specs.mdoc is not built: `pip install -e .` (or `python setup.py build_ext "
                    "--inplace`) with a C compiler, and MOBILEID_PURE_CBOR unset")


@dataclasses.dataclass
class Material:
    pki: Pki
    device: SoftwareSigner
    trust: TrustStore
    transcript: SessionTranscript
    now: dt.datetime
    responses: dict[str, bytes]
    signers: dict[bytes, Any]


@functools.cache
def material() -> Material:
    pki = Pki()
    issued = issue(pki)
    with_status = issue(pki, status=StatusReference("https://issuer.example.kr/status/7", 4095))
    plain = build_device_response(issued.issuer_signed, SOME, issued.transcript, issued.device_signer).to_cbor()
    every = build_device_response(issued.issuer_signed, EVERY, issued.transcript, issued.device_signer).to_cbor()
    status = build_device_response(with_status.issuer_signed, SOME, with_status.transcript,
                                   with_status.device_signer).to_cbor()

    def device_signed(elements: dict[str, Any]) -> bytes:
        doc = build_document(issued.issuer_signed, SOME, issued.transcript, device_signer=issued.device_signer,
                             device_namespaces={NS: elements})
        return DeviceResponse((doc,)).to_cbor()

    two = DeviceResponse((*DeviceResponse.from_cbor(plain).documents,
                          *DeviceResponse.from_cbor(every).documents)).to_cbor()
    # issuerAuth naming its signer by kid, as the QR profile does (the unprotected header is not signed)
    tree = cbor2.loads(plain)
    unprotected = tree["documents"][0]["issuerSigned"]["issuerAuth"][1]
    del unprotected[33]
    unprotected[4] = b"ds-1"
    responses = {"plain": plain, "every": every, "status": status, "two": two, "kid": cbor2.dumps(tree),
                 "authorized": device_signed({"age_in_years": 36}),
                 "unauthorized": device_signed({"family_name": "X"})}
    return Material(pki, issued.device_signer, issued.trust, issued.transcript, issued.now, responses,
                    {b"ds-1": pki.ds})


def outcome(data: bytes, m: Material, now: dt.datetime, **options: Any) -> tuple[Any, ...]:
    try:
        docs = verify_device_response(data, trust=m.trust, transcript=m.transcript, now=now, **options)
    except MobileIdError as exc:
        return ("error", type(exc), exc.code)
    except Exception as exc:
        return ("raised", type(exc))
    return ("ok", docs)


def agree(data: bytes, m: Material | None = None, now: dt.datetime | None = None, **options: Any) -> bool:
    """Assert both paths give the same result for ``data``; True when the C part answered, False when it deferred."""
    _require_native()
    m = m or material()
    now = now or m.now
    options.setdefault("document_signers", m.signers)
    answered = walk_module.walk(data, m.transcript.encoded) is not None
    fast = outcome(data, m, now, **options)
    native = codec._native
    codec._native = None
    try:
        assert walk_module.walk(data, m.transcript.encoded) is None  # the pure path really is pure
        slow = outcome(data, m, now, **options)
    finally:
        codec._native = native
    assert fast == slow, f"the C part changes the result on {data.hex()}: {fast} != {slow}"
    if answered:
        assert fast[0] in ("ok", "error")
    return answered


# -- the common case: answered, and the same ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["plain", "every", "status", "two", "kid", "authorized", "unauthorized"])
def test_the_common_case_is_answered_and_agrees(name: str) -> None:
    m = material()
    assert agree(m.responses[name])
    result = outcome(m.responses[name], m, m.now, document_signers=m.signers)
    if name == "unauthorized":
        assert result == ("error", KeyAuthorizationError, "mdoc.element_not_authorized")
    else:
        assert result[0] == "ok"


def test_results_are_the_python_paths_objects() -> None:
    m = material()
    walked = walk_module.walk(m.responses["status"], m.transcript.encoded)
    assert walked is not None
    (doc,) = verify_device_response(m.responses["status"], trust=m.trust, transcript=m.transcript, now=m.now)
    assert walked[0].mso == DeviceResponse.from_cbor(m.responses["status"]).documents[0].issuer_signed.mso
    assert doc.mso.status == StatusReference("https://issuer.example.kr/status/7", 4095)
    assert doc.issuer_claims == {NS: {k: ELEMENTS[k] for k in SOME[NS]}}


def test_kid_without_its_signer_and_a_chain_cache() -> None:
    m = material()
    assert agree(m.responses["kid"], document_signers={})
    cache = ChainCache()
    for _ in range(2):
        assert agree(m.responses["plain"], chain_cache=cache, document_signers=None)


def test_kid_with_a_chain_cache() -> None:
    """The cached signer named by kid (the QR profile's path), its dates still checked on every hit."""
    m = material()
    cache = ChainCache()
    for _ in range(2):
        assert agree(m.responses["kid"], chain_cache=cache)
    assert agree(m.responses["kid"], chain_cache=cache, document_signers={})
    assert agree(m.responses["kid"], chain_cache=cache, document_signers={b"ds-1": m.pki.iaca})
    for days in (-400, 600):
        assert agree(m.responses["kid"], now=m.now + dt.timedelta(days=days), chain_cache=cache)


@pytest.mark.parametrize("days", [-400, -160, -152, -151, 0, 208, 209, 210, 600])
def test_dates_around_the_validity(days: int) -> None:
    m = material()
    agree(m.responses["plain"], now=m.now + dt.timedelta(days=days))
    agree(m.responses["plain"], now=m.now + dt.timedelta(days=days, seconds=-1))


def test_expected_doctype() -> None:
    m = material()
    assert agree(m.responses["plain"], expected_doctype="org.iso.18013.5.1.mDL")
    assert agree(m.responses["plain"], expected_doctype="org.iso.23220.photoid.1")


def test_annex_d_device_mac_is_left_to_python(annex_d) -> None:  # type: ignore[no-untyped-def]
    _require_native()
    assert walk_module.walk(annex_d.response, annex_d.transcript.encoded) is None
    m = dataclasses.replace(material(), trust=annex_d.trust, transcript=annex_d.transcript)
    for key in (annex_d.reader_key, None):
        agree(annex_d.response, m, ANNEX_D_NOW, reader_private_key=key)


# -- mutations ---------------------------------------------------------------------------------------------
Edit = Callable[[dict[str, Any], Material], None]


def _doc(tree: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = tree["documents"][0]
    return doc


def _resign_issuer(auth: list[Any], m: Material) -> None:
    auth[3] = m.pki.ds_signer.sign(cbor2.dumps(["Signature1", auth[0], b"", auth[2]]))


def _mso_edit(change: Callable[[dict[str, Any]], None]) -> Edit:
    """Change the MSO and sign it again, so that what is checked after the issuer's signature is reached."""
    def edit(tree: dict[str, Any], m: Material) -> None:
        auth = _doc(tree)["issuerSigned"]["issuerAuth"]
        mso = decode(decode(auth[2]).data)
        change(mso)
        auth[2] = cbor2.dumps(cbor2.CBORTag(24, encode(mso)))
        _resign_issuer(auth, m)
    return edit


def _item_edit(change: Callable[[dict[str, Any]], None], fix_digest: bool) -> Edit:
    """Change the first presented item (and, with ``fix_digest``, its MSO digest, signed again)."""
    def edit(tree: dict[str, Any], m: Material) -> None:
        items = _doc(tree)["issuerSigned"]["nameSpaces"][NS]
        item = decode(items[0].value)
        change(item)
        items[0] = cbor2.CBORTag(24, encode(item))
        if fix_digest and isinstance(item, dict) and type(item.get("digestID")) is int:
            from specs.cbor.raw import tag24
            from specs.mdoc.items import HASHERS

            digest = HASHERS["SHA-256"](tag24(items[0].value)).digest()
            _mso_edit(lambda mso: mso["valueDigests"][NS].__setitem__(item["digestID"], digest))(tree, m)
    return edit


def _device_edit(change: Callable[[Any], Any]) -> Edit:
    """Change the DeviceNameSpaces and sign the DeviceAuthentication again."""
    def edit(tree: dict[str, Any], m: Material) -> None:
        from specs.mdoc.device_signed import device_authentication_bytes

        doc = _doc(tree)
        signed = doc["deviceSigned"]
        signed["nameSpaces"] = cbor2.CBORTag(24, encode(change(decode(signed["nameSpaces"].value))))
        sig = signed["deviceAuth"]["deviceSignature"]
        payload = device_authentication_bytes(m.transcript, doc["docType"], EncodedCBOR(signed["nameSpaces"].value))
        sig[3] = m.device.sign(cbor2.dumps(["Signature1", sig[0], b"", payload]))
    return edit


def _set(path: tuple[Any, ...], value: Any) -> Edit:
    def edit(tree: dict[str, Any], m: Material) -> None:
        node: Any = tree
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
    return edit


def _delete(path: tuple[Any, ...]) -> Edit:
    def edit(tree: dict[str, Any], m: Material) -> None:
        node: Any = tree
        for step in path[:-1]:
            node = node[step]
        node.pop(path[-1], None)
    return edit


D, IS, DS, IA = ("documents", 0), ("documents", 0, "issuerSigned"), ("documents", 0, "deviceSigned"), \
    ("documents", 0, "issuerSigned", "issuerAuth")
MSO_DATES = ("signed", "validFrom", "validUntil", "expectedUpdate")
EDITS: list[Edit] = [
    _set(("status",), 10), _set(("status",), 1), _set(("version",), "2.0"), _set(("version",), "1.1"),
    _set(("documents",), []), _set(("documentErrors",), [{"x": 1}]), _set(("extra",), 1), _delete(("status",)),
    _delete(("version",)), _set((*D, "errors"), {NS: {"x": 1}}), _set((*D, "docType"), "other"),
    _set((*D, "docType"), b"bytes"), _set((*D, "extra"), 0), _delete((*D, "deviceSigned")),
    _set((*IS, "extra"), 0), _delete((*IS, "nameSpaces")), _set((*IS, "nameSpaces"), {}),
    _set((*IS, "nameSpaces", NS), []), _set((*IS, "nameSpaces", "other.ns"), [cbor2.CBORTag(24, b"\xa0")]),
    _set((*IA, 0), b"\xa1\x01\x38\x22"), _set((*IA, 0), b""), _set((*IA, 0), b"\xa2\x01\x26\x04\x41k"),
    _set((*IA, 1, 1), -7), _set((*IA, 1, 4), "text-kid"), _set((*IA, 1, 99), 0), _set((*IA, 1, 33), []),
    _delete((*IA, 1, 33)), _set((*IA, 2), None), _set((*IA, 3), b"\x00" * 63), _set((*IA, 3), b"\x00" * 64),
    _set((*IA,), cbor2.CBORTag(18, [])),
    _set((*DS, "extra"), 0), _set((*DS, "deviceAuth"), {}), _set((*DS, "nameSpaces"), b"\xa0"),
    _set((*DS, "deviceAuth", "deviceMac"), [b"\xa1\x01\x05", {}, None, b"0" * 32]),
    _set((*DS, "deviceAuth", "deviceSignature", 1), {4: b"k"}),
    _set((*DS, "deviceAuth", "deviceSignature", 2), b"attached"),
    _set((*DS, "deviceAuth", "deviceSignature", 0), b"\xa1\x01\x27"),
    _set((*DS, "deviceAuth", "deviceSignature", 3), b""),
    _mso_edit(lambda mso: None), _mso_edit(lambda mso: mso.__setitem__("digestAlgorithm", "SHA-384")),
    _mso_edit(lambda mso: mso.__setitem__("version", "1.1")), _mso_edit(lambda mso: mso.__setitem__("x", [1])),
    _mso_edit(lambda mso: mso.__setitem__("docType", "other")), _mso_edit(lambda mso: mso.pop("docType")),
    _mso_edit(lambda mso: mso["valueDigests"].pop(NS)),
    _mso_edit(lambda mso: mso["valueDigests"][NS].update({k: b"\x00" * 32 for k in mso["valueDigests"][NS]})),
    _mso_edit(lambda mso: mso["valueDigests"].__setitem__(NS, {"0": b""})),
    _mso_edit(lambda mso: mso["validityInfo"].__setitem__("expectedUpdate", mso["validityInfo"]["validUntil"])),
    _mso_edit(lambda mso: mso["validityInfo"].__setitem__("validFrom", "2026-01-01")),
    _mso_edit(lambda mso: mso["validityInfo"].__setitem__("validUntil", dt.date(2027, 1, 1))),
    _mso_edit(lambda mso: mso["validityInfo"].__setitem__("signed", dt.datetime(2020, 1, 1, tzinfo=dt.UTC))),
    _mso_edit(lambda mso: mso["deviceKeyInfo"]["deviceKey"].__setitem__(-1, 2)),
    _mso_edit(lambda mso: mso["deviceKeyInfo"]["deviceKey"].__setitem__(-3, b"\x01" * 32)),
    _mso_edit(lambda mso: mso["deviceKeyInfo"]["deviceKey"].__setitem__(2, "kid")),
    _mso_edit(lambda mso: mso["deviceKeyInfo"]["deviceKey"].__setitem__(-4, b"\x01" * 32)),
    _mso_edit(lambda mso: mso["deviceKeyInfo"].__setitem__("keyAuthorizations", {"nameSpaces": [NS]})),
    _mso_edit(lambda mso: mso["deviceKeyInfo"].__setitem__("keyAuthorizations", {"nameSpaces": NS})),
    _mso_edit(lambda mso: mso["deviceKeyInfo"].__setitem__("keyInfo", {1: "x"})),
    _mso_edit(lambda mso: mso["deviceKeyInfo"].__setitem__("keyInfo", [1])),
    _mso_edit(lambda mso: mso.__setitem__("status", {"status_list": {"idx": 1, "uri": "https://s"}})),
    _mso_edit(lambda mso: mso.__setitem__("status", {"status_list": {"idx": -1, "uri": "https://s"}})),
    _mso_edit(lambda mso: mso.__setitem__("status", None)),
    _item_edit(lambda item: item.__setitem__("elementValue", "changed"), fix_digest=False),
    _item_edit(lambda item: item.__setitem__("elementValue", "changed"), fix_digest=True),
    _item_edit(lambda item: item.__setitem__("extra", 1), fix_digest=True),
    _item_edit(lambda item: item.__setitem__("random", b"short"), fix_digest=True),
    _item_edit(lambda item: item.__setitem__("digestID", 10_000), fix_digest=True),
    _item_edit(lambda item: item.__setitem__("elementIdentifier", "given_name"), fix_digest=True),
    _item_edit(lambda item: item.__setitem__("elementIdentifier", 7), fix_digest=True),
    _device_edit(lambda ns: {NS: {"age_in_years": 36}}), _device_edit(lambda ns: {NS: {"family_name": "X"}}),
    _device_edit(lambda ns: {NS: {1: 2}}), _device_edit(lambda ns: {NS: []}), _device_edit(lambda ns: [1]),
    _device_edit(lambda ns: {"other": {"age_in_years": 1}}),
]


@pytest.mark.parametrize("index", range(len(EDITS)))
@pytest.mark.parametrize("name", ["plain", "kid", "status"])
def test_every_edit_agrees(index: int, name: str) -> None:
    m = material()
    tree = cbor2.loads(m.responses[name])
    EDITS[index](tree, m)
    agree(cbor2.dumps(tree))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, len(EDITS) - 1), min_size=1, max_size=3), st.sampled_from(["plain", "two", "status"]))
def test_edits_combined_agree(indices: list[int], name: str) -> None:
    m = material()
    tree = cbor2.loads(m.responses[name])
    for index in indices:
        try:
            EDITS[index](tree, m)
        except (KeyError, IndexError, TypeError, AttributeError, MobileIdError):
            pass  # an earlier edit took away what this one changes
    agree(cbor2.dumps(tree))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["plain", "every", "two", "kid", "authorized"]), st.data())
def test_byte_mutations_agree(name: str, data: st.DataObject) -> None:
    original = material().responses[name]
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 3))):
        if not mutated:
            break
        at = data.draw(st.integers(0, len(mutated) - 1))
        kind = data.draw(st.sampled_from(["flip", "set", "delete", "insert", "truncate"]))
        if kind == "flip":
            mutated[at] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "set":
            mutated[at] = data.draw(st.integers(0, 255))
        elif kind == "delete":
            del mutated[at]
        elif kind == "insert":
            mutated[at:at] = data.draw(st.binary(min_size=1, max_size=3))
        else:
            del mutated[at:]
    agree(bytes(mutated))


def test_every_single_bit_flip_of_the_header_region_agrees() -> None:
    """Each bit of the first 200 bytes (the response, document and issuerSigned structure) flipped in turn."""
    original = material().responses["plain"]
    for at in range(200):
        for bit in range(8):
            mutated = bytearray(original)
            mutated[at] ^= 1 << bit
            agree(bytes(mutated))


def test_a_response_object_and_bytes_agree() -> None:
    m = material()
    parsed = DeviceResponse.from_cbor(m.responses["two"])
    assert outcome(m.responses["two"], m, m.now) == outcome(parsed, m, m.now)  # type: ignore[arg-type]


_RAW = st.one_of(st.binary(min_size=64, max_size=64), st.sampled_from([
    bytes(64), b"\x80" * 64, b"\x00\x80" + bytes(62), b"\x00" * 31 + b"\x01" + b"\xff" * 32, b"\x7f" * 64,
    b"\x00" * 32 + b"\x80" + bytes(31)]), st.binary(min_size=0, max_size=70))


@settings(max_examples=150, deadline=None)
@given(_RAW, _RAW)
def test_signatures_in_der_form_are_raw_to_der_signature(issuer: bytes, device: bytes) -> None:
    from specs.crypto import Algorithm, raw_to_der_signature

    m = material()
    tree = cbor2.loads(m.responses["plain"])
    _doc(tree)["issuerSigned"]["issuerAuth"][3] = issuer
    _doc(tree)["deviceSigned"]["deviceAuth"]["deviceSignature"][3] = device
    walked = walk_module.walk(cbor2.dumps(tree), m.transcript.encoded)
    assert walked is not None
    for raw, der in ((issuer, walked[0].issuer_der), (device, walked[0].device_der)):
        assert der == (raw_to_der_signature(raw, Algorithm.ES256) if len(raw) == 64 else None)
    agree(cbor2.dumps(tree))


@pytest.mark.parametrize("make", [lambda: ec.generate_private_key(ec.SECP384R1()).public_key(),
                                  lambda: ed25519.Ed25519PrivateKey.generate().public_key(),
                                  lambda: ec.generate_private_key(ec.SECP256R1()).public_key()])
def test_es256_with_the_der_form_fails_as_verify_signature_does(make: Callable[[], Any]) -> None:
    from specs.crypto import Algorithm, raw_to_der_signature, verify_signature

    key, raw = make(), b"\x01" * 64
    with pytest.raises(MobileIdError) as expected:
        verify_signature(Algorithm.ES256, key, raw, b"data")
    with pytest.raises(type(expected.value)) as got:  # as _verify_walked calls it, with the C part's DER form
        verify_signature(Algorithm.ES256, key, raw, b"data", der=raw_to_der_signature(raw, Algorithm.ES256))
    assert got.value.code == expected.value.code


def test_the_classes_filled_in_c_have_the_fields_it_fills() -> None:
    _require_native()
    assert walk_module._fields_unchanged()
