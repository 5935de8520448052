"""``specs.io.symbols.texture``: the QR on screen is a valid symbol of the exact text, at the version the profile
assumes.

The fast path (zxing-cpp's writer) must give segno's version at level M (the profile's capacity figures are
segno's, without Micro QR or a boosted level) and a symbol that two independent decoders read back as the
same text; the texture must hold it upright with its quiet zone."""

from __future__ import annotations

import hashlib
import sys

import pytest
import segno
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pyzbar import pyzbar

import tests.app.conftest  # noqa: F401  (headless Kivy before the Window exists)
from specs.io.symbols import modules as _modules
from specs.io.symbols import texture as qr_texture
from specs.qr import encode_message


def reference(text: str) -> segno.QRCode:
    return segno.make(text, error="m", boost_error=False, micro=False)


def framed(modules: Image.Image, scale: int = 3) -> Image.Image:
    image = Image.new("L", (modules.width + 8, modules.height + 8), 255)
    image.paste(modules, (4, 4))
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


def read_back(modules: Image.Image) -> tuple[list[str], list[str]]:
    image = framed(modules)
    zx = [r.text for r in zxingcpp.read_barcodes(image) if r.ec_level == "M"]
    zbar = [r.data.decode("ascii") for r in pyzbar.decode(image)]
    return zx, zbar


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=st.one_of(st.binary(min_size=1, max_size=1500), st.text(min_size=1, max_size=3000).map(str.encode)),
       frames=st.integers(1, 3))
def test_profile_texts_keep_version_and_read_back(message: bytes, frames: int) -> None:
    for text in encode_message(message, frames=frames):
        modules = _modules(text)
        version = reference(text).version
        assert isinstance(version, int)
        assert modules.size == (17 + 4 * version,) * 2, text[:40]
        assert read_back(modules) == ([text], [text])


def test_licence_sized_frame_is_version_25() -> None:
    noise = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(58))  # incompressible, like a portrait
    text = encode_message(noise, frames=2)[0]
    modules = _modules(text)
    assert modules.width == 17 + 4 * 25 == 17 + 4 * int(reference(text).version)
    assert read_back(modules) == ([text], [text])


def test_non_profile_text_uses_the_reference_encoder() -> None:
    link = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffers%2Fab"
    matrix = reference(link).matrix
    expected = b"".join(bytes(0 if module else 255 for module in row) for row in matrix)
    assert _modules(link).tobytes() == expected


def test_texture_is_upright_with_quiet_zone() -> None:
    text = encode_message(b"age over 19: yes")[0]
    modules = _modules(text)
    texture = qr_texture(text, border=4)
    assert texture.size == (modules.width + 8, modules.height + 8)
    shown = Image.frombytes("RGBA", texture.size, bytes(texture.pixels)).transpose(
        Image.Transpose.FLIP_TOP_BOTTOM).convert("L")  # texture rows are bottom-up
    assert shown.crop((4, 4, 4 + modules.width, 4 + modules.height)).tobytes() == modules.tobytes()
    assert set(shown.crop((0, 0, shown.width, 4)).tobytes()) == {255}
    assert set(shown.crop((0, 0, 4, shown.height)).tobytes()) == {255}


def test_without_zxing_cpp_segno_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-for-android has no zxing-cpp recipe: on a phone segno draws the same version."""
    text = encode_message(b"age over 19: yes")[0]
    monkeypatch.setitem(sys.modules, "zxingcpp", None)  # import zxingcpp -> ImportError
    matrix = reference(text).matrix
    assert _modules(text).tobytes() == b"".join(bytes(0 if module else 255 for module in row) for row in matrix)
