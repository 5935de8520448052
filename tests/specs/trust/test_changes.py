"""Status change log: round trips, the diff, joins, and a negative case for every check (fails closed)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specs.cbor import encode
from specs.crypto import SoftwareSigner
from specs.errors import DecodeError, StructureError
from specs.status import StatusList
from specs.trust import TrustBundleError
from specs.trust.changes import (
    MAX_CHANGE_LOG,
    ListChanges,
    StatusChangeLog,
    list_changes,
    sign_change_log,
    verify_change_log,
)
from specs.trust.signed import sign_payload
from specs.x509 import TrustStore
from tests.conftest import Pki

ISSUER = "https://issuer.test"


def _log(pki: Pki, **changes: Any) -> StatusChangeLog:
    log = StatusChangeLog(ISSUER, pki.now, 10, 12, pki.now + dt.timedelta(days=1),
                          (ListChanges(1, 1024, 2, ((0, 1), (7, 2), (1023, 3))), ListChanges(4, 64, 1, ((9, 1),))))
    return dataclasses.replace(log, **changes)


def _verify(pki: Pki, data: bytes, **kwargs: Any) -> StatusChangeLog:
    return verify_change_log(data, TrustStore.of([pki.iaca]), now=kwargs.pop("now", pki.now),
                             issuer=kwargs.pop("issuer", ISSUER), **kwargs)


@st.composite
def _list_changes(draw: Any) -> ListChanges:
    bits = draw(st.sampled_from((1, 2, 4, 8)))
    size = draw(st.integers(1, 4096)) * 8
    indices = sorted(draw(st.sets(st.integers(0, size - 1), max_size=40)))
    values = [draw(st.integers(0, (1 << bits) - 1)) for _ in indices]
    return ListChanges(draw(st.integers(1, 10**6)), size, bits, tuple(zip(indices, values, strict=True)))


@given(st.lists(_list_changes(), max_size=6, unique_by=lambda c: c.number), st.integers(0, 2**40))
def test_round_trip(lists: list[ListChanges], start: int) -> None:
    when = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    log = StatusChangeLog(ISSUER, when, start, start + 1, when + dt.timedelta(hours=24), tuple(lists))
    assert StatusChangeLog.from_cbor(encode(log.to_cbor_value())) == log


@given(st.integers(1, 64).map(lambda n: n * 8), st.data())
def test_the_diff_is_what_turns_one_list_into_the_other(size: int, data: Any) -> None:
    old = StatusList(2, bytes(data.draw(st.binary(min_size=size // 4, max_size=size // 4))))
    updates = data.draw(st.dictionaries(st.integers(0, size - 1), st.integers(0, 3), max_size=20))
    new = old.with_statuses(updates)
    changes = list_changes(3, old, new)
    if old.data == new.data:
        assert changes is None
    else:
        assert changes is not None and old.with_statuses(dict(changes.changes)) == new
        assert all(old.get(i) != v for i, v in changes.changes)  # only what really changed


def test_the_diff_refuses_another_size_or_bits() -> None:
    with pytest.raises(ValueError):
        list_changes(1, StatusList.empty(64, 2), StatusList.empty(64, 1))


def test_sign_verify_and_join(pki: Pki, vical_key: tuple[SoftwareSigner, Any]) -> None:
    log = _log(pki)
    signed = sign_change_log(log, vical_key[0], (vical_key[1],))
    assert _verify(pki, signed, from_sequence=10, to_sequence=12) == log and log.path == "trust/changes/10-12"
    later = StatusChangeLog(ISSUER, pki.now + dt.timedelta(hours=1), 12, 15, pki.now + dt.timedelta(days=2),
                            (ListChanges(1, 1024, 2, ((7, 0), (8, 1))),))
    joined = log.then(later)
    assert (joined.from_sequence, joined.to_sequence, joined.expires_at) == (10, 15, later.expires_at)
    assert joined.lists[0].changes == ((0, 1), (7, 0), (8, 1), (1023, 3)) and joined.lists[1] == log.lists[1]
    for bad in (dataclasses.replace(later, from_sequence=11), dataclasses.replace(later, issuer="https://x"),
                dataclasses.replace(later, lists=(ListChanges(1, 2048, 2, ()),))):
        with pytest.raises(StructureError):
            log.then(bad)


def test_bad_signature_and_wrong_signer_are_refused(pki: Pki, vical_key: tuple[SoftwareSigner, Any]) -> None:
    signed = sign_change_log(_log(pki), vical_key[0], (vical_key[1],))
    tampered = signed[:-1] + bytes([signed[-1] ^ 1])
    by_document_signer = sign_payload(encode(_log(pki).to_cbor_value()), pki.ds_signer, (pki.ds,))
    for data in (tampered, by_document_signer, signed[:-5]):  # and truncated
        with pytest.raises(TrustBundleError) as refused:
            _verify(pki, data)
        assert refused.value.code == "trust.bundle_signature"


def test_wrong_issuer_sequence_and_staleness_are_refused(pki: Pki, vical_key: tuple[SoftwareSigner, Any]) -> None:
    signed = sign_change_log(_log(pki), vical_key[0], (vical_key[1],))
    for kwargs in ({"issuer": "https://other.test"}, {"from_sequence": 11}, {"to_sequence": 13}):
        with pytest.raises(TrustBundleError) as refused:
            _verify(pki, signed, **kwargs)
        assert refused.value.code == "trust.bundle_changes"
    for now in (pki.now + dt.timedelta(days=1), pki.now - dt.timedelta(hours=1)):  # expired / from the future
        with pytest.raises(TrustBundleError) as refused:
            _verify(pki, signed, now=now)
        assert refused.value.code == "trust.bundle_stale"
    assert _verify(pki, signed, now=pki.now + dt.timedelta(days=1), check_expiry=False).to_sequence == 12


def _payload(pki: Pki, lists: list[Any] | None = None, **fields: Any) -> bytes:
    value = _log(pki).to_cbor_value()
    if lists is not None:
        value["lists"] = lists
    value.update(fields)
    return encode(value)


@pytest.mark.parametrize("entry", [
    [1, 1024, 2, bytes([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), b"\x01"],  # a gap overflowing its varint
    [1, 1024, 2, bytes([0x81, 0x00]), b"\x01"],  # not minimal
    [1, 1024, 2, bytes([0x05, 0x81]), b"\x05"],  # truncated
    [1, 1024, 2, bytes([0x80, 0x08]), b"\x01"],  # index 1024: beyond the list's size
    [1, 1024, 2, bytes(5), b"\x01"],  # five indices, one status byte holding four
    [1, 1024, 2, b"\x00", b"\x05"],  # one index, bits set past its status
    [1, 1024, 3, b"\x00", b"\x01"],  # bits 3
    [0, 1024, 2, b"\x00", b"\x01"],  # list 0
    [1, 1021, 2, b"\x00", b"\x01"],  # a size not in whole bytes
    [1, 1024, 2, b"\x00"],  # four fields
    [1, 1024, 2, "00", b"\x01"],  # text gaps
])
def test_malformed_lists_are_refused(pki: Pki, entry: list[Any]) -> None:
    with pytest.raises(StructureError):
        StatusChangeLog.from_cbor(_payload(pki, [entry]))


def test_malformed_logs_are_refused(pki: Pki) -> None:
    good = _log(pki).to_cbor_value()["lists"][0]
    for data in (_payload(pki, [good, good]),  # a list named twice
                 _payload(pki, fromSequence=12), _payload(pki, fromSequence=13),  # not from earlier to later
                 _payload(pki, version=2), _payload(pki, issuer=None), _payload(pki, toSequence="12"),
                 _payload(pki)[:-3],  # truncated
                 encode([1, 2])):
        with pytest.raises(DecodeError):
            StatusChangeLog.from_cbor(data)


def test_an_oversized_log_is_refused(pki: Pki, vical_key: tuple[SoftwareSigner, Any]) -> None:
    huge = _payload(pki, [[1, 8 * MAX_CHANGE_LOG, 8, bytes(MAX_CHANGE_LOG // 2), bytes(MAX_CHANGE_LOG // 2)]])
    with pytest.raises(DecodeError):
        StatusChangeLog.from_cbor(huge)
    with pytest.raises(TrustBundleError) as refused:
        _verify(pki, sign_payload(huge, vical_key[0], (vical_key[1],)))
    assert refused.value.code == "trust.bundle_signature"
