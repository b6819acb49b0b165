"""Browser fixtures: Playwright driving Debian's chromium (installed by .ci/run; no download)."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("AIGAP_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Engine cache in a temporary folder (tests never write to ~/.cache)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIGAP_CACHE_DIR", str(tmp_path_factory.mktemp("aigap-cache")))
        yield


@pytest.fixture(scope="session")
def browser():
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} missing: run .ci/run (installs chromium)"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def explorer_file(tmp_path_factory):
    from aigap.explorer.build import explore
    return explore([], tmp_path_factory.mktemp("explorer") / "explorer.html")


def open_page(browser, path, requests=None):
    """A new page on ``path`` that records every network request into ``requests``."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    if requests is not None:
        page.on("request", lambda r: requests.append(r.url))
    page.goto(Path(path).resolve().as_uri())
    wait_js(page, "document.body.dataset.runs >= 1")
    return page


def wait_js(page, expression, timeout=20.0):
    """Poll ``expression`` until true (the page's CSP forbids Playwright's eval-based wait)."""
    import time
    end = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > end:
            raise TimeoutError(f"not true after {timeout} s: {expression}")
        page.wait_for_timeout(10)
