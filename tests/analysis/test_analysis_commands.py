"""`aigap sensitivity`, `discover` and `report` end to end on real files."""

import base64
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aigap.cli import main

REPO = Path(__file__).resolve().parents[2]
SCEN = REPO / "scenarios"
SWEEPS = SCEN / "sweeps"
MODEL = REPO / "model" / "ai_gap.mdl"


def _folder(root: Path, suffix: str) -> Path:
    (folder,) = [p for p in root.iterdir() if p.name.endswith(suffix)]
    return folder


@pytest.fixture(scope="module")
def sobol_folder(tmp_path_factory, cm):
    root = tmp_path_factory.mktemp("sens")
    code = main(
        [
            "sensitivity",
            str(SWEEPS / "price_war.yaml"),
            "--N",
            "64",
            "--n-boot",
            "50",
            "--runs-dir",
            str(root),
            "--model",
            str(MODEL),
        ]
    )
    assert code == 0
    return _folder(root, "-sobol")


def test_sobol_sensitivity_outputs(sobol_folder):
    table = pd.read_csv(sobol_folder / "indices.csv")
    d = 8  # uncertain inputs of price_war.yaml
    # the README's documented default: the three gap ratios and US return on capital, 2030
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "(default: the three gap ratios and US return on capital, 2030)" in readme
    assert len(table) == 4 * d and set(table.output) == {
        "ARR Gap Ratio@2030",
        "Model ARR Gap Ratio@2030",
        "Return Gap Ratio@2030",
        "Return on AI Capital[US]@2030",
    }
    assert np.all(table.ST_low <= table.ST + 1e-12) and np.all(table.ST <= table.ST_high + 1e-12)
    ranking = pd.read_csv(sobol_folder / "ranking.csv")
    first = ranking[ranking.output == "Model ARR Gap Ratio@2030"]
    assert list(first["rank"]) == list(range(1, d + 1))
    assert first.ST.is_monotonic_decreasing
    design = np.load(sobol_folder / "design.npz")
    assert design["X"].shape == (64 * (d + 2), d)
    m = json.loads((sobol_folder / "manifest.json").read_text())
    assert m["seed"] == 7 and m["sensitivity"]["runs"] == 64 * (d + 2)
    assert (sobol_folder / "sensitivity.png").stat().st_size > 10_000


def test_price_war_drivers_make_sense(sobol_folder):
    """China-only levers cannot move US return on capital: their total index is ~0."""
    table = pd.read_csv(sobol_folder / "indices.csv")
    us = table[table.output == "Return on AI Capital[US]@2030"].set_index("input")
    assert us.loc["Price War Intensity[CN]", "ST"] < 0.05


