"""`aigap report` as a briefing, `aigap export`, and names where paths are accepted: the
real commands on the real model, scenarios and a small real sweep."""

import re
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aigap.cli import main
from aigap.workflow.summary import GAP_LABELS, format_value

REPO = Path(__file__).resolve().parents[2]


def _tables(page: str, **attrs):
    return pd.read_html(StringIO(page), attrs=attrs or None)


def _cli_gap_table(stdout: str, title: str) -> dict:
    """``aigap compare``'s table ``title``: scenario -> the five printed cells."""
    lines = stdout.splitlines()
    start = lines.index(f"{title} (year-end)")
    rows = {}
    for line in lines[start + 3 :]:
        if not line.strip():
            break
        name, *cells = line.split()
        rows[name] = cells
    return rows


@pytest.fixture(scope="module")
def briefing(tmp_path_factory, sweep_folder):
    """A compare folder (two scenarios by name) + the sweep fixture, and the report page."""
    root = tmp_path_factory.mktemp("brief")
    mp = pytest.MonkeyPatch()
    mp.chdir(REPO)
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert (
            main(["compare", "baseline", "china_embedding", "--no-plots", "--runs-dir", str(root)])
            == 0
        )
    compare_out = buf.getvalue()
    page_path = root / "report.html"
    with contextlib.redirect_stdout(io.StringIO()):
        assert (
            main(
                [
                    "report",
                    "latest:compare",
                    str(sweep_folder.run_dir),
                    "--runs-dir",
                    str(root),
                    "--output",
                    str(page_path),
                ]
            )
            == 0
        )
    mp.undo()
    (compare,) = [p for p in root.iterdir() if p.name.endswith("-compare")]
    return {
        "page": page_path.read_text(encoding="utf-8"),
        "path": page_path,
        "stdout": compare_out,
        "compare": compare,
        "sweep": sweep_folder.run_dir,
        "root": root,
    }


def test_summary_comes_first_and_gap_tables_equal_compare(briefing):
    page = briefing["page"]
    # the summary (question, findings, gap tables) comes before any folder section
    assert (
        page.index('id="summary"')
        < page.index('class="folder"')
        < page.index('id="assumptions"')
        < page.index('id="glossary"')
        < page.index('id="provenance"')
    )
    for gap in ("ARR Gap Ratio", "Model ARR Gap Ratio", "Return Gap Ratio"):
        (tab,) = _tables(page, **{"data-variable": gap})
        tab = tab.set_index("scenario")
        cli = _cli_gap_table(briefing["stdout"], GAP_LABELS[gap])
        assert set(cli) == {"baseline", "china_embedding"}
        for scen, cells in cli.items():
            assert list(tab.loc[scen].astype(str)) == cells, (gap, scen)
        # the sweep's uncertainty row: median (5-95%) of the data-consistent runs
        pct = pd.read_csv(briefing["sweep"] / "percentiles.csv")
        row = pct[(pct.variable == gap) & (pct.year == 2030)].iloc[0]
        band = [r for r in tab.index if r.startswith("sweep ")]
        assert len(band) == 1 and "data-consistent runs" in band[0]
        med, lo, hi = (
            format_value(row[f"{k}_consistent"], ratio=True) for k in ("p50", "p5", "p95")
        )
        assert tab.loc[band[0], "2030"] == f"{med} ({lo}-{hi})"


def test_findings_are_generated_from_the_results(briefing):
    page = briefing["page"]
    items = re.findall(
        r"<li>(.*?)</li>", page.split('<ol class="findings">')[1].split("</ol>")[0], re.S
    )
    assert 3 <= len(items) <= 5
    summary = pd.read_csv(briefing["compare"] / "summary.csv")
    base = summary[(summary.scenario == "baseline") & (summary.variable == "ARR Gap Ratio")]
    v2030 = format_value(float(base[base.year == 2030].value.iloc[0]), ratio=True)
    assert any("baseline" in i and v2030 in i and "year-end 2030" in i for i in items)
    assert any("data-consistent runs" in i for i in items)


def test_nothing_cut_off_and_every_figure_captioned(briefing):
    page = briefing["page"]
    assert "see fit.csv" not in page and "first 80" not in page
    fit = pd.read_csv(briefing["compare"] / "fit.csv")
    (shown,) = [t for t in _tables(page) if "observation" in t.columns and "fit" in t.columns]
    assert len(shown) == len(fit) == 2 * fit.id.nunique()  # every row, collapsible
    assert f"{len(fit)} rows: click to show all" in page
    assert "ci_low" not in page  # readable column names
    figs = re.findall(r"<figcaption><b>Figure \d+\.</b> ([^<]+)", page)
    assert len(figs) == len(list(briefing["sweep"].glob("*.png"))) >= 2
    assert all(len(c) > 30 for c in figs)


