"""Headless Kivy for the app tests: KIVY_NO_ARGS, a temporary KIVY_HOME, a phone-sized window configured
before Kivy's Window is first imported (one Window per process). ``Driver`` taps real touches
(``UnitTestTouch``), pumps frames and the Kivy clock, reads what the screen shows and saves screenshots to
``test-artifacts/app``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from app.headless import configure

configure()

import pytest  # noqa: E402
from kivy.base import EventLoop  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402
from kivy.uix.button import Button  # noqa: E402
from kivy.uix.label import Label  # noqa: E402
from kivy.uix.scrollview import ScrollView  # noqa: E402
from kivy.uix.textinput import TextInput  # noqa: E402
from kivy.uix.widget import Widget  # noqa: E402

from app.main import MobileIdApp  # noqa: E402
from app.ui import QrFrames  # noqa: E402
from tests.issuer.conftest import service  # noqa: E402, F401  (the real issuer service)
from tests.wallet.conftest import FAST_KDF, PIN  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "app"
__all__ = ["ARTIFACTS", "PIN", "Driver"]


def _walk(widget: Widget) -> Iterator[Widget]:
    yield widget
    for child in reversed(widget.children):  # top to bottom in box and grid layouts
        yield from _walk(child)


class Driver:
    def __init__(self, app: MobileIdApp) -> None:
        self.app = app

    # -- time -------------------------------------------------------------------------------------------
    def pump(self, frames: int = 3, seconds: float = 0.0) -> None:
        """Run the event loop: at least ``frames`` frames and ``seconds`` of real (Kivy clock) time."""
        end = time.monotonic() + seconds
        for _ in range(frames):
            EventLoop.idle()
        while time.monotonic() < end:
            EventLoop.idle()
            time.sleep(0.01)

    def pump_until(self, check: Callable[[], bool], timeout: float = 5.0) -> None:
        end = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < end, f"timed out on screen {self.app.screen.name}: {self.text()}"
            EventLoop.idle()
            time.sleep(0.01)

    # -- reading ----------------------------------------------------------------------------------------
    @property
    def screen(self) -> str:
        return self.app.screen.name

    def widgets(self) -> list[Widget]:
        return list(_walk(self.app.screen))

    def labels(self) -> list[str]:
        return [w.text for w in self.widgets() if isinstance(w, Label) and w.text]

    def text(self) -> str:
        return " | ".join(self.labels())

    def inputs(self) -> list[TextInput]:
        return [w for w in self.widgets() if isinstance(w, TextInput)]

    def button(self, text: str) -> Button:
        found = [w for w in self.widgets() if isinstance(w, Button) and text in w.text]
        assert found, f"no button {text!r} on {self.screen}: {self.text()}"
        return found[0]

    # -- acting -----------------------------------------------------------------------------------------
    def settle(self, timeout: float = 30.0) -> None:
        """Pump frames until the app's worker threads (PIN derivation, network) have finished and their
        answers have reached the screen."""
        end = time.monotonic() + timeout
        while any(t.name == "mobileid-background" and t.is_alive() for t in threading.enumerate()):
            assert time.monotonic() < end, f"background work still running on {self.app.screen.name}"
            EventLoop.idle()
            time.sleep(0.005)
        self.pump(2)

    def tap(self, widget: Widget, *, wait: bool = True) -> None:
        """A real touch on ``widget``; then, unless ``wait`` is False, until the work it started is done."""
        parent = widget.parent
        while parent is not None and not isinstance(parent, ScrollView) and parent.parent is not parent:
            parent = parent.parent
        if isinstance(parent, ScrollView) and parent.children and parent.children[0].height > parent.height:
            parent.scroll_to(widget, padding=20, animate=False)
            self.pump(2)
        x, y = widget.to_window(*widget.center)
        assert 0 <= x < Window.width and 0 <= y < Window.height, f"{widget} is off screen at {(x, y)}"
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()
        self.pump()
        if wait:
            self.settle()

    def tap_text(self, text: str, *, wait: bool = True) -> None:
        self.tap(self.button(text), wait=wait)

    def type(self, field: TextInput, text: str) -> None:
        self.tap(field)
        field.text = ""
        for char in text:  # key by key, through the input filter
            field.insert_text(char)
        field.focus = False
        self.pump(1)

    def shoot_frames(self, frames: QrFrames, name: str) -> list[Path]:
        """Photograph each frame of a cycling QR once, as it comes by itself with its "Part i of n" line;
        the screenshots in frame order (``{name}1.png``, ...)."""
        total = len(frames.texts)
        shots: dict[int, Path] = {}
        while len(shots) < total:
            self.pump_until(lambda: frames.frame not in shots, timeout=5)
            index = frames.frame
            assert f"Part {index + 1} of {total}" in self.text()
            path = self.shot(f"{name}{index + 1}")
            if frames.frame == index:  # the frame did not change while the screenshot was taken
                shots[index] = path
        return [shots[i] for i in sorted(shots)]

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.pump(2)
        assert self.app.root is not None
        self.app.root.export_to_png(str(path))
        return path


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Driver]]:
    started: list[MobileIdApp] = []

    def start(data_dir: Path | None = None, **kwargs: Any) -> Driver:
        kwargs.setdefault("kdf", FAST_KDF)
        app = MobileIdApp(data_dir or tmp_path / "phone", **kwargs)
        app._run_prepare()
        started.append(app)
        driver = Driver(app)
        driver.pump()
        return driver

    yield start
    for app in started:
        app.dispatch("on_stop")
        if app.root is not None:
            Window.remove_widget(app.root)
    EventLoop.idle()
