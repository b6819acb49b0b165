"""Bayesian calibration on arrays: likelihood, unconstrained transform, diagnostics, scores.

Likelihood (documented in README "### Posterior"). For a fitted observation with log error
``e`` (:func:`aigap.observations.residuals`: ``ln(sim/value)`` for a point, the distance
outside a bound or range, 0 inside), tolerance ``tau`` and weight ``w``::

    log L = -1/2 * sum_j w_j * (e_j / s_j)^2,    s_j = tau_j / 2

A point is a Gaussian on the log error with sd ``tau/2`` (the published tolerance is read as
a 2-sigma, ~95% band); a bound or range costs nothing when met and a half-Gaussian soft
penalty with the same ``s`` outside. A non-finite or non-positive simulated value has
``log L = -inf``.

Sampling space. Each prior ``p_k`` with CDF ``F_k`` is mapped to ``u = F_k(x)`` (uniform on
(0, 1)) and then ``y = logit(u)`` (all of R). The log density in ``y`` is
``log L(x(y)) + sum_k log(u_k (1 - u_k))`` (the prior becomes the logistic density), so
emcee walks an unconstrained space whatever the priors' supports are.

Diagnostics follow emcee's guidance and Vehtari et al. (2021): integrated autocorrelation
time per parameter and chain, effective sample size ``N / tau``, mean acceptance fraction,
and split-R-hat over the independent chains (separate ensembles, each chain's post-burn-in
mean over walkers per step split in halves).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..observations import residuals as obs_residuals

__all__ = [
    "PriorTransform",
    "log_likelihood",
    "split_rhat",
    "diagnostics",
    "predictive_scores",
    "crps_sample",
    "theil",
    "run_ensemble",
    "Lockstep",
    "importance_start",
    "FastLikelihood",
]


class PriorTransform:
    """Map between parameters ``x``, unit values ``u = F(x)`` and ``y = logit(u)``."""

    def __init__(self, dists):
        self.dists = tuple(dists)
        self.d = len(self.dists)

    def to_x(self, y) -> np.ndarray:
        """Parameters ``(..., d)`` from unconstrained ``y (..., d)``."""
        u = np.clip(special.expit(np.asarray(y, float)), 1e-12, 1 - 1e-12)
        return np.stack([dist.ppf(u[..., k]) for k, dist in enumerate(self.dists)], axis=-1)

    def to_y(self, x) -> np.ndarray:
        """Unconstrained ``y`` from parameters ``x (..., d)`` (kept off the edges)."""
        x = np.asarray(x, float)
        u = np.stack([dist.cdf(x[..., k]) for k, dist in enumerate(self.dists)], axis=-1)
        return special.logit(np.clip(u, 1e-6, 1 - 1e-6))

    @staticmethod
    def log_jacobian(y) -> np.ndarray:
        """``sum_k log(u_k (1 - u_k))``: the prior's log density in ``y`` (up to a constant)."""
        y = np.asarray(y, float)
        return np.sum(-np.logaddexp(0, -y) - np.logaddexp(0, y), axis=-1)

    def prior_sample(self, n, rng) -> np.ndarray:
        """``n`` draws from the prior (parameter space)."""
        u = rng.random((n, self.d))
        return np.stack([dist.ppf(u[:, k]) for k, dist in enumerate(self.dists)], axis=-1)


def log_likelihood(items, sim) -> np.ndarray:
    """``log L`` per run ``(runs,)`` of simulated values ``sim (runs, m)`` (module docs)."""
    sim = np.asarray(sim, float)
    ok = np.all(np.isfinite(sim) & (sim > 0), axis=1)
    e = obs_residuals(items, np.where(np.isfinite(sim) & (sim > 0), sim, 1.0))
    w = np.array([o.weight for o in items], float)
    s = np.array([o.tolerance for o in items], float) / 2.0
    ll = -0.5 * np.sum(w * (e / s) ** 2, axis=1)
    return np.where(ok, ll, -np.inf)


