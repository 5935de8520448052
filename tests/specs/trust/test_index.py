"""Trust index: sign/verify, and a negative case for every check (fails closed)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from typing import Any

import pytest

from specs.cbor import encode
from specs.crypto import SoftwareSigner
from specs.errors import StructureError
from specs.trust import TrustBundleError
from specs.trust.index import ChangesEntry, IndexEntry, TrustIndex, sign_trust_index, verify_trust_index
from specs.trust.signed import sign_payload
from specs.x509 import TrustStore, create_iaca
from tests.conftest import Pki

SHA = hashlib.sha256(b"x").digest()


def _index(pki: Pki, **changes: Any) -> TrustIndex:
    index = TrustIndex("https://issuer.test", pki.now, pki.now + dt.timedelta(days=1), 4, IndexEntry(0, SHA, 10),
                       "https://issuer.test/status/", (IndexEntry(1, SHA, 20), IndexEntry(7, SHA, 30)))
    return dataclasses.replace(index, **changes)


def test_round_trip_and_paths(pki: Pki, vical_key: tuple[SoftwareSigner, Any]) -> None:
    signed = sign_trust_index(_index(pki), vical_key[0], (vical_key[1],))
    index = verify_trust_index(signed, TrustStore.of([pki.iaca]), now=pki.now)
    assert index == _index(pki)
    assert [e.path for e in index.entries()] == ["trust/base", "status/1.cwt", "status/7.cwt"]
    assert index.uri(index.status_lists[1]) == "https://issuer.test/status/7"


def test_other_root_tampering_and_staleness_are_refused(pki: Pki, vical_key: tuple[SoftwareSigner, Any]) -> None:
    signed = sign_trust_index(_index(pki), vical_key[0], (vical_key[1],))
    other_signer = SoftwareSigner.generate()
    other = create_iaca(other_signer, country="KR", common_name="other", not_before=pki.not_before,
                        not_after=pki.not_before + dt.timedelta(days=3650))
    for data, roots in ((signed, TrustStore.of([other])), (signed[:-1] + bytes([signed[-1] ^ 1]),
                                                           TrustStore.of([pki.iaca]))):
        with pytest.raises(TrustBundleError) as refused:
            verify_trust_index(data, roots, now=pki.now)
        assert refused.value.code == "trust.bundle_signature"
    for now in (pki.now + dt.timedelta(days=2), pki.now - dt.timedelta(hours=1)):  # past nextUpdate / future
        with pytest.raises(TrustBundleError) as refused:
            verify_trust_index(signed, TrustStore.of([pki.iaca]), now=now)
        assert refused.value.code == "trust.bundle_stale"
    with pytest.raises(TrustBundleError) as refused:
        verify_trust_index(signed, TrustStore.of([pki.iaca]), now=pki.now + dt.timedelta(hours=2),
                           max_age=dt.timedelta(hours=1))
    assert refused.value.code == "trust.bundle_stale"


@pytest.mark.parametrize("change", [
    {"version": 2}, {"version": 1.0}, {"sequence": -1}, {"sequence": "4"}, {"issuer": 5}, {"statusBase": None},
    {"base": [SHA]}, {"base": [SHA[:31], 10]}, {"base": [SHA, -1]}, {"statusLists": [[0, SHA, 1]]},
    {"statusLists": [[1, SHA, 1], [1, SHA, 2]]}, {"statusLists": [[1, "sha", 1]]}, {"statusLists": {}},
])
def test_malformed_index_is_refused(pki: Pki, vical_key: tuple[SoftwareSigner, Any], change: dict[str, Any]) -> None:
    value = {**_index(pki).to_cbor_value(), **change}
    with pytest.raises(StructureError):
        TrustIndex.from_cbor(encode(value))
    signed = sign_payload(encode(value), vical_key[0], (vical_key[1],))
    with pytest.raises(TrustBundleError) as refused:
        verify_trust_index(signed, TrustStore.of([pki.iaca]), now=pki.now)
    assert refused.value.code == "trust.bundle_signature"


def test_changes_from_takes_the_latest_start_at_or_before_a_sequence(pki: Pki,
                                                                     vical_key: tuple[SoftwareSigner, Any]) -> None:
    index = _index(pki, sequence=40, changes=(ChangesEntry(10, SHA, 5), ChangesEntry(30, SHA, 6),
                                              ChangesEntry(39, SHA, 7)))
    signed = sign_trust_index(index, vical_key[0], (vical_key[1],))
    again = verify_trust_index(signed, TrustStore.of([pki.iaca]), now=pki.now)
    assert again == index and again.changes[1].path(40) == "trust/changes/30-40"
    assert [getattr(again.changes_from(s), "from_sequence", None) for s in (9, 10, 29, 30, 38, 39)] == [
        None, 10, 10, 30, 30, 39]
    for bad in ((ChangesEntry(10, SHA, 5), ChangesEntry(10, SHA, 6)), (ChangesEntry(40, SHA, 5),)):
        data = sign_payload(encode(dataclasses.replace(index, changes=bad).to_cbor_value()), vical_key[0],
                            (vical_key[1],))
        with pytest.raises(TrustBundleError):  # the same start twice, a start not before the index
            verify_trust_index(data, TrustStore.of([pki.iaca]), now=pki.now)
