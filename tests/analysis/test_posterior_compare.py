"""Paired comparison over posterior draws: the probabilities on a constructed case, the
fast likelihood, `aigap compare/run --posterior` on a real (small) posterior folder, and a
posterior folder from another model (exit 2, nothing written)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aigap.analysis import mcmc as pm
from aigap.analysis.paired import paired_probabilities, quantile_rows
from aigap.analysis.posterior_compare import lever_columns, year_end_matrix
from aigap.cli import main
from aigap.observations import load_observations, simulated_matrix
from aigap.scenarios import load_scenario, resolve_params

REPO = Path(__file__).resolve().parents[2]
SCEN = REPO / "scenarios"
PRIORS = SCEN / "priors" / "ai_gap_priors.yaml"


def test_paired_probabilities_constructed_case():
    gaps = {
        "baseline": np.array([10.0, 20, 30, 40]),
        "a": np.array([9.0, 21, 29, 50]),
        "b": np.array([11.0, 19, 28, 39]),
    }
    p = paired_probabilities(gaps, "baseline")
    assert p["a"]["p_below_baseline"] == 0.5 and p["b"]["p_below_baseline"] == 0.75
    assert p["baseline"]["p_below_baseline"] == 0.0
    assert (p["a"]["p_narrowest"], p["b"]["p_narrowest"], p["baseline"]["p_narrowest"]) == (
        0.25,
        0.75,
        0.0,
    )
    assert p["a"]["median_ratio"] == pytest.approx(np.median([0.9, 1.05, 29 / 30, 1.25]))
    # pairing matters: the same marginals in another order give another answer
    shuffled = dict(gaps, baseline=gaps["baseline"][::-1])
    assert paired_probabilities(shuffled, "baseline")["b"]["p_below_baseline"] == 0.5
    # a draw that failed in any scenario is left out of every scenario's shares
    gaps["a"] = np.array([9.0, np.nan, 29, 50])
    p = paired_probabilities(gaps, "baseline")
    assert p["b"]["n"] == 3 and p["b"]["p_below_baseline"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        paired_probabilities(gaps, "nope")
    q = quantile_rows(np.arange(101.0))
    assert (q["p5"], q["median"], q["p95"], q["n"]) == (5.0, 50.0, 95.0, 101)


def test_year_end_matrix_interpolates():
    t = np.linspace(2024, 2031, 29)
    y = np.stack([t, 2 * t])
    v = year_end_matrix(t, y, years=(2026, 2030))
    assert np.allclose(v, [[2027, 2031], [4054, 4062]])


def test_lever_columns_start_times(cm):
    from aigap.analysis.sweep_file import Uncertain

    targets = [
        Uncertain("Consumer Paying Share[CN]", "Consumer Paying Share", "CN", None, 1),
        Uncertain("Consumer Paying Share[US]", "Consumer Paying Share", "US", None, 1),
        Uncertain("Price War Intensity[CN]", "Price War Intensity", "CN", None, 1),
    ]
    entry = load_scenario(SCEN / "china_entry_point.yaml", model=cm)
    got = lever_columns(entry.overrides, targets, 2026.4)
    assert got == {0: 2026.4, 2: 2026.5}  # constant: last observation; ramp: its start


def test_fast_likelihood_matches_reference(cm):
    from aigap.analysis.ensemble import simulate_design
    from aigap.analysis.priors_file import load_priors

    obs = load_observations(SCEN / "data" / "observations.yaml", model=cm)
    items = list(obs.fitted)
    spec = load_priors(PRIORS, cm)
    T = pm.PriorTransform([u.dist for u in spec.uncertain])
    X = T.prior_sample(64, np.random.default_rng(0))
    base = resolve_params(cm, load_scenario(SCEN / "baseline.yaml", model=cm))
    res = simulate_design(
        cm, base, list(spec.uncertain), X, sorted({o.variable for o in items}), engine="numpy"
    )
    ref = pm.log_likelihood(items, simulated_matrix(items, res))
    fast = pm.FastLikelihood(items)
    assert np.allclose(fast(res), ref, rtol=1e-12, atol=1e-9)
    assert np.allclose(fast(res), ref, rtol=1e-12, atol=1e-9)  # cached plan


@pytest.fixture(scope="module")
def posterior_folder(cm, tmp_path_factory):
    from aigap.analysis.posterior_job import run_posterior

    root = tmp_path_factory.mktemp("post")
    out = run_posterior(
        SCEN / "baseline.yaml",
        PRIORS,
        walkers=64,
        steps=12,
        chunk=12,
        seed=4,
        model=cm,
        runs_dir=root,
        plots=False,
        progress=None,
        command=["test"],
        n_init=400,
    )
    return out.run_dir


def test_compare_posterior_cli(posterior_folder, cm, tmp_path, capsys):
    runs = tmp_path / "runs"
    scen = [SCEN / "baseline.yaml", SCEN / "price_war_truce.yaml", SCEN / "china_entry_point.yaml"]
    code = main(
        ["compare", *map(str, scen), "--posterior", str(posterior_folder), "--runs-dir", str(runs)]
    )
    assert code == 0, capsys.readouterr().err
    text = capsys.readouterr().out
    assert "Paired probabilities, 2030" in text and "P(below baseline)" in text
    (folder,) = runs.iterdir()
    assert {
        "gaps.csv",
        "probabilities.csv",
        "gap_draws.npz",
        "fan_gaps.png",
        "drivers.csv",
        "manifest.json",
    } <= {p.name for p in folder.iterdir()}
    dr = pd.read_csv(folder / "drivers.csv")
    n_constants = len(pd.read_csv(posterior_folder / "draws.csv").columns) - 1  # log_post out
    assert len(dr) == 3 * 3 * n_constants and dr.prcc.abs().max() <= 1
    gaps = pd.read_csv(folder / "gaps.csv")
    n_draws = len(pd.read_csv(posterior_folder / "draws.csv"))
    assert set(gaps.year) == {2026, 2027, 2028, 2029, 2030} and (gaps.n == n_draws).all()
    assert ((gaps.p5 <= gaps["median"]) & (gaps["median"] <= gaps.p95)).all()
    pr = pd.read_csv(folder / "probabilities.csv")
    for _, part in pr.groupby("variable"):
        assert part.p_narrowest.sum() == pytest.approx(1.0)
        assert part.set_index("scenario").p_below_baseline["baseline"] == 0.0
    # the same draw in every scenario: draw 0 of price_war_truce (no posterior constant
    # overridden) is the scenario simulated with the draw's values set
    draws = pd.read_csv(posterior_folder / "draws.csv").drop(columns="log_post")
    z = np.load(folder / "gap_draws.npz")
    sc = load_scenario(SCEN / "price_war_truce.yaml", model=cm)
    sets = [f"{c}={v!r}" for c, v in draws.iloc[0].items()]
    res = cm.simulate(params=resolve_params(cm, sc, sets), n_runs=1)
    one = year_end_matrix(res.time, np.asarray(res["ARR Gap Ratio"]))
    assert np.allclose(z["price_war_truce|ARR Gap Ratio"][0], one[0], rtol=1e-9)
    # and the paired probability is recomputed from the saved draws
    b, s = z["baseline|ARR Gap Ratio"][:, -1], z["price_war_truce|ARR Gap Ratio"][:, -1]
    row = pr[(pr.scenario == "price_war_truce") & (pr.variable == "ARR Gap Ratio")]
    assert row.p_below_baseline.iloc[0] == pytest.approx(np.mean(s < b))
    man = json.loads((folder / "manifest.json").read_text())
    assert man["posterior"]["draws"]["sha256"] and man["posterior"]["n_draws"] == n_draws


def test_run_posterior_cli(posterior_folder, tmp_path, capsys):
    runs = tmp_path / "runs"
    code = main(
        [
            "run",
            str(SCEN / "baseline.yaml"),
            "--posterior",
            str(posterior_folder),
            "--runs-dir",
            str(runs),
            "--no-plots",
        ]
    )
    assert code == 0
    assert "median [5%-95%]" in capsys.readouterr().out
    (folder,) = runs.iterdir()
    assert (folder / "gaps.csv").is_file() and not (folder / "probabilities.csv").exists()


@pytest.mark.parametrize("damage", ["sha", "kind", "column"])
def test_posterior_folder_bad_input(posterior_folder, tmp_path, capsys, damage):
    bad = tmp_path / "post"
    shutil.copytree(posterior_folder, bad)
    man = json.loads((bad / "manifest.json").read_text())
    if damage == "sha":
        man["model"]["sha256"] = "0" * 64
    elif damage == "kind":
        man["kind"] = "sweep"
    else:
        d = pd.read_csv(bad / "draws.csv").rename(columns={"Base Usage Growth": "Base Usage"})
        d.to_csv(bad / "draws.csv", index=False)
    (bad / "manifest.json").write_text(json.dumps(man))
    runs = tmp_path / "runs"
    code = main(
        ["compare", str(SCEN / "baseline.yaml"), "--posterior", str(bad), "--runs-dir", str(runs)]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert {
        "sha": "model.sha256: the posterior was sampled on another model",
        "kind": "kind: expected 'posterior'",
        "column": "did you mean 'Base Usage Growth'",
    }[damage] in err[0]
    assert not runs.exists() or not any(runs.iterdir())


def test_rank_drivers_finds_the_driver_among_correlated_draws():
    from aigap.analysis.paired import rank_drivers

    rng = np.random.default_rng(5)
    a = rng.normal(size=2000)
    b = 0.8 * a + 0.6 * rng.normal(size=2000)  # correlated with a, no effect of its own
    c = rng.normal(size=2000)
    y = np.exp(a) + 0.01 * rng.normal(size=2000)
    r = rank_drivers(np.column_stack([a, b, c]), y)
    assert r[0]["prcc"] > 0.95 and abs(r[1]["prcc"]) < 0.1 and abs(r[2]["prcc"]) < 0.1
    assert r[1]["spearman"] > 0.6  # the marginal correlation alone would blame b


def test_gap_fan_draws_the_base_scenario_as_written():
    """fan_gaps.png carries the base scenario at its own constants (dashed) beside the
    posterior medians and bands; minor ticks are labelled at 2, 3, 5 only."""
    import pandas as _pd

    from aigap.analysis.posterior_plots import plot_gap_fans

    rows = [
        {
            "scenario": s,
            "variable": "ARR Gap Ratio",
            "year": y,
            "p5": 10.0 + k,
            "median": 20.0 + k,
            "p95": 40.0 + k,
        }
        for s in ("baseline", "other")
        for k, y in enumerate(range(2026, 2031))
    ]
    own = {"ARR Gap Ratio": [21.0, 22.0, 23.0, 24.0, 25.0]}
    fig = plot_gap_fans(None, _pd.DataFrame(rows), "baseline", "t", own=own)
    ax = fig.axes[0]
    (line,) = [ln for ln in ax.lines if ln.get_label() == "baseline as written (no posterior)"]
    assert line.get_linestyle() == "--" and list(line.get_ydata()) == own["ARR Gap Ratio"]
    fig.canvas.draw()
    minor = [t.get_text() for t in ax.yaxis.get_minorticklabels() if t.get_text()]
    assert minor and set(minor) <= {"2x", "3x", "5x", "20x", "30x", "50x", "0.2x", "0.3x", "0.5x"}
