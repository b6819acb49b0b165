"""Issue 8: what reaches the terminal and the CSV files, undefined ratios, and disk full."""

import os
import subprocess
from pathlib import Path

import pytest

FIX = Path(__file__).resolve().parents[1] / "fixtures"
BASE = FIX / "scenarios" / "baseline.yaml"


def test_control_characters_shown_and_formula_names_escaped(aigap, tmp_path, runs):
    s = tmp_path / "s.yaml"
    s.write_text(
        f'name: "=HYPERLINK(1)"\ndescription: "evil \\e[31mred\\e[0m \\u202e"\nextends: {BASE}\n'
    )
    r = aigap("run", s, "--no-plots", "--no-observations")
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\u202e" not in r.stdout
    assert "\\x1b[31mred" in r.stdout  # shown, not interpreted
    (folder,) = list(runs.iterdir())
    for name in ("summary.csv",):
        rows = (folder / name).read_text().splitlines()[1:]
        assert rows and all(row.startswith("'=HYPERLINK(1),") for row in rows)


def test_issue_lines_escape_control_characters(aigap, tmp_path):
    s = tmp_path / "s.yaml"
    s.write_text('description: x\n"bad\\e[2Jkey": 1\n')
    r = aigap("check", s)
    assert r.returncode == 2 and "\x1b" not in r.stderr and "\\x1b[2J" in r.stderr


def test_undefined_gap_ratio_prints_na():
    from aigap.engine import compile_model
    from aigap.workflow.summary import format_summary, summary_frame

    res = compile_model(FIX / "mini_gap.mdl").simulate(n_runs=1)
    cn = list(res.coords[res.dims["Total AI ARR"][2]]).index("CN")
    res.data["Total AI ARR"][0, :, cn] = 0.0  # the all-minimum corner: CN ARR = 0
    res.data["ARR Gap Ratio"][0, :] = 0.0  # ZIDZ(x, 0) = 0
    table = format_summary(summary_frame({"corner": res}), "corner")
    line = next(x for x in table.splitlines() if x.startswith("Total AI ARR gap"))
    assert line.split()[-5:] == ["n/a"] * 5 and "0x" not in line
    assert "x" in next(x for x in table.splitlines() if x.startswith("Model ARR gap"))


@pytest.fixture
def small_disk(tmp_path):
    d = tmp_path / "full"
    d.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24k", "tmpfs", str(d)], capture_output=True, text=True
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    yield d
    subprocess.run(["umount", str(d)], check=False)


def test_disk_full_leaves_nothing_half_written(aigap, small_disk):
    r = aigap("run", BASE, "--no-plots", "--runs-dir", small_disk)
    msg = r.stdout + r.stderr
    assert r.returncode == 2, msg
    assert "no space left on the device" in msg and "internal error" not in msg, msg
    assert list(small_disk.iterdir()) == []  # no run folder, no .tmp- folder


def test_ci_without_shared_folder_fails_instead_of_skipping(tmp_path):
    """In CI (CI=true) a missing ../shared makes the test run fail at start."""
    import shutil
    import sys

    root = tmp_path / "clone"
    (root / "tests").mkdir(parents=True)
    shutil.copyfile(
        Path(__file__).resolve().parents[1] / "conftest.py", root / "tests" / "conftest.py"
    )
    (root / "tests" / "test_x.py").write_text("def test_x():\n    pass\n")
    env = {**os.environ, "CI": "true"}
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode != 0 and "is missing" in r.stdout + r.stderr, r.stdout + r.stderr
    env["CI"] = ""
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize(
    "body,fragments",
    [
        (
            "  - {id: a, variable: ARR Gap Ratio, time: 2040, value: 3, source: x}\n",
            ["observations[a].time: 2040 is outside the simulated period"],
        ),
        (
            "  - {id: a, variable: ARR Gap Ratio, time: 2026, value: 3, unit: USD, source: x}\n",
            ["observations[a].unit: 'USD' differs from the unit of 'ARR Gap Ratio'"],
        ),
        # a structural error (bad kind) no longer hides the item's model errors
        (
            "  - {id: a, variable: Model ARR, region: EU, time: 2040, kind: pont, value: 3}\n",
            [
                "observations[a].kind: unknown kind 'pont'",
                "observations[a].region: region must be",
                "observations[a].time: 2040 is outside",
                "observations[a].source: missing required",
            ],
        ),
    ],
)
def test_observation_file_checks(aigap, tmp_path, body, fragments):
    path = tmp_path / "obs.yaml"
    path.write_text("observations:\n" + body)
    r = aigap("check", path)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.splitlines()
    for frag in fragments:
        assert any(f"{path}:2: {frag}" in x for x in lines), r.stderr
    assert len(lines) == len(fragments), r.stderr


def test_sweep_disk_full_keeps_only_whole_chunks(aigap, small_disk, tmp_path):
    """A sweep filling the disk: one line, exit 2; the partial folder holds only complete
    chunks (no .part file), so the same command resumes once space is freed."""
    sweep = tmp_path / "w.yaml"
    sweep.write_text(
        f"description: tiny\nscenario: {BASE}\nseed: 1\nruns: 4000\n"
        "chunk_size: 100\nuncertain:\n"
        "  Embedding Push: {dist: uniform, low: 0.1, high: 0.9}\n"
    )
    r = aigap("sweep", sweep, "--quiet", "--no-plots", "--runs-dir", small_disk)
    assert r.returncode == 2 and "of disk, 24 KiB free" in r.stderr, r.stderr  # estimated
    assert list(small_disk.iterdir()) == []
    r = aigap("sweep", sweep, "--quiet", "--no-plots", "--runs-dir", small_disk, "--allow-large")
    msg = r.stdout + r.stderr
    assert r.returncode == 2, msg
    assert "no space left on the device" in msg and "internal error" not in msg, msg
    assert not [p for p in small_disk.rglob("*") if p.name.endswith(".part")]
    assert not [p for p in small_disk.iterdir() if not p.name.startswith(".tmp-")]
