"""Page helpers for the browser tests (a uniquely named module: every test folder has a conftest)."""

from pathlib import Path


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
