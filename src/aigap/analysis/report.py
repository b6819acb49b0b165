"""``aigap report``: a briefing as one self-contained HTML page (readable offline).

The page opens with a one-screen summary (the question, plain-language findings, the
2026-2030 gap tables per scenario with the sweeps' / posteriors' 5-95% ranges, what drives
the gap), then one section per folder (compact tables, captioned figures), the assumptions
in words and units, a glossary and the provenance last. Data come from
:mod:`.report_data` / :mod:`.report_sections`; the layout is the jinja2 template
``templates/report.html.j2``. No external CSS, scripts or fonts; images are data: URIs.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

from ..scenarios import InputError
from ..workflow.manifest import build_manifest, write_manifest
from ..workflow.rundir import check_output_path, new_run_dir
from .report_words import GLOSSARY

__all__ = ["briefing", "build_report", "render_html"]

QUESTION = (
    "How large are the US/China gaps in AI revenue (ARR) and in the return on AI "
    "capital at each year end 2026-2030, how sure are we, and what would close them?"
)
CAVEATS = (
    "Every number comes from a system-dynamics model calibrated to the published figures of the "
    "two source articles (scenarios/data/observations.yaml); it is a projection under the "
    "listed assumptions, not a forecast.",
    "Scenario rows are single runs; only sweep and posterior rows carry uncertainty, and only "
    "over the distributions listed above.",
    "Fits to 2024-2026 data leave 2030 loosely constrained: equally good fits can disagree "
    "widely about 2030 (see the sweep and posterior spreads).",
)


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("aigap.analysis", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["unit_words"] = lambda u: {
        "": "-",
        "Dmnl": "dimensionless",
        "1": "dimensionless",
    }.get(u or "", u)
    return env


def briefing(folders) -> dict:
    """Everything the page shows, as plain data (the template only lays it out)."""
    from .report_data import assumptions, drivers, findings, headline
    from .report_sections import folder_section

    tables = headline(folders)
    drv = drivers(folders)
    return {
        "question": QUESTION,
        "headline": tables,
        "drivers": drv,
        "has_bands": any(r["kind"] != "scenario" for t in tables for r in t["rows"]),
        "findings": findings(folders, tables, drv),
        "assumptions": assumptions(folders),
        "sections": [folder_section(f) for f in folders],
        "caveats": list(CAVEATS),
        "glossary": GLOSSARY,
    }


def render_html(folders, title: str = "aigap report") -> str:
    """The whole page for a list of run folders (paths or :class:`Folder`)."""
    from .. import __version__
    from .report_data import Folder, load_folder

    folders = [f if isinstance(f, Folder) else load_folder(f) for f in folders]
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    return (
        _environment()
        .get_template("report.html.j2")
        .render(title=title, generated=now, version=__version__, **briefing(folders))
    )


def build_report(
    folders,
    output=None,
    title: str = "aigap report",
    runs_dir=None,
    command=None,
    pdf: bool = False,
) -> Path:
    """Write the report; returns the HTML path (a new run folder unless ``output``).

    ``pdf``: also ``report.pdf`` (or ``output`` with ``.pdf``), printed by a headless Chromium
    (:mod:`aigap.analysis.report_pdf`)."""
    started = datetime.now().astimezone()
    from .report_data import load_folder

    paths, loaded, problems = [], [], []
    for f in folders:
        p = Path(f)
        if not (p / "manifest.json").is_file():
            problems.append(f"{p}: not a run folder (no manifest.json)")
            continue
        try:
            loaded.append(load_folder(p))
            paths.append(p)
        except (OSError, ValueError) as exc:
            problems.append(f"{p / 'manifest.json'}: not a readable manifest ({exc})")
    if problems:
        raise InputError(problems)
    if not paths:
        raise InputError(["give at least one run folder"])
    if output is not None:
        check_output_path(output, "--output")
        if pdf:
            check_output_path(Path(output).with_suffix(".pdf"), "--output (pdf)")
    page = render_html(loaded, title)
    if output is not None:
        out = Path(output)
        pdf_out = out.with_suffix(".pdf")
        try:  # O_EXCL: never over an existing file, and never through a (dangling) symlink
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            raise InputError([f"--output: {out}: exists; the report never overwrites a file"])
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        if pdf:
            from .report_pdf import html_to_pdf

            tmp = pdf_out.with_name(f".{pdf_out.name}.tmp-{os.getpid()}")
            try:
                html_to_pdf(out, tmp)
                os.link(tmp, pdf_out)  # fails instead of replacing a file made meanwhile
            finally:
                tmp.unlink(missing_ok=True)
        return out
    with new_run_dir("report", "report", runs_dir=runs_dir) as rd:
        (rd.path / "report.html").write_text(page, encoding="utf-8")
        if pdf:
            from .report_pdf import html_to_pdf

            html_to_pdf(rd.path / "report.html", rd.path / "report.pdf")
        write_manifest(
            rd.path,
            build_manifest(
                "report",
                "report",
                started,
                command=command if command is not None else sys.argv,
                extra={"folders": [str(p.resolve()) for p in paths]},
            ),
        )
    return rd.final_path / "report.html"
