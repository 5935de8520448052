"""QR symbols in both directions: pictures -> texts (bounded), texts -> PNG files or an app texture.

Reading: zxing-cpp first (a 1280x720 frame in 2-10 ms, robust to 20 % perspective), zbar as the fallback
(22-84 ms; python-for-android has no zxing-cpp recipe). The profile's texts are base45 (QR alphanumeric
mode), so zbar needs no binary mode for them.

Pictures are hostile input: a 36 KiB PNG can declare 13000x13000 pixels, which decoded takes over 500 MB.
``read_picture`` therefore reads only the header first (``PIL.Image.open`` parses the header and decodes
nothing) and refuses more than ``MAX_PIXELS``, or more than ``MAX_DECODED_BYTES`` once decoded, with
``input.image_too_large`` before a single pixel is decoded; the decoders get at most about ``QR_PIXELS``.
The peak memory of the worst accepted and refused pictures, through the real CLI, is measured in
``tests/security/test_pictures.py`` and listed in the README.

Writing: the profile's capacity figures assume segno's version at level M without Micro QR; zxing-cpp's
writer gives that version for alphanumeric texts in ~4 ms against segno's ~55 ms (a presentation QR must be
on screen within 50 ms), possibly with another mask: an equally valid symbol of the same text.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from specs.errors import InputError, QrError
from specs.io.files import atomic_write

if TYPE_CHECKING:
    from PIL.Image import Image

# A picture: its encoded bytes (PNG, JPEG, ...), a path to its file, or a decoded PIL image (a camera frame).
Picture: TypeAlias = "bytes | Path | Image"

__all__ = ["FORMATS", "MAX_DECODED_BYTES", "MAX_FILE_BYTES", "MAX_PIXELS", "Picture", "frame_texts", "modules",
           "only_one", "png", "read_picture", "read_texts", "texture", "version", "write_pngs"]

MAX_FILE_BYTES = 20 * 1024 * 1024
# Checked from the header, before anything is decoded: at most 4096 x 4096 pixels (16.8 megapixels; a
# 12-megapixel phone photo, 4032 x 3024, fits) and at most 32 MiB once decoded, in the mode PIL decodes to
# (1 byte a pixel for grey and palette pictures, 4 for colour: PIL keeps RGB as 4 bytes). A screenshot
# (1170 x 2532 RGBA: 12 MB) fits; a 16-megapixel RGBA PNG (67 MB) does not. JPEGs are decoded straight to
# grey at 1/2, 1/4 or 1/8 scale while at least QR_PIXELS remain (libjpeg's DCT scaling), so a photo costs
# a quarter of its pixels in bytes.
MAX_PIXELS = 4096 * 4096
MAX_DECODED_BYTES = 32 * 1024 * 1024
QR_PIXELS = 2000 * 2000  # what zxing-cpp reads (~20 ms): a version-25 code over a third of the width keeps 5
ZBAR_PIXELS = 1000 * 1000  # pixels a module; zbar's second opinion on a picture where zxing found nothing
# What cameras, phones and screenshots produce; no other of PIL's decoders is reachable from a hostile file
# (EPS would run Ghostscript, TIFF brings libtiff's many codecs).
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}


def read_picture(source: Picture, *, max_pixels: int = MAX_PIXELS) -> Image:
    """The picture as a grey PIL image, refused before decoding when its header declares too many pixels."""
    from PIL import Image as PilImage
    from PIL import UnidentifiedImageError

    if not isinstance(source, (bytes, bytearray, Path, str)):
        _check_pixels(source.size, max_pixels)
        return source if source.mode == "L" else source.convert("L")
    try:
        if isinstance(source, (bytes, bytearray)):
            data = bytes(source)
        else:
            path = Path(source)
            if path.stat().st_size > MAX_FILE_BYTES:
                raise InputError(f"the picture is larger than {MAX_FILE_BYTES} bytes", code="input.image_too_large")
            data = path.read_bytes()
        if len(data) > MAX_FILE_BYTES:
            raise InputError(f"the picture is larger than {MAX_FILE_BYTES} bytes", code="input.image_too_large")
        with warnings.catch_warnings():  # PIL's own bomb warning: our limit below is lower and exact
            warnings.simplefilter("ignore", PilImage.DecompressionBombWarning)
            opened = PilImage.open(io.BytesIO(data), formats=FORMATS)  # the header only: nothing decoded yet
        with opened as image:
            _check_pixels(image.size, max_pixels)
            if image.format == "JPEG":
                scale = max((s for s in (1, 2, 4, 8) if image.width * image.height // (s * s) >= QR_PIXELS),
                            default=1)
                image.draft("L", (image.width // scale, image.height // scale))
            decoded = image.width * image.height * _BYTES_PER_PIXEL.get(image.mode, 4)
            if decoded > MAX_DECODED_BYTES:
                raise InputError(f"the picture would take {decoded // (1024 * 1024)} MiB decoded "
                                 f"({image.width}x{image.height} {image.mode}); at most "
                                 f"{MAX_DECODED_BYTES // (1024 * 1024)} MiB are read", code="input.image_too_large")
            image.load()
            return image if image.mode == "L" else image.convert("L")
    except PilImage.DecompressionBombError:  # over twice PIL's limit: refused by PIL while reading the header
        raise InputError(f"the picture has too many pixels; at most {max_pixels} are read",
                         code="input.image_too_large") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InputError(f"not a readable picture ({type(exc).__name__})", code="input.unreadable") from None


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise InputError(f"the picture has {width}x{height} pixels; at most {max_pixels} are read",
                         code="input.image_too_large")


def read_texts(source: Picture, *, max_pixels: int = MAX_PIXELS) -> tuple[str, ...]:
    """Every QR text in a single picture, each once (several when a frame sequence was photographed
    together). Raises ``qr.not_found`` when it shows none."""
    grey = _reduced(read_picture(source, max_pixels=max_pixels), QR_PIXELS)
    texts = _zxing(grey)
    if not texts:  # zbar: the only reader without zxing-cpp, else a second opinion at most ZBAR_PIXELS
        texts = _zbar(grey if texts is None else _reduced(grey, ZBAR_PIXELS))
    if not texts:
        raise QrError("no QR code found in the picture", code="qr.not_found")
    return tuple(dict.fromkeys(texts))


def _reduced(grey: Image, pixels: int) -> Image:
    """At most about ``pixels`` for a decoder: zxing-cpp's working set is ~3 bytes a pixel, which over a
    16-megapixel picture alone would pass the memory budget, and zbar needs ~85 ms for 4 megapixels without
    a code (1 megapixel: ~25 ms). Shrunk by a whole factor (box filter)."""
    factor = math.ceil(math.sqrt(grey.width * grey.height / pixels))
    return grey.reduce(factor) if factor > 1 else grey


def only_one(texts: Sequence[str], what: str) -> str:
    """The one text of the kind ``what`` a picture was expected to hold (an offer link, a request link).
    Two different ones are refused as ambiguous: which one the decoder returned first is chance, and a
    second code pasted beside the first must not decide what is done."""
    distinct = tuple(dict.fromkeys(texts))
    if not distinct:  # the caller's picture is not what it should be: an input error (CLI exit 2)
        raise InputError(f"no {what} QR code found in the picture", code="qr.not_found")
    if len(distinct) > 1:
        raise InputError(f"the picture holds {len(distinct)} different {what} QR codes: show one at a time",
                      code="qr.ambiguous")
    return distinct[0]


def frame_texts(frame: Image) -> tuple[str, ...]:
    """The QR texts in one live camera frame; empty when it shows none.

    zxing-cpp only: it needs ~1-2 ms for a frame without a code, zbar 16-50 ms, and a live scanner must keep
    up with 15 frames a second. A frame zxing misses is followed by the next one 67 ms later; the zbar
    fallback is for single pictures (``read_texts``), where there is no next frame. Where zxing-cpp is not
    installed (python-for-android has no recipe for it), zbar reads the frames."""
    grey = read_picture(frame)
    texts = _zxing(grey)
    return tuple(dict.fromkeys(_zbar(grey) if texts is None else texts))


def _zxing(image: Image) -> tuple[str, ...] | None:
    """zxing-cpp's reading, or None when zxing-cpp is not installed."""
    try:
        import zxingcpp
    except ImportError:
        return None
    # QR codes only: across a dense QR, zxing's linear-barcode readers can "find" a stray 1-D code.
    formats = getattr(zxingcpp, "BarcodeFormats", lambda f: f)(zxingcpp.BarcodeFormat.QRCode)
    return tuple(r.text for r in zxingcpp.read_barcodes(image, formats=formats) if r.text)


