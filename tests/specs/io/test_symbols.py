"""``specs.io.symbols``: QR texts from pictures (``read_texts``) and live camera frames (``frame_texts``),
bounded before decoding; QR symbols drawn as PNG (``png``, ``write_pngs``) and read back."""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path

import pytest
import segno
from PIL import Image

from specs.errors import InputError, QrError
from specs.io.symbols import MAX_PIXELS, frame_texts, modules, only_one, png, read_picture, read_texts, write_pngs
from specs.qr import encode_message

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


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A valid grey PNG that declares ``width`` x ``height`` pixels yet is a few KiB (all rows white), built
    row by row so that making it never holds the decoded picture."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer, row = zlib.compressobj(9), b"\x00" + b"\xff" * width
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_picture_with_two_frames_gives_both(tmp_path: Path) -> None:
    path = tmp_path / "both.png"
    path.write_bytes(encoded(photo(*TEXTS)))
    assert sorted(read_texts(path)) == sorted(TEXTS)
    assert sorted(read_texts(path.read_bytes())) == sorted(TEXTS)


def test_the_same_code_twice_is_read_once() -> None:
    assert read_texts(encoded(photo(TEXTS[0], TEXTS[0]))) == (TEXTS[0],)


def test_picture_without_a_code_is_qr_not_found() -> None:
    with pytest.raises(QrError) as err:
        read_texts(encoded(photo()))
    assert err.value.code == "qr.not_found"


def test_unreadable_and_oversized_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_texts(b"not an image at all")
    assert err.value.code == "input.unreadable"
    with pytest.raises(InputError) as err:
        read_texts(b"\x89PNG" + bytes(21 * 1024 * 1024))
    assert err.value.code == "input.image_too_large"
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + bytes(21 * 1024 * 1024))
    with pytest.raises(InputError) as err:
        read_texts(big)
    assert err.value.code == "input.image_too_large"
    truncated = encoded(photo(TEXTS[0]))[:2000]  # a header that promises rows the file does not hold
    with pytest.raises(InputError) as err:
        read_texts(truncated)
    assert err.value.code == "input.unreadable"


@pytest.mark.parametrize("fmt", ["TIFF", "EPS", "PPM"])
def test_only_camera_and_screenshot_formats_are_decoded(fmt: str) -> None:
    """A picture in a format no phone produces is refused unopened (EPS would run Ghostscript)."""
    picture = encoded(photo(TEXTS[0]), fmt)
    assert Image.open(io.BytesIO(picture)).format == fmt  # PIL itself would open it
    with pytest.raises(InputError) as err:
        read_texts(picture)
    assert err.value.code == "input.unreadable"


@pytest.mark.parametrize("side", [4097, 13000, 20000])
def test_too_many_pixels_refused_from_the_header(side: int) -> None:
    """A few KiB declaring more than MAX_PIXELS is refused before one row is inflated (the memory test in
    tests/security/test_pictures.py measures that this holds the peak down)."""
    bomb = bomb_png(side, side if side > 4097 else 4096)
    assert len(bomb) < 1024 * 1024
    with pytest.raises(InputError) as err:
        read_texts(bomb)
    assert err.value.code == "input.image_too_large" and f"at most {MAX_PIXELS}" in err.value.message


def test_pixel_limit_holds_for_decoded_frames_and_at_the_boundary() -> None:
    with pytest.raises(InputError) as err:
        frame_texts(Image.new("L", (MAX_PIXELS // 1000 + 1, 1000)))
    assert err.value.code == "input.image_too_large"
    assert read_picture(bomb_png(4096, 4096)).size == (4096, 4096)  # exactly MAX_PIXELS is read


def test_jpeg_is_decoded_small_and_grey() -> None:
    """A large JPEG photo is decoded at a reduced scale straight to grey: the code is still read."""
    big = photo(TEXTS[0], size=(800, 800)).resize((4096, 4096), Image.Resampling.NEAREST)  # 16.8 megapixels
    jpeg = encoded(big, "JPEG")
    grey = read_picture(jpeg)
    assert grey.mode == "L" and grey.size == (2048, 2048)  # 1/2 scale keeps at least QR_PIXELS
    assert read_texts(jpeg) == (TEXTS[0],)


def test_camera_frame_gives_its_code_or_nothing() -> None:
    assert frame_texts(photo(TEXTS[0])) == (TEXTS[0],)
    assert frame_texts(photo()) == ()  # a frame without a code is not an error: the next frame follows
    assert frame_texts(photo(TEXTS[1]).convert("L")) == (TEXTS[1],)


def test_without_zxing_cpp_zbar_reads_frames_and_pictures(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-for-android has no zxing-cpp recipe: on a phone zbar does the reading, and segno the drawing."""
    monkeypatch.setitem(sys.modules, "zxingcpp", None)  # import zxingcpp -> ImportError
    assert frame_texts(photo(TEXTS[0])) == (TEXTS[0],)
    assert frame_texts(photo()) == ()
    assert sorted(read_texts(encoded(photo(*TEXTS)))) == sorted(TEXTS)
    assert read_texts(png(TEXTS[1])) == (TEXTS[1],)
    webp = encoded(photo(TEXTS[0]), "WEBP")
    assert read_texts(webp) == (TEXTS[0],)


def test_png_round_trip_at_the_profile_version(tmp_path: Path) -> None:
    for text in (*TEXTS, "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Fo%2F1"):
        assert read_texts(png(text)) == (text,)
        reference = segno.make(text, error="m", boost_error=False, micro=False)
        assert modules(text).size == (reference.symbol_size(border=0)[0],) * 2
    paths = write_pngs(TEXTS, tmp_path / "out" / "answer.png")
    assert [p.name for p in paths] == ["answer-1.png", "answer-2.png"]
    assert [read_texts(p) for p in paths] == [(TEXTS[0],), (TEXTS[1],)]
    (single,) = write_pngs(TEXTS[:1], tmp_path / "one.png")
    assert single.name == "one.png" and read_texts(single) == (TEXTS[0],)
    assert not list(tmp_path.glob("**/*.tmp"))  # written atomically: no temp file left behind


def test_write_into_a_file_instead_of_a_folder_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError) as err:
        write_pngs(TEXTS[:1], tmp_path / "file" / "qr.png")
    assert err.value.code == "input.unwritable"


def test_only_one_refuses_two_different_texts() -> None:
    assert only_one(["a", "a"], "offer") == "a"
    with pytest.raises(InputError) as err:
        only_one(["a", "b"], "offer")
    assert err.value.code == "qr.ambiguous"
    with pytest.raises(InputError) as err:
        only_one([], "offer")
    assert err.value.code == "qr.not_found"
