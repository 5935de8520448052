"""Headless Debian Chromium for the page tests (Playwright for Python, no browser download), and
screenshots kept under test-artifacts/ for people to look at."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

if not CHROMIUM.exists():  # a skipped browser test proves nothing: say how to get the browser
    raise RuntimeError("the page tests need Debian's chromium at /usr/bin/chromium: run scripts/system-deps.sh")


@contextmanager
def chromium_page(base_url: str, *, width: int = 1280, height: int = 900) -> Iterator[Any]:
    from playwright import sync_api

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(base_url=base_url, locale="ko-KR", viewport={"width": width, "height": height})
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def shot(page: Any, folder: str, name: str) -> Path:
    """A full-page screenshot in test-artifacts/<folder>/<name>.png."""
    path = ARTIFACTS / folder / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path
