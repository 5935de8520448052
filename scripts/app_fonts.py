"""Build the app's font: a subset of Noto Sans CJK SC (SIL OFL 1.1) that draws Korean, English, Simplified
Chinese and Vietnamese, written to ``app/fonts/`` with its licence (a build step, like the APK's other
inputs; the folder is not in git).

Why one face: Kivy labels have no font fallback, so a Hangul name inside Chinese or Vietnamese text needs
one font holding all of it. Noto Sans CJK holds Hangul, Han, Latin and the Vietnamese letters; the SC face
gives Chinese readers their own glyph forms. The whole face is 16 MB a weight; the subset keeps what the
app can show: Latin (with Vietnamese), punctuation and symbols, all 11,172 Hangul syllables (names and
addresses), the 3,755 common Han characters of GB 2312 level 1, and every character of the app's
translations, document catalogue and plain words for errors. About 2.7 MB a weight.

    python scripts/app_fonts.py [--source-dir /usr/share/fonts/opentype/noto] [--out app/fonts]

The source is Debian's ``fonts-noto-cjk`` (``scripts/system-deps.sh`` installs it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FACE = "Noto Sans CJK SC"
OUT_NAMES = {"Regular": "MobileIdSans-Regular.otf", "Bold": "MobileIdSans-Bold.otf"}
RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF),
          (0x2190, 0x21FF), (0x2500, 0x25FF), (0x2600, 0x27BF), (0x3000, 0x303F), (0x3130, 0x318F),
          (0xAC00, 0xD7A3), (0xFF00, 0xFFEF))


def characters() -> set[int]:
    wanted = {cp for low, high in RANGES for cp in range(low, high + 1)}
    for row in range(0xB0, 0xD8):  # GB 2312 level 1: the 3,755 most used Han characters
        for cell in range(0xA1, 0xFF):
            try:
                wanted.add(ord(bytes([row, cell]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    for po in (ROOT / "app" / "locale").glob("*/LC_MESSAGES/*.po"):
        wanted.update(ord(ch) for ch in po.read_text("utf-8"))
    # the plain words for error codes (specs/messages.toml) and the words a claim renders with (specs/claims.py)
    for words in (ROOT / "specs" / "messages.toml", ROOT / "specs" / "claims.py"):
        wanted.update(ord(ch) for ch in words.read_text("utf-8"))
    for doc in (ROOT / "specs" / "catalogue" / "types").glob("*.json"):
        wanted.update(ord(ch) for ch in json.dumps(json.loads(doc.read_text("utf-8")), ensure_ascii=False))
    return {cp for cp in wanted if cp >= 0x20}


def build(source_dir: Path, out: Path) -> list[Path]:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    out.mkdir(parents=True, exist_ok=True)
    wanted, made = characters(), []
    for weight, name in OUT_NAMES.items():
        collection = TTCollection(str(source_dir / f"NotoSansCJK-{weight}.ttc"))
        font = next(f for f in collection.fonts if f["name"].getDebugName(1) == FACE)
        options = subset.Options()
        options.hinting = False  # phones render at high density; hints are a third of the size
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=wanted)
        subsetter.subset(font)
        font.save(str(out / name))
        made.append(out / name)
    licence = Path("/usr/share/doc/fonts-noto-cjk/copyright")
    text = licence.read_text("utf-8") if licence.is_file() else ""
    (out / "LICENSE-NotoSansCJK.txt").write_text(
        "MobileIdSans-*.otf are subsets of Noto Sans CJK SC (Adobe and Google), made by scripts/app_fonts.py.\n"
        "Licensed under the SIL Open Font License, Version 1.1 (below, from Debian's fonts-noto-cjk).\n\n" + text,
        "utf-8")
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--source-dir", type=Path, default=Path("/usr/share/fonts/opentype/noto"))
    parser.add_argument("--out", type=Path, default=ROOT / "app" / "fonts")
    args = parser.parse_args(argv)
    if not (args.source_dir / "NotoSansCJK-Regular.ttc").is_file():
        print(f"{args.source_dir}: no NotoSansCJK-Regular.ttc (install Debian's fonts-noto-cjk)", file=sys.stderr)
        return 2
    for path in build(args.source_dir, args.out):
        print(f"{path} {path.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
