"""The manifests of sweep, sensitivity and calibration record the engine that actually ran
(``res.meta["engine"]``) and its version, and the requested engine reaches the model."""

import json
import shutil
from pathlib import Path

import pytest

from aigap.analysis.calibration_job import run_calibration
from aigap.analysis.sensitivity_job import run_sensitivity
from aigap.analysis.sweep_job import run_sweep
from aigap.engine.backends.numba import BACKEND_VERSION
from aigap.engine.version import ENGINE_VERSION

REPO = Path(__file__).resolve().parents[2]
SWEEPS = REPO / "scenarios" / "sweeps"


@pytest.fixture
def spy(cm, monkeypatch):
    """``cm.simulate`` runs numpy but reports ``compiled`` (as ``auto`` does for large
    ensembles), so a hard-coded engine in a manifest shows; records the engine asked for."""
    asked = []
    real = cm.simulate

    def simulate(*args, engine="auto", **kw):
        asked.append(engine)
        res = real(*args, engine="numpy", **kw)
        res.meta["engine"] = "compiled"
        return res

    monkeypatch.setattr(cm, "simulate", simulate)
    return asked


def _manifest(folder) -> dict:
    return json.loads((Path(folder) / "manifest.json").read_text())


def _check(m, requested):
    assert m["engine"] == "compiled"
    assert m["engine_requested"] == requested
    assert m["engine_version"] == ENGINE_VERSION
    assert m["engine_backends"]["compiled"]["backend_version"] == BACKEND_VERSION


def test_sweep_manifest_records_engine_that_ran(cm, spy, tmp_path):
    out = run_sweep(
        SWEEPS / "price_war.yaml",
        model=cm,
        runs_dir=tmp_path,
        runs=8,
        chunk_size=4,
        progress=None,
        plots=False,
        engine="compiled",
    )
    assert "compiled" in spy
    _check(_manifest(out.run_dir), "compiled")


def test_sensitivity_manifest_records_engine_that_ran(cm, spy, tmp_path):
    out = run_sensitivity(
        SWEEPS / "price_war.yaml",
        "morris",
        N=2,
        model=cm,
        runs_dir=tmp_path,
        progress=None,
        plots=False,
        n_boot=10,
    )
    # the engine is decided once for the whole job (a small Morris design: numpy), one call
    assert len(spy) == 1 and spy[0] in ("numpy", "compiled")
    _check(_manifest(out.run_dir), "auto")


def test_calibration_manifest_records_engine_that_ran(cm, spy, tmp_path):
    base = tmp_path / "baseline.yaml"
    shutil.copyfile(REPO / "scenarios" / "baseline.yaml", base)
    out = run_calibration(
        base,
        ["Price War Intensity[CN]"],
        observations=REPO / "scenarios" / "data" / "observations.yaml",
        model=cm,
        runs_dir=tmp_path / "runs",
        popsize=4,
        maxiter=2,
        n_uncertainty=20,
        plots=False,
        progress=None,
        engine="numpy",
    )
    assert set(spy) == {"numpy"}
    _check(_manifest(out.run_dir), "numpy")


def test_real_numpy_runs_are_recorded_as_numpy(cm, tmp_path):
    out = run_sweep(
        SWEEPS / "price_war.yaml",
        model=cm,
        runs_dir=tmp_path,
        runs=4,
        chunk_size=4,
        progress=None,
        plots=False,
        engine="numpy",
    )
    m = _manifest(out.run_dir)
    assert m["engine"] == "numpy" and m["engine_backends"] == {}


@pytest.mark.parametrize(
    "command",
    [
        ["sweep", str(SWEEPS / "price_war.yaml"), "--runs", "4", "--quiet"],
        [
            "sensitivity",
            str(SWEEPS / "price_war.yaml"),
            "--method",
            "morris",
            "--N",
            "2",
            "--n-boot",
            "10",
        ],
        [
            "calibrate",
            "--param",
            "Price War Intensity[CN]",
            "--popsize",
            "4",
            "--maxiter",
            "2",
            "--output-scenario",
            "{tmp}/cal.yaml",
        ],
    ],
)
def test_cli_engine_option(command, cm, tmp_path, capsys):
    from aigap.cli import main

    command = [c.replace("{tmp}", str(tmp_path)) for c in command]
    common = [
        "--runs-dir",
        str(tmp_path / "runs"),
        "--no-plots",
        "--model",
        str(REPO / "model" / "ai_gap.mdl"),
    ]
    assert main([*command, *common, "--engine", "numpy"]) == 0
    (folder,) = (tmp_path / "runs").iterdir()
    m = _manifest(folder)
    assert m["engine"] == "numpy" and m["engine_requested"] == "numpy"
    with pytest.raises(SystemExit) as exc:  # pysd is for run/compare only
        main([*command, *common, "--engine", "pysd"])
    assert exc.value.code == 2 and "invalid choice: 'pysd'" in capsys.readouterr().err
