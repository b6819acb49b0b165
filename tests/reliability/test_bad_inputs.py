"""Issue 8: bad inputs and faults, run through the real CLI.

Each row: files to write, the command, the expected exit code, a fragment of the
one-line message, and that nothing was written (no run folder, no stray file).
"""

import pickle
from pathlib import Path

import pytest

FIX = Path(__file__).resolve().parents[1] / "fixtures"
SCEN = FIX / "scenarios"
OBS = SCEN / "data" / "observations.yaml"

BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefg", "bcdefgh"))
    + "description: *h\n"
)

SWEEP = (
    f"description: tiny\nscenario: {SCEN / 'baseline.yaml'}\nseed: 1\nruns: 16\n"
    "uncertain:\n  Embedding Push: {dist: uniform, low: 0.1, high: 0.9}\n"
)

NO_CONTRACT = (
    "{UTF-8}\nStock = INTEG(1, 1)\n\t~\tUSD\n\t~\t|\n\n"
    "FINAL TIME = 2031\n\t~\tYear\n\t~\t|\n\nINITIAL TIME = 2024\n\t~\tYear\n\t~\t|\n\n"
    "SAVEPER = 0.25\n\t~\tYear\n\t~\t|\n\nTIME STEP = 0.25\n\t~\tYear\n\t~\t|\n"
)

# (id, files {name: text}, args (with {d} = tmp folder), exit code, message fragment)
CASES = [
    (
        "tag-python-name",
        {"s.yaml": "description: !!python/name:os.system x\n"},
        ["check", "{d}/s.yaml"],
        2,
        "s.yaml:1: YAML tag",
    ),
    (
        "tag-custom",
        {"s.yaml": "description: ok\nconstants: !foo {}\n"},
        ["check", "{d}/s.yaml"],
        2,
        "s.yaml:2: YAML tag '!foo'",
    ),
    ("alias-bomb", {"s.yaml": BOMB}, ["check", "{d}/s.yaml"], 2, "too many YAML nodes"),
    (
        "extends-dev-zero",
        {"s.yaml": "description: x\nextends: /dev/zero\n"},
        ["run", "{d}/s.yaml"],
        2,
        "not a regular file",
    ),
    (
        "observations-dev-zero",
        {},
        ["run", str(SCEN / "baseline.yaml"), "--observations", "/dev/zero"],
        2,
        "not a regular file",
    ),
    ("sweep-runs-0", {}, ["sweep", "{d}/none.yaml", "--runs", "0"], 2, "--runs"),
    ("sensitivity-N-0", {}, ["sensitivity", "{d}/none.yaml", "--N", "0"], 2, "--N"),
    ("sensitivity-n-boot-0", {}, ["sensitivity", "{d}/none.yaml", "--n-boot", "0"], 2, "--n-boot"),
    (
        "sensitivity-n-boot-neg",
        {},
        ["sensitivity", "{d}/none.yaml", "--n-boot", "-5"],
        2,
        "--n-boot",
    ),
    (
        "calibrate-popsize-0",
        {},
        ["calibrate", "--param", "Embedding Push", "--popsize", "0"],
        2,
        "--popsize",
    ),
    ("discover-max-boxes-0", {}, ["discover", "{d}/none", "--max-boxes", "0"], 2, "--max-boxes"),
    ("discover-max-boxes-neg", {}, ["discover", "{d}/none", "--max-boxes", "-1"], 2, "--max-boxes"),
    (
        "calibrate-output-missing-folder",
        {},
        [
            "calibrate",
            str(SCEN / "baseline.yaml"),
            "--param",
            "Embedding Push",
            "--observations",
            str(OBS),
            "--output-scenario",
            "{d}/nope/x.yaml",
        ],
        2,
        "does not exist",
    ),
    # time grid and job size: refused before anything is simulated or written
    (
        "time-step-past-horizon",
        {},
        ["run", str(SCEN / "baseline.yaml"), "--time-step", "100"],
        2,
        "--time-step 100: longer than the simulated period 2024-2031",
    ),
    (
        "time-step-not-dividing-saveper",
        {},
        ["run", str(SCEN / "baseline.yaml"), "--time-step", "0.3"],
        2,
        "--time-step 0.3: does not divide SAVEPER",
    ),
    (
        "time-step-hours-long",
        {},
        ["compare", str(SCEN / "baseline.yaml"), "--time-step", repr(0.25 / 2**21)],
        2,
        "job too large",
    ),
    ("check-nothing-to-check", {}, ["check"], 2, "nothing to check; give FILE"),
    (
        "extends-symlink-loop",
        {"c.yaml": "description: x\nextends: a.yaml\n"},
        ["check", "{d}/c.yaml"],
        2,
        "a.yaml: cannot resolve (Symlink loop",
    ),
    (
        "model-without-contract",
        {"m.mdl": NO_CONTRACT},
        ["run", str(SCEN / "baseline.yaml"), "--model", "{d}/m.mdl", "--no-observations"],
        2,
        "defines none of the contract variables",
    ),
    (
        "sweep-saveper-not-year-divisor",
        {"w.yaml": SWEEP + "saveper: 0.3\n"},
        ["sweep", "{d}/w.yaml"],
        2,
        "w.yaml:7: saveper: does not divide one year",
    ),
    (
        "sweep-saveper-past-horizon",
        {"w.yaml": SWEEP + "saveper: 10\n"},
        ["check", "{d}/w.yaml"],
        2,
        "w.yaml:7: saveper: longer than the simulated period",
    ),
    (
        "sweep-runs-1e9",
        {"w.yaml": SWEEP.replace("runs: 16", "runs: 1000000000")},
        ["sweep", "{d}/w.yaml"],
        2,
        "w.yaml:4: runs: job too large (1,000,000,000 runs",
    ),
    (
        "sweep-runs-option-1e9",
        {"w.yaml": SWEEP},
        ["sweep", "{d}/w.yaml", "--runs", "1000000000"],
        2,
        "--runs: job too large",
    ),
]


