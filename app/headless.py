"""Kivy without a person at the screen: the app's tests and ``benchmarks/app.py`` configure it here.

Must run before ``kivy.core.window`` is first imported (Kivy opens one window per process from this
configuration): no command-line parsing by Kivy, no log files, a throwaway ``KIVY_HOME``, a phone-sized
window that cannot be resized, and no mouse provider (touches come from ``UnitTestTouch``).
"""

from __future__ import annotations

import os
import tempfile

__all__ = ["configure"]


def configure(*, width: int = 480, height: int = 900, maxfps: int | None = None) -> None:
    """``maxfps=0`` lifts the 60 fps limiter, so that frame timings measure the work done, not the sleep."""
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ["KIVY_NO_CONSOLELOG"] = "1"
    os.environ["KIVY_NO_FILELOG"] = "1"
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    if maxfps is not None:
        Config.set("graphics", "maxfps", str(maxfps))
    Config.set("input", "mouse", "")
