"""Sweeps conditioned on the data: consistent share, filtered percentiles and conditions."""

import numpy as np
import pandas as pd
import pytest

from aigap.analysis.conditions import evaluate, series_at, year_to_time
from aigap.analysis.ensemble import simulate_design
from aigap.analysis.sweep_job import PERCENTILES, lever_start, load_sweep_folder
from aigap.observations import default_observations_path, fit_table, load_observations
from aigap.scenarios import load_scenario, resolve_params


def test_consistent_mask_matches_per_run_fit_tables(sweep_folder, cm):
    """The saved mask equals 'every row of the run's fit table passed', run by run."""
    sw = load_sweep_folder(sweep_folder.run_dir)
    spec = sweep_folder.spec
    mask = sw["consistent"]
    assert mask is not None and mask.dtype == bool and mask.shape == (sw["X"].shape[0],)
    obs = load_observations(
        spec.observations or default_observations_path(spec.scenario_path), model=cm
    )
    base = resolve_params(cm, load_scenario(spec.scenario_path, model=cm))
    picks = list(np.flatnonzero(mask)[:3]) + list(np.flatnonzero(~mask)[:3])
    assert picks
    vars_ = list(dict.fromkeys(o.variable for o in obs.fitted))
    for i in picks:
        res = simulate_design(
            cm,
            base,
            spec.uncertain,
            sw["X"][i : i + 1],
            vars_,
            spec.method,
            spec.saveper,
            from_time=lever_start(spec, obs.fitted),
        )
        assert bool(fit_table(obs, res).passed.all()) == bool(mask[i])


def test_conditioned_percentiles_are_percentiles_of_the_filtered_runs(sweep_folder):
    sw = load_sweep_folder(sweep_folder.run_dir)
    mask = sw["consistent"]
    pct = pd.read_csv(sweep_folder.run_dir / "percentiles.csv")
    v = sw["outputs"]["ARR Gap Ratio"]
    for row in pct[pct.variable == "ARR Gap Ratio"].itertuples():
        x = series_at(v, sw["time"], year_to_time(row.year))
        assert row.n == x.size and row.n_consistent == int(mask.sum())
        want = np.percentile(x[mask], PERCENTILES) if mask.any() else [np.nan] * 5
        got = [getattr(row, f"p{p}_consistent") for p in PERCENTILES]
        np.testing.assert_allclose(got, want, rtol=1e-5)
        np.testing.assert_allclose(
            [getattr(row, f"p{p}") for p in PERCENTILES], np.percentile(x, PERCENTILES), rtol=1e-5
        )


def test_conditioned_probabilities_and_share(sweep_folder):
    sw = load_sweep_folder(sweep_folder.run_dir)
    mask = sw["consistent"]
    assert sweep_folder.n_consistent == int(mask.sum())
    assert (
        sweep_folder.run_dir.joinpath("manifest.json")
        .read_text()
        .count(f'"consistent_runs": {int(mask.sum())}')
        == 1
    )
    cond = pd.read_csv(sweep_folder.run_dir / "conditions.csv")
    for c, row in zip(sweep_folder.spec.conditions, cond.itertuples()):
        dims = sw["dims"][c.variable]
        elems = sw["coords"][dims[2]] if len(dims) > 2 else None
        hit = evaluate(c, sw["outputs"][c.variable], sw["time"], elems)
        assert row.runs_consistent == mask.sum()
        if mask.any():
            # conditions.csv stores 6 significant digits
            assert row.probability_consistent == pytest.approx(hit[mask].mean(), rel=1e-5)
        assert row.probability == pytest.approx(hit.mean(), rel=1e-5)


def _copy_sweep(tmp_path, extra=""):
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "scenarios" / "sweeps" / "price_war.yaml"
    text = (
        src.read_text()
        .replace("scenario: ", "scenario: " + str(src.parent.parent) + "/", 1)
        .replace(
            "scenario: " + str(src.parent.parent) + "/china_entry_point\n",
            "scenario: " + str(src.parent.parent) + "/china_entry_point.yaml\n",
        )
    )
    dst = tmp_path / "pw.yaml"
    dst.write_text(text + extra)
    return dst


@pytest.mark.parametrize("extra", ["", "from: 2026.0\n"])
def test_swept_lever_does_not_rewrite_history(cm, tmp_path, extra):
    from aigap.analysis.sweep_job import run_sweep

    path = _copy_sweep(tmp_path, extra)
    out = run_sweep(path, model=cm, runs_dir=tmp_path / "runs", progress=None, plots=False, runs=16)
    start = (
        2026.0
        if extra
        else max(
            o.time
            for o in load_observations(
                default_observations_path(out.spec.scenario_path), model=cm
            ).fitted
        )
    )
    import json

    m = json.loads((out.run_dir / "manifest.json").read_text())
    assert m["sweep"]["swept_values_from"] == pytest.approx(start)
    base = resolve_params(cm, load_scenario(out.spec.scenario_path, model=cm))
    ref = cm.simulate(
        params=base,
        n_runs=1,
        saveper=out.spec.saveper,
        outputs=["ARR Gap Ratio"],
        method=out.spec.method,
    )["ARR Gap Ratio"]
    v = out.outputs["ARR Gap Ratio"]
    before = out.time <= start - 1e-3
    after = out.time > start + 0.5
    assert before.sum() >= 4
    np.testing.assert_allclose(
        v[:, before], np.broadcast_to(ref[:, before], v[:, before].shape), rtol=1e-9
    )
    assert np.ptp(v[:, after], axis=0).max() > 0  # the levers act after the start


def test_from_start_rewrites_history_explicitly(cm, tmp_path):
    from aigap.analysis.sweep_job import run_sweep

    out = run_sweep(
        _copy_sweep(tmp_path, "from: start\n"),
        model=cm,
        runs_dir=tmp_path / "runs",
        progress=None,
        plots=False,
        runs=16,
    )
    v = out.outputs["ARR Gap Ratio"]
    assert np.ptp(v[:, (out.time > 2024.5) & (out.time < 2025.5)], axis=0).max() > 0


def test_parameter_sets_from_a_posterior_folder(cm, tmp_path):
    """A sweep over a posterior folder's draws.csv: log_post ignored, rows drawn whole."""
    from pathlib import Path

    from aigap.analysis.sweep_file import load_sweep

    post = tmp_path / "post"
    post.mkdir()
    rng = np.random.default_rng(0)
    pd.DataFrame(
        {"Price War Intensity[CN]": rng.uniform(0.2, 0.8, 20), "log_post": rng.normal(size=20)}
    ).to_csv(post / "draws.csv", index=False)
    scen = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
    f = tmp_path / "s.yaml"
    f.write_text(
        f"description: over the posterior\nscenario: {scen}\nparameter_sets: post\nseed: 1\n"
    )
    spec = load_sweep(f, cm)
    assert spec.problem.names == ("Price War Intensity[CN]",)
    assert spec.sets.shape == (20, 1) and spec.runs == 20
    assert spec.extra["parameter_sets"]["path"].endswith("draws.csv")
