"""Package-wide source rules the engine relies on (checked on the source text)."""

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "aigap"
# numpy's legacy global RNG (np.random.rand, .seed, .randint, ...), not the explicit Generator API
GLOBAL_RNG = re.compile(
    r"\bnp\.random\.(?!default_rng\b|Generator\b|SeedSequence\b|"
    r"PCG64\b|BitGenerator\b|RandomState\b)\w+"
)  # RandomState(seed): a local seeded object (emcee needs it), not the global state


def test_no_global_random_state_in_the_package():
    hits = [
        f"{p.relative_to(SRC)}:{n}: {line.strip()}"
        for p in sorted(SRC.rglob("*.py"))
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if GLOBAL_RNG.search(line) or re.search(r"^\s*import random\b", line)
    ]
    assert not hits, "global RNG used (take a seeded numpy.random.Generator):\n" + "\n".join(hits)


def test_no_stream_bound_as_a_default_argument():
    """``def f(out=sys.stdout)`` binds the stream at import; a later redirect (or a closed
    capture) then breaks the function, so streams are looked up per call."""
    pat = re.compile(r"def \w+\([^)]*=\s*sys\.(stdout|stderr)")
    src = {p: p.read_text() for p in sorted(SRC.rglob("*.py"))}
    hits = [
        f"{p.relative_to(SRC)}: {m.group(0)}"
        for p, t in src.items()
        for m in pat.finditer(t.replace("\n", " "))
    ]
    assert not hits, "\n".join(hits)
