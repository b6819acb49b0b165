"""The design drawn chunk by chunk (aggregates-only sweeps) is the whole design, bit for bit."""

from types import SimpleNamespace

import numpy as np
import pytest

from aigap.analysis.design_stream import DesignStream
from aigap.analysis.distributions import from_spec
from aigap.analysis.problem import Problem
from aigap.analysis.sweep_job import design

DISTS = [
    {"dist": "uniform", "low": 0.2, "high": 1.0},
    {"dist": "loguniform", "low": 1.5, "high": 4.0},
    {"dist": "triangular", "low": 0.5, "mode": 0.8, "high": 0.95},
    {"dist": "truncnormal", "mean": 1.0, "sd": 0.5, "low": 0.0, "high": 3.0},
    {"dist": "discrete", "levels": [1, 2, 5]},
]


def _spec(sampler, runs, seed=11, sets=None, levels=3):
    problem = Problem(tuple(f"x{i}" for i in range(len(DISTS))), tuple(from_spec(d) for d in DISTS))
    return SimpleNamespace(
        problem=problem, sampler=sampler, runs=runs, seed=seed, levels=levels, sets=sets
    )


def _streamed(spec, chunk, tmp_path, skip=()):
    with DesignStream(spec, tmp_path) as ds:
        bounds = [(a, min(a + chunk, ds.n)) for a in range(0, ds.n, chunk)]
        got = dict(ds.chunks(bounds, skip))
        assert set(got) == set(range(len(bounds))) - set(skip)
        return ds, bounds, got


@pytest.mark.parametrize(
    "sampler,runs", [("mc", 1000), ("lhs", 1000), ("sobol", 1024), ("grid", None)]
)
@pytest.mark.parametrize("chunk", [1, 97, 512, 5000])
def test_chunks_equal_whole_design(tmp_path, sampler, runs, chunk):
    spec = _spec(sampler, runs)
    whole = design(spec)
    ds, bounds, got = _streamed(spec, chunk, tmp_path)
    assert ds.n == whole.shape[0]
    for k, (a, b) in enumerate(bounds):
        assert got[k].dtype == whole.dtype and np.array_equal(got[k], whole[a:b]), k
    assert not (tmp_path / "lhs_perms.bin").exists()  # scratch removed on close


def test_parameter_sets_and_skipped_chunks(tmp_path):
    sets = np.random.default_rng(0).random((37, len(DISTS)))
    spec = _spec("resample", 500, sets=sets)
    whole = design(spec)
    _, bounds, got = _streamed(spec, 64, tmp_path, skip={0, 3})
    for k, rows in got.items():
        a, b = bounds[k]
        assert np.array_equal(rows, whole[a:b])
    lhs = _spec("lhs", 300)  # a resumed sweep skips chunks: the rest are unchanged
    _, bounds, got = _streamed(lhs, 64, tmp_path, skip={1, 2})
    assert np.array_equal(got[3], design(lhs)[bounds[3][0] : bounds[3][1]])


def test_digest_is_the_whole_designs(tmp_path):
    import hashlib

    spec = _spec("lhs", 70_000)  # more than one hashing block
    whole = design(spec)
    with DesignStream(spec, tmp_path) as ds:
        digest = ds.digest()
    assert (
        digest
        == hashlib.sha256(
            whole.tobytes() + f"{whole.shape[0]}x{whole.shape[1]}".encode()
        ).hexdigest()
    )
    with DesignStream(_spec("lhs", 70_000, seed=12), tmp_path) as other:
        assert other.digest() != digest
