"""The app's screens; ``register_all`` makes one of each for the ScreenManager."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.main import MobileIdApp
    from app.screens.base import BaseScreen


def register_all(app: MobileIdApp) -> list[BaseScreen]:
    from app.screens.add import AddScreen, ReceivedScreen
    from app.screens.cards import CardScreen, DeleteWalletScreen, RemoveCardScreen
    from app.screens.home import HomeScreen
    from app.screens.more import HistoryScreen, ScanLogScreen, SettingsScreen
    from app.screens.onboarding import ChangePinScreen, ForgotPinScreen, LockScreen, PinSetupScreen, WelcomeScreen
    from app.screens.share import ConsentScreen, CustomScreen, ScanRequestScreen, ShareScreen, ShowQrScreen
    from app.screens.verdict import ResultScreen
    from app.screens.verify import RequestScreen, VerifyScreen

    screens: dict[str, type[BaseScreen]] = {
        "welcome": WelcomeScreen, "pin_setup": PinSetupScreen, "lock": LockScreen, "home": HomeScreen,
        "add": AddScreen, "received": ReceivedScreen, "share": ShareScreen, "custom": CustomScreen,
        "consent": ConsentScreen, "show_qr": ShowQrScreen, "scan_request": ScanRequestScreen,
        "history": HistoryScreen, "settings": SettingsScreen, "verify": VerifyScreen,
        "verify_result": ResultScreen, "verify_request": RequestScreen, "card": CardScreen,
        "remove_card": RemoveCardScreen, "delete_wallet": DeleteWalletScreen, "forgot_pin": ForgotPinScreen,
        "change_pin": ChangePinScreen, "scan_log": ScanLogScreen,
    }
    return [cls(app, name=name) for name, cls in screens.items()]