class FastLikelihood:
    """:func:`log_likelihood` of a SimulationResult with the gathers precomputed.

    The same numbers as ``log_likelihood(items, simulated_matrix(items, res))`` (the
    tests compare them), about ten times faster: the interpolation indices and weights
    of every observation are worked out once (the time grid is fixed within a run), and
    the residuals are computed for all observations at once.
    """

    def __init__(self, items):
        self.items = list(items)
        self.kind = np.array([o.kind for o in self.items])
        self.value = np.array([o.value if o.kind != "range" else np.nan for o in self.items], float)
        self.low = np.array([o.low if o.kind == "range" else np.nan for o in self.items], float)
        self.high = np.array([o.high if o.kind == "range" else np.nan for o in self.items], float)
        self.scale = (
            np.array([o.weight for o in self.items], float)
            / (np.array([o.tolerance for o in self.items], float) / 2.0) ** 2
        )
        self.plan = None

    def _plan(self, res):
        from ..observations import simulated_matrix

        simulated_matrix(self.items, res) if res.n_runs else None  # same checks/errors
        t = np.asarray(res.time, float)
        plan = []
        for o in self.items:
            dims = res.dims[o.variable][2:]
            e = 0
            if o.region is not None:
                e = int(
                    np.ravel_multi_index(
                        tuple(
                            res.coords[d].index(o.region) if o.region in res.coords[d] else 0
                            for d in dims
                        ),
                        tuple(len(res.coords[d]) for d in dims),
                    )
                )
            i = int(np.clip(np.searchsorted(t, o.time, side="right") - 1, 0, max(t.size - 2, 0)))
            w = 0.0 if t.size == 1 else (o.time - t[i]) / (t[i + 1] - t[i])
            plan.append((o.variable, e, i, min(i + 1, t.size - 1), w, o.share))
        return plan

    def simulated(self, res) -> np.ndarray:
        """``(runs, m)``: as :func:`aigap.observations.simulated_matrix`."""
        if self.plan is None:
            self.plan = self._plan(res)
        n, T = res.n_runs, np.asarray(res.time).size
        flat = {}
        out = np.empty((n, len(self.plan)))
        for j, (var, e, i, i1, w, share) in enumerate(self.plan):
            a = flat.get(var)
            if a is None:
                a = flat[var] = np.asarray(res[var]).reshape(n, T, -1)
            out[:, j] = share * ((1 - w) * a[:, i, e] + w * a[:, i1, e])
        return out

    def __call__(self, res) -> np.ndarray:
        sim = self.simulated(res)
        ok = np.all(np.isfinite(sim) & (sim > 0), axis=1)
        with np.errstate(all="ignore"):
            s = np.maximum(np.where(np.isfinite(sim) & (sim > 0), sim, 1.0), 1e-300)
            r = np.log(s / self.value)
            e = np.where(
                self.kind == "point",
                r,
                np.where(
                    self.kind == "lower",
                    np.minimum(r, 0),
                    np.where(self.kind == "upper", np.maximum(r, 0), 0.0),
                ),
            )
            rng_e = np.minimum(np.log(s / self.low), 0) + np.maximum(np.log(s / self.high), 0)
            e = np.where(self.kind == "range", rng_e, e)
        ll = -0.5 * np.sum(self.scale * e**2, axis=1)
        return np.where(ok, ll, -np.inf)


def run_ensemble(log_prob, y0, n_steps, seed, state=None, chain=None, lnp=None, accepted=None):
    """Advance one emcee ensemble by ``n_steps`` from ``y0`` (or a saved ``state``).

    ``log_prob`` takes ``Y (k, d)`` and returns ``(k,)`` (one engine call per half
    ensemble: emcee's moves update the walkers in two halves). Returns a dict
    with ``chain (steps, W, d)``, ``log_prob (steps, W)``, ``accepted (W,)`` counts and
    the sampler's ``random_state`` so the next chunk continues the same random stream.
    """
    import emcee

    W, d = np.shape(y0 if state is None else state["coords"])
    sampler = emcee.EnsembleSampler(W, d, log_prob, vectorize=True, moves=_moves())
    if state is None:
        sampler.random_state = np.random.RandomState(seed).get_state()
        start = emcee.State(np.asarray(y0, float))
    else:
        start = emcee.State(
            state["coords"], log_prob=state["log_prob"], random_state=state["random_state"]
        )
    last = sampler.run_mcmc(start, n_steps, progress=False)
    new_chain = sampler.get_chain()
    new_lnp = sampler.get_log_prob()
    acc = sampler.backend.accepted.astype(float)
    return {
        "chain": new_chain if chain is None else np.concatenate([chain, new_chain]),
        "log_prob": new_lnp if lnp is None else np.concatenate([lnp, new_lnp]),
        "accepted": acc if accepted is None else accepted + acc,
        "state": {
            "coords": last.coords,
            "log_prob": last.log_prob,
            "random_state": sampler.random_state,
        },
    }