def test_morris_and_custom_outputs(cm, tmp_path, capsys):
    code = main(
        [
            "sensitivity",
            str(SWEEPS / "china_embedding_uncertainty.yaml"),
            "--method",
            "morris",
            "--N",
            "6",
            "--output",
            "Model ARR[CN]@2030",
            "--output",
            "ARR Gap Ratio@2028",
            "--log",
            "--runs-dir",
            str(tmp_path),
            "--model",
            str(MODEL),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "What drives log10 Model ARR[CN]@2030" in out and "mu*" in out
    table = pd.read_csv(_folder(tmp_path, "-morris") / "indices.csv")
    assert set(table.columns) >= {"mu_star", "mu_star_conf", "mu", "sigma"}
    assert len(table) == 2 * 10


@pytest.mark.parametrize(
    "args, message",
    [
        (["--output", "Model ARR@2030"], "give a region"),
        (["--output", "Model ARR[CN] 2030"], "cannot parse output"),
        (["--output", "Modle ARR[CN]@2030"], "did you mean 'Model ARR'"),
        (["--N", "100"], "power of two"),
    ],
)
def test_sensitivity_bad_input(args, message, tmp_path, capsys):
    code = main(["sensitivity", str(SWEEPS / "price_war.yaml"), *args, "--runs-dir", str(tmp_path)])
    assert code == 2 and message in capsys.readouterr().err


def _gap_2030(sweep_folder):
    t = sweep_folder.time
    return sweep_folder.outputs["Model ARR Gap Ratio"][:, int(np.argmin(np.abs(t - 2031.0)))]


def test_discover_finds_boxes(sweep_folder, tmp_path, capsys):
    """The lower third of the 2030 model-layer gap: China's embedding route doing well."""
    cut = float(np.percentile(_gap_2030(sweep_folder), 33))
    code = main(
        [
            "discover",
            str(sweep_folder.run_dir),
            "--condition",
            f"Model ARR Gap Ratio@2030 < {cut:.6g}",
            "--runs-dir",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Cases of interest: Model ARR Gap Ratio@2030 <" in out
    folder = _folder(tmp_path, "-discover")
    traj = pd.read_csv(folder / "trajectory.csv")
    boxes = pd.read_csv(folder / "boxes.csv")
    assert (folder / "tradeoff.png").is_file() and (folder / "box_1.png").is_file()
    assert traj.coverage.iloc[0] == 1.0 and 0.25 < traj.density.iloc[0] < 0.4
    assert boxes.density.iloc[0] > traj.density.iloc[0] + 0.15  # clearly above base rate
    assert set(boxes.input) <= set(sweep_folder.spec.problem.names)
    assert "Box 1: coverage" in out
    # print, CSV and plot report the same (pasted and pruned) box
    cov, den = re.search(r"Box 1: coverage (\d+)%.*?density (\d+)%", out).groups()
    assert re.search(r"\*(\d+)%->(\d+)%", out).groups() == (cov, den)
    chosen = traj[traj.chosen & (traj.box == 1)]
    assert len(chosen) == 1 and chosen.stage.iloc[0] == "pasted+pruned"
    assert chosen.coverage.iloc[0] == pytest.approx(boxes.coverage.iloc[0], abs=1e-6)
    assert chosen.density.iloc[0] == pytest.approx(boxes.density.iloc[0], abs=1e-6)
    assert f"{chosen.coverage.iloc[0]:.0%}" == f"{cov}%"
    assert traj.chosen.sum() == traj.selected.sum() == traj.box.nunique() == boxes.box.nunique()
    assert (traj[traj.selected].stage == "peel").all()
    assert main(["report", str(folder), "--output", str(tmp_path / "d.html")]) == 0
    assert "PRIM boxes" in (tmp_path / "d.html").read_text()


def test_discover_with_two_conditions_and_base_rate(sweep_folder, tmp_path, capsys):
    code = main(
        [
            "discover",
            str(sweep_folder.run_dir),
            "--condition",
            "Model ARR[CN]@2030 > 1e9",
            "--condition",
            "ARR Gap Ratio@2030 < 1e6",
            "--runs-dir",
            str(tmp_path),
            "--no-plots",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    k, n = map(int, re.search(r"hold in (\d+) of (\d+) runs", out).groups())
    assert n == 200
    cn = sweep_folder.outputs["Model ARR"][:, :, 1]
    t = sweep_folder.time
    i = int(np.argmin(np.abs(t - 2031.0)))  # end of 2030 is a saved time
    assert t[i] == 2031.0
    expected = int((cn[:, i] > 1e9).sum())
    assert k == expected


def test_discover_by_condition_name(sweep_folder, tmp_path, capsys):
    code = main(
        [
            "discover",
            str(sweep_folder.run_dir),
            "--condition",
            "cn_model_arr_above_5B_2030",
            "--runs-dir",
            str(tmp_path),
            "--no-plots",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "Cases of interest: Model ARR[CN]@2030 > 5e+09" in out
    prob = pd.read_csv(sweep_folder.run_dir / "conditions.csv").set_index("condition")
    k, n = map(int, re.search(r"hold in (\d+) of (\d+) runs", out).groups())
    assert k / n == pytest.approx(prob.loc["cn_model_arr_above_5B_2030", "probability"])


@pytest.mark.parametrize(
    "cond, message",
    [
        ("Developer Penetration[CN]@2030 < 1", "stored outputs"),
        ("Model ARR[CN]@2030 = 1", "cannot parse condition"),
        ("Model ARR[XX]@2030 > 1", "unknown region 'XX'"),
    ],
)
def test_discover_bad_conditions(sweep_folder, cond, message, tmp_path, capsys):
    code = main(
        ["discover", str(sweep_folder.run_dir), "--condition", cond, "--runs-dir", str(tmp_path)]
    )
    assert code == 2 and message in capsys.readouterr().err


def test_discover_bad_folder(tmp_path, capsys):
    assert main(["discover", str(tmp_path), "--condition", "ARR Gap Ratio@2030 < 5"]) == 2
    assert "not a sweep run folder" in capsys.readouterr().err


def test_report_is_self_contained(sweep_folder, sobol_folder, tmp_path, capsys):
    out_html = tmp_path / "r.html"
    code = main(["report", str(sweep_folder.run_dir), str(sobol_folder), "--output", str(out_html)])
    assert code == 0
    page = out_html.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count('class="folder"') == 2
    imgs = re.findall(r"src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"", page)
    n_png = len(list(sweep_folder.run_dir.glob("*.png"))) + len(list(sobol_folder.glob("*.png")))
    assert len(imgs) == n_png >= 3
    assert base64.b64decode(imgs[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r"(src|href)=['\"]https?:", page)  # nothing fetched online
    assert "Probability of each condition" in page and "Inputs ranked by their effect" in page
    # never overwrite; bad folders are clear errors
    assert main(["report", str(sobol_folder), "--output", str(out_html)]) == 2
    assert "never overwrit" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_report_into_run_folder(sobol_folder, tmp_path, capsys):
    assert main(["report", str(sobol_folder), "--runs-dir", str(tmp_path)]) == 0
    folder = _folder(tmp_path, "-report")
    assert (folder / "report.html").is_file() and (folder / "manifest.json").is_file()


def test_report_on_run_and_compare_folders(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["run", str(SCEN / "baseline.yaml"), "--runs-dir", str(tmp_path)]) == 0
    assert (
        main(
            [
                "compare",
                str(SCEN / "baseline.yaml"),
                str(SCEN / "china_embedding.yaml"),
                "--runs-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    folders = sorted(p for p in tmp_path.iterdir() if not p.name.startswith("."))
    out_html = tmp_path / "page.html"
    assert main(["report", *map(str, folders), "--output", str(out_html)]) == 0
    page = out_html.read_text()
    assert page.count('class="folder"') == 2
    assert "<h2>Scenario run: baseline" in page and "<h2>Scenario comparison:" in page
    assert "Year-end values 2026-2030" in page and "Fit to the published observations" in page
    assert re.search(r"<td>Total AI ARR \[US\]</td>(<td>\$[\d.]+[BT]</td>){5}", page)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--min-coverage", "1.5"], "--min-coverage 1.5: must be between 0 and 1"),
        (["--prune-tol", "-0.1"], "--prune-tol -0.1: must be in [0, 1)"),
    ],
)
def test_discover_bad_options(sweep_folder, args, message, tmp_path, capsys):
    code = main(
        [
            "discover",
            str(sweep_folder.run_dir),
            "--condition",
            "ARR Gap Ratio@2030 < 5",
            *args,
            "--runs-dir",
            str(tmp_path),
        ]
    )
    assert code == 2 and message in capsys.readouterr().err
