"""A run folder's inputs/ re-run: `aigap run inputs/<scenario> --model inputs/<model>`
reproduces the run, also when parents collide by name or live in other folders."""

import shutil

import pandas as pd
import pytest

from aigap.cli import main

from .conftest import FIXTURES

SCEN = FIXTURES / "scenarios"


def _run(args, runs, capsys):
    assert main(["run", *map(str, args), "--runs-dir", str(runs), "--no-plots"]) == 0, (
        capsys.readouterr().err
    )
    folder = max(runs.iterdir(), key=lambda p: p.stat().st_mtime_ns)
    return folder, pd.read_csv(folder / "results.csv")


def _compare(paths, runs):
    assert (
        main(
            [
                "compare",
                *map(str, paths),
                "--runs-dir",
                str(runs),
                "--no-plots",
                "--model",
                str(FIXTURES / "mini_gap.mdl"),
            ]
        )
        == 0
    )
    (folder,) = runs.iterdir()
    return folder, pd.read_csv(folder / "results.csv")


def test_fixture_chain_reruns_from_inputs(tmp_path, capsys):
    folder, first = _run(
        [SCEN / "truce.yaml", "--model", FIXTURES / "mini_gap.mdl"], tmp_path / "a", capsys
    )
    inputs = folder / "inputs"
    again, second = _run(
        [inputs / "truce.yaml", "--model", inputs / "mini_gap.mdl", "--fit"], tmp_path / "b", capsys
    )
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(
        pd.read_csv(folder / "fit.csv"), pd.read_csv(again / "fit.csv")
    )  # observations found too


@pytest.fixture
def tangle(tmp_path):
    """Two folders each with its own baseline.yaml, and a parent named by a relative path."""
    a, b, c, shared = (tmp_path / n for n in ("a", "b", "c", "shared"))
    for d in (a, b, c, shared):
        d.mkdir()
    (a / "baseline.yaml").write_text(
        "description: a's base\nconstants:\n  Price War Intensity: {CN: 0.3}\n"
    )
    (a / "va.yaml").write_text("description: a variant\nextends: baseline\n")
    (b / "baseline.yaml").write_text(
        "name: base_b\ndescription: b's base\nconstants:\n  Price War Intensity: {CN: 0.7}\n"
    )
    (b / "vb.yaml").write_text(
        "description: b variant\n# a comment line\nextends: baseline\n"
        "constants:\n  Price War Intensity: {US: 0.2}\n"
    )
    (shared / "base.yaml").write_text(
        "description: shared base\nconstants:\n  Price War Intensity: {CN: 0.9}\n"
    )
    (c / "vc.yaml").write_text("description: c variant\nextends: ../shared/base.yaml\n")
    return a / "va.yaml", b / "vb.yaml", c / "vc.yaml"


def test_colliding_and_outside_parents_rerun_from_inputs(tangle, tmp_path, capsys):
    folder, first = _compare(tangle, tmp_path / "cmp")
    inputs = folder / "inputs"
    assert sorted(p.name for p in inputs.iterdir()) == [
        "base.yaml",
        "baseline-2.yaml",
        "baseline.yaml",
        "mini_gap.mdl",
        "va.yaml",
        "vb.yaml",
        "vc.yaml",
    ]
    vb = (inputs / "vb.yaml").read_text().splitlines()
    assert vb[2] == "extends: baseline-2.yaml" and len(vb) == 5  # lines keep their place
    assert (inputs / "vc.yaml").read_text() == "description: c variant\nextends: base.yaml\n"
    assert (inputs / "va.yaml").read_text() == tangle[0].read_text()  # resolves as it is
    for k, path in enumerate(tangle):
        _, again = _run(
            [inputs / path.name, "--model", inputs / "mini_gap.mdl"], tmp_path / f"re{k}", capsys
        )
        want = first[first.scenario == path.stem].drop(columns="scenario")
        pd.testing.assert_frame_equal(want.reset_index(drop=True), again)
    shutil.rmtree(tmp_path / "a")  # the copies do not need the sources
    _run([inputs / "va.yaml", "--model", inputs / "mini_gap.mdl"], tmp_path / "gone", capsys)
