"""``aigap optimize`` on a fixture model whose best lever values are analytic: optima found,
the two-objective front, timing decisions, ready scenarios that reproduce the objective,
resume after an interruption, and bad policy files."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aigap.analysis.policy_job import run_policy
from aigap.analysis.policy_file import PolicyError, load_policy

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "policy_quadratic.mdl"
TARGETS = [0.2, 0.4, 0.9]  # worlds: the best Lever A of each


@pytest.fixture(scope="module")
def qm():
    from aigap.engine import compile_model

    return compile_model(FIXTURE)


def _setup(tmp_path, body: str, worlds=True) -> Path:
    (tmp_path / "base.yaml").write_text("description: fixture base\n")
    pd.DataFrame({"Target": TARGETS}).to_csv(tmp_path / "worlds.csv", index=False)
    head = "description: fixture policy\nscenario: base\nseed: 7\n" + (
        "worlds: {parameter_sets: worlds.csv}\n" if worlds else ""
    )
    p = tmp_path / "policy.yaml"
    p.write_text(head + body)
    return p


def _run(p, qm, tmp_path, **kw):
    return run_policy(
        p,
        model=qm,
        runs_dir=tmp_path / "runs",
        progress=None,
        plots=False,
        engine="numpy",
        command=["test"],
        **kw,
    )


LEVER_A = "levers:\n  Lever A: {low: 0, high: 1, from: start}\n"
OPT = "optimizer: {population: 12, generations: 40, reference_policies: 8, top: 3}\n"


@pytest.mark.parametrize(
    "stat,expected",
    [
        ("mean", np.mean(TARGETS)),  # argmin mean (a - T)^2
        ("worst", (min(TARGETS) + max(TARGETS)) / 2),  # minimax: the midpoint
        ("{regret: max}", (min(TARGETS) + max(TARGETS)) / 2),  # best per world has loss 0
    ],
)
def test_known_optimum_over_worlds(tmp_path, qm, stat, expected):
    p = _setup(
        tmp_path,
        LEVER_A + "objectives:\n  - {name: loss, variable: Loss, year: 2030, "
        f"sense: min, statistic: {stat}}}\n" + OPT,
    )
    out = _run(p, qm, tmp_path)
    assert out.best["Lever A"].iloc[0] == pytest.approx(expected, abs=0.01)
    assert out.n_worlds == 3
    folder = out.run_dir
    for f in (
        "best.csv",
        "evaluations.csv",
        "worlds.csv",
        "levers.csv",
        "convergence.csv",
        "policy.yaml",
        "manifest.json",
        "policies/policy_1.yaml",
    ):
        assert (folder / f).is_file(), f
    man = json.loads((folder / "manifest.json").read_text())
    assert man["seed"] == 7 and man["kind"] == "optimize" and man["worlds"]["count"] == 3
    # the reference set starts with the base lever values: the same outcome as no change
    first = out.evaluations.iloc[0]
    assert first["Lever A"] == 0.2 and first["stage"] == "reference"
    assert first["loss"] == pytest.approx(out.baseline["loss"], rel=1e-12)
    w = pd.read_csv(folder / "worlds.csv")
    assert set(w.policy) == {"no change", "policy_1", "policy_2", "policy_3"}
    # no change: Lever A = 0.2 in every world
    np.testing.assert_allclose(w[w.policy == "no change"].loss, (0.2 - np.array(TARGETS)) ** 2)


def test_timing_decision_and_ready_scenario_reproduce_the_objective(tmp_path, qm):
    """Target 0.6 (baseline world), base Lever A 0.2: the accumulated loss is least when
    the lever moves to 0.6 as early as allowed."""
    p = _setup(
        tmp_path,
        "levers:\n  Lever A: {low: 0, high: 1, from: {low: 2025, high: 2030, "
        "step: 1}}\nobjectives:\n  - {name: acc, variable: Accumulated Loss, year: 2030,"
        " sense: min}\n" + OPT,
        worlds=False,
    )
    out = _run(p, qm, tmp_path)
    best = out.best.iloc[0]
    assert best["Lever A from"] == 2025.0
    assert best["Lever A"] == pytest.approx(0.6, abs=0.01)
    # the written scenario reproduces the objective when run on its own
    from aigap.analysis.conditions import Target
    from aigap.scenarios import load_scenario, resolve_params

    scen = load_scenario(out.run_dir / "policies" / "policy_1.yaml", model=qm)
    res = qm.simulate(
        params=resolve_params(qm, scen),
        outputs=["Accumulated Loss"],
        engine="numpy",
        saveper=qm.saveper,
    )
    got = Target("Accumulated Loss", None, 2031.0).values(res["Accumulated Loss"], res.time)
    assert got[0] == pytest.approx(best["acc"], rel=1e-9)
    # 0.2 loss from 2024 to 2025 ... at least the first year is lost
    assert best["acc"] >= 0.16 * 1.0 - 1e-9


def test_two_objective_front(tmp_path, qm):
    p = _setup(
        tmp_path,
        "levers:\n  Lever A: {low: 0, high: 1, from: start}\n"
        "  Lever B: {low: 0, high: 1, from: start}\nobjectives:\n"
        "  - {name: f1, variable: Distance to Origin, year: 2030, sense: min}\n"
        "  - {name: f2, variable: Distance to One, year: 2030, sense: min}\n"
        "optimizer: {population: 24, generations: 40, reference_policies: 0, top: 5}\n",
        worlds=False,
    )
    out = _run(p, qm, tmp_path)
    front = pd.read_csv(out.run_dir / "pareto.csv")
    assert len(front) >= 20
    np.testing.assert_allclose(np.sqrt(front.f1) + np.sqrt(front.f2), 1.0, atol=0.03)
    assert front["Lever A"].min() < 0.1 and front["Lever A"].max() > 0.9
    lev = pd.read_csv(out.run_dir / "levers.csv").set_index("decision")
    # the front trades along Lever A and agrees on Lever B = 0
    assert lev.loc["Lever A", "spread_on_front"] > 0.5
    assert lev.loc["Lever B", "spread_on_front"] < 0.05
    assert len(out.best) == 5


def test_constraint_binds(tmp_path, qm):
    p = _setup(
        tmp_path,
        LEVER_A + "objectives:\n  - {name: loss, variable: Loss, year: 2030, "
        "sense: min}\nconstraints:\n  - {name: cap, variable: Distance to Origin, "
        "year: 2030, op: '<=', value: 0.34}\n" + OPT,
    )
    out = _run(p, qm, tmp_path)
    assert out.best["Lever A"].iloc[0] == pytest.approx(0.3, abs=0.01)  # A^2 + 0.5^2 <= 0.34
    assert out.best.feasible.all()


TWO_OBJ = (
    "levers:\n  Lever A: {low: 0, high: 1, from: start}\n"
    "  Lever B: {low: 0, high: 1, from: start}\nobjectives:\n"
    "  - {name: f1, variable: Distance to Origin, year: 2030, sense: min}\n"
    "  - {name: f2, variable: Distance to One, year: 2030, sense: min}\n"
    "optimizer: {population: 12, generations: 8, reference_policies: 8, top: 3}\n"
)


@pytest.mark.parametrize(
    "body",
    [
        LEVER_A + "objectives:\n  - {name: loss, variable: Loss, year: 2030, sense: min}\n" + OPT,
        TWO_OBJ,  # pymoo's NSGA-II, ask/tell replayed
    ],
    ids=["de", "nsga2"],
)
def test_resume_after_interruption_gives_the_same_result(tmp_path, qm, body):
    p = _setup(tmp_path, body)
    ref = run_policy(
        p, model=qm, runs_dir=tmp_path / "ref", progress=None, plots=False, engine="numpy"
    )

    def stop(k):
        if k == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(p, qm, tmp_path, on_batch=stop)
    partial = list((tmp_path / "runs").glob(".tmp-*"))
    assert len(partial) == 1 and len(list((partial[0] / "chunks").glob("*.npz"))) == 6
    out = _run(p, qm, tmp_path)
    assert out.resumed_batches == 6
    assert not list((tmp_path / "runs").glob(".tmp-*"))
    pd.testing.assert_frame_equal(out.best.reset_index(drop=True), ref.best.reset_index(drop=True))
    pd.testing.assert_frame_equal(
        out.evaluations.reset_index(drop=True), ref.evaluations.reset_index(drop=True)
    )


BAD = [
    ("objectivs: []\n", "policy.yaml:5: objectivs: unknown key", "objectives"),
    (
        LEVER_A.replace("Lever A:", "Levr A:") + "objectives: [{variable: Loss, year: 2030, "
        "sense: min}]\n",
        "policy.yaml:6: levers.Levr A: unknown model constant",
        "Lever A",
    ),
    (
        "levers:\n  Lever A: {low: 0, high: 3}\nobjectives: [{variable: Loss, year: 2030, "
        "sense: min}]\n",
        "levers.Lever A: range [0, 3] is outside",
        None,
    ),
    (
        LEVER_A + "objectives: [{variable: Los, year: 2030, sense: min}]\n",
        "objectives[0].variable: unknown variable 'Los'",
        "Loss",
    ),
    (
        LEVER_A + "objectives: [{variable: Loss, year: 2030, sense: min, statistic: meen}]\n",
        "objectives[0].statistic: unknown statistic 'meen'",
        "mean",
    ),
    (
        LEVER_A + "objectives: [{variable: Loss, year: 2040, sense: min}]\n",
        "outside the simulated span",
        None,
    ),
    (
        LEVER_A + "objectives: [{variable: Loss, year: 2030, sense: lower}]\n",
        "objectives[0].sense: expected min or max",
        None,
    ),
    (
        "levers:\n  Lever A: {low: 0, high: 1, from: 1999}\nobjectives: [{variable: Loss, "
        "year: 2030, sense: min}]\n",
        "levers.Lever A.from: time 1999 is outside",
        None,
    ),
    (
        "levers:\n  Lever A: {low: 0, high: 1, ramps: 1}\nobjectives: [{variable: Loss, "
        "year: 2030, sense: min}]\n",
        "levers.Lever A.ramps: unknown key",
        "ramp",
    ),
    (
        "levers:\n  Target: {low: 0, high: 1}\nobjectives: [{variable: Loss, year: 2030, "
        "sense: min}]\n",
        "is also a parameter of the worlds",
        None,
    ),
]


@pytest.mark.parametrize("body,message,hint", BAD)
def test_bad_policy_files(tmp_path, qm, body, message, hint):
    p = _setup(tmp_path, body)
    with pytest.raises(PolicyError) as exc:
        load_policy(p, qm)
    text = str(exc.value)
    assert message in text, text
    assert all(line.startswith(str(p)) for line in text.splitlines()), text
    if hint:
        assert f"did you mean '{hint}'" in text, text


def test_bad_policy_file_cli_exit_2_nothing_written(tmp_path, aigap):
    p = _setup(
        tmp_path,
        "levers:\n  Lever A: {lo: 0, high: 1}\nobjectives: [{variable: Loss, "
        "year: 2030, sense: min}]\n",
    )
    r = aigap("optimize", p, model=FIXTURE)
    assert r.returncode == 2, r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert any(
        x.startswith(f"{p}:6: levers.Lever A.lo: unknown key") and "'low'" in x for x in lines
    ), r.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_missing_seed_and_latest_without_posterior(tmp_path, qm):
    (tmp_path / "base.yaml").write_text("description: b\n")
    p = tmp_path / "p.yaml"
    p.write_text(
        "description: x\nscenario: base\nworlds: {parameter_sets: latest}\n"
        + LEVER_A
        + "objectives: [{variable: Loss, year: 2030, sense: min}]\n"
    )
    with pytest.raises(PolicyError) as exc:
        load_policy(p, qm, runs_root=tmp_path / "empty")
    text = str(exc.value)
    assert f"{p}:1: seed: missing required key" in text
    assert "no posterior run folder" in text
