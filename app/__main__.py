"""``python -m app [--data-dir DIR] [--mode wallet|verifier] [--issuer URL] [--trust-root PEM]
[--reader-roots PEM] [--screenshot FILE]``.

With ``--screenshot`` the first screen is rendered, saved as a PNG and the app exits (no event loop).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _pem(value: str) -> bytes:
    """A PEM certificate file's bytes, checked before the window opens (argparse prints the reason)."""
    from specs.errors import MobileIdError
    from specs.x509 import TrustStore

    try:
        data = Path(value).read_bytes()
        usable = bool(TrustStore.from_pem(data).anchors)
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {value}: {exc.strerror}") from None
    except MobileIdError:
        usable = False
    if not usable:
        raise argparse.ArgumentTypeError(f"{value} holds no usable certificate")
    return data


def _size(value: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in value.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not WIDTHxHEIGHT, e.g. 480x900") from None
    if not (200 <= width <= 8000 and 200 <= height <= 8000):
        raise argparse.ArgumentTypeError(f"{value!r}: each side must be 200 to 8000 pixels")
    return width, height


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app", description="mobileid wallet and verifier app")
    parser.add_argument("--data-dir", type=Path, default=Path.home() / ".mobileid-app")
    parser.add_argument("--mode", choices=("wallet", "verifier"), default=None)
    parser.add_argument("--issuer", default=None, help="issuer URL for offers and trust-bundle sync")
    parser.add_argument("--trust-root", type=_pem, default=None,
                        help="the issuer's root certificate (PEM), trusted by wallet and verifier mode "
                             "(default: app/trust/issuer-root.pem when a build ships one, else fetched "
                             "from --issuer on first use)")
    parser.add_argument("--reader-roots", type=_pem, default=None,
                        help="PEM reader root certificates: check who signed a business's request")
    parser.add_argument("--screenshot", type=Path, default=None, help="render the first screen to PNG and exit")
    parser.add_argument("--size", type=_size, default=(480, 900), help="window size WxH (desktop), e.g. 480x900")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    width, height = args.size
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    Config.set("input", "mouse", "mouse,multitouch_on_demand")
    from app.main import DEFAULT_ISSUER, MobileIdApp
    from app.settings import AppSettings

    if args.mode:
        settings = AppSettings.load(args.data_dir)
        from dataclasses import replace

        replace(settings, mode=args.mode).save(args.data_dir)
    http = None
    if args.issuer:
        from specs.io.http import client

        # Connect within 10 s, each answer within 20 s: the app says "no connection" or "did not answer in
        # time" instead of waiting for ever (the work runs off the UI thread meanwhile).
        http = client(timeout=20, connect=10)
    roots = args.reader_roots
    trust = args.trust_root
    app = MobileIdApp(args.data_dir, http=http, issuer_url=args.issuer or DEFAULT_ISSUER, reader_roots_pem=roots,
                      trust_pem=trust)
    if args.screenshot is None:
        app.run()
        return 0
    from kivy.base import EventLoop

    app._run_prepare()
    for _ in range(6):
        EventLoop.idle()
    args.screenshot.parent.mkdir(parents=True, exist_ok=True)
    assert app.root is not None
    app.root.export_to_png(str(args.screenshot))
    app.dispatch("on_stop")
    print(args.screenshot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
