"""`aigap posterior`: the sampler on a closed-form posterior, simulation-based calibration
on the project model, priors-file bad inputs, hindcast, resume, the real command."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from aigap.analysis import mcmc as pm
from aigap.analysis.distributions import Distribution
from aigap.analysis.posterior_job import run_posterior
from aigap.cli import main
from aigap.scenarios import load_scenario, resolve_params

REPO = Path(__file__).resolve().parents[2]
SCEN = REPO / "scenarios"
PRIORS = SCEN / "priors" / "ai_gap_priors.yaml"
BASELINE = SCEN / "baseline.yaml"  # its observations are scenarios/data/observations.yaml


# --------------------------------------------------------------------------- methods


def test_sampler_recovers_linear_gaussian_posterior():
    """y = A theta + noise, theta ~ N(m0, S0): the posterior is N(m, S) in closed form."""
    rng = np.random.default_rng(3)
    A = rng.normal(size=(6, 3))
    sigma = 0.5
    theta = np.array([1.0, -0.5, 2.0])
    y = A @ theta + sigma * rng.normal(size=6)
    m0, S0 = np.zeros(3), np.eye(3) * 4.0
    S = np.linalg.inv(np.linalg.inv(S0) + A.T @ A / sigma**2)
    m = S @ (np.linalg.inv(S0) @ m0 + A.T @ y / sigma**2)
    Si = np.linalg.inv(S)

    def log_prob(Y):
        D = np.atleast_2d(Y) - m
        return -0.5 * np.einsum("ni,ij,nj->n", D, Si, D)

    chains, acc = [], []
    for c in range(2):
        y0 = m + rng.normal(size=(32, 3))
        run = pm.run_ensemble(log_prob, y0, 3000, seed=10 + c)
        chains.append(run["chain"])
        acc.append(run["accepted"])
    diag = pm.diagnostics(chains, acc, 3000, 500, ["a", "b", "c"])
    assert diag["converged"], diag
    X = np.concatenate([ch[500:].reshape(-1, 3) for ch in chains])
    ess = np.array([p["ess"] for p in diag["parameters"]])
    se = np.sqrt(np.diag(S) / ess)
    assert np.all(np.abs(X.mean(0) - m) < 4 * se)
    # covariance: relative error of a variance estimate ~ sqrt(2 / ess)
    C = np.cov(X.T)
    assert np.allclose(np.diag(C), np.diag(S), rtol=4 * np.sqrt(2 / ess.min()))
    corr, corr_true = (
        C / np.sqrt(np.outer(np.diag(C), np.diag(C))),
        S / np.sqrt(np.outer(np.diag(S), np.diag(S))),
    )
    assert np.abs(corr - corr_true).max() < 0.1


def test_transform_with_flat_likelihood_gives_the_prior():
    """Sampling y = logit(F(x)) with the Jacobian term only reproduces the priors."""
    dists = [
        Distribution("uniform", {"low": 2.0, "high": 4.0}),
        Distribution("triangular", {"low": 0.0, "mode": 0.2, "high": 1.0}),
        Distribution("loguniform", {"low": 1e-3, "high": 1e1}),
    ]
    T = pm.PriorTransform(dists)
    rng = np.random.default_rng(0)
    chains = [
        pm.run_ensemble(T.log_jacobian, rng.normal(size=(24, 3)), 1500, seed=c)["chain"][500:]
        for c in range(2)
    ]
    X = T.to_x(np.concatenate([c.reshape(-1, 3) for c in chains]))
    assert stats.kstest(X[::40, 0], stats.uniform(2, 2).cdf).pvalue > 1e-3
    assert stats.kstest(X[::40, 1], stats.triang(0.2).cdf).pvalue > 1e-3
    assert stats.kstest(np.log10(X[::40, 2]), stats.uniform(-3, 4).cdf).pvalue > 1e-3
    assert np.allclose(T.to_x(T.to_y(np.array([3.0, 0.5, 0.1]))), [3.0, 0.5, 0.1])


def test_scores():
    # CRPS of N(0, 1) at 0 is 2 phi(0) - 1/sqrt(pi)
    s = np.random.default_rng(1).normal(size=(200_000, 1))
    assert (
        abs(pm.crps_sample(s, np.array([0.0]))[0] - (2 * stats.norm.pdf(0) - 1 / np.sqrt(np.pi)))
        < 3e-3
    )
    t = pm.theil([1.0, 2.5, 2.0, 5.0], [1.0, 2.0, 3.0, 4.0])
    assert abs(t["U_M"] + t["U_S"] + t["U_C"] - 1) < 1e-12
    assert pm.theil([2.0, 3.0], [1.0, 2.0])["U_M"] == pytest.approx(1.0)  # pure bias
    chains = np.random.default_rng(2).normal(size=(4, 500, 2))
    assert np.all(np.abs(pm.split_rhat(chains) - 1) < 0.02)
    chains[0] += 3.0
    assert np.all(pm.split_rhat(chains) > 1.5)


# --------------------------------------------------------------------------- project model


def _write_priors(path, entries):
    path.write_text(
        yaml.safe_dump({"description": "test priors", "priors": entries}, sort_keys=False)
    )
    return path


SBC_PRIORS = {
    "Base Usage Growth": {"dist": "uniform", "low": 0.5, "high": 1.1, "rationale": "test"},
    "Agentic Capability Threshold": {
        "dist": "uniform",
        "low": 1.5,
        "high": 3.0,
        "rationale": "test",
    },
    "Capability Catch Up Rate": {"dist": "uniform", "low": 0.1, "high": 0.6, "rationale": "test"},
}
SERIES = [
    ("Model ARR", "US"),
    ("Model ARR", "CN"),
    ("Total AI ARR", "US"),
    ("Capability Gap", "CN"),
]
TIMES = (2024.5, 2025.0, 2025.5, 2026.0, 2026.4)


def _synthetic_obs(cm, base_file, truth, path, tol=0.2, seed=0):
    """Observations of the model at ``truth`` with log-normal noise of sd tol/2."""
    sets = [f"{k}={v}" for k, v in truth.items()]
    sc = load_scenario(base_file, model=cm)
    res = cm.simulate(params=resolve_params(cm, sc, sets), n_runs=1)
    rng = np.random.default_rng(seed)
    items = []
    for var, reg in SERIES:
        y = res.sel(var, Region=reg)[0]
        for t in TIMES:
            v = float(np.interp(t, res.time, y)) * float(np.exp(rng.normal() * tol / 2))
            items.append(
                {
                    "id": f"{var}_{reg}_{t}".replace(" ", "_"),
                    "variable": var,
                    "region": reg,
                    "time": t,
                    "kind": "point",
                    "value": v,
                    "tolerance": tol,
                    "source": {"file": "synthetic", "quote": "the model plus noise"},
                }
            )
    path.write_text(yaml.safe_dump({"observations": items}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    d = tmp_path_factory.mktemp("post")
    shutil.copyfile(SCEN / "baseline.yaml", d / "baseline.yaml")
    return d / "baseline.yaml"


def test_simulation_based_calibration(cm, base, tmp_path):
    """Truths drawn from the prior, data simulated with noise, posterior fitted: the 90%
    intervals contain the truth at about the nominal rate (3 experiments x 3 constants)."""
    priors = _write_priors(tmp_path / "p.yaml", SBC_PRIORS)
    rng = np.random.default_rng(11)
    hits, n = 0, 0
    for k in range(3):
        truth = {name: float(rng.uniform(s["low"], s["high"])) for name, s in SBC_PRIORS.items()}
        obs = _synthetic_obs(cm, base, truth, tmp_path / f"obs{k}.yaml", seed=k)
        out = run_posterior(
            base,
            priors,
            observations=obs,
            walkers=16,
            steps=300,
            chunk=300,
            seed=k,
            model=cm,
            runs_dir=tmp_path / "runs",
            plots=False,
            progress=None,
            command=["test"],
        )
        for r in out.params.itertuples():
            n += 1
            hits += r.post_p5 <= truth[r.parameter] <= r.post_p95
        assert (out.params.contraction < 0.9).any()  # the data inform the constants
    assert hits >= 7, f"{hits}/{n} 90% intervals contain the truth"


def test_posterior_command_writes_run_folder(cm, tmp_path, capsys):
    runs = tmp_path / "runs"
    code = main(
        [
            "posterior",
            str(BASELINE),
            "--priors",
            str(PRIORS),
            "--walkers",
            "64",
            "--steps",
            "24",
            "--chunk",
            "12",
            "--seed",
            "5",
            "--runs-dir",
            str(runs),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "NOT CONVERGED" in text and "more steps" in text  # 24 steps cannot converge
    (folder,) = runs.iterdir()
    assert folder.name.endswith("-posterior-baseline")
    for f in (
        "draws.csv",
        "manifest.json",
        "diagnostics.json",
        "fit.csv",
        "parameters.csv",
        "gaps.csv",
        "marginals.png",
        "pairs.png",
        "bands.png",
    ):
        assert (folder / f).is_file(), f
    draws = pd.read_csv(folder / "draws.csv")
    gaps = pd.read_csv(folder / "gaps.csv")
    assert set(gaps.year) == {2026, 2027, 2028, 2029, 2030} and "Posterior-predictive" in text
    assert (gaps.p5 <= gaps["median"]).all() and (gaps["median"] <= gaps.p95).all()
    man = json.loads((folder / "manifest.json").read_text())
    assert man["seed"] == 5 and man["model"]["sha256"]
    assert man["posterior"]["parameters"] == [c for c in draws.columns if c != "log_post"]
    assert "Consumer Paying Share[CN]" in draws.columns and "log_post" in draws.columns
    diag = json.loads((folder / "diagnostics.json").read_text())
    assert {"converged", "more_steps", "acceptance_fraction", "parameters"} <= set(diag)
    # the draws are a sweep's parameter_sets (log_post ignored)
    from aigap.analysis.sweep_file import load_sweep

    sweep = folder / "s.yaml"
    sweep.write_text(
        yaml.safe_dump(
            {
                "description": "d",
                "scenario": str(BASELINE),
                "seed": 1,
                "parameter_sets": "draws.csv",
                "runs": 10,
            }
        )
    )
    spec = load_sweep(sweep, cm)
    assert spec.sets.shape == (len(draws), len(draws.columns) - 1)


def _interrupted_run(monkeypatch, runs_dir, kw):
    """A posterior run stopped by Ctrl-C at its third ensemble call (chunks kept)."""
    real, calls = pm.run_ensemble, [0]

    def flaky(*a, **k):
        calls[0] += 1
        if calls[0] == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(pm, "run_ensemble", flaky)
    with pytest.raises(KeyboardInterrupt):
        run_posterior(BASELINE, PRIORS, runs_dir=runs_dir, **kw)
    monkeypatch.setattr(pm, "run_ensemble", real)


def test_resume_gives_the_same_draws(cm, tmp_path, monkeypatch):
    kw = dict(
        walkers=64,
        steps=20,
        chunk=10,
        seed=2,
        model=cm,
        plots=False,
        progress=None,
        command=["test"],
    )
    ref = run_posterior(BASELINE, PRIORS, runs_dir=tmp_path / "a", **kw)
    _interrupted_run(monkeypatch, tmp_path / "b", kw)
    again = run_posterior(BASELINE, PRIORS, runs_dir=tmp_path / "b", **kw)
    man = json.loads((again.run_dir / "manifest.json").read_text())
    assert man["posterior"]["resumed"] is True
    assert np.array_equal(ref.draws, again.draws)


def test_hindcast_scores_held_out_observations(cm, base, tmp_path, capsys):
    priors = _write_priors(tmp_path / "p.yaml", SBC_PRIORS)
    truth = {
        "Base Usage Growth": 0.8,
        "Agentic Capability Threshold": 2.0,
        "Capability Catch Up Rate": 0.3,
    }
    obs = _synthetic_obs(cm, base, truth, tmp_path / "obs.yaml")
    code = main(
        [
            "posterior",
            str(base),
            "--priors",
            str(priors),
            "--observations",
            str(obs),
            "--walkers",
            "16",
            "--steps",
            "600",
            "--until",
            "2026.0",
            "--runs-dir",
            str(tmp_path / "runs"),
            "--no-plots",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "Hindcast: 8 observations dated on/after 2026" in text
    (folder,) = (tmp_path / "runs").iterdir()
    h = json.loads((folder / "hindcast.json").read_text())
    assert h["n"] == 8 and 0 <= h["coverage90"] <= 1 and h["crps_log_mean"] > 0
    assert all(o["time"] >= 2026.0 for o in h["observations"])
    fit = pd.read_csv(folder / "fit.csv")
    assert set(fit[fit["sample"] == "out"].id) == {o["id"] for o in h["observations"]}
    # data generated by the model itself: the held-out points are mostly covered
    assert h["coverage90"] >= 0.5


# --------------------------------------------------------------------------- bad input

GOOD = "{dist: uniform, low: 0.5, high: 1.0, rationale: ok}"


@pytest.mark.parametrize(
    "body, message",
    [
        (f"  Base Usage Grwth: {GOOD}\n", "did you mean 'Base Usage Growth'"),
        (
            "  Base Usage Growth: {dist: uniform, low: 0.5, high: 9, rationale: ok}\n",
            "outside the constant's allowed range [0, 2]",
        ),
        (
            "  Base Usage Growth: {dist: uniform, low: 0.5, high: 0.5, rationale: ok}\n",
            "low < high",
        ),
        (
            "  Base Usage Growth: {dist: uniform, low: 0.5, high: 1.0}\n",
            "priors.Base Usage Growth.rationale: missing required key",
        ),
        (
            "  Base Usage Growth: {dist: discrete, levels: [0.5, 1], rationale: ok}\n",
            "a prior needs a density",
        ),
        (f"  Consumer Paying Share:\n    EU: {GOOD}\n", "unknown subscript element 'EU'"),
    ],
)
def test_bad_priors_file(body, message, base, tmp_path, capsys):
    p = tmp_path / "bad.yaml"
    p.write_text("description: bad\npriors:\n" + body)
    runs = tmp_path / "runs"
    code = main(["posterior", str(base), "--priors", str(p), "--runs-dir", str(runs)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    line = 4 if "EU" in message else 3
    assert len(err) == 1 and err[0].startswith(f"{p}:{line}: priors.") and message in err[0], err
    assert not runs.exists()


def test_until_without_earlier_observation(tmp_path, capsys):
    runs = tmp_path / "runs"
    code = main(
        [
            "posterior",
            str(BASELINE),
            "--priors",
            str(PRIORS),
            "--until",
            "2020",
            "--runs-dir",
            str(runs),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no observation" in err[0] and "before" in err[0]
    assert not runs.exists()


def test_shipped_priors_cover_every_unsourced_assumption(cm):
    """ai_gap_priors_all.yaml gives a prior (with rationale) to every element of every
    constant whose source says 'Assumption' and is not a lever (and to calibrated constants
    whose value the data should decide); both files validate."""
    from aigap.analysis.priors_file import load_priors

    full = load_priors(SCEN / "priors" / "ai_gap_priors_all.yaml", cm)
    core = load_priors(PRIORS, cm)
    assert set(core.labels) <= set(full.labels) and len(core.labels) >= 12
    want = set()
    for name, info in cm.constants.items():
        doc = info.doc or ""
        if "Assumption" in doc and not doc.startswith(("Lever", "Policy lever")):
            elems = [e for dim in info.dims for e in cm.dims[dim]]
            want |= {f"{name}[{e}]" for e in elems} if elems else {name}
    have = {lab for lab in full.labels}
    # every assumption, plus calibrated constants given a prior so the data can condition them
    assert want <= have
    for lab in have - want:
        doc = cm.constants[lab.split("[")[0]].doc or ""
        assert doc.startswith("Calibrated"), lab
    assert all(len(r) > 40 for r in full.rationales)


def test_check_validates_priors_files(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "description: bad\npriors:\n  Base Usage Growth: {dist: uniform, low: 0.5, high: 1.0}\n"
    )
    assert main(["check", str(PRIORS), str(SCEN / "priors" / "ai_gap_priors_all.yaml")]) == 0
    out = capsys.readouterr().out
    assert "ok (priors: 31 constants/elements)" in out and "ok (priors: 86" in out
    assert main(["check", str(bad)]) == 2
    assert f"{bad}:3: priors.Base Usage Growth.rationale" in capsys.readouterr().err


def test_resume_recomputes_a_damaged_chunk_and_respects_the_lock(cm, tmp_path, monkeypatch):
    """A truncated chain chunk is recomputed (same draws); a partial folder held by another
    live process is refused, not written by two jobs at once."""
    import socket

    from aigap.scenarios import InputError
    from aigap.workflow.partial import LOCK

    kw = dict(
        walkers=64,
        steps=20,
        chunk=10,
        seed=2,
        model=cm,
        plots=False,
        progress=None,
        command=["test"],
    )
    ref = run_posterior(BASELINE, PRIORS, runs_dir=tmp_path / "a", **kw)
    _interrupted_run(monkeypatch, tmp_path / "b", kw)
    (partial,) = [p for p in (tmp_path / "b").iterdir() if p.is_dir()]
    chunks = sorted((partial / "chunks").glob("chain*.npz"))
    assert chunks
    chunks[0].write_bytes(chunks[0].read_bytes()[:200])  # truncated mid-write
    (partial / LOCK).write_text(json.dumps({"pid": 1, "host": socket.gethostname()}))
    with pytest.raises(InputError, match="in use"):
        run_posterior(BASELINE, PRIORS, runs_dir=tmp_path / "b", **kw)
    (partial / LOCK).unlink()
    again = run_posterior(BASELINE, PRIORS, runs_dir=tmp_path / "b", **kw)
    assert json.loads((again.run_dir / "manifest.json").read_text())["posterior"]["resumed"]
    assert np.array_equal(ref.draws, again.draws)
    assert not (again.run_dir / LOCK).exists()
