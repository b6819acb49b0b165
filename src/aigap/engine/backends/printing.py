"""What every code generator of the IR shares: literal numbers, identifiers, closures.

The numpy, numba and JavaScript generators (and the loop-dominance analysis,
which prints numpy code) import these from here; none reaches into another
generator's private helpers.
"""

from __future__ import annotations

import math
import re

from ..ordering import OUTPUT_ROLES, expr_vars, role_vars


def num(v: float) -> str:
    """Python source of the float ``v`` (numpy spellings of NaN and infinities)."""
    if math.isnan(v):
        return "np.nan"
    if math.isinf(v):
        return "np.inf" if v > 0 else "(-np.inf)"
    return repr(float(v))


class NameTable:
    """IR names -> short Python identifiers."""

    def __init__(self):
        self.ids = {}

    def __call__(self, name):
        """Identifier of IR name ``name`` (created on first use)."""
        if name not in self.ids:
            base = re.sub(r"\W", "_", name.split("[")[0])[:24].strip("_") or "v"
            self.ids[name] = f"v_{base}_{len(self.ids)}"
        return self.ids[name]


def closure(prog, roots, skip=()):
    """Assign targets needed (transitively) by ``roots`` (a set of Var names)."""
    by_target = {a.target: a for a in prog.assigns}
    states = {s.sid: s for s in prog.states}
    need, stack = set(), list(roots)
    while stack:
        n = stack.pop()
        if n in need or n not in by_target:
            continue
        need.add(n)
        sids = set()
        expr_vars(by_target[n].expr, None, sids)
        stack.extend(prog.deps.get(n, ()))
        for sid in sids:
            stack.extend(role_vars(states[sid], OUTPUT_ROLES[states[sid].kind]))
    return need
