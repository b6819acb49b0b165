"""Batches of parameter sets evaluated in this process or as Dask tasks (``--dask``).

The posterior and calibration jobs evaluate the model on batches of parameter vectors
(the prior draws that start the walkers, each lock-step move of every chain's walkers,
each differential-evolution generation, the calibration's uncertainty draws). A
:class:`BatchEvaluator` takes such a batch ``X (n, d)`` and returns one row of values per
parameter set (a log-likelihood, a residual vector) from ``fn(task, (X_piece, engine))``:

- in process (no ``--dask``): one call of ``fn`` on the whole batch (or on fixed pieces of
  ``rows`` when the caller asks for them), exactly the code path without Dask;
- on Dask: the batch cut into pieces of at least :data:`MIN_TASK_ROWS` runs, a few per
  worker, each piece a task on a worker (``task``, holding the model, is scattered once per
  job and reused by every batch); a batch smaller than two pieces stays in this process,
  since a scheduler round trip (milliseconds) would cost more than simulating it.

Every run's outputs depend only on its own parameters, not on the other runs of the
engine call, so the pieces concatenated are the whole batch's values bit for bit; the
engine (``auto``) is resolved once per batch, for the whole batch, and sent with each
piece. ``tests/analysis/test_dask.py`` checks posterior and calibration jobs on a
2-worker LocalCluster against the in-process job.
"""

from __future__ import annotations

import numpy as np

from .ensemble import resolve_engine

__all__ = ["BatchEvaluator", "MIN_TASK_ROWS"]

MIN_TASK_ROWS = 256  # smallest piece sent to a worker (the scheduler costs ~ms a task)
PIECES_PER_WORKER = 2


class BatchEvaluator:
    """``ev(X, rows=None)`` -> ``fn`` values of every row of ``X`` (concatenated).

    Parameters
    ----------
    fn : callable
        ``fn(task, (X, engine)) -> (values, engine_ran)``; a module-level function (Dask
        pickles it by name), ``values`` with one row per row of ``X``.
    task : object
        What every batch shares (model, base parameters, observations).
    run : callable or None
        A Dask runner (:func:`aigap.workflow.distributed.dask_runner`), or None for this
        process.
    engine : str
        ``auto``, ``numpy`` or ``compiled``; resolved per batch for the whole batch.
    """

    def __init__(self, fn, task, run=None, engine: str = "auto"):
        self.fn, self.task, self.run, self.engine = fn, task, run, engine
        self.engines: set = set()
        self.tasks = 0  # pieces sent to workers
        self.rows = 0  # parameter sets evaluated

    def _pieces(self, n: int, rows):
        if rows is not None:
            return [(a, min(a + rows, n)) for a in range(0, n, rows)]
        if self.run is None or n < 2 * MIN_TASK_ROWS:
            return [(0, n)]
        k = max(1, min(n // MIN_TASK_ROWS, PIECES_PER_WORKER * self.run.info["workers"]))
        size = -(-n // k)
        return [(a, min(a + size, n)) for a in range(0, n, size)]

    def __call__(self, X, rows: int | None = None) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        n = X.shape[0]
        engine = resolve_engine(self.engine, n)
        pieces = self._pieces(n, rows)
        if self.run is None or (rows is None and len(pieces) == 1):
            out = [self.fn(self.task, (X[a:b], engine)) for a, b in pieces]
        else:
            got = dict(
                self.run(
                    self.fn, self.task, ((k, (X[a:b], engine)) for k, (a, b) in enumerate(pieces))
                )
            )
            out = [got[k] for k in range(len(pieces))]
            self.tasks += len(pieces)
        self.rows += n
        self.engines.update(e for _, e in out)
        return np.concatenate([v for v, _ in out], axis=0)
