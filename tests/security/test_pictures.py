"""Issue 13 item 4, pictures are bounded: a few-KiB PNG declaring 13000x13000 or 20000x20000 pixels took the
verifier to 554 MB and the wallet to 720 MB (the larger one a traceback). Each picture here is handed to
the real CLI in a fresh interpreter whose peak resident memory (``ru_maxrss``) is measured: a picture over
the limit is an input error (exit 2) named ``input.image_too_large``, and no picture (the bombs, nor the
largest one still read) takes the process past 100 MB. A picture holding two different codes is refused
as ambiguous."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

from specs.io.symbols import MAX_DECODED_BYTES, MAX_PIXELS, png
from specs.qr import encode_message
from tests.specs.io.test_symbols import bomb_png

ROOT = Path(__file__).resolve().parents[2]
BUDGET_KIB = 100 * 1024
# The CLI in this interpreter; the last line on stderr is the exit code and the peak resident memory.
PROBE = """
import re, sys
from pathlib import Path
from mobileid.cli import main
sys.argv = ["mobileid", *sys.argv[1:]]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code
peak = re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1]
print(f"PEAK {peak} EXIT {code}", file=sys.stderr)
"""


def run_cli(*args: str, home: Path) -> tuple[int, int, str]:
    """(exit code, peak KiB, stdout) of ``mobileid ARGS`` in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(ROOT)})
    last = done.stderr.strip().splitlines()[-1].split()
    assert last[0] == "PEAK", done.stderr[-2000:]
    return int(last[3]), int(last[1]), done.stdout


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A verifier trust folder (one pinned public key): enough for ``mobileid verify`` to read pictures."""
    folder = tmp_path_factory.mktemp("trust")
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    (folder / "issuer.pem").write_bytes(key.public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo))
    return folder


def largest_accepted(mode: str, fmt: str) -> bytes:
    """The worst pictures still read, a code on each: a grey PNG of MAX_PIXELS (1 byte a pixel decoded), an
    RGBA PNG of MAX_DECODED_BYTES (4 bytes a pixel) and an RGB JPEG of MAX_PIXELS."""
    side = int((MAX_PIXELS if mode != "RGBA" else MAX_DECODED_BYTES // 4) ** 0.5)
    image = Image.new(mode, (side, side), "white")
    code = Image.open(io.BytesIO(png(encode_message(b"\xa0" * 40)[0], scale=8)))
    image.paste(code.convert(mode), (side // 3, side // 3))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize("side", [13000, 20000])
def test_pixel_bombs_are_input_errors_within_the_memory_budget(side: int, trust: Path, tmp_path: Path) -> None:
    bomb = tmp_path / f"bomb-{side}.png"
    bomb.write_bytes(bomb_png(side, side))
    assert bomb.stat().st_size < 1024 * 1024
    code, peak, out = run_cli("verify", str(bomb), "--trust", str(trust), "--json", home=tmp_path)
    assert code == 2 and json.loads(out)["error"]["code"] == "input.image_too_large", out
    assert peak < BUDGET_KIB, f"verify peaked at {peak} KiB"
    code, peak_wallet, out = run_cli("wallet", "receive", str(bomb), "--data-dir", str(tmp_path / "w"), "--json",
                                     home=tmp_path)
    assert code == 2 and json.loads(out)["error"]["code"] == "input.image_too_large", out
    assert peak_wallet < BUDGET_KIB, f"wallet receive peaked at {peak_wallet} KiB"
    print(f"\n{side}x{side} PNG of {bomb.stat().st_size} bytes: verify {peak} KiB, wallet {peak_wallet} KiB peak")


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "fmt"), [("L", "PNG"), ("RGBA", "PNG"), ("RGB", "JPEG")])
def test_the_largest_pictures_still_read_stay_within_the_memory_budget(mode: str, fmt: str, trust: Path,
                                                                        tmp_path: Path) -> None:
    picture = tmp_path / f"largest.{fmt.lower()}"
    picture.write_bytes(largest_accepted(mode, fmt))
    code, peak, out = run_cli("verify", str(picture), "--trust", str(trust), "--json", home=tmp_path)
    # The code was found and read (then refused: its message is no presentation), so the whole picture was
    # decoded and scanned.
    assert code == 1 and json.loads(out)["errors"][0]["code"] not in ("qr.not_found", "input.image_too_large"), out
    assert peak < BUDGET_KIB, f"verify of a {mode} {fmt} peaked at {peak} KiB"
    print(f"\n{mode} {fmt} ({picture.stat().st_size} bytes): verify {peak} KiB peak")


def test_one_pixel_more_is_refused(trust: Path, tmp_path: Path) -> None:
    side = int((MAX_DECODED_BYTES // 4) ** 0.5)
    picture = tmp_path / "rgba.png"
    Image.new("RGBA", (side + 1, side + 1), "white").save(picture)
    code, _, out = run_cli("verify", str(picture), "--trust", str(trust), "--json", home=tmp_path)
    assert code == 2 and json.loads(out)["error"]["code"] == "input.image_too_large", out