def _snapshot(folder: Path):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("name,files,args,code,fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_input(aigap, tmp_path, runs, name, files, args, code, fragment):
    d = tmp_path / "in"
    d.mkdir()
    for fname, text in files.items():
        (d / fname).write_text(text)
    if name == "extends-symlink-loop":
        (d / "a.yaml").symlink_to(d / "b.yaml")
        (d / "b.yaml").symlink_to(d / "a.yaml")
    before = _snapshot(d)
    r = aigap(*[a.format(d=d) for a in args])
    msg = r.stdout + r.stderr
    assert r.returncode == code, msg
    assert fragment in msg, msg
    assert "Traceback" not in msg and "internal error" not in msg, msg
    assert _snapshot(d) == before  # nothing written beside the inputs
    assert not runs.exists() or not any(runs.iterdir())  # no run folder, no .tmp- folder


def test_report_output_dangling_symlink_not_followed(aigap, tmp_path, runs):
    """A dangling symlink as `report --output` is refused; its target is never created."""
    assert aigap("run", SCEN / "baseline.yaml").returncode == 0
    (folder,) = list(runs.iterdir())
    link, victim = tmp_path / "r.html", tmp_path / "victim.html"
    link.symlink_to(victim)
    r = aigap("report", folder, "--output", link)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "symlink" in r.stdout + r.stderr
    assert not victim.exists()
    existing = tmp_path / "keep.html"
    existing.write_text("mine")
    r = aigap("report", folder, "--output", existing)
    assert r.returncode == 2 and existing.read_text() == "mine"


def test_calibrated_file_name_confined(tmp_path, monkeypatch):
    """`name: /abs/victim` or `../x` never leads a derived file outside the run folder."""
    from aigap.scenarios import safe_name

    for bad in ("/x/victim", "../../../x/rel", "a/b\\c", "." * 5, "n" * 240):
        s = safe_name(bad)
        assert "/" not in s and "\\" not in s and ".." not in s and s
    assert len(safe_name("n" * 240)) <= 100


def test_git_status_takes_no_index_lock():
    import inspect

    from aigap.workflow import manifest

    assert "--no-optional-locks" in inspect.getsource(manifest.git_commit)


@pytest.mark.parametrize("tamper", ["edit", "append", "garbage"])
def test_ir_cache_verified_by_content(tmp_path, monkeypatch, tamper):
    """A tampered IR pickle or numpy module in the cache is rebuilt, results unchanged."""
    import numpy as np

    from aigap.engine import model as engmod

    monkeypatch.setenv("AIGAP_CACHE_DIR", str(tmp_path / "cache"))
    mdl = FIX / "mini_gap.mdl"
    ref = engmod.compile_model(mdl).simulate(n_runs=1)
    pkl = next((tmp_path / "cache" / "ir").glob("*.pkl"))
    mods = list((tmp_path / "cache" / "numpy").glob("*.py"))
    if tamper == "garbage":
        pkl.write_bytes(b"not a pickle")
    elif tamper == "append":
        pkl.write_bytes(pkl.read_bytes() + pickle.dumps("x"))
        for m in mods:
            m.write_text(m.read_text() + "\nraise SystemExit('tampered')\n")
    else:
        data = bytearray(pkl.read_bytes())
        data[len(data) // 2] ^= 1
        pkl.write_bytes(bytes(data))
        for m in mods:
            m.write_text(m.read_text().replace("+", "-", 1))
    assert engmod._load_cached(mdl) is None  # never unpickled after tampering
    res = engmod.compile_model(mdl).simulate(n_runs=1)
    for k in ref.data:
        np.testing.assert_array_equal(res.data[k], ref.data[k])
    for m in mods:
        assert "tampered" not in m.read_text()


# An aliased value small enough to load (9^4 = 6,561 leaves, under the node bound) placed
# where a number is expected: the error must describe it ("got a list"), never print it.
ALIASED = "".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]\n"]
    + [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abc", "bcd")]
)
ALIAS_CASES = [
    (
        "scenario",
        "s.yaml",
        "description: ok\nconstants:\n  Embedding Push: *d\n",
        "constants.Embedding Push: expected a number",
    ),
    (
        "observations",
        "o.yaml",
        "observations:\n  - {id: x, variable: Model ARR, region: US, time: 2025, value: *d,\n"
        "     source: {file: made_up.txt, quote: q}}\n",
        "observations[x].value: expected a",
    ),
    ("sweep", "w.yaml", SWEEP.replace("runs: 16", "runs: *d"), "runs: expected an integer"),
    (
        "priors",
        "p.yaml",
        "description: ok\npriors:\n  Embedding Push: {dist: uniform, low: *d,"
        " high: 1, rationale: r}\n",
        "priors.Embedding Push: 'low' must be a number",
    ),
]


@pytest.mark.parametrize("kind,fname,body,fragment", ALIAS_CASES, ids=[c[0] for c in ALIAS_CASES])
def test_error_messages_never_expand_aliased_values(
    aigap, tmp_path, runs, kind, fname, body, fragment
):
    """Issue 8: formatting an aliased value in a message does not expand it."""
    (tmp_path / fname).write_text(ALIASED + body)
    r = aigap("check", tmp_path / fname)
    msg = r.stdout + r.stderr
    assert r.returncode == 2, msg
    assert fragment in msg and "got a list" in msg, msg
    assert "Traceback" not in msg and "internal error" not in msg, msg
    assert len(msg) < 3000 and max(len(line) for line in msg.splitlines()) < 400, msg
    assert "x, x, x" not in msg and "['x'" not in msg, msg
