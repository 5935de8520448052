"""The Kivy app against its issue targets, measured in one run on this machine (headless SDL window):

* cold start: a fresh Python process (``--child-cold``, the ``python -m app --screenshot`` start path) until the
  first frame of the lock screen, and -- after a programmatic PIN unlock with the production KDF -- until the
  first frame of the home screen with its cards; from ``Popen`` (interpreter start included), N runs;
* QR render: the presentation texts -> ``specs.io.symbols.texture`` (zxing-cpp's writer -> RGBA texture) ->
  shown in a frame, for a one-way age check (one QR) and one frame of a multi-frame licence presentation;
* scanner: a simulated 1280x720 camera sensor at 15 fps behind Kivy's camera-provider API
  (``app/camera_sim.py``, which uploads BGR buffers like the OpenCV provider) under the real
  ``kivy.uix.camera.Camera`` widget, feeding the app's own path (``CameraFrameSource.read``,
  ``Scanner.poll`` -> worker thread -> ``specs.io.symbols.frame_texts``) on the verifier's scan screen:
  frames decoded per second, UI frame times, dropped frames, and QR frame -> verdict screen drawn.

    .venv/bin/python benchmarks/app.py [--json] [--runs 5] [--renders 50] [--seconds 10] [--trials 5]

The wallet is made in-process: the real issuer (``issuer.web.app``) behind ``fastapi.testclient.TestClient``,
a counter enrolment, ``wallet.Wallet.receive`` with the production argon2 parameters. Kivy's ``maxfps`` is 0
here so that frame timings are the work done, not the 60 fps limiter's sleep.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# This file is called app.py: keep ``import app`` meaning the repository's app package, not this script.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

GOALS = {"cold_start_s": 1.5, "qr_render_ms": 50.0, "scanner_fps": 15.0}
PIN = "482913"
ISSUER_URL = "http://localhost"
CAMERA_SIZE = (1280, 720)
CAMERA_FPS = 15.0


def now() -> float:
    return time.perf_counter()


def kivy_setup() -> None:
    """Headless Kivy as the app tests configure it, with the 60 fps limiter off; before Window is imported."""
    from app.headless import configure

    configure(maxfps=0)


class Frames:
    """Run the event loop and know when a frame of a given screen has been drawn (after the buffer swap)."""

    def __init__(self, app: Any) -> None:
        from kivy.core.window import Window

        self.app, self.flipped = app, False
        Window.bind(on_flip=self._flip)

    def _flip(self, *_: Any) -> None:
        self.flipped = True

    def idle(self) -> bool:
        from kivy.base import EventLoop

        self.flipped = False
        EventLoop.idle()
        return self.flipped

    def until_drawn(self, screen: str, timeout: float = 30.0) -> float:
        """Pump until a frame is drawn while ``screen`` is current; the time right after that frame."""
        end = now() + timeout
        while now() < end:
            if self.idle() and self.app.manager is not None and self.app.manager.current == screen:
                return now()
        raise TimeoutError(f"screen {screen!r} not drawn; on {self.app.manager.current!r}")


# -- setup: a wallet with credentials and a synced verifier ---------------------------------------------------
def bench_fixtures() -> Any:
    """``benchmarks/_fixtures.py``, loaded by path: this folder is off ``sys.path`` (see above)."""
    spec = importlib.util.spec_from_file_location("benchmarks_fixtures", HERE / "_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)  # registered first: its dataclasses look their module up
    return module


def prepare(root: Path, seed_people: int = 50) -> tuple[Any, Any, Path]:
    """(issuer database engine, its TestClient, app data dir): wallet onboarded with mdl + 10 age copies (an
    in-person check and its offer recorded as the counter does), verifier synced."""
    import datetime as dt

    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine

    from app.settings import AppSettings
    from app.verifier_service import VerifierService
    from issuer.settings import Settings
    from issuer.web.app import bootstrap, create_app
    from wallet.pin import DEFAULT_KDF
    from wallet.wallet import Wallet

    settings = Settings(data_dir=root / "issuer", public_url=ISSUER_URL, seed_people=seed_people,
                        status_list_size=4096)
    bootstrap(settings)
    engine = create_engine(settings.sqlalchemy_url)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    client = TestClient(create_app(settings, clock=lambda: start), base_url=ISSUER_URL)
    client.__enter__()
    uri, tx_code = bench_fixtures().counter_offer(
        engine, settings.data_dir, issuer_url=ISSUER_URL, now=start, configurations=["mdl", "age_attestation"],
        ttl_seconds=settings.offer_ttl_seconds, copies={"age_attestation": 10})
    data = root / "phone"
    wallet = Wallet(data / "wallet", kdf=DEFAULT_KDF)  # the production argon2 cost: part of the unlock
    wallet.init(PIN, trust_pem=client.get("/trust/root.pem").content)
    wallet.receive(uri, tx_code, PIN, http=client, now=start, batch={"age_attestation": 10})
    AppSettings(language="en", onboarded=True).save(data)
    VerifierService(data / "verifier", http=client, issuer_url=ISSUER_URL).sync()
    return engine, client, data


# -- 1. cold start --------------------------------------------------------------------------------------------
def child_cold(data_dir: Path) -> None:
    """In a fresh process: build the app, first frame of the first screen; unlock; first frame of home."""
    entered = now()
    kivy_setup()
    from app.main import MobileIdApp

    app = MobileIdApp(data_dir)
    frames = Frames(app)
    app._run_prepare()
    first = app.first_screen()
    t_first = frames.until_drawn(first)
    start = now()
    app.wallet.unlock(PIN)  # what LockScreen.submit does on "Open"
    unlock = now() - start
    app.go("home")
    t_home = frames.until_drawn("home")
    cards = len(app.wallet.cards())
    app.dispatch("on_stop")
    print(json.dumps({"entered": entered, "first_screen": first, "t_first": t_first, "unlock_s": unlock,
                      "t_home": t_home, "cards": cards}))


def cold_start(data_dir: Path, runs: int) -> dict[str, Any]:
    info = time.get_clock_info("perf_counter")
    assert "CLOCK_MONOTONIC" in info.implementation, info  # shared with the child process
    rows = []
    for _ in range(runs):
        env = {**os.environ, "KIVY_HOME": tempfile.mkdtemp(prefix="kivy-home-")}
        start = now()
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child-cold", str(data_dir)],
                             capture_output=True, text=True, env=env, check=False, cwd=ROOT)
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        doc = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append({"first_screen": doc["first_screen"], "interpreter_s": doc["entered"] - start,
                     "to_first_s": doc["t_first"] - start, "unlock_s": doc["unlock_s"],
                     "to_home_s": doc["t_home"] - start, "cards": doc["cards"]})

    def stat(key: str) -> dict[str, float]:
        values = [r[key] for r in rows]
        return {"median": statistics.median(values), "max": max(values)}

    return {"runs": rows, "first_screen": rows[0]["first_screen"], "cards": rows[0]["cards"],
            **{k: stat(k) for k in ("interpreter_s", "to_first_s", "unlock_s", "to_home_s")}}


# -- 2. QR render ---------------------------------------------------------------------------------------------
def qr_version(text: str) -> int:
    """The version of the symbol specs.io.symbols.texture draws (a version-v symbol is 17 + 4v modules wide)."""
    from specs.io.symbols import version

    return version(text)


def qr_render(app: Any, frames: Frames, renders: int) -> dict[str, Any]:
    from specs.io.symbols import texture

    shown_age = app.wallet.present(preset="age19")
    licence = ("family_name", "given_name", "birth_date", "document_number", "expiry_date", "portrait")
    shown_mdl = app.wallet.present(type_key="mdl", elements=licence)
    cases = {"age check": (shown_age, 0), "licence frame": (shown_mdl, 0)}
    out: dict[str, Any] = {}
    for name, (shown, index) in cases.items():
        text = shown.texts[index]
        app.go("show_qr", presentation=shown)
        frames.until_drawn("show_qr")
        screen = app.screen
        texture_ms, swap_ms, screen_ms = [], [], []
        for i in range(renders + 3):  # the first 3 warm up
            start = now()
            texture(text)
            texture_ms.append((now() - start) * 1000)
            start = now()
            screen.qr.texture = texture(text)  # what ShowQrScreen.next_frame does
            while not frames.idle():
                pass
            swap_ms.append((now() - start) * 1000)
            start = now()
            app.go("show_qr", presentation=shown)  # same screen: rebuild (header, QR, countdown) and draw
            frames.until_drawn("show_qr")
            screen_ms.append((now() - start) * 1000)
            if i < 3:
                texture_ms.pop(), swap_ms.pop(), screen_ms.pop()
        out[name] = {"version": qr_version(text), "frames": len(shown.texts), "chars": len(text),
                     "qr_texture_ms": statistics.median(texture_ms),
                     "texture_shown_ms": statistics.median(swap_ms), "texture_shown_max_ms": max(swap_ms),
                     "screen_ms": statistics.median(screen_ms), "screen_max_ms": max(screen_ms)}
    app.screen.stop()
    return out


# -- 3. scanner -----------------------------------------------------------------------------------------------
def background(rng: random.Random) -> Any:
    from PIL import Image, ImageFilter

    w, h = CAMERA_SIZE
    noise = Image.frombytes("L", (w // 8, h // 8), bytes(rng.randint(60, 180) for _ in range(w * h // 64)))
    return noise.resize((w, h), Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(3)).convert("RGB")


def camera_bgr(rng: random.Random, text: str | None) -> bytes:
    """A camera frame as OpenCV's provider hands it to Kivy: BGR rows top-down, a QR (scale 4) off-centre."""
    import segno
    from PIL import Image

    from app.camera_sim import bgr

    frame = background(rng)
    if text is not None:
        buffer = io.BytesIO()
        segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=4, border=4, dark="#202020",
                                                      light="#e8e8e8")
        buffer.seek(0)
        code = Image.open(buffer).convert("RGB")
        frame.paste(code, (rng.randint(300, 1280 - code.width - 100), (720 - code.height) // 2))
    return bgr(frame)


class Instruments:
    """Timings of ``specs.io.symbols.frame_texts`` (the scanner's worker imports it when it starts) and of the
    frame reads."""

    def __init__(self) -> None:
        import specs.io.symbols

        self.module, self.original = specs.io.symbols, specs.io.symbols.frame_texts
        self.decodes: list[tuple[float, float, bool]] = []  # (end time, seconds, on the UI thread)
        self.reads: list[tuple[int, float]] = []  # (camera frame number read, seconds)

        def decode(source: Any) -> tuple[str, ...]:
            start = now()
            try:
                return self.original(source)
            finally:
                end = now()
                self.decodes.append((end, end - start, threading.current_thread() is threading.main_thread()))

        specs.io.symbols.frame_texts = decode

    def restore(self) -> None:
        self.module.frame_texts = self.original

    def reset(self) -> None:
        self.decodes.clear()
        self.reads.clear()


def scanner(app: Any, frames: Frames, seconds: float, trials: int, seed: int = 7) -> dict[str, Any]:
    from app.camera import CameraFrameSource
    from app.camera_sim import simulated_camera
    from app.scanner import POLL_SECONDS

    rng = random.Random(seed)
    blanks = [camera_bgr(rng, None) for _ in range(8)]
    tools = Instruments()
    scene: dict[str, Any] = {"qr": None, "qr_since": None}

    def sensor(n: int) -> bytes:
        """What the camera sees in frame n: a QR when one is held up, else a blurred background."""
        if scene["qr"] is None:
            return blanks[n % len(blanks)]
        if scene["qr_since"] is None:
            scene["qr_since"] = now()
        return scene["qr"]  # type: ignore[no-any-return]

    class BenchSource(CameraFrameSource):
        def read(self) -> Any | None:
            start = now()
            image = super().read()
            if image is not None:
                tools.reads.append((self._widget._camera.frame_no, now() - start))
            return image

    source = BenchSource(resolution=CAMERA_SIZE)
    app.frame_source = lambda: source
    provider = simulated_camera(sensor, fps=CAMERA_FPS)
    kind = provider.__enter__()
    app.update_settings(mode="verifier")

    def run(until: Any, limit: float) -> list[tuple[float, bool]]:
        """Pump ~60 fps frames; (frame seconds, a decode ran in it) per frame."""
        times: list[tuple[float, bool]] = []
        end = now() + limit
        while now() < end and not until():
            count = len(tools.decodes)
            start = now()
            frames.idle()
            spent = now() - start
            times.append((spent, len(tools.decodes) > count))
            time.sleep(max(0.0, 1 / 60 - spent))
        return times

    try:
        # (a) a steady 10 s of frames without a code: every frame the scanner reads, it decodes
        app.go("verify")
        frames.until_drawn("verify")
        camera = kind.instances[-1]  # the provider under the real kivy.uix.camera.Camera widget
        run(lambda: False, 0.5)
        tools.reset()
        first, uploads = camera.frame_no, camera.uploads
        ui = run(lambda: False, seconds)
        produced = camera.frame_no - first
        read_frames = {n for n, _ in tools.reads if n > first}
        decodes = list(tools.decodes)
        with_decode = [t for t, d in ui if d]
        without = [t for t, d in ui if not d]
        steady = {
            "seconds": seconds, "camera_frames": produced, "delivered_to_texture": camera.uploads - uploads,
            "read_by_scanner": len(read_frames), "decoded": len(decodes), "decoded_per_s": len(decodes) / seconds,
            "dropped": produced - len(read_frames),
            "decode_ms_median": 1000 * statistics.median(d for _, d, _ in decodes) if decodes else None,
            "read_ms_median": 1000 * statistics.median(r for _, r in tools.reads) if tools.reads else None,
            "decode_on_ui_thread": sum(1 for *_, m in decodes if m), "ui_frames": len(ui),
            "ui_frame_ms_median": 1000 * statistics.median(t for t, _ in ui),
            "ui_frame_ms_max": 1000 * max(t for t, _ in ui),
            "ui_frame_ms_median_with_decode": 1000 * statistics.median(with_decode) if with_decode else None,
            "ui_frame_ms_median_without_decode": 1000 * statistics.median(without) if without else None,
            "ui_frames_over_33ms": sum(1 for t, _ in ui if t > 1 / 30), "poll_seconds": POLL_SECONDS,
        }
        # (b) the QR appears after 1 s of plain frames: time from its first frame to the verdict drawn
        verdicts = []
        qr_decodes: list[float] = []
        for _ in range(trials):
            shown = app.wallet.present(preset="age19")  # fresh: a one-way code is valid for 60 s, once
            qr = camera_bgr(rng, shown.texts[0])
            if app.manager.current != "verify":
                app.go("verify")
            frames.until_drawn("verify")
            scene["qr"], scene["qr_since"] = None, None
            run(lambda: False, 1.0)
            tools.reset()
            scene["qr"] = qr
            run(lambda: app.manager.current == "verify_result", 10.0)
            t_drawn = frames.until_drawn("verify_result")
            result = app.nav_args.get("result")
            qr_decodes += [d for _, d, _ in tools.decodes]
            verdicts.append({"verdict_ms": 1000 * (t_drawn - scene["qr_since"]) if scene["qr_since"] else None,
                             "valid": bool(result is not None and result.valid),
                             "errors": [e.code for e in result.errors] if result is not None else []})
            scene["qr"] = None
        times = [v["verdict_ms"] for v in verdicts if v["verdict_ms"] is not None]
        to_verdict = {"trials": verdicts, "verdict_ms_median": statistics.median(times) if times else None,
                      "verdict_ms_max": max(times) if times else None, "all_valid": all(v["valid"] for v in verdicts),
                      "decode_qr_frame_ms_median": 1000 * statistics.median(qr_decodes) if qr_decodes else None}
    finally:
        provider.__exit__(None, None, None)
        tools.restore()
        app.screen.stop()
    return {"steady": steady, "verdict": to_verdict}


# -- report ---------------------------------------------------------------------------------------------------
def judge(results: dict[str, Any]) -> list[tuple[str, bool, str]]:
    cold, qr, scan = results["cold_start"], results["qr_render"], results["scanner"]["steady"]
    home = cold["to_home_s"]
    lines = [("cold start -> home (median, unlock incl.)", home["median"] <= GOALS["cold_start_s"],
              f"{home['median']:.2f} s (max {home['max']:.2f}) vs <= {GOALS['cold_start_s']} s")]
    for name, row in qr.items():
        lines.append((f"QR shown, {name} v{row['version']}", row["texture_shown_ms"] <= GOALS["qr_render_ms"],
                      f"{row['texture_shown_ms']:.1f} ms (screen {row['screen_ms']:.1f}) "
                      f"vs <= {GOALS['qr_render_ms']:.0f} ms"))
    off_ui = scan["decode_on_ui_thread"] == 0
    keeps_up = scan["decoded_per_s"] >= 0.95 * GOALS["scanner_fps"] and off_ui
    lines.append(("scanner keeps up with 15 fps, off UI thread", keeps_up,
                  f"{scan['decoded_per_s']:.1f} decoded/s, {scan['dropped']}/{scan['camera_frames']} dropped, "
                  f"decode on UI thread {scan['decode_on_ui_thread']}/{scan['decoded']}"))
    return lines


def table(results: dict[str, Any]) -> str:
    cold, qr = results["cold_start"], results["qr_render"]
    s, v = results["scanner"]["steady"], results["scanner"]["verdict"]
    out = [f"machine: {results['cpus']} CPUs, load average {results['load_before']:.1f} before / "
           f"{results['load_after']:.1f} after (other work on the machine skews every number)",
           f"cold start x{len(cold['runs'])} (first screen '{cold['first_screen']}', {cold['cards']} cards); "
           f"median / max",
           f"  interpreter up {cold['interpreter_s']['median']:.2f} / {cold['interpreter_s']['max']:.2f} s; "
           f"first frame '{cold['first_screen']}' {cold['to_first_s']['median']:.2f} / "
           f"{cold['to_first_s']['max']:.2f} s",
           f"  PIN unlock (argon2, default KDF) {cold['unlock_s']['median']:.2f} / {cold['unlock_s']['max']:.2f} s; "
           f"first frame 'home' {cold['to_home_s']['median']:.2f} / {cold['to_home_s']['max']:.2f} s"]
    for name, row in qr.items():
        out.append(f"QR {name}: v{row['version']} ({row['frames']} frame(s)); qr_texture {row['qr_texture_ms']:.1f} ms,"
                   f" texture shown {row['texture_shown_ms']:.1f} ms, show_qr screen {row['screen_ms']:.1f} ms")
    out.append(f"scanner {s['seconds']:.0f} s @ 15 fps, no code: {s['decoded']} decoded ({s['decoded_per_s']:.1f}/s, "
               f"poll every {s['poll_seconds']} s), {s['dropped']}/{s['camera_frames']} frames never decoded")
    out.append(f"  decode {s['decode_ms_median']:.1f} ms + frame read {s['read_ms_median']:.1f} ms median; "
               f"on UI thread {s['decode_on_ui_thread']}/{s['decoded']}")
    out.append(f"  UI frame median {s['ui_frame_ms_median']:.1f} ms (with decode "
               f"{s['ui_frame_ms_median_with_decode'] or 0:.1f}, "
               f"without {s['ui_frame_ms_median_without_decode'] or 0:.1f}),"
               f" max {s['ui_frame_ms_max']:.1f} ms, {s['ui_frames_over_33ms']}/{s['ui_frames']} frames > 33 ms")
    out.append(f"QR frame -> verdict drawn: median {v['verdict_ms_median']:.0f} ms, max {v['verdict_ms_max']:.0f} ms "
               f"({len(v['trials'])} trials, all valid: {v['all_valid']}; QR-frame decode "
               f"{v['decode_qr_frame_ms_median'] or 0:.1f} ms)")
    for name, ok, detail in judge(results):
        out.append(f"{'MET' if ok else 'NOT MET':8s}{name}: {detail}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--child-cold", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_cold is not None:
        child_cold(args.child_cold)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        engine, client, data = prepare(Path(tmp))
        results: dict[str, Any] = {"goals": GOALS, "cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}
        results["cold_start"] = cold_start(data, args.runs)
        kivy_setup()
        from app.main import MobileIdApp

        app = MobileIdApp(data, http=client, issuer_url=ISSUER_URL)
        frames = Frames(app)
        app._run_prepare()
        frames.until_drawn(app.first_screen())
        app.wallet.unlock(PIN)
        results["qr_render"] = qr_render(app, frames, args.renders)
        results["scanner"] = scanner(app, frames, args.seconds, args.trials)
        app.dispatch("on_stop")
        client.__exit__(None, None, None)
        engine.dispose()
    results["load_after"] = os.getloadavg()[0]
    results["verdicts"] = [{"target": n, "met": ok, "detail": d} for n, ok, d in judge(results)]
    print(json.dumps(results, indent=1, default=str) if args.json else table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
