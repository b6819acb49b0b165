"""A sweep's design drawn chunk by chunk, bit for bit the rows of the whole design.

:func:`aigap.analysis.sweep_job.design` draws ``(runs, d)`` at once; an aggregates-only
sweep of 10M runs would hold it (``runs x d x 8`` bytes) and the sampler's temporaries
(several times that) from start to finish. :class:`DesignStream` draws the same values one
chunk at a time, in order, from the same seed:

- ``mc``: ``rng.random((n, d))`` fills row by row, one 64-bit draw per value, so chunk
  ``a:b`` is the same generator's next ``(b - a) x d`` draws.
- ``sobol``: the scrambled sequence continued (``Sobol.random(b - a)`` after the rows before
  it), the points ``random_base2`` gives at once.
- ``lhs``: scipy's Latin hypercube is ``(perm - u) / n`` with ``u`` the generator's first
  ``n x d`` uniforms and ``perm`` one shuffle of ``1..n`` per input drawn after them (from
  the child generator scipy spawns from the seed's). The uniforms are read chunk by chunk; a second generator is advanced past them
  (``bit_generator.advance``) and makes the shuffles one input at a time, written as int32
  columns to a scratch file (``4 x d`` bytes per run on disk, one column in memory while
  drawing) from which each chunk reads its rows.
- ``grid``: the rows of the full factorial from their indices (no randomness).
- ``parameter_sets``: the row indices drawn at once (``rng.integers`` buffers its draws, so
  it cannot be split), 4 or 8 bytes per run, and each chunk's sets picked from them.

The inputs are then mapped to parameter values chunk by chunk (``Problem.transform`` works
value by value). ``tests/analysis/test_design_stream.py`` checks every sampler against
:func:`~aigap.analysis.sweep_job.design` at chunk sizes that do not divide the runs.
"""

from __future__ import annotations

import hashlib
import itertools
import warnings
from pathlib import Path

import numpy as np
from scipy.stats import qmc

__all__ = ["DesignStream"]

DIGEST_ROWS = 1 << 16  # rows per block when hashing the whole design


