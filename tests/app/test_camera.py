"""``app.camera.CameraFrameSource`` on Kivy's real ``Camera`` widget, fed by a simulated sensor, and the
``Scanner`` reading a QR through it."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest
import segno
from PIL import Image, ImageDraw

import tests.app.conftest  # noqa: F401  (headless Kivy before the Window exists)
from app.camera import CameraFrameSource
from app.camera_sim import SimulatedCamera, bgr, simulated_camera
from app.scanner import Scanner
from app.theme import Theme
from specs.errors import MobileIdError
from specs.qr import encode_message, one_message

SIZE = (640, 360)


def pump_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    from kivy.base import EventLoop

    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        EventLoop.idle()
        time.sleep(0.005)


def marked_frame(n: int) -> Image.Image:
    """A frame whose top-left corner is red and whose top row says which frame it is (in green)."""
    image = Image.new("RGB", SIZE, (40, 40, 40))
    ImageDraw.Draw(image).rectangle((0, 0, 19, 19), fill=(255, 0, 0))
    image.putpixel((100, 0), (0, n % 256, 0))
    return image


def test_reads_each_camera_frame_upright_once_without_gpu_readback() -> None:
    frames = {n: bgr(marked_frame(n)) for n in range(64)}
    with simulated_camera(lambda n: frames[n % 64]) as provider:
        source = CameraFrameSource(resolution=SIZE)
        source.start()
        try:
            camera = provider.instances[-1]
            pump_until(lambda: camera.uploads >= 2)
            image = source.read()
            assert image is not None and image.size == SIZE
            assert image.getpixel((5, 5))[:3] == (255, 0, 0)  # upright, and BGR read as BGR
            assert image.getpixel((100, 0))[1] == camera.frame_no % 64  # the newest frame
            assert source.read() is None  # the same camera frame is not handed out twice
            seen = camera.uploads
            pump_until(lambda: camera.uploads > seen)
            assert source.read() is not None
        finally:
            source.stop()
    assert camera.stopped


def test_android_provider_gives_the_grey_plane_of_its_preview_frame() -> None:
    grey = marked_frame(7).convert("L")

    class AndroidLike(SimulatedCamera):
        """What Kivy's Android provider offers: ``grab_frame`` -> NV21 bytes (Y plane, then VU)."""

        def grab_frame(self) -> bytes:
            return grey.tobytes() + b"\x80" * (SIZE[0] * SIZE[1] // 2)

    with simulated_camera(lambda n: bgr(marked_frame(n)), base=AndroidLike):
        source = CameraFrameSource(resolution=SIZE)
        source.start()
        try:
            image = source.read()
        finally:
            source.stop()
    assert image is not None and image.mode == "L" and image.tobytes() == grey.tobytes()


@pytest.mark.parametrize("frames", [1, 2])
def test_scanner_reads_a_code_held_in_front_of_the_camera(frames: int) -> None:
    texts = encode_message(bytes(range(200)) * 3, frames=frames)
    shots = []
    for text in texts:
        buffer = io.BytesIO()
        segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=3, border=4)
        frame = Image.new("RGB", SIZE, (90, 90, 90))
        frame.paste(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), (200, 20))
        shots.append(bgr(frame))
    assert sorted(scan(lambda n: shots[(n // 4) % len(shots)])) == sorted(texts)  # each part held 4 frames


def scan(sensor: Callable[[int], bytes]) -> tuple[str, ...]:
    """What the scanner hands on, reading the simulated camera's frames ``sensor(n)``."""
    found: list[tuple[str, ...]] = []
    with simulated_camera(sensor):
        scanner = Scanner(Theme.of(False, False), CameraFrameSource(resolution=SIZE), found.append)
        scanner.start()
        try:
            pump_until(lambda: found, timeout=10)
        finally:
            scanner.stop()
    return found[0]


def test_two_different_codes_in_view_are_handed_on_together() -> None:
    """Issue 13 item 4 for the camera: a frame showing two different codes is passed on whole, so that the
    verifier refuses it as ambiguous, instead of the scanner keeping whichever the decoder read first."""
    texts = (encode_message(b"\xa1" * 40)[0], encode_message(b"\xa2" * 40)[0])
    frame = Image.new("RGB", SIZE, (90, 90, 90))
    for i, text in enumerate(texts):
        buffer = io.BytesIO()
        segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=3, border=4)
        frame.paste(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), (40 + 300 * i, 20))
    shot = bgr(frame)
    found = scan(lambda n: shot)
    assert sorted(found) == sorted(texts)
    with pytest.raises(MobileIdError) as err:
        one_message(found)
    assert err.value.code == "qr.ambiguous"


def test_no_camera_is_said_on_screen_not_a_crash() -> None:
    """Kivy's OpenCV provider raises while opening when there is no device (``frame.shape`` of None)."""

    class NoDevice(SimulatedCamera):
        def init_camera(self) -> None:
            raise AttributeError("'NoneType' object has no attribute 'shape'")

    with simulated_camera(lambda n: b"", base=NoDevice):
        source = CameraFrameSource(resolution=SIZE)
        scanner = Scanner(Theme.of(False, False), source, lambda texts: None)
        scanner.start()
        try:
            assert source.problem == "AttributeError" and source.read() is None
            assert "No camera could be opened" in scanner.status.text
        finally:
            scanner.stop()