def test_assumptions_in_words_with_units(briefing):
    page = briefing["page"].split('id="assumptions"')[1].split('id="glossary"')[0]
    # china_embedding.yaml's own override, by element, with its time points in words
    assert "Embedding Push[CN]" in page and "July 2026" in page
    # the sweep's distributions, in words
    assert "triangular from 0.300 to 1.00, most likely 0.600" in page
    assert "log-uniform between" in page
    glossary = briefing["page"].split('id="glossary"')[1]
    for term in ("Gap ratio", "Data-consistent run", "Morris mu* / sigma", "PRIM box"):
        assert f"<dt>{term}</dt>" in glossary
    prov = briefing["page"].split('id="provenance"')[1]
    assert ">None<" not in prov


def test_report_bad_inputs(tmp_path, capsys, briefing):
    assert main(["report", "no-such-folder", "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no-such-folder: no such run folder" in err and "latest:KIND" in err
    assert main(["report", "--latest", "sweep", "--runs-dir", str(tmp_path)]) == 2
    assert "no sweep folder" in capsys.readouterr().err
    bad = tmp_path / "broken"
    bad.mkdir()
    (bad / "manifest.json").write_text("{not json")
    out = tmp_path / "r.html"
    assert main(["report", str(bad), "--output", str(out)]) == 2
    assert "manifest.json: unreadable" in capsys.readouterr().err and not out.exists()
    assert main(["report", str(briefing["compare"]), "--output", str(briefing["path"])]) == 2
    assert "never overwrit" in capsys.readouterr().err


def test_export_round_trips(briefing, tmp_path, capsys):
    import xarray as xr

    compare = briefing["compare"]
    xlsx, nc, csv = tmp_path / "c.xlsx", tmp_path / "c.nc", tmp_path / "c.csv"
    for fmt, out in (("xlsx", xlsx), ("netcdf", nc), ("csv", csv)):
        assert main(["export", str(compare), "--format", fmt, "-o", str(out)]) == 0
    sheets = pd.read_excel(xlsx, sheet_name=None, engine="openpyxl")
    assert {"README", "summary", "results", "fit", "units"} <= set(sheets)
    readme = dict(zip(sheets["README"].item, sheets["README"].content))
    assert "year-end" in readme["time"] and "sheet results" in readme
    summary = pd.read_csv(compare / "summary.csv")
    pd.testing.assert_frame_equal(sheets["summary"], summary, check_dtype=False)
    results = pd.read_csv(compare / "results.csv").fillna({"region": ""})
    assert (
        sheets["results"].unit[sheets["results"].variable == "Total AI ARR"] == "USD/Year"
    ).all()
    ds = xr.load_dataset(nc, engine="scipy")
    assert ds["Total AI ARR"].attrs["units"] == "USD/Year"
    sub = results[
        (results.variable == "Total AI ARR")
        & (results.region == "CN")
        & (results.scenario == "china_embedding")
    ]
    got = ds["Total AI ARR"].sel(scenario="china_embedding", Region="CN").values
    np.testing.assert_allclose(got, sub.value.to_numpy(), rtol=1e-12)
    long = pd.read_csv(csv, keep_default_na=False)
    assert list(long.columns) == ["scenario", "time", "variable", "region", "value", "unit"]
    assert len(long) == len(results)
    # a sweep: per-run outputs over run x time (x Region), the consistent mask kept
    snc = tmp_path / "s.nc"
    assert main(["export", str(briefing["sweep"]), "--format", "netcdf", "-o", str(snc)]) == 0
    sds = xr.load_dataset(snc, engine="scipy")
    with np.load(briefing["sweep"] / "outputs.npz") as z:
        np.testing.assert_array_equal(sds["ARR Gap Ratio"].values, z["out:ARR Gap Ratio"])
        np.testing.assert_array_equal(sds["consistent"].values, z["consistent"])
    # bad inputs: never overwrite, unknown folder
    capsys.readouterr()
    assert main(["export", str(compare), "-o", str(xlsx)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "nope"), "--runs-dir", str(tmp_path)]) == 2
    assert "no such run folder" in capsys.readouterr().err


def test_scenario_names_and_run_folder_names(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert (
        main(
            [
                "run",
                "baseline",
                "--no-plots",
                "--no-observations",
                "--set",
                "Price War Intensity[CN]=0.5",
                "--runs-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    (folder,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert folder.name.endswith("-baseline-price_war_intensity_cn_0.5")
    assert main(["run", "basline", "--runs-dir", str(tmp_path)]) == 2
    assert "did you mean 'baseline'?" in capsys.readouterr().err
    assert (
        main(
            [
                "run",
                "baseline",
                "--no-plots",
                "--no-observations",
                "--name",
                "mine",
                "--runs-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert any(p.name.endswith("-mine") for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    "command, term",
    [
        ("sensitivity", "Morris mu* / sigma: Mean absolute"),
        ("calibrate", "Payoff: Calibration's error score"),
        ("discover", "PRIM box: A set of input ranges"),
        ("report", "Gap ratio: US value divided"),
    ],
)
def test_terms_of_art_explained_in_help(command, term, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert term in " ".join(capsys.readouterr().out.split())