class Lockstep:
    """Evaluate the log densities of several independent chains in ONE call per step.

    Each chain runs in its own thread and calls ``party(i)`` as its ``log_prob``; the
    calls wait at a barrier until every chain has asked, then ``fn`` runs once on all the
    walkers stacked and each chain gets its own rows back. emcee's stretch and DE moves
    make the same number of calls of the same size in every chain, so chains stay in step;
    the chains (and their random streams) are untouched, only the engine calls are merged:
    an engine call of 40 runs costs about as much as one of 20 (fixed per-call overhead).
    """

    def __init__(self, fn, parties: int):
        import threading

        self.fn = fn
        self.slots = [None] * parties
        self.out = [None] * parties
        self.error = None
        self.barrier = threading.Barrier(parties, action=self._evaluate)

    def _evaluate(self):
        try:
            sizes = [len(y) for y in self.slots]
            lp = self.fn(np.concatenate(self.slots))
            self.out = np.split(lp, np.cumsum(sizes)[:-1])
        except BaseException as exc:  # re-raised in every chain's thread
            self.error = exc
            raise

    def party(self, i: int):
        """The ``log_prob`` of chain ``i``."""
        import threading

        def log_prob(Y):
            self.slots[i] = np.atleast_2d(Y)
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                raise self.error or RuntimeError("a chain stopped") from None
            return self.out[i]

        return log_prob

    def run(self, jobs: list) -> list:
        """Run ``jobs`` (one callable per chain, each using ``party(i)``) in threads."""
        import threading

        results = [None] * len(jobs)
        errors = []

        def work(k):
            try:
                results[k] = jobs[k]()
            except BaseException as exc:  # noqa: BLE001 - stop the others, re-raise
                errors.append(exc)
                self.barrier.abort()

        threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(len(jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise self.error or errors[0]
        return results


def importance_start(log_like, Y, walkers, rng) -> np.ndarray:
    """Start walkers ``(walkers, d)`` drawn from prior draws ``Y (n, d)`` (in ``y``
    space) without replacement, with probability proportional to the likelihood
    ``exp(log_like)``: an approximate posterior sample (sampling-importance-resampling),
    so the ensemble needs little burn-in and starts spread over the high-likelihood
    region rather than in a ball around one point. Falls back to the best ``walkers``
    draws when fewer than ``walkers`` have a non-negligible weight."""
    ll = np.asarray(log_like, float)
    ll = np.where(np.isfinite(ll), ll, -np.inf)
    w = np.exp(ll - np.max(ll))
    if np.count_nonzero(w > 1e-300) < walkers:
        return Y[np.argsort(-ll)[:walkers]]
    return Y[rng.choice(len(Y), walkers, replace=False, p=w / w.sum())]


def _moves():
    """Differential-evolution proposals mixed with the stretch move. The DE move mixes
    better in more than a few correlated dimensions (autocorrelation time 47 vs 66 steps on
    the 18-constant project posterior). emcee's DESnookerMove is NOT used: on a Gaussian
    target it returned half the true variance (emcee 3.1.6; see the closed-form test)."""
    import emcee

    return [(emcee.moves.DEMove(), 0.8), (emcee.moves.StretchMove(), 0.2)]


def split_rhat(chains) -> np.ndarray:
    """Split-R-hat per parameter of ``chains (m, n, d)`` (each chain split in halves)."""
    chains = np.asarray(chains, float)
    m, n, d = chains.shape
    h = n // 2
    if h < 2:
        return np.full(d, np.nan)
    parts = np.concatenate([chains[:, :h], chains[:, n - h :]], axis=0)  # (2m, h, d)
    means = parts.mean(axis=1)
    B = h * means.var(axis=0, ddof=1)
    Wv = parts.var(axis=1, ddof=1).mean(axis=0)
    var = (h - 1) / h * Wv + B / h
    return np.sqrt(var / np.where(Wv > 0, Wv, np.nan))


def diagnostics(chains, accepted, n_steps, burn, labels, tau_factor=50.0, rhat_max=1.05) -> dict:
    """Convergence summary of ``chains``: a list of ``(steps, W, d)`` arrays (one per chain).

    ``converged`` needs every split-R-hat below ``rhat_max`` and a kept length of at least
    ``tau_factor`` integrated autocorrelation times (emcee's advice). ``more_steps`` is the
    estimated number of extra steps per chain to get there (0 when converged).
    """
    import emcee

    kept = [c[burn:] for c in chains]
    n_kept = kept[0].shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):  # a stuck walker: acf[0] = 0
        taus = np.array([emcee.autocorr.integrated_time(c, tol=0, quiet=True) for c in kept])
    n_kept0 = kept[0].shape[0]
    taus = np.where(np.isfinite(taus), taus, float(n_kept0))  # unknown: as bad as can be
    tau = taus.max(axis=0)  # (d,)
    W = kept[0].shape[1]
    ess = np.array([n_kept * W / t for t in taus]).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rhat = split_rhat(np.stack([c.mean(axis=1) for c in kept]))  # ensemble-mean series
        # every walker of every chain as a chain (as ArviZ treats emcee output): stricter
        rhat_w = split_rhat(np.concatenate([np.swapaxes(c, 0, 1) for c in kept]))
    acc = [float(np.mean(a) / n_steps) for a in accepted]
    need = tau_factor * float(np.nanmax(tau))
    ok_len = n_kept >= need
    ok_rhat = bool(np.all(rhat_w < rhat_max))
    ok_acc = all(0.05 <= a <= 0.8 for a in acc)
    converged = bool(ok_len and ok_rhat and ok_acc)
    frac = n_kept / max(n_steps, 1)
    more = (
        0
        if converged
        else int(np.ceil(max(need / frac - n_steps, 0.5 * n_steps if not ok_rhat else 0)))
    )
    return {
        "converged": converged,
        "n_steps": int(n_steps),
        "burn_in": int(burn),
        "walkers": int(W),
        "chains": len(chains),
        "acceptance_fraction": acc,
        "tau_max": float(np.nanmax(tau)),
        "length_over_tau": float(n_kept / np.nanmax(tau)),
        "more_steps": more,
        "checks": {
            "length >= %g tau" % tau_factor: bool(ok_len),
            f"R-hat < {rhat_max}": ok_rhat,
            "acceptance in [0.05, 0.8]": ok_acc,
        },
        "parameters": [
            {
                "parameter": lab,
                "tau": float(tau[k]),
                "ess": float(ess[k]),
                "rhat": float(rhat_w[k]),
                "rhat_chain_means": float(rhat[k]),
            }
            for k, lab in enumerate(labels)
        ],
    }


def crps_sample(samples, obs) -> np.ndarray:
    """CRPS of predictive ``samples (n, m)`` against ``obs (m,)`` (energy form)."""
    x = np.sort(np.asarray(samples, float), axis=0)
    n = x.shape[0]
    term1 = np.mean(np.abs(x - obs[None]), axis=0)
    i = np.arange(1, n + 1)[:, None]
    term2 = np.sum((2 * i - n - 1) * x, axis=0) / n**2  # = 0.5 E|X - X'|
    return term1 - term2


def theil(sim, obs) -> dict:
    """Theil's inequality decomposition of the MSE of ``sim`` vs ``obs`` (Sterman ch. 21).

    ``U_M`` bias, ``U_S`` unequal variation, ``U_C`` unequal covariation (they sum to 1).
    """
    s, a = np.asarray(sim, float), np.asarray(obs, float)
    mse = float(np.mean((s - a) ** 2))
    if mse <= 0:
        return {"mse": 0.0, "U_M": 0.0, "U_S": 0.0, "U_C": 0.0}
    ss, sa = s.std(), a.std()
    r = float(np.corrcoef(s, a)[0, 1]) if ss > 0 and sa > 0 else 1.0
    return {
        "mse": mse,
        "U_M": float((s.mean() - a.mean()) ** 2 / mse),
        "U_S": float((ss - sa) ** 2 / mse),
        "U_C": float(2 * (1 - r) * ss * sa / mse),
    }


def predictive_scores(items, sim) -> list:
    """Per observation: predictive quantiles of ``sim (draws, m)`` and whether it is inside.

    Points use the value; a range its interval (inside = the interval overlaps it); a bound
    is inside when the predictive 90% interval reaches the allowed side. ``crps`` (points
    only) is on the log scale (log units, like the likelihood).
    """
    sim = np.asarray(sim, float)
    q = np.nanpercentile(sim, [5, 25, 50, 75, 95], axis=0)
    out = []
    for j, o in enumerate(items):
        p5, p25, p50, p75, p95 = q[:, j]
        row = {
            "id": o.id,
            "variable": o.variable,
            "region": o.region,
            "time": o.time,
            "kind": o.kind,
            "share": o.share,
            "observed": o.value,
            "low": o.low,
            "high": o.high,
            "p5": p5,
            "p25": p25,
            "median": p50,
            "p75": p75,
            "p95": p95,
        }
        if o.kind == "point":
            v = o.value
            row.update(
                inside50=bool(p25 <= v <= p75),
                inside90=bool(p5 <= v <= p95),
                median_pct_error=100 * (p50 / v - 1),
                crps_log=float(
                    crps_sample(np.log(np.maximum(sim[:, [j]], 1e-300)), np.array([np.log(v)]))[0]
                ),
            )
        else:
            lo = o.low if o.kind == "range" else (o.value if o.kind == "lower" else -np.inf)
            hi = o.high if o.kind == "range" else (o.value if o.kind == "upper" else np.inf)
            row.update(
                inside50=bool(p75 >= lo and p25 <= hi),
                inside90=bool(p95 >= lo and p5 <= hi),
                median_pct_error=np.nan,
                crps_log=np.nan,
            )
        out.append(row)
    return out
