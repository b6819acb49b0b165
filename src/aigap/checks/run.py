"""Run a checks file on the engine: one vectorized call per scenario, a result per check.

Each scenario group stacks the baseline run of the scenario, then every check's runs
(its constants, then each matrix row) into one ensemble; every expectation is
evaluated by :mod:`.predicates` on that check's slice of runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import predicates as P
from .spec import Ref, load_checks, scenario_path

DEFAULT_CHECKS = Path("model") / "checks.yaml"


@dataclass
class Failure:
    """The worst case of one expectation: run label, time, value and reference."""

    expectation: str
    n_failed: int
    run: str
    time: float
    value: float
    reference: float | None
    element: str = ""

    def __str__(self):
        ref = "" if self.reference is None else f" vs {self.reference:.4g}"
        where = f" [{self.element}]" if self.element else ""
        return (
            f"{self.expectation}{where}: {self.value:.4g}{ref} at t={self.time:g} (run: {self.run})"
        )


@dataclass
class CheckResult:
    """Outcome of one named check."""

    name: str
    description: str
    n_runs: int
    n_passed: int
    failures: list = field(default_factory=list)
    closest: Failure | None = None

    @property
    def passed(self) -> bool:
        return self.n_passed == self.n_runs


def matrix_rows(cm, matrix, base: dict) -> list:
    """``[(label, params)]``: each constant at min and max, then all at min / all at max."""
    names = matrix.constants or tuple(cm.constants)
    names = [n for n in names if n not in matrix.exclude]
    ranged = []
    for n in names:
        lo, hi = (tuple(cm.constants[n].limits or ()) + (None, None))[:2]
        if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)) or lo >= hi:
            continue
        ranged.append((n, float(lo), float(hi)))
    shape = {n: np.shape(cm.constants[n].default) for n, _, _ in ranged}
    rows = []
    for n, lo, hi in ranged:
        for tag, v in (("min", lo), ("max", hi)):
            rows.append((f"{n}={v:g} ({tag})", {**base, n: np.full(shape[n], v)}))
    if matrix.combined and ranged:
        for tag, k in (("min", 1), ("max", 2)):
            rows.append(
                (
                    f"all {len(ranged)} ranged constants at {tag}",
                    {**base, **{r[0]: np.full(shape[r[0]], r[k]) for r in ranged}},
                )
            )
    return rows


def stack_params(cm, runs: list) -> dict:
    """Stack per-run parameter dicts into one ensemble (``(runs, *dims)`` arrays, or a
    TimeSeries on the union of the runs' time points)."""
    from ..engine import TimeSeries
    from ..engine.params import normalize_timeseries, normalize_value

    out = {}
    for name in dict.fromkeys(k for r in runs for k in r):
        info = cm.constants[name]
        vals = [r.get(name, info.default) for r in runs]
        series = [v for v in vals if isinstance(v, TimeSeries)]
        if not series:
            out[name] = np.concatenate([normalize_value(name, v, info, 1) for v in vals])
            continue
        times = np.unique(np.concatenate([s.times for s in series]))
        rows = []
        for v in vals:
            if isinstance(v, TimeSeries):
                tx, tv = normalize_timeseries(name, v, info, 1)
                flat = tv.reshape(-1, tx.size)
                rows.append(
                    np.stack([np.interp(times, tx, f) for f in flat]).reshape(
                        tv.shape[:-1] + (times.size,)
                    )
                )
            else:
                const = normalize_value(name, v, info, 1)
                rows.append(np.repeat(const[..., None], times.size, axis=-1))
        out[name] = TimeSeries(times=times, values=np.concatenate(rows))
    return out


def _select(res, cm, names, element, runs):
    """Sum of ``names`` over runs ``runs``: ``(runs, time, *dims)``, element selected."""
    total = None
    for n in names:
        arr = res[n][runs]
        if element:
            idx = [slice(None), slice(None)]
            for d in cm.variables[n].dims:
                hit = [e.strip() for e in element.split(",") if e.strip() in cm.dims[d]]
                idx.append(list(cm.dims[d]).index(hit[0]) if hit else slice(None))
            arr = arr[tuple(idx)]
        total = arr if total is None else total + arr
    return total


def _reference(ref: Ref, e, res, cm, runs, base_run):
    if ref.value is not None:
        return ref.value
    names = ref.variables or e.variables
    element = ref.element if ref.element is not None else e.element
    src = [base_run] * len(runs) if ref.baseline else runs
    return ref.factor * _select(res, cm, names, element, src)


def evaluate(e, res, cm, runs, base_run, labels):
    """``(passed per run, Failure of the worst run)`` for one expectation."""
    x = _select(res, cm, e.variables, e.element, runs)
    refs = [_reference(a, e, res, cm, runs, base_run) for a in e.args if isinstance(a, Ref)]
    refs = [
        r
        if np.ndim(r) == 0
        else np.broadcast_to(np.reshape(r, np.shape(r) + (1,) * (x.ndim - np.ndim(r))), x.shape)
        for r in refs
    ]
    kw = {"rtol": e.rtol, "atol": e.atol}
    if e.predicate == ">=":
        slack = P.at_least(x, refs[0], **kw)
    elif e.predicate == "<=":
        slack = P.at_most(x, refs[0], **kw)
    elif e.predicate == "between":
        slack = P.between(x, refs[0], refs[1], **kw)
    elif e.predicate == "approx":
        slack = P.approx(x, refs[0], **kw)
    elif e.predicate == "finite":
        slack = P.finite(x)
    elif e.predicate == "non_negative":
        slack = P.non_negative(x, e.atol)
    else:
        slack = P.monotone(x, e.args[0], e.atol)
    t = res.time
    lo, hi = e.window
    mask = np.ones(t.size, bool)
    if lo is not None and lo == hi:
        mask[:] = False
        mask[int(np.argmin(np.abs(t - lo)))] = True
    else:
        mask &= (t >= lo - 1e-9) if lo is not None else mask
        mask &= (t <= hi + 1e-9) if hi is not None else mask
    if e.predicate == "monotone":
        mask = mask[1:] & mask[:-1]
        x, t = np.diff(x, axis=1), t[1:]  # report the step, not the level
        refs = []
    slack = slack[:, mask]
    ok = P.holds(slack, strict=e.predicate == "monotone" and e.args[0] in P.STRICT)
    passed = ok.reshape(ok.shape[0], -1).all(axis=1)
    idx = P.worst_index(slack)
    flat = slack.reshape(slack.shape[0], -1)
    score = np.where(
        np.isnan(flat[np.arange(len(idx)), idx]), -np.inf, flat[np.arange(len(idx)), idx]
    )
    with np.errstate(all="ignore"):
        scale = np.abs(x[:, mask].reshape(x.shape[0], -1)).max(axis=1) + 1e-300
        rel = np.nan_to_num(score / scale, nan=-np.inf)
    r = int(np.argmin(np.where(passed, rel + 1e300, rel)) if (~passed).any() else np.argmin(rel))
    k = int(idx[r])
    xs = x[:, mask]
    ti, rest = np.unravel_index(k, xs.shape[1:])[0], np.unravel_index(k, xs.shape[1:])[1:]
    value = float(xs[r][(ti, *rest)])
    reference = None
    if refs:
        ref = (
            refs[0]
            if e.predicate != "between"
            else (refs[0] if value < _scalar(refs[1], r, mask, ti, rest) else refs[1])
        )
        reference = _scalar(ref, r, mask, ti, rest)
    elem = _element_name(cm, e, rest)
    fail = Failure(
        e.label, int((~passed).sum()), labels[r], float(t[mask][ti]), value, reference, elem
    )
    return passed, fail, float("inf") if e.predicate == "finite" else float(rel[r])


def _scalar(ref, r, mask, ti, rest):
    if np.ndim(ref) == 0:
        return float(ref)
    return float(np.asarray(ref)[r][mask][(ti, *rest)])


def _element_name(cm, e, rest) -> str:
    dims = cm.variables[e.variables[0]].dims
    if e.element:
        dims = [d for d in dims if not any(x.strip() in cm.dims[d] for x in e.element.split(","))]
    return ",".join(cm.dims[d][i] for d, i in zip(dims, rest))


def default_checks_path() -> Path:
    """``model/checks.yaml`` of the project folder (``.``, the checkout, the installed copy)."""
    from ..workflow.project import project_file

    return project_file(DEFAULT_CHECKS, "reality checks")


def run_checks(path=None, model=None, scenario_dir=None, engine="auto") -> list:
    """Load ``path`` (default ``model/checks.yaml``), run every check, return
    :class:`CheckResult` objects in file order. Raises ChecksError on a bad file."""
    from ..engine import compile_model
    from ..scenarios import load_scenario, resolve_params
    from ..scenarios.loader import Scenario
    from ..workflow.runner import find_model, scenarios_dir

    cm = model if hasattr(model, "simulate") else compile_model(find_model(model))
    path = Path(path) if path else default_checks_path()
    sdir = Path(scenario_dir) if scenario_dir else scenarios_dir()
    spec = load_checks(path, model=cm, scenario_dir=sdir)
    groups = {}
    for c in spec.checks:
        groups.setdefault(c.scenario, []).append(c)
    results = {}
    for scen, checks in groups.items():
        sc = load_scenario(scenario_path(scen, sdir), model=cm) if scen else None
        base = resolve_params(cm, sc)
        runs, labels, slices = [base], ["baseline"], {}
        for c in checks:
            own = Scenario(
                name=c.name,
                description="",
                path=spec.path,
                files=(),
                overrides=(sc.overrides if sc else ()) + c.overrides,
            )
            params = resolve_params(cm, own)
            rows = [("the check's constants" if c.overrides else scen or "model defaults", params)]
            if c.matrix:
                rows += matrix_rows(cm, c.matrix, params)
            slices[c.name] = np.arange(len(runs), len(runs) + len(rows))
            runs += [p for _, p in rows]
            labels += [lab for lab, _ in rows]
        outputs = sorted(
            {
                n
                for c in checks
                for e in c.expect
                for n in e.variables
                + tuple(v for a in e.args if isinstance(a, Ref) for v in a.variables)
            }
        )
        res = cm.simulate(
            params=stack_params(cm, runs), n_runs=len(runs), outputs=outputs, engine=engine
        )
        for c in checks:
            idx = slices[c.name]
            ok = np.ones(idx.size, bool)
            fails, closest = [], None
            for e in c.expect:
                passed, worst, rel = evaluate(e, res, cm, idx, 0, [labels[i] for i in idx])
                ok &= passed
                if not passed.all():
                    fails.append(worst)
                elif closest is None or rel < closest[0]:
                    closest = (rel, worst)
            results[c.name] = CheckResult(
                c.name,
                c.description,
                int(idx.size),
                int(ok.sum()),
                fails,
                None if closest is None else closest[1],
            )
    return [results[c.name] for c in spec.checks]


def format_results(results: list) -> str:
    """The table: check, runs, passed; below each, the worst failing case (or, when the
    check passed, its tightest case with the constants that produced it)."""
    w0 = max([len(r.name) for r in results] + [5])
    lines = [
        f"{'check':<{w0}}  {'runs':>5}  {'passed':>6}  result",
        f"{'-' * w0}  {'-' * 5}  {'-' * 6}  ------",
    ]
    for r in results:
        lines.append(
            f"{r.name:<{w0}}  {r.n_runs:>5}  {r.n_passed:>6}  {'ok' if r.passed else 'FAIL'}"
        )
        for f in r.failures:
            lines.append(f"    worst: {f} ({f.n_failed} run{'s' * (f.n_failed != 1)} fail)")
        if not r.failures and r.closest is not None:
            lines.append(f"    tightest: {r.closest}")
    n_ok = sum(r.passed for r in results)
    lines.append(f"\n{n_ok}/{len(results)} checks passed")
    return "\n".join(lines)


def cmd_model_checks(args) -> int:
    """``aigap check --model-checks [FILE]``: 0 when every check passes, 1 otherwise."""
    results = run_checks(args.model_checks or None, model=args.model)
    print(format_results(results))
    return 0 if all(r.passed for r in results) else 1
