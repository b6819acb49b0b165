"""The posterior-based README figures are current: `python model/posterior_tables.py --check`
verifies that model/posterior/ was sampled from the current model, priors, observations and
baseline (sha256) and that both READMEs show what its draws give (recomputed here, numpy
engine, about 10 s)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_posterior_tables_check_passes():
    proc = subprocess.run(
        [sys.executable, str(REPO / "model" / "posterior_tables.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr


def test_posterior_tables_check_detects_stale_inputs(tmp_path, monkeypatch, cm):
    sys.path.insert(0, str(REPO / "model"))
    try:
        import posterior_tables as pt
    finally:
        sys.path.pop(0)
    store = tmp_path / "posterior"
    shutil.copytree(pt.STORE, store)
    man = json.loads((store / "manifest.json").read_text())
    man["model"]["sha256"] = "0" * 64
    (store / "manifest.json").write_text(json.dumps(man))
    monkeypatch.setattr(pt, "STORE", store)
    assert pt.provenance_problems(cm) == [
        "model/ai_gap.mdl changed since the posterior was sampled"
    ]
    readme = tmp_path / "README.md"
    readme.write_text("x\n<!-- BEGIN posterior_gaps -->\nold\n<!-- END posterior_gaps -->\n")
    assert "old" not in pt.replace(readme.read_text(), "posterior_gaps", "new")
