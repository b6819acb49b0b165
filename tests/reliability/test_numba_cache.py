"""Issue 8: the on-disk kernel caches are verified by content before use: an edited
module, a garbled machine-code index (numba's build) or a changed object file (the native
build of the lock-step kernel) is rebuilt, never imported, unpickled or run."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numba  # noqa: F401 - a declared dependency: a broken install fails, never skips
import pytest

FIX = Path(__file__).resolve().parents[1] / "fixtures"
RUN = (
    "import json, sys; from aigap.engine import compile_model; "
    "r = compile_model(sys.argv[1]).simulate(n_runs=3, engine='compiled', "
    "method=sys.argv[2]); "
    "print(json.dumps({'engine': r.meta['engine'], "
    "'arr': r['Total AI ARR'][:, -1].tolist()}))"
)


def _run(cache, method="euler", numba_cache=None, native="0"):
    # AIGAP_NATIVE=0: numba builds the lock-step kernel too, so its cache is the one tested
    env = {**os.environ, "AIGAP_CACHE_DIR": str(cache), "AIGAP_NATIVE": native}
    env.pop("NUMBA_CACHE_DIR", None)
    if numba_cache is not None:
        env["NUMBA_CACHE_DIR"] = str(numba_cache)
    r = subprocess.run(
        [sys.executable, "-c", RUN, str(FIX / "mini_gap.mdl"), method],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.splitlines()[-1])


@pytest.mark.slow
def test_tampered_numba_cache_is_rebuilt(tmp_path):
    cache = tmp_path / "cache"
    ref = _run(cache)
    assert ref["engine"] == "compiled"
    folder = cache / "numba"
    (mod,) = folder.glob("k*.py")
    code = sorted((folder / "__pycache__").glob(f"{mod.stem}.*.nbi"))
    assert code and mod.with_suffix(".sha256").is_file()  # sealed after compiling
    code[0].write_bytes(b"\x80\x04garbage")  # UnpicklingError if trusted
    assert _run(cache) == ref
    mod.write_text(mod.read_text().replace("+", "-", 1) + "\nraise SystemExit('tampered')\n")
    assert _run(cache) == ref  # edited module: rewritten
    assert "tampered" not in mod.read_text()


@pytest.mark.slow
def test_tampered_cache_of_the_shared_helpers_is_rebuilt(tmp_path):
    """The helpers every kernel imports (backends/numba/shared.py) are cached by numba
    too; their cache files are sealed after a compile and checked before the next one."""
    cache, nb = tmp_path / "cache", tmp_path / "numba"
    ref = _run(cache, numba_cache=nb)
    helpers = sorted(nb.glob("numba_*/shared.*.nbi"))
    assert helpers and list((cache / "numba").glob("shared-*.sha256"))  # sealed
    helpers[0].write_bytes(b"\x80\x04garbage")  # a garbled entry: never trusted
    out = _run(cache, "rk4", numba_cache=nb)  # a new kernel compiles against the helpers
    assert out["engine"] == "compiled" and out != ref
    assert helpers[0].read_bytes() != b"\x80\x04garbage"  # rebuilt, and sealed again
    assert _run(cache, "rk4", numba_cache=nb) == out


@pytest.mark.slow
def test_tampered_native_object_is_rebuilt(tmp_path):
    """A changed byte in the native kernel's cached object file fails its SHA-256 check in a
    new process: the object is rebuilt from the module, never loaded."""
    cache = tmp_path / "cache"
    ref = _run(cache, native="1")
    assert ref["engine"] == "compiled"
    (obj,) = (cache / "native").glob("k*.o")
    good = obj.read_bytes()
    bad = bytearray(good)
    bad[len(bad) // 2] ^= 0xFF
    obj.write_bytes(bytes(bad))
    assert _run(cache, native="1") == ref
    assert obj.read_bytes() == good  # rebuilt: the same object as the first compile
