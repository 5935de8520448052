"""Where QR frames come from: the Kivy camera provider on a device or desktop (OpenCV < 5 on desktop,
Android's camera via the provider on a phone), or image files in tests and for "open a picture".

A ``FrameSource`` hands out PIL images; the ``Scanner`` widget polls it and decodes with
``specs.io.symbols.frame_texts`` (zxing-cpp) on a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = ["CameraFrameSource", "FrameSource", "ImageFileSource", "default_frame_source"]


@runtime_checkable
class FrameSource(Protocol):
    problem: str | None  # why no frames will come (no camera), shown by the scanner; None when all is well

    def start(self) -> None: ...

    def read(self) -> Any | None:
        """The newest frame as a PIL image, or None when none is ready."""

    def stop(self) -> None: ...

    def preview(self) -> Any | None:
        """A widget showing what the camera sees (or None)."""


class ImageFileSource:
    """Frames from image files, in turn (then again from the first): the test camera."""

    def __init__(self, paths: Sequence[Path | str]) -> None:
        self.paths = paths  # read live: a test may point the camera elsewhere later
        self.problem: str | None = None
        self._next = 0
        self.frames_read = 0

    def start(self) -> None:
        self._next = 0

    def read(self) -> Any | None:
        if not self.paths:
            return None
        from PIL import Image

        path = Path(self.paths[self._next % len(self.paths)])
        self._next += 1
        self.frames_read += 1
        with Image.open(path) as image:
            return image.convert("RGB")

    def stop(self) -> None:
        pass

    def preview(self) -> Any | None:
        if not self.paths:
            return None
        from kivy.uix.image import Image as KivyImage

        return KivyImage(source=str(self.paths[0]), fit_mode="contain")


class CameraFrameSource:
    """The Kivy camera provider (``kivy.core.camera``): OpenCV on desktops, the Android camera on phones.

    ``read`` runs on the UI thread 15 times a second, so it takes the provider's frame as it arrives from the
    camera instead of reading the texture back from the GPU (18 ms a frame here): the Android provider hands
    out its NV21 preview buffer (``grab_frame``; the first width x height bytes are the grey image zxing
    needs), the others (OpenCV, GStreamer, picamera) are tapped where they upload their buffer
    (``CameraBase._copy_to_gpu``). Each camera frame is read once: ``read`` answers None until the next."""

    def __init__(self, index: int = 0, resolution: tuple[int, int] = (1280, 720)) -> None:
        self.index, self.resolution = index, resolution
        self._widget: Any = None
        self._raw: tuple[Any, str, tuple[int, int]] | None = None
        self._tapped: Any = None
        self.problem: str | None = None  # why there is no camera (shown by the scanner), or None

    def start(self) -> None:
        from kivy.uix.camera import Camera

        if self._widget is None:
            try:
                self._widget = Camera(index=self.index, resolution=self.resolution, play=True, fit_mode="contain")
            except Exception as exc:  # no device, no provider, a driver error: the scanner says so, no crash
                self.problem = type(exc).__name__
                return
        else:
            self._widget.play = True
        self._tap(getattr(self._widget, "_camera", None))

    def _tap(self, core: Any) -> None:
        """Keep a reference to each buffer the provider uploads (no copy; providers allocate one per frame)."""
        if core is None or core is self._tapped or hasattr(core, "grab_frame"):
            return
        upload = core._copy_to_gpu

        def copy_to_gpu() -> None:
            buffer, texture = core._buffer, core._texture
            if buffer is not None and texture is not None:
                self._raw = (buffer, core._format, tuple(texture.size))
            upload()

        core._copy_to_gpu = copy_to_gpu
        self._tapped = core

    def read(self) -> Any | None:
        core = getattr(self._widget, "_camera", None)
        if core is None:
            return None
        if hasattr(core, "grab_frame"):  # Kivy's Android provider
            return _luma(core.grab_frame(), tuple(core.resolution))
        self._tap(core)  # a new index or resolution makes the widget a new provider
        raw, self._raw = self._raw, None
        return None if raw is None else _buffer_image(*raw)

    def stop(self) -> None:
        if self._widget is not None:
            self._widget.play = False
        self._raw = None

    def preview(self) -> Any | None:
        return self._widget


_RAW_MODES = {"bgr": ("RGB", "BGR"), "rgb": ("RGB", "RGB"), "rgba": ("RGBA", "RGBA"), "bgra": ("RGBA", "BGRA"),
              "luminance": ("L", "L")}


def _buffer_image(buffer: Any, colorfmt: str, size: tuple[int, int]) -> Any | None:
    """A provider's upload buffer (rows top-down, as cameras deliver them) as a PIL image."""
    from PIL import Image

    modes = _RAW_MODES.get(colorfmt)
    if modes is None:
        return None  # a format we do not know how to read: skip the frame rather than misread it
    mode, rawmode = modes
    return Image.frombuffer(mode, size, buffer, "raw", rawmode, 0, 1)


def _luma(nv21: bytes | None, size: tuple[int, int]) -> Any | None:
    """The grey (Y) plane of an NV21 preview frame: all a QR decoder needs, without a colour conversion."""
    width, height = size
    if nv21 is None or len(nv21) < width * height:
        return None
    from PIL import Image

    return Image.frombytes("L", (width, height), nv21[: width * height])


def default_frame_source() -> FrameSource:
    return CameraFrameSource()
