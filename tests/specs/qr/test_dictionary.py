"""The preset dictionaries' DICTID (RFC 1950 §2.2), computed once per dictionary (their bytes are pinned by
tests/verifier/test_profile_document.py)."""

from __future__ import annotations

import zlib

from specs.qr.dictionary import _NAMES_MID2, DICTIONARIES, ProfileDictionary


def test_dictid_is_the_adler32_of_the_bytes() -> None:
    for dictionary in DICTIONARIES.values():
        assert dictionary.dictid == zlib.adler32(dictionary.data)
        compressor = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, dictionary.data)
        stream = compressor.compress(b"x") + compressor.flush()
        assert int.from_bytes(stream[2:6], "big") == dictionary.dictid  # what zlib writes in the header


def test_each_dictionary_has_its_own_dictid() -> None:
    base = DICTIONARIES["MID1"]
    other = ProfileDictionary.build("MIDX", _NAMES_MID2[:3], base=base)
    assert other.data != base.data and other.dictid == zlib.adler32(other.data) != base.dictid
    assert len({d.dictid for d in DICTIONARIES.values()}) == len(DICTIONARIES)
