"""Where QR frames come from: the Kivy camera provider on a device or desktop (OpenCV < 5 on desktop,
Android's camera via the provider on a phone), or image files in tests and for "open a picture".

A ``FrameSource`` hands out PIL images; the ``Scanner`` widget polls it and decodes with
``verifier.scan.decode_image`` (zxing-cpp, zbar as fallback).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = ["CameraFrameSource", "FrameSource", "ImageFileSource", "default_frame_source"]


@runtime_checkable
class FrameSource(Protocol):
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
    """The Kivy camera provider (``kivy.core.camera``): OpenCV on desktops, the Android camera on phones."""

    def __init__(self, index: int = 0, resolution: tuple[int, int] = (1280, 720)) -> None:
        self.index, self.resolution = index, resolution
        self._widget: Any = None

    def start(self) -> None:
        from kivy.uix.camera import Camera

        if self._widget is None:
            self._widget = Camera(index=self.index, resolution=self.resolution, play=True, fit_mode="contain")
        else:
            self._widget.play = True

    def read(self) -> Any | None:
        texture = getattr(self._widget, "texture", None)
        if texture is None:
            return None
        from PIL import Image

        image = Image.frombytes("RGBA", texture.size, bytes(texture.pixels))
        return image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)  # texture rows are bottom-up

    def stop(self) -> None:
        if self._widget is not None:
            self._widget.play = False

    def preview(self) -> Any | None:
        return self._widget


def default_frame_source() -> FrameSource:
    return CameraFrameSource()
