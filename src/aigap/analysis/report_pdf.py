"""The briefing report as PDF: the HTML page printed by a headless Chromium (Playwright).

Why the browser: the page's charts and collapsible tables are HTML/CSS, and the browser's own
print engine is what a reader would get from "Print to PDF"; no second layout to keep in step.
Long tables (``<details>``) are opened before printing, so nothing is cut off on paper.
Needs the ``pdf`` extra (``pip install aigap[pdf]``: Playwright) and a Chromium: ``$AIGAP_CHROMIUM``,
else ``chromium`` / ``chromium-browser`` / ``google-chrome`` on the PATH, else Playwright's own.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..core.errors import InputError

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """Path of a Chromium to print with (None: let Playwright use its own)."""
    env = os.environ.get("AIGAP_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def html_to_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print ``html_path`` (a local file) to ``pdf_path`` (A4, backgrounds, details opened).

    Runs in its own thread: Playwright's sync API refuses a thread with a running asyncio loop
    (a notebook, or a caller already driving a browser)."""
    import threading

    box: dict = {}

    def work():
        try:
            box["out"] = _print(html_path, pdf_path)
        except BaseException as exc:  # re-raised in the caller's thread
            box["exc"] = exc

    t = threading.Thread(target=work, name="aigap-pdf")
    t.start()
    t.join()
    if "exc" in box:
        raise box["exc"]
    return box["out"]


def _print(html_path: Path, pdf_path: Path) -> Path:
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise InputError(["--pdf: needs Playwright (pip install 'aigap[pdf]')"]) from None
    exe = find_chromium()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, args=ARGS, headless=True)
            try:
                page = browser.new_page()
                page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
                page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                page.emulate_media(media="print")
                page.pdf(
                    path=str(pdf_path),
                    format="A4",
                    print_background=True,
                    margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"},
                )
            finally:
                browser.close()
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            [
                f"--pdf: the browser could not print the report ({first}); set "
                "AIGAP_CHROMIUM to a Chromium executable"
            ]
        ) from None
    return Path(pdf_path)
