"""Backends: each turns the IR into a plan and simulates blocks of runs with it.

The interface (:class:`Backend`) is all :func:`aigap.engine.simulate.simulate`
knows of a backend:

- ``name``: the engine name (``res.meta["engine"]``), ``block_size``: runs per
  block when the caller gives none, ``status()``: ``(available, detail)``;
- ``compile(ir)``: the backend's *plan* of one model's :class:`~aigap.engine.ir.Program`
  (cheap; generated code is built on first use and cached, on disk too);
- ``runner(plan, ts_params, outputs, method)``: a callable
  ``run(P, TS, R, times, save, dt, initial_time, final_time, saveper, O)``
  that simulates one block of ``R`` runs and writes output ``k`` into
  ``O[k]``, an array ``(R, saved times, *dims)``.

The registry (:func:`get_backend`) maps engine names to backends: ``numpy``
(:mod:`.numpy`, the portable reference) and ``compiled`` (:mod:`.numba`, numba
kernels from the same IR). :func:`choose_engine` decides once per job which of
them runs. Two more printers of the IR live here without running in-process:
:mod:`.js` (the explorer's kernel, run in a browser or ``node``) and
:mod:`.pysd`, the independent reference that runs PySD from the ``.mdl``.
Shared by all: :mod:`.printing` (literals, identifiers, closures of the IR)
and :mod:`.cache` (the on-disk cache, verified by content).

Where to add a backend: a module or sub-package here with a :class:`Backend`
subclass instance named ``BACKEND``, one line in ``_REGISTRY``, and tests that
its results equal the numpy backend's.
"""

from __future__ import annotations

import importlib
import warnings
from abc import ABC, abstractmethod

from ..errors import ParameterError

ENGINES = ("auto", "numpy", "compiled")
AUTO_MIN_RUNS = 1_000  # "auto": compiled from this many runs per job
#: engine name -> module (relative to this package) whose ``BACKEND`` implements it
_REGISTRY = {"numpy": ".numpy", "compiled": ".numba"}


class Backend(ABC):
    """One way of running the IR (see the module docstring for the contract)."""

    name: str
    block_size: int

    def status(self) -> tuple[bool, str]:
        """``(True, version)`` when the backend can run here, else ``(False, reason)``."""
        return True, ""

    @abstractmethod
    def compile(self, ir):
        """The plan of one model's IR (generated code is built lazily, per signature)."""

    @abstractmethod
    def runner(self, plan, ts_params: frozenset, outputs: tuple, method: str):
        """``run(P, TS, R, times, save, dt, initial_time, final_time, saveper, O)`` of
        one job: simulates a block of ``R`` runs into run-major arrays ``O``."""


def get_backend(name: str) -> Backend:
    """The backend registered as ``name`` (``"numpy"`` or ``"compiled"``)."""
    if name not in _REGISTRY:
        raise ParameterError(f"unknown backend '{name}'; use one of {tuple(_REGISTRY)}")
    return importlib.import_module(_REGISTRY[name], __name__).BACKEND


def auto_engine(numba_ok: bool, n_runs: int) -> str:
    """The backend ``engine="auto"`` picks for a job of ``n_runs``: a pure function.

    The compiled kernel depends only on the model and the method (outputs,
    time-series constants, SAVEPER and the horizon are run-time arguments), so
    it is compiled once per model and method and then loaded from the disk
    cache by every job. ``"auto"`` therefore picks ``"compiled"`` whenever numba
    imports and the job has ``AUTO_MIN_RUNS`` (1,000) runs or more; below that
    the numpy backend finishes before the kernel is even loaded.

    Parameters
    ----------
    numba_ok : bool
        numba imports.
    n_runs : int
        Runs of the whole job (a sweep's total, not one chunk's).

    Returns
    -------
    str
        ``"compiled"`` or ``"numpy"``.
    """
    return "compiled" if numba_ok and n_runs >= AUTO_MIN_RUNS else "numpy"


def choose_engine(engine, n_runs) -> str:
    """Resolve ``engine`` to ``"numpy"`` or ``"compiled"`` for a job of ``n_runs``.

    Call it once per job (a sweep resolves it for all its chunks) and pass the
    answer to every ``simulate`` of the job. ``"compiled"`` without numba falls
    back to numpy with a RuntimeWarning that says why; ``"auto"`` follows
    :func:`auto_engine`.
    """
    if engine not in ENGINES:
        raise ParameterError(f"unknown engine '{engine}'; use one of {ENGINES}")
    if engine == "numpy":
        return "numpy"
    ok, detail = get_backend("compiled").status()
    if engine == "compiled" and not ok:
        warnings.warn(
            f"compiled engine unavailable: numba cannot be imported ({detail}); "
            "using the numpy engine",
            RuntimeWarning,
            stacklevel=3,
        )
        return "numpy"
    if engine == "auto":
        return auto_engine(ok, n_runs)
    return "compiled"


__all__ = ["AUTO_MIN_RUNS", "ENGINES", "Backend", "auto_engine", "choose_engine", "get_backend"]
