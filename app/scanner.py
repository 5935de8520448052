"""The QR scanner widget: camera preview, a hint, and a poll of the frame source until a QR reads.

The UI thread only grabs frames (15 a second); a worker thread decodes the newest one with
``specs.io.symbols.frame_texts`` (zxing-cpp: milliseconds here, tens of milliseconds on a slow phone, which
would stutter the preview) and hands the texts back through
``Clock.schedule_once``. Frames that arrive while the worker is busy replace each other: the scanner
always decodes the latest view, never a backlog. Multi-frame codes (``MID2`` frames) are collected
across frames; ``on_texts`` gets every text once the message is complete (or a single non-frame text
such as an offer link).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout

from app.camera import FrameSource
from app.i18n import _
from app.phone import Phone
from app.theme import Theme
from app.ui import Panel, label
from specs.errors import MobileIdError
from specs.qr import FrameCollector, is_profile_text, one_message

__all__ = ["Scanner"]

# Twice the camera's 15 frames per second: polling at the camera's own rate aliases with it (two frames fall
# between some polls and one is lost); a poll without a new frame costs nothing (the source answers None).
POLL_SECONDS = 1 / 30


class Scanner(BoxLayout):
    def __init__(self, theme: Theme, source: FrameSource, on_texts: Callable[[tuple[str, ...]], object],
                 *, phone: Phone | None = None, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", size_hint_y=None, height=theme.height(340),
                         spacing=theme.height(6), **kwargs)
        self.source, self.on_texts, self.theme, self.phone = source, on_texts, theme, phone
        self._collector = FrameCollector()
        self._texts: list[str] = []
        self._event: Any = None
        self._latest: Any = None
        self._wake = threading.Condition()
        self._worker: threading.Thread | None = None
        self._running = False
        frame = Panel((0, 0, 0, 1), size_hint_y=None, height=theme.height(280))
        self.add_widget(frame)
        self._frame = frame
        self.status = label(_("Point the camera at the QR code"), theme, size=18, halign="center")
        self.add_widget(self.status)

    def start(self) -> None:
        if self.phone is not None and not self.phone.camera_allowed():  # Android asks the person first
            self.status.text = _("Allow the camera when the phone asks, to scan the code.")
            self.phone.ask_camera(self._answered)
            return
        self.source.start()
        problem = self.source.problem
        if problem:
            self.status.text = _("No camera could be opened on this device.")
            self.status.color = self.theme.palette.bad
            return
        preview = self.source.preview()
        if preview is not None and preview.parent is None:
            self._frame.add_widget(preview)
        self._running = True
        self._worker = threading.Thread(target=self._decode_loop, name="qr-decoder", daemon=True)
        self._worker.start()
        self._event = Clock.schedule_interval(self.poll, POLL_SECONDS)

    def _answered(self, granted: bool) -> None:
        if granted:
            self.start()
        else:
            self.status.text = _("Without the camera the code cannot be scanned. You can allow it in the phone's "
                                 "settings.")
            self.status.color = self.theme.palette.bad

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None
        with self._wake:
            self._running = False
            self._latest = None
            self._wake.notify()
        self.source.stop()
        self._frame.clear_widgets()

    def poll(self, *args: Any) -> None:
        """UI thread: hand the newest camera frame to the decoder (replacing one it has not started)."""
        image = self.source.read()
        if image is None:
            return
        with self._wake:
            self._latest = image
            self._wake.notify()

    def _decode_loop(self) -> None:
        from specs.io.symbols import frame_texts

        while True:
            with self._wake:
                while self._running and self._latest is None:
                    self._wake.wait()
                if not self._running:
                    return
                image, self._latest = self._latest, None
            try:
                texts = frame_texts(image)  # full resolution: zxing alone needs ~2 ms for a 1280x720 frame
            except (MobileIdError, ValueError, OSError):
                continue  # an unreadable frame; the next one comes in 67 ms
            if texts:
                Clock.schedule_once(lambda _dt, found=texts: self.accept(found))

    def accept(self, texts: tuple[str, ...]) -> None:
        """UI thread: collect what the decoder read."""
        if self._event is None:
            return  # stopped meanwhile
        ours = tuple(t for t in texts if is_profile_text(t))
        try:
            one_message(ours)
        except MobileIdError:  # two different codes in view: the verifier refuses them (qr.ambiguous), never
            self.stop()        # checking whichever the decoder returned first
            self.on_texts(ours)
            return
        for text in texts:
            if not is_profile_text(text):
                self.stop()
                self.on_texts((text,))
                return
            try:
                self._collector.add(text)
            except MobileIdError:
                continue
            if text not in self._texts:
                self._texts.append(text)
        have, total = self._collector.progress
        if self._collector.complete:
            self.stop()
            self.on_texts(tuple(self._texts))
        elif total:
            self.status.text = _("Read {have} of {total} parts: keep the camera on the code").format(
                have=have, total=total)
