"""Browser fixtures: Playwright driving Debian's chromium (installed by .ci/run; no download)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("AIGAP_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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