def _zbar(image: Image) -> tuple[str, ...]:
    try:
        from pyzbar import pyzbar
    except ImportError:  # pragma: no cover - pyzbar is a core dependency
        return ()
    found = pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])  # QR only, as with zxing
    return tuple(r.data.decode("utf-8", "replace") for r in found)


# -- writing -----------------------------------------------------------------------------------------------
_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
_MODULE_SHADE = bytes([255, 0] + [0] * 254)  # segno's matrix: 0 light module, 1 dark module


def modules(text: str) -> Image:
    """The symbol's modules (error correction M) as a PIL "L" image (0 dark, 255 light), one pixel per
    module, without quiet zone. Profile texts (all alphanumeric) take zxing-cpp's fast writer; other texts
    (an offer link) segno, the reference for byte-mode segments."""
    from PIL import Image as PilImage

    if text and _ALPHANUMERIC.issuperset(text):
        try:
            import zxingcpp
        except ImportError:  # python-for-android has no zxing-cpp recipe: segno draws on the phone
            pass
        else:
            symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
            return PilImage.fromarray(symbol.to_image(scale=1, add_quiet_zones=False))  # one byte a module
    import segno

    # No Micro QR (the verifier reads full QR codes only) and no boosted level: what the profile measures.
    matrix = segno.make(text, error="m", boost_error=False, micro=False).matrix
    rows = b"".join(bytes(row).translate(_MODULE_SHADE) for row in matrix)
    return PilImage.frombytes("L", (len(matrix[0]), len(matrix)), rows)


