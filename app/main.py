"""``MobileIdApp``: one Kivy app, two modes (wallet for citizens, verifier for businesses).

Everything external is injected so tests drive the real app headless: the wallet's KDF, the HTTP client
(the issuer's TestClient), the clock, the camera (a ``FrameSource`` feeding image files).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.screenmanager import NoTransition, ScreenManager

from app.camera import FrameSource, default_frame_source
from app.i18n import set_language
from app.phone import Phone
from app.problems import Problem, attempts_left, classify
from app.screens.base import BaseScreen
from app.services import WalletService
from app.settings import AppSettings
from app.theme import Theme, register_fonts
from app.verifier_service import VerifierService
from specs.errors import MobileIdError
from wallet.keystore import KeyStore
from wallet.oid4vci import HttpClient
from wallet.pin import DEFAULT_KDF, KdfParams

__all__ = ["MobileIdApp", "Problem"]

T = TypeVar("T")

DEFAULT_ISSUER = "https://issuer.mobileid.example"


BUNDLED_ROOT = Path(__file__).parent / "trust" / "issuer-root.pem"


def bundled_root() -> bytes | None:
    """The issuer root shipped with a build (``app/trust/issuer-root.pem``, see app/README.md), if any."""
    return BUNDLED_ROOT.read_bytes() if BUNDLED_ROOT.is_file() else None


def default_keystore() -> KeyStore | None:
    """Device keys in the Android Keystore on a phone (hardware-backed, StrongBox where present); None on
    desktops, where the wallet seals them in its own folder (``wallet.keystore.SoftwareKeyStore``)."""
    from kivy.utils import platform

    if platform != "android":
        return None
    from app.android_keystore import AndroidKeyStore

    return AndroidKeyStore()


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class MobileIdApp(App):
    title = "mobileid"

    def __init__(self, data_dir: Path, *, kdf: KdfParams = DEFAULT_KDF, http: HttpClient | None = None,
                 clock: Callable[[], dt.datetime] = _utc_now, trust_pem: bytes | None = None,
                 issuer_url: str = DEFAULT_ISSUER, frame_source: Callable[[], FrameSource] | None = None,
                 idle_clock: Callable[[], float] = time.monotonic, reader_roots_pem: bytes | None = None,
                 keystore: KeyStore | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        register_fonts()
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = AppSettings.load(self.data_dir)
        set_language(self.settings.language)
        self.theme = Theme.of(self.settings.large_text, self.settings.high_contrast)
        self.clock = clock
        trust_pem = trust_pem if trust_pem is not None else bundled_root()
        self.wallet = WalletService(self.data_dir / "wallet", kdf=kdf, http=http, clock=clock, trust_pem=trust_pem,
                                    issuer_url=issuer_url, reader_roots_pem=reader_roots_pem,
                                    keystore=keystore if keystore is not None else default_keystore())
        self.verifier = VerifierService(self.data_dir / "verifier", http=http, issuer_url=issuer_url, clock=clock,
                                        root_pem=trust_pem, name=self.settings.shop_name or None,
                                        check=self.settings.check)
        self.phone = Phone()
        self.frame_source = frame_source or default_frame_source
        self.idle_clock = idle_clock
        self.last_activity = idle_clock()
        self.nav_args: dict[str, Any] = {}
        self.manager: ScreenManager | None = None
        self._idle_event: Any = None
        self.stopped = False  # a worker finishing after on_stop must not touch the screens

    # -- building ---------------------------------------------------------------------------------------
    def build(self) -> ScreenManager:
        from app.screens import register_all

        self.manager = ScreenManager(transition=NoTransition())
        for screen in register_all(self):
            self.manager.add_widget(screen)
        Window.clearcolor = self.theme.palette.background
        Window.bind(on_touch_down=self._touched, on_key_down=self._touched)
        self._idle_event = Clock.schedule_interval(self.check_idle, 0.5)
        self.go(self.first_screen())
        return self.manager

    def first_screen(self) -> str:
        if self.settings.mode == "verifier":
            return "verify"
        if not self.settings.onboarded or not self.wallet.is_initialized():
            return "welcome"
        return "lock"

    def on_stop(self) -> None:
        self.stopped = True
        if self._idle_event is not None:
            self._idle_event.cancel()
        Window.unbind(on_touch_down=self._touched, on_key_down=self._touched)
        if self.manager is not None and self.manager.current_screen is not None:
            screen = self.manager.current_screen
            if isinstance(screen, BaseScreen):
                screen.stop()

    # -- navigation -------------------------------------------------------------------------------------
    def go(self, name: str, **args: Any) -> None:
        assert self.manager is not None
        self.nav_args = args
        if self.manager.current == name:
            screen = self.manager.get_screen(name)
            assert isinstance(screen, BaseScreen)
            screen.rebuild()
        else:
            self.manager.current = name

    @property
    def screen(self) -> BaseScreen:
        assert self.manager is not None
        current = self.manager.current_screen
        assert isinstance(current, BaseScreen)
        return current

    def root_window_width(self) -> float:
        return float(Window.width)

    # -- settings ---------------------------------------------------------------------------------------
    def update_settings(self, **changes: Any) -> None:
        from dataclasses import replace

        self.settings = replace(self.settings, **changes)
        self.settings.save(self.data_dir)
        set_language(self.settings.language)
        self.theme = Theme.of(self.settings.large_text, self.settings.high_contrast)
        Window.clearcolor = self.theme.palette.background
        self.verifier.name = self.settings.shop_name or None
        self.verifier.check = self.settings.check
        if self.manager is not None:
            self.screen.rebuild()

    # -- auto-lock --------------------------------------------------------------------------------------
    def _touched(self, *args: Any) -> None:
        self.last_activity = self.idle_clock()

    def check_idle(self, *args: Any) -> None:
        """Lock the wallet after ``lock_seconds`` without a touch (the PIN is forgotten)."""
        if self.settings.mode != "wallet" or not self.wallet.unlocked:
            return
        if self.idle_clock() - self.last_activity >= self.settings.lock_seconds:
            self.wallet.lock()
            self.go("lock", reason="idle")

    # -- work off the UI thread -------------------------------------------------------------------------
    def background(self, work: Callable[[], T], done: Callable[[T | None, Problem | None], object]) -> threading.Thread:
        """Run ``work`` on a worker thread (network calls and PIN derivation must not freeze the screen), then
        ``done(value, None)`` or ``done(None, problem)`` on the UI thread (not at all once the app stopped)."""

        def run() -> None:
            value: T | None = None
            problem: Problem | None = None
            try:
                value = work()
            except Exception as exc:  # MobileIdError, or the HTTP client's own: a bad network must not crash
                problem = Problem(classify(exc), attempts_left(exc) if isinstance(exc, MobileIdError) else None)
            Clock.schedule_once(lambda _dt: None if self.stopped else done(value, problem))

        thread = threading.Thread(target=run, name="mobileid-background", daemon=True)
        thread.start()
        return thread

    def refresh_status_soon(self) -> None:
        """Check the cards' status with the issuer in the background (throttled by the wallet service), then
        redraw home with what came back. Offline, the stored status simply stays: no message box."""
        if not self.stopped and self.wallet.status_refresh_due():
            self.background(self.wallet.refresh_status, self._status_refreshed)

    def _status_refreshed(self, result: object, problem: Problem | None) -> None:
        if problem is not None:
            self.wallet.status_problem = problem.code
        if (not self.stopped and self.manager is not None and self.manager.current == "home" and self.wallet.unlocked
                and self.settings.mode == "wallet"):
            self.screen.rebuild()