class DesignStream:
    """``DesignStream(spec, scratch)``: the design of sweep ``spec`` one chunk at a time.

    ``scratch`` is a folder for the Latin hypercube's permutation file (``lhs_perms.bin``,
    removed by :meth:`close`).
    """

    def __init__(self, spec, scratch: Path | None = None):
        self.spec = spec
        self.problem = spec.problem
        self.d = spec.problem.d
        self.scratch = Path(scratch) if scratch is not None else None
        self._perm_path = None
        self._rows = None
        if spec.sets is not None:
            rows = np.random.default_rng(spec.seed).integers(0, len(spec.sets), spec.runs)
            self._rows = rows.astype(np.int32) if len(spec.sets) < 2**31 else rows
            self.n = int(spec.runs)
        elif spec.sampler == "grid":
            from .samplers import grid_axes

            self._axes = grid_axes(spec.problem, spec.levels)
            self.n = int(np.prod([len(a) for a in self._axes]))
        else:
            self.n = int(spec.runs)

    # ------------------------------------------------------------------ chunks
    def chunks(self, bounds, skip=()):
        """Yield ``(k, rows)`` for every ``k, (a, b)`` of ``bounds`` (consecutive, from 0)
        not in ``skip``; ``rows`` equals ``design(spec)[a:b]``. Skipped chunks are still
        drawn (the sequences are consumed in order) but not transformed."""
        skip = set(skip)
        unit = self._unit_blocks([b - a for a, b in bounds])
        for k, (a, b) in enumerate(bounds):
            block = next(unit)
            if k in skip:
                continue
            yield k, self._values(block, a, b)

    def digest(self) -> str:
        """sha256 of the whole design's float64 bytes (C order), drawn block by block."""
        h = hashlib.sha256()
        bounds = [(a, min(a + DIGEST_ROWS, self.n)) for a in range(0, self.n, DIGEST_ROWS)]
        for _, rows in self.chunks(bounds):
            h.update(np.ascontiguousarray(rows, dtype=np.float64).tobytes())
        h.update(f"{self.n}x{self.d}".encode())
        return h.hexdigest()

    def close(self) -> None:
        """Remove the scratch file, if any."""
        if self._perm_path is not None:
            self._perm_path.unlink(missing_ok=True)
            self._perm_path = None

    # ------------------------------------------------------------------ internals
    def _values(self, block, a, b):
        if self._rows is not None:
            return self.spec.sets[self._rows[a:b]]
        return self.problem.transform(block)

    def _unit_blocks(self, sizes):
        """Yield the unit-cube rows of consecutive chunks of ``sizes`` rows (None for
        parameter sets, whose rows are picked in :meth:`_values`)."""
        spec, d = self.spec, self.d
        if self._rows is not None:
            yield from itertools.repeat(None, len(sizes))
            return
        if spec.sampler == "grid":
            a = 0
            for m in sizes:
                idx = np.unravel_index(np.arange(a, a + m), [len(x) for x in self._axes])
                yield np.stack([ax[i] for ax, i in zip(self._axes, idx)], axis=1).astype(float)
                a += m
            return
        from .samplers import check_sampler

        check_sampler(spec.sampler, self.n)
        rng = np.random.default_rng(spec.seed)
        if spec.sampler == "mc":
            for m in sizes:
                yield rng.random((m, d))
        elif spec.sampler == "sobol":
            engine = qmc.Sobol(d=d, scramble=True, rng=rng)
            with warnings.catch_warnings():  # chunks need not be powers of two
                warnings.simplefilter("ignore", UserWarning)
                for m in sizes:
                    yield engine.random(m)
        elif spec.sampler == "lhs":
            perms = self._lhs_perms()
            rng = _qmc_rng(spec.seed)
            a = 0
            for m in sizes:
                u = rng.uniform(size=(m, d))
                yield (_read_rows(perms, self.n, d, a, m) - u) / self.n
                a += m
        else:
            raise ValueError(f"no streamed design for sampler {spec.sampler!r}")

    def _lhs_perms(self) -> Path:
        """The ``d`` shuffles of ``1..n`` of scipy's LatinHypercube (drawn after its
        ``n x d`` uniforms), as int32 columns in a scratch file."""
        if self._perm_path is not None:
            return self._perm_path
        if self.scratch is None:
            raise ValueError("a streamed Latin hypercube needs a scratch folder")
        n, d = self.n, self.d
        rng = _qmc_rng(self.spec.seed)
        rng.bit_generator.advance(n * d)  # past the uniforms: one 64-bit draw each
        dtype = np.int32 if n < 2**31 else np.int64
        path = self.scratch / "lhs_perms.bin"
        with open(path, "wb") as fh:
            for _ in range(d):
                col = np.arange(1, n + 1, dtype=dtype)
                rng.shuffle(col)  # the same draws as shuffling an int64 row
                fh.write(col.tobytes())
        self._perm_path = path
        return path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _qmc_rng(seed: int) -> np.random.Generator:
    """The generator a scipy QMC engine draws from when given ``default_rng(seed)``: it
    spawns one child of the generator's seed sequence and owns that."""
    bg = np.random.default_rng(seed).bit_generator
    return np.random.Generator(type(bg)(bg.seed_seq.spawn(1)[0]))


def _read_rows(path: Path, n: int, d: int, a: int, m: int) -> np.ndarray:
    """Rows ``a:a+m`` of the ``(n, d)`` permutations stored column after column."""
    size = 4 if n < 2**31 else 8
    dtype = np.int32 if size == 4 else np.int64
    out = np.empty((m, d), dtype=np.int64)
    with open(path, "rb") as fh:
        for j in range(d):
            fh.seek((j * n + a) * size)
            out[:, j] = np.fromfile(fh, dtype=dtype, count=m)
    return out
