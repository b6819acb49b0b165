"""Run folders: atomic, never overwritten, manifest complete."""

import json
import os
import stat
from datetime import datetime, timezone

import pytest

from aigap.workflow import build_manifest, new_run_dir, runs_root, write_manifest
from aigap.workflow.manifest import sha256_file
from aigap.workflow.rundir import RunDir

NOW = datetime(2026, 5, 30, 12, 0, 0, tzinfo=timezone.utc)


def test_folder_appears_only_when_complete(tmp_path):
    with RunDir("run", "base line", runs_dir=tmp_path, now=NOW) as rd:
        (rd.path / "a.csv").write_text("x\n")
        assert rd.path.name.startswith(".tmp-base_line-")
        assert [p.name for p in tmp_path.iterdir()] == [rd.path.name]
    assert rd.final_path == tmp_path / "20260530-120000-base_line"
    assert [p.name for p in tmp_path.iterdir()] == ["20260530-120000-base_line"]
    assert (rd.final_path / "a.csv").read_text() == "x\n"


def test_failure_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with new_run_dir("run", "boom", runs_dir=tmp_path) as rd:
            (rd.path / "partial.csv").write_text("half")
            raise RuntimeError("simulated crash")
    assert list(tmp_path.iterdir()) == []


def test_keep_partial_for_resumable_jobs(tmp_path):
    with pytest.raises(RuntimeError):
        with new_run_dir("sweep", "s", runs_dir=tmp_path, keep_partial=True) as rd:
            raise RuntimeError
    assert rd.path.exists() and rd.final_path is None


def test_never_overwrites(tmp_path):
    made = []
    for k in range(3):
        with RunDir("run", "same", runs_dir=tmp_path, now=NOW) as rd:
            (rd.path / "k.txt").write_text(str(k))
        made.append(rd.final_path.name)
    assert made == ["20260530-120000-same", "20260530-120000-same-2", "20260530-120000-same-3"]
    assert [(tmp_path / m / "k.txt").read_text() for m in made] == ["0", "1", "2"]


def test_runs_root_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("AIGAP_RUNS_DIR", str(tmp_path / "env"))
    assert runs_root() == tmp_path / "env"
    assert runs_root(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("AIGAP_RUNS_DIR")
    assert str(runs_root()) == "runs"


def test_manifest_contents(tmp_path, cm):
    scen = tmp_path / "s.yaml"
    scen.write_text("description: s\n")
    m = build_manifest(
        "run",
        "s",
        NOW,
        scenarios=[{"name": "s", "files": [scen]}],
        model=cm,
        engine="numpy",
        method="euler",
        time_step=0.03125,
        seed=None,
        command=["aigap", "run", str(scen)],
        extra={"sets": ["A=1"]},
    )
    path = write_manifest(tmp_path, m)
    data = json.loads(path.read_text())
    assert data["scenarios"][0]["files"] == [{"path": str(scen), "sha256": sha256_file(scen)}]
    assert data["model"] == {"path": str(cm.path), "sha256": sha256_file(cm.path)}
    assert data["engine"] == "numpy" and data["method"] == "euler"
    assert data["time_step"] == 0.03125 and data["seed"] is None
    assert data["package"]["version"]
    assert "commit" in data["git"] and data["command"] == ["aigap", "run", str(scen)]
    assert data["duration_s"] >= 0 and data["started"].startswith("2026-05-30T12:00:00")
    assert data["sets"] == ["A=1"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o755), (0o027, 0o750), (0o077, 0o700)])
def test_folder_permissions_follow_umask(tmp_path, umask, mode):
    """Others can read results (not mkdtemp's 0700) unless the umask says otherwise."""
    old = os.umask(umask)
    try:
        with new_run_dir("run", "perm", runs_dir=tmp_path) as rd:
            assert stat.S_IMODE(rd.path.stat().st_mode) == mode  # also while written
    finally:
        os.umask(old)
    assert stat.S_IMODE(rd.final_path.stat().st_mode) == mode
