"""A camera with a simulated sensor behind Kivy's camera-provider API, for tests and ``benchmarks/app.py``.

It is not our code that is replaced but the hardware: ``SimulatedCamera`` subclasses ``kivy.core.camera.
CameraBase`` and behaves like Kivy's OpenCV provider (one new BGR buffer per frame, uploaded on the UI thread
by ``CameraBase._copy_to_gpu``, frames the UI thread was too busy to take are lost), so the real
``kivy.uix.camera.Camera`` widget and ``app.camera.CameraFrameSource`` run unchanged on top of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from kivy.clock import Clock
from kivy.core.camera import CameraBase
from kivy.graphics.texture import Texture
from PIL import Image

__all__ = ["SimulatedCamera", "bgr", "simulated_camera"]


def bgr(image: Image.Image) -> bytes:
    """An image as an OpenCV camera delivers it: BGR bytes, rows top-down."""
    red, green, blue = image.convert("RGB").split()
    return Image.merge("RGB", (blue, green, red)).tobytes()


class SimulatedCamera(CameraBase):
    """``sensor(n)`` gives the BGR bytes of camera frame n; ``fps`` frames a second from ``start``."""

    sensor: Callable[[int], bytes] = staticmethod(lambda n: b"")
    fps = 15.0
    instances: ClassVar[list[SimulatedCamera]] = []  # each subclass made by simulated_camera has its own

    def init_camera(self) -> None:
        self._event: Any = None
        self.started = 0.0
        self.frame_no = -1
        self.uploads = 0
        type(self).instances.append(self)

    def start(self) -> None:
        super().start()
        self.started, self.frame_no = time.perf_counter(), -1
        if self._event is None:
            self._event = Clock.schedule_interval(self._update, 1 / (self.fps * 4))

    def stop(self) -> None:
        super().stop()
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def _update(self, dt: float) -> None:
        if self.stopped:
            return
        due = int((time.perf_counter() - self.started) * self.fps)
        if due <= self.frame_no:
            return
        self.frame_no = due
        if getattr(self, "_texture", None) is None:
            texture: Any = Texture.create(size=tuple(self._resolution), colorfmt="rgb")
            texture.flip_vertical()  # buffers are top-down, as OpenCV's
            self._texture = texture
            self.dispatch("on_load")
        self._format = "bgr"
        self._buffer = self.sensor(due)
        self.uploads += 1
        self._copy_to_gpu()


@contextmanager
def simulated_camera(sensor: Callable[[int], bytes], *, fps: float = 15.0,
                     base: type[SimulatedCamera] = SimulatedCamera) -> Iterator[type[SimulatedCamera]]:
    """Make ``kivy.uix.camera.Camera`` use a simulated provider (as Kivy picks one provider per platform)."""
    import kivy.uix.camera

    provider = type("Provider", (base,), {"sensor": staticmethod(sensor), "fps": fps, "instances": []})
    chosen = kivy.uix.camera.CoreCamera
    kivy.uix.camera.CoreCamera = provider
    try:
        yield provider
    finally:
        kivy.uix.camera.CoreCamera = chosen
