"""specs.native.load: the one place the optional C parts are loaded and switched off."""

from __future__ import annotations

import pytest

from specs import native


def test_a_built_part_is_loaded() -> None:
    module = native.load("specs.cbor._strict")
    assert module is not None and module.__name__ == "specs.cbor._strict"


def test_a_part_not_built_is_none() -> None:
    assert native.load("specs.cbor._no_such_part") is None


@pytest.mark.parametrize("switch", [native.PURE, "MOBILEID_PURE_BASE45"])
def test_any_switch_leaves_it_out(switch: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(switch, "1")
    assert native.load("specs.qr._base45", "MOBILEID_PURE_BASE45") is None
    assert (native.load("specs.cbor._strict") is None) is (switch == native.PURE)  # its own switches only