def version(text: str) -> int:
    """The QR version of the symbol ``modules`` draws (a version-v symbol is 17 + 4v modules wide)."""
    return (modules(text).width - 17) // 4


def _framed(text: str, border: int) -> Image:
    from PIL import Image as PilImage

    symbol = modules(text)
    width = symbol.width + 2 * border
    framed = PilImage.new("L", (width, width), 255)
    framed.paste(symbol, (border, border))
    return framed


def png(text: str, *, scale: int = 6, border: int = 4) -> bytes:
    """One QR symbol as PNG bytes (``scale`` pixels a module, a quiet zone of ``border`` modules)."""
    from PIL import Image as PilImage

    framed = _framed(text, border)
    big = framed.resize((framed.width * scale, framed.height * scale), PilImage.Resampling.NEAREST)
    buffer = io.BytesIO()
    big.convert("1").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def write_pngs(texts: Sequence[str], out: Path, *, scale: int = 6) -> list[Path]:
    """One PNG per frame text: ``out`` itself for one frame, NAME-1.png, NAME-2.png, ... for several."""
    out = out.expanduser()
    suffix = out.suffix or ".png"
    paths = [out] if len(texts) == 1 else [out.with_name(f"{out.stem}-{i}{suffix}") for i in range(1, len(texts) + 1)]
    try:
        for text, path in zip(texts, paths, strict=True):
            atomic_write(path, png(text, scale=scale))
    except OSError as exc:
        raise InputError(f"cannot write {out.name} ({exc.strerror})", code="input.unwritable") from None
    return paths


def texture(text: str, *, border: int = 4) -> Any:
    """A QR symbol as a Kivy texture, one texel per module (draw it with nearest filtering)."""
    from kivy.graphics.texture import Texture
    from PIL import Image as PilImage

    framed = _framed(text, border)
    # Kivy textures are bottom-up; RGBA keeps every row 4-byte aligned for OpenGL.
    rgba = framed.transpose(PilImage.Transpose.FLIP_TOP_BOTTOM).convert("RGBA").tobytes()
    result = Texture.create(size=framed.size, colorfmt="rgba")
    result.blit_buffer(rgba, colorfmt="rgba", bufferfmt="ubyte")
    result.mag_filter = "nearest"
    result.min_filter = "nearest"
    return result
