"""RFC 9285 §4.3 examples, round trips and every rejection rule."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specs.qr import base45
from specs.qr.base45 import ALPHABET, Base45Error, b45decode, b45encode

# RFC 9285 §4.3 (encoding examples) and §4.4 (decoding example).
RFC_EXAMPLES = [
    (b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"), (b"ietf!", "QED8WEX0"),
]


@pytest.mark.parametrize(("raw", "text"), RFC_EXAMPLES)
def test_rfc_examples(raw: bytes, text: str) -> None:
    assert b45encode(raw) == text
    assert b45decode(text) == raw


@given(st.binary(max_size=600))
def test_round_trip(data: bytes) -> None:
    assert b45decode(b45encode(data)) == data


@pytest.mark.parametrize("text", ["A", "AAAA", "abc", "GGW", "::", "BB8;"])
def test_rejects(text: str) -> None:
    with pytest.raises(Base45Error) as info:
        b45decode(text)
    assert info.value.code == "qr.base45_invalid"


def _rfc_decode(text: str) -> bytes:
    """RFC 9285 §4.2 step by step, one triplet at a time (the arithmetic b45decode does for all at once)."""
    from specs.qr.base45 import ALPHABET

    if len(text) % 3 == 1 or any(c not in ALPHABET for c in text):
        raise Base45Error("invalid")
    out = bytearray()
    for i in range(0, len(text) - 2, 3):
        n = sum(ALPHABET.index(c) * 45 ** k for k, c in enumerate(text[i:i + 3]))
        if n > 0xFFFF:
            raise Base45Error("invalid")
        out += n.to_bytes(2, "big")
    if len(text) % 3 == 2:
        n = ALPHABET.index(text[-2]) + 45 * ALPHABET.index(text[-1])
        if n > 0xFF:
            raise Base45Error("invalid")
        out.append(n)
    return bytes(out)


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", max_size=1500))
def test_decode_matches_rfc_arithmetic(text: str) -> None:
    """Any text of the alphabet, including triplets above 0xFFFF anywhere in a long message."""
    try:
        expected: bytes | None = _rfc_decode(text)
    except Base45Error:
        expected = None
    if expected is None:
        with pytest.raises(Base45Error):
            b45decode(text)
    else:
        assert b45decode(text) == expected


@pytest.mark.parametrize("position", [0, 1, 150, 299])
def test_one_overflowing_triplet_in_a_long_text(position: int) -> None:
    text = ["000"] * 300
    text[position] = ":::"  # 44 + 44*45 + 44*2025 = 91124 > 0xFFFF
    with pytest.raises(Base45Error):
        b45decode("".join(text))
    assert b45decode("".join(["FGW"] * 300)) == b"\xff\xff" * 300  # 0xFFFF itself is fine


# The C part (specs/qr/_base45.c) against the Python decoder it must agree with: whatever C returns, Python returns
# too; whatever Python refuses, C defers (returns None); and it answers for every valid text, or it gains nothing.

def _native() -> Callable[[str], bytes | None]:
    if base45._native is None:
        pytest.fail("the C part of specs.qr.base45 is not built: `pip install -e .` (or `python setup.py build_ext "
                    "--inplace`) with a C compiler, and MOBILEID_PURE_BASE45 unset")
    return base45._native


def _agree(text: str) -> bytes | None:
    """Assert C and Python agree on ``text``; C's answer (None: it deferred)."""
    native = _native()(text)
    try:
        python = base45._b45decode_python(text)
    except Base45Error:
        assert native is None, f"C accepted what Python refuses: {text!r}"
        return None
    assert native is not None, f"C deferred on valid base45: {text!r}"
    assert type(native) is bytes and native == python
    return native


@settings(max_examples=300)
@given(st.binary(max_size=1500))
def test_native_answers_every_encoding(data: bytes) -> None:
    assert _agree(b45encode(data)) == data


@settings(max_examples=300)
@given(st.text(alphabet=ALPHABET + "a;é\x00\x7f\x80\u00ff\u0100\U0001f600", max_size=300))
def test_native_agrees_or_defers(text: str) -> None:
    _agree(text)


@settings(max_examples=200)
@given(st.binary(min_size=1, max_size=600), st.data())
def test_native_agrees_on_mutated_texts(data: bytes, draw: st.DataObject) -> None:
    """One character replaced, dropped or added: every error rule at any position of a long text."""
    text = list(b45encode(data))
    at = draw.draw(st.integers(0, len(text) - 1))
    change = draw.draw(st.sampled_from(["replace", "drop", "add"]))
    char = draw.draw(st.sampled_from([":", "Z", "0", "a", "é", "\x00", " "]))
    if change == "replace":
        text[at] = char
    elif change == "drop":
        del text[at]
    else:
        text.insert(at, char)
    _agree("".join(text))


@pytest.mark.parametrize("text", ["", "A", "AAAA", "abc", "GGW", ":::", "::", "BB8;", "BB8Bé", "BB\x00",
                                  "FGW" * 3 + "::", "\U0001f600BB"])
def test_native_edges(text: str) -> None:
    _agree(text)
    assert _native()("FGW") == b"\xff\xff" and _native()("U5") == b"\xff"  # the largest triplet and pair


def test_native_defers_on_what_is_not_a_str() -> None:
    assert _native()(b"BB8") is None  # type: ignore[arg-type]
    assert _native()(type("S", (str,), {})("BB8")) is None  # a str subclass: Python decides


def test_b45decode_uses_the_native_answer_and_python_for_errors() -> None:
    assert b45decode("BB8") == b"AB"
    with pytest.raises(Base45Error, match="outside the alphabet"):
        b45decode("BB8Bé")
    with pytest.raises(Base45Error, match="exceeds 16 bits"):
        b45decode(":::")
