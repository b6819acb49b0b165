"""Dependency analysis and evaluation order of the IR."""

from __future__ import annotations

from . import ir
from .errors import EngineError

# roles of a state's inputs read when its output is evaluated at time t
OUTPUT_ROLES = {
    "integ": (),
    "smooth": (),
    "delay": ("time",),
    "delayn": (),
    "delay_fixed": (),
    "trend": ("input", "time"),
    "initial": (),
}
# roles read when the state is initialised
INIT_ROLES = {
    "integ": ("init",),
    "smooth": ("init",),
    "delay": ("init", "time"),
    "delayn": ("init", "time"),
    "delay_fixed": ("init", "time"),
    "trend": ("input", "time", "init"),
    "initial": ("init",),
}
# roles read when computing the derivative / discrete update
STEP_ROLES = {
    "integ": ("rate",),
    "smooth": ("input", "time"),
    "delay": ("input", "time"),
    "delayn": ("input", "time"),
    "delay_fixed": ("input",),
    "trend": ("input", "time"),
    "initial": (),
}


def expr_vars(node, out=None, states=None):
    """Collect Var names (and StateRead ids into ``states``) read by an expression."""
    if out is None:
        out = set()
    if isinstance(node, ir.Var):
        out.add(node.name)
    elif isinstance(node, ir.StateRead):
        if states is not None:
            states.add(node.state)
    elif isinstance(node, ir.Op) or isinstance(node, ir.Call):
        for a in node.args:
            expr_vars(a, out, states)
    elif isinstance(node, ir.Lookup):
        expr_vars(node.x, out, states)
    return out


def uses_time(node) -> bool:
    """True if an expression reads Time directly (STEP, RAMP, PULSE read it too)."""
    if isinstance(node, ir.Time):
        return True
    if isinstance(node, ir.Call) and node.fn in ("step", "ramp", "pulse", "pulse_train"):
        return True
    if isinstance(node, (ir.Op, ir.Call)):
        return any(uses_time(a) for a in node.args)
    if isinstance(node, ir.Lookup):
        return uses_time(node.x)
    return False


def dynamic_targets(prog: ir.Program, ts_params) -> set:
    """Names that vary in time: time-series inputs and assigns reading Time, a state or them.

    Everything else is computed once, before the time loop; every code generator uses this
    one split so the backends hoist the same work.
    """
    dynamic = set(ts_params)
    for a in prog.assigns:
        sids = set()
        vars_ = expr_vars(a.expr, None, sids)
        if sids or uses_time(a.expr) or vars_ & dynamic:
            dynamic.add(a.target)
    return dynamic


def role_vars(state, roles):
    out = set()
    for r in roles:
        node = state.inputs.get(r)
        if node is not None:
            expr_vars(node, out)
    if state.order is not None and roles is INIT_ROLES[state.kind]:
        expr_vars(state.order, out)
    return out


def _toposort(nodes, deps, describe):
    """Stable depth-first topological sort; raise EngineError on a cycle."""
    done, active, order = set(), [], []
    pos = {n: i for i, n in enumerate(nodes)}
    for start in nodes:
        if start in done:
            continue
        stack = [(start, iter(sorted(deps.get(start, ()), key=pos.get)))]
        active = [start]
        onpath = {start}
        while stack:
            node, it = stack[-1]
            advanced = False
            for d in it:
                if d in done:
                    continue
                if d in onpath:
                    cyc = active[active.index(d) :] + [d]
                    raise EngineError(
                        describe(None, cyc) + "circular dependency (algebraic "
                        "loop): " + " -> ".join(describe(c) for c in cyc)
                    )
                stack.append((d, iter(sorted(deps.get(d, ()), key=pos.get))))
                active.append(d)
                onpath.add(d)
                advanced = True
                break
            if not advanced:
                stack.pop()
                active.pop()
                onpath.discard(node)
                done.add(node)
                order.append(node)
    return order


def order_program(prog: ir.Program, pm=None) -> None:
    """Sort ``prog.assigns`` in dependency order and compute ``prog.init_order``."""
    by_target = {a.target: a for a in prog.assigns}
    states = {s.sid: s for s in prog.states}
    known = set(by_target) | set(prog.params)

    def describe(node, cycle=None):
        if node is None:  # "file:line: " of the first variable of a cycle
            kind, key = cycle[0]
            name = states[key].name if kind == "state" else by_target[key].element
            el = pm.elements.get(pm.by_name.get(name, "")) if pm is not None else None
            return f"{pm.path}:{el.line}: " if el is not None else ""
        kind, key = node
        if kind == "state":
            s = states[key]
            return f"{s.name}{list(s.subscript) if s.subscript else ''} (initial value)"
        a = by_target[key]
        return f"{a.element}{list(a.subscript) if a.subscript else ''}"

    # ---- per-step order: StateRead breaks the loop (reads the current state)
    deps = {}
    for a in prog.assigns:
        sids = set()
        names = expr_vars(a.expr, None, sids)
        for sid in sids:
            names |= role_vars(states[sid], OUTPUT_ROLES[states[sid].kind])
        unknown = names - known
        if unknown:
            raise EngineError(f"{a.element}: reference to undefined '{sorted(unknown)[0]}'")
        deps[("assign", a.target)] = {("assign", n) for n in names if n in by_target}
        prog.deps[a.target] = names
    nodes = [("assign", a.target) for a in prog.assigns]
    order = _toposort(nodes, deps, describe)
    prog.assigns[:] = [by_target[k] for _, k in order]

    # ---- initialisation order: a StateRead needs the state initialised first
    ideps = {}
    for a in prog.assigns:
        sids = set()
        expr_vars(a.expr, None, sids)
        ideps[("assign", a.target)] = set(deps[("assign", a.target)]) | {
            ("state", sid) for sid in sids
        }
    for s in prog.states:
        names = role_vars(s, INIT_ROLES[s.kind])
        ideps[("state", s.sid)] = {("assign", n) for n in names if n in by_target}
    inodes = [("assign", a.target) for a in prog.assigns] + [("state", s.sid) for s in prog.states]
    prog.init_order = _toposort(inodes, ideps, describe)
