"""What the app asks of the phone itself: the window's flags and the camera permission.

* ``FLAG_SECURE`` on the card and QR screens: Android keeps them out of screenshots, screen recordings and
  the recent-apps thumbnail;
* the QR screen keeps the screen on (``FLAG_KEEP_SCREEN_ON``) at full brightness (``screenBrightness`` 1.0)
  so a scanner reads it, and gives both back when it is left;
* the CAMERA runtime permission (Android 6+ asks the person; the manifest entry alone is not enough).

On Android this goes through pyjnius on Android's UI thread. On a desktop nothing can be asked of the window,
so the wishes are only kept (``Phone.wishes``), which is what the tests read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Phone", "Wishes"]


@dataclass(frozen=True, slots=True)
class Wishes:
    secure: bool = False
    keep_on: bool = False
    bright: bool = False


def _on_android() -> bool:
    from kivy.utils import platform

    return bool(platform == "android")


class Phone:
    def __init__(self) -> None:
        self.wishes = Wishes()

    def screen_wishes(self, *, secure: bool, bright: bool) -> None:
        """What the screen now shown needs (a QR: on and bright; a card: secure)."""
        wishes = Wishes(secure=secure, keep_on=bright, bright=bright)
        if wishes == self.wishes:
            return
        self.wishes = wishes
        if _on_android():
            _apply_on_android(wishes)

    def camera_allowed(self) -> bool:
        if not _on_android():
            return True
        from android.permissions import Permission, check_permission

        return bool(check_permission(Permission.CAMERA))

    def ask_camera(self, then: Callable[[bool], object]) -> None:
        """Ask for the camera; ``then(granted)`` runs on Kivy's thread once the person has answered."""
        if not _on_android():
            then(True)
            return
        from android.permissions import Permission, request_permissions
        from kivy.clock import Clock

        def answered(permissions: Any, grants: Any) -> None:
            granted = bool(grants) and all(grants)
            Clock.schedule_once(lambda _dt: then(granted))

        request_permissions([Permission.CAMERA], answered)


def _apply_on_android(wishes: Wishes) -> None:  # pragma: no cover - runs on a phone only
    from android.runnable import run_on_ui_thread
    from jnius import autoclass

    activity = autoclass("org.kivy.android.PythonActivity").mActivity
    params_class = autoclass("android.view.WindowManager$LayoutParams")

    @run_on_ui_thread  # type: ignore[untyped-decorator]
    def apply() -> None:
        window = activity.getWindow()
        for flag, on in ((params_class.FLAG_SECURE, wishes.secure), (params_class.FLAG_KEEP_SCREEN_ON, wishes.keep_on)):
            if on:
                window.addFlags(flag)
            else:
                window.clearFlags(flag)
        params = window.getAttributes()
        params.screenBrightness = 1.0 if wishes.bright else params_class.BRIGHTNESS_OVERRIDE_NONE
        window.setAttributes(params)

    apply()
