"""The `aigap report` briefing in headless Chromium: offline, images decode, long tables open."""

from pathlib import Path

import matplotlib.image as mpimg
import pytest

from aigap.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    root = tmp_path_factory.mktemp("report-runs")
    mp = pytest.MonkeyPatch()
    mp.chdir(REPO)
    try:
        assert main(["compare", "baseline", "price_war_truce", "--runs-dir", str(root)]) == 0
        out = root / "briefing.html"
        assert (
            main(
                [
                    "report",
                    "latest:compare",
                    "--runs-dir",
                    str(root),
                    "--title",
                    "US/China AI gap briefing",
                    "--output",
                    str(out),
                ]
            )
            == 0
        )
    finally:
        mp.undo()
    return out


def test_report_page_offline_and_readable(browser, report_file, tmp_path):
    requests = []
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.on("request", lambda r: requests.append(r.url))
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(report_file.resolve().as_uri())
    page.wait_for_load_state("load")
    # no network: the only request is the file itself (images are data: URIs)
    assert [u for u in requests if not u.startswith("data:")] == [report_file.resolve().as_uri()]
    assert not errors, errors
    # the summary is on the first screen: title, question, the total-ARR gap table
    top = page.evaluate("document.querySelector('table.gap').getBoundingClientRect().top")
    assert 0 < top < 1000
    assert page.inner_text("h1") == "US/China AI gap briefing"
    # every figure decoded by the browser
    sizes = page.evaluate("[...document.images].map(i => [i.naturalWidth, i.complete])")
    assert len(sizes) == 3 and all(w > 100 and ok for w, ok in sizes)
    # printed (Print to PDF), every collapsed table is expanded
    page.emulate_media(media="print")
    assert all(
        page.locator("details table").nth(k).is_visible()
        for k in range(page.locator("details table").count())
    )
    page.emulate_media(media="screen")
    # a collapsed table shows all its rows once opened
    details = page.locator("details").first
    assert not details.locator("table").is_visible()
    details.locator("summary").click()
    rows = details.locator("tbody tr")
    assert details.locator("table").is_visible() and rows.count() > 12
    shot = tmp_path / "top.png"
    page.screenshot(path=str(shot))
    img = mpimg.imread(shot)[..., :3]
    assert img.std() > 0.05 and (img < 0.5).mean() > 0.01  # text drawn, not a blank page
    page.close()


def test_report_pdf_printed_by_the_browser(tmp_path):
    """`aigap report --pdf`: a real PDF beside the HTML (several A4 pages, the long tables
    opened), never over an existing file."""
    import re

    root = tmp_path / "runs"
    mp = pytest.MonkeyPatch()
    mp.chdir(REPO)
    try:
        assert main(["run", "baseline", "--no-plots", "--runs-dir", str(root)]) == 0
        out = tmp_path / "brief.html"
        assert (
            main(["report", "latest:run", "--runs-dir", str(root), "--output", str(out), "--pdf"])
            == 0
        )
        pdf = out.with_suffix(".pdf").read_bytes()
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 2
        # a second run refuses (exit 2) instead of overwriting the html or the pdf
        out.unlink()
        assert (
            main(["report", "latest:run", "--runs-dir", str(root), "--output", str(out), "--pdf"])
            == 2
        )
        assert not out.exists()
        # into a new run folder: report.html and report.pdf side by side
        assert main(["report", "latest:run", "--runs-dir", str(root), "--pdf"]) == 0
        (folder,) = [p for p in root.iterdir() if p.name.endswith("-report")]
        assert (folder / "report.pdf").read_bytes().startswith(b"%PDF-")
    finally:
        mp.undo()
