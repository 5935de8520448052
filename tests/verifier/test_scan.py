"""``verifier.scan``: QR texts from pictures (``decode_image``) and from live camera frames (``decode_frame``)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
import segno
from PIL import Image

from specs.errors import InputError, QrError
from specs.qr import encode_message
from verifier.scan import decode_frame, decode_image

TEXTS = encode_message(bytes(range(256)) * 2, frames=2)


def photo(*texts: str, size: tuple[int, int] = (900, 500)) -> Image.Image:
    """A grey frame with the codes side by side, as a camera or a screenshot shows them."""
    image = Image.new("RGB", size, (120, 120, 120))
    x = 10
    for text in texts:
        buffer = io.BytesIO()
        segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=3, border=4)
        code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
        image.paste(code, (x, 10))
        x += code.width + 10
    return image


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_picture_with_two_frames_gives_both(tmp_path: Path) -> None:
    path = tmp_path / "both.png"
    path.write_bytes(png(photo(*TEXTS)))
    assert sorted(decode_image(path)) == sorted(TEXTS)
    assert sorted(decode_image(path.read_bytes())) == sorted(TEXTS)


def test_picture_without_a_code_is_qr_not_found() -> None:
    with pytest.raises(QrError) as err:
        decode_image(png(photo()))
    assert err.value.code == "qr.not_found"


def test_unreadable_and_oversized_pictures_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        decode_image(b"not an image at all")
    assert err.value.code == "input.unreadable"
    with pytest.raises(InputError, match="too large"):
        decode_image(b"\x89PNG" + bytes(21 * 1024 * 1024))


def test_camera_frame_gives_its_code_or_nothing() -> None:
    assert decode_frame(photo(TEXTS[0])) == (TEXTS[0],)
    assert decode_frame(photo()) == ()  # a frame without a code is not an error: the next frame follows
    assert decode_frame(photo(TEXTS[1]).convert("L")) == (TEXTS[1],)


def test_without_zxing_cpp_zbar_reads_frames_and_pictures(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-for-android has no zxing-cpp recipe: on a phone zbar does the reading."""
    monkeypatch.setitem(sys.modules, "zxingcpp", None)  # import zxingcpp -> ImportError
    assert decode_frame(photo(TEXTS[0])) == (TEXTS[0],)
    assert decode_frame(photo()) == ()
    assert sorted(decode_image(png(photo(*TEXTS)))) == sorted(TEXTS)
