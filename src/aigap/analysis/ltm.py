"""Loop dominance (Loops That Matter; Schoenberg, Davidsen & Eberlein, SDR 2020).

Pure functions over arrays: the causal graph of a compiled program's IR (scalarised per
subscript element), its elementary loops (capped enumeration), link scores from a
simulation that stores every variable at every TIME STEP, and loop scores (products of
link scores along each loop) normalised per time to relative loop scores.

Link score of ``x -> z`` (an equation input): ``|dz_x / dz| * sign(dz_x / dx)``, where
``dz_x`` is the change of ``z`` when only ``x`` changes (``z``'s IR expression re-evaluated
with ``x`` at ``t`` and every other input at ``t - dt``). A stock's net-flow expression is an
equation too, so a flow's link score into the stock is the paper's ``flow change / net-flow
change`` (sign -1 for outflows); the link from the net flow to the stock is 1. Chains
(SMOOTH, DELAY) pass their input's score unchanged (an approximation: LTM treats them as
their internal stocks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine import ir
from ..engine.backends.numpy import Emitter
from ..engine.backends.printing import NameTable
from ..engine.ordering import expr_vars
from ..engine.runtime import lk_extrapolate, lk_hold_backward

MAX_LOOPS = 2000
SEARCH_TIMES = 60  # time steps the strongest-path search looks at


@dataclass
class Loop:
    """An elementary feedback loop: ``nodes`` scalar names in causal order."""

    nodes: tuple
    name: str = ""
    found_by: str = "enumeration"  # or "strongest path" (too many loops to enumerate)

    def polarity(self, scores) -> str:
        """``R`` (reinforcing) or ``B`` (balancing) from the sign of its mean loop score."""
        return "R" if np.nanmean(scores) >= 0 else "B"


def causal_graph(prog: ir.Program) -> dict:
    """``{target: {input scalar names}}`` over assigns; stocks read their rate/input Var."""
    states = {s.sid: s for s in prog.states}
    graph = {}
    for a in prog.assigns:
        if isinstance(a.expr, ir.StateRead):
            s = states[a.expr.state]
            role = "rate" if s.kind == "integ" else "input"
            node = s.inputs.get(role)
            graph[a.target] = {node.name} if isinstance(node, ir.Var) else set()
        else:
            graph[a.target] = expr_vars(a.expr) & {x.target for x in prog.assigns}
    return graph


def _scc_of(s, succ, pred, allowed) -> set:
    """Nodes of ``allowed`` on a cycle with ``s`` (its strongly connected component)."""

    def reach(adj):
        seen, todo = {s}, [s]
        while todo:
            for w in adj[todo.pop()]:
                if w in allowed and w not in seen:
                    seen.add(w)
                    todo.append(w)
        return seen

    return reach(succ) & reach(pred)


def elementary_cycles(graph: dict, limit: int = MAX_LOOPS) -> list:
    """Elementary cycles of a directed graph ``{node: successors}`` (at most ``limit``).

    Johnson's algorithm (SIAM J. Comput. 1975): each cycle starts at its smallest node (in
    sorted order) and is found once; blocking keeps the search linear per cycle found.
    """
    nodes = sorted(set(graph) | {v for vs in graph.values() for v in vs})
    rank = {n: i for i, n in enumerate(nodes)}
    succ = {n: sorted(graph.get(n, ()), key=rank.get) for n in nodes}
    pred = {n: [] for n in nodes}
    for n, ws in succ.items():
        for w in ws:
            pred[w].append(n)
    cycles = []
    for i, s in enumerate(nodes):
        comp = _scc_of(s, succ, pred, set(nodes[i:]))
        if len(comp) == 1 and s not in succ[s]:
            continue
        nbrs = {n: [w for w in succ[n] if w in comp] for n in comp}
        blocked, B = {s}, {n: set() for n in comp}
        path, closed, stack = [s], [False], [iter(nbrs[s])]
        while stack:
            for w in stack[-1]:
                if w == s:
                    cycles.append(tuple(path))
                    if len(cycles) >= limit:
                        return cycles
                    closed[-1] = True
                elif w not in blocked:
                    path.append(w)
                    closed.append(False)
                    stack.append(iter(nbrs[w]))
                    blocked.add(w)
                    break
            else:
                stack.pop()
                v, found = path.pop(), closed.pop()
                if found:
                    todo = [v]
                    while todo:  # unblock v and what waits on it
                        u = todo.pop()
                        if u in blocked:
                            blocked.discard(u)
                            todo.extend(B[u])
                            B[u].clear()
                else:
                    for w in nbrs[v]:
                        B[w].add(v)
                if closed:
                    closed[-1] = closed[-1] or found
    return cycles


def strongest_cycles(links: dict, starts, steps) -> list:
    """Loops found by the strongest-path search (Eberlein & Schoenberg 2020).

    For models with too many loops to enumerate: at each time index of ``steps``, from each
    node of ``starts`` (the stocks), a depth-first search follows links in decreasing
    ``|link score|`` and abandons a path whose score is not above the best score that
    reached the same node before; a path that returns to its start is a loop. The union
    over times holds the loops that dominate at some time (not every loop of the model).
    """
    found = set()
    for j in steps:
        succ = {}
        for (x, z), v in links.items():
            if abs(v[j]) > 0:
                succ.setdefault(x, []).append((abs(float(v[j])), z))
        for ws in succ.values():
            ws.sort(key=lambda p: -p[0])
        for s in starts:
            best = {}
            stack = [(s, 1.0, (s,))]
            while stack:
                node, score, path = stack.pop()
                for w_score, w in reversed(succ.get(node, ())):  # strongest popped first
                    sc = score * w_score
                    if w == s:
                        k = path.index(min(path))
                        found.add(path[k:] + path[:k])
                    elif w not in path and sc > best.get(w, 0.0):
                        best[w] = sc
                        stack.append((w, sc, path + (w,)))
    return sorted(found)


def _stocks(prog: ir.Program) -> set:
    return {a.target for a in prog.assigns if isinstance(a.expr, ir.StateRead)}


def _rotated(cycles, stocks, found_by="enumeration") -> list:
    """Cycles as loops starting at a stock (flow order)."""
    loops = []
    for c in cycles:
        k = next((i for i, n in enumerate(c) if n in stocks), 0)
        loops.append(Loop(c[k:] + c[:k], found_by=found_by))
    return loops


def feedback_loops(prog: ir.Program, limit: int = MAX_LOOPS) -> list:
    """Loops of the program's causal graph, in flow order (input -> output)."""
    forward = {}
    for z, xs in causal_graph(prog).items():
        for x in xs:
            forward.setdefault(x, set()).add(z)
    return _rotated(elementary_cycles(forward, limit), _stocks(prog))


class _Evaluator:
    """Evaluate IR expressions over time vectors with the numpy backend's emitter."""

    def __init__(self, prog):
        self.prog, self.names = prog, NameTable()
        self.emit = Emitter(prog, self.names)
        self.glb = {
            "np": np,
            "lk_extrapolate": lk_extrapolate,
            "lk_hold_backward": lk_hold_backward,
        }
        for i, tab in enumerate(prog.tables):
            self.glb[f"X{i}"], self.glb[f"Y{i}"] = tab.x, tab.y
        self.code = {}

    def __call__(self, expr, env, t, ctrl):
        key = id(expr)
        if key not in self.code:
            self.code[key] = compile(self.emit(expr), "<loops>", "eval")
        loc = {self.names(k): v for k, v in env.items()}
        loc.update(t=t, **ctrl)
        with np.errstate(all="ignore"):
            return np.broadcast_to(
                np.asarray(
                    eval(self.code[key], self.glb, loc),  # noqa: S307
                    dtype=float,
                ),
                t.shape,
            )


def scalar_series(prog: ir.Program, data: dict, times, ctrl) -> dict:
    """Every scalar of the program over time, from one run's stored outputs.

    ``data`` maps Vensim names to arrays ``(time, *dims)``; internal assigns (a stock's
    net-flow expression, chain inputs) are re-evaluated from them in dependency order.
    """
    env = {}
    for name, out in prog.outputs.items():
        if name in data:
            arr = np.asarray(data[name], dtype=float).reshape(len(times), -1)
            for i, sc in enumerate(out.scalars):
                env[sc] = arr[:, i]
    ev = _Evaluator(prog)
    for a in prog.assigns:
        if a.target not in env and not isinstance(a.expr, ir.StateRead):
            env[a.target] = ev(a.expr, env, times, ctrl)
    return env


def link_scores(prog: ir.Program, env: dict, times, ctrl) -> dict:
    """``{(x, z): scores over times[1:]}`` for every link of the causal graph."""
    ev = _Evaluator(prog)
    by_target = {a.target: a for a in prog.assigns}
    prev = {k: v[:-1] for k, v in env.items()}
    t1 = times[1:]
    out = {}
    for z, xs in causal_graph(prog).items():
        a = by_target[z]
        if isinstance(a.expr, ir.StateRead):
            for x in xs:
                out[(x, z)] = np.ones(len(t1))
            continue
        dz = env[z][1:] - env[z][:-1]
        for x in xs:
            part = dict(prev)
            part[x] = env[x][1:]
            dzx = ev(a.expr, part, t1, ctrl) - env[z][:-1]
            dx = env[x][1:] - env[x][:-1]
            with np.errstate(all="ignore"):
                mag = np.where(dz == 0, 0.0, np.abs(dzx / dz))
                sign = np.where(dx == 0, 0.0, np.sign(dzx / dx))
            out[(x, z)] = np.nan_to_num(mag * sign)
    return out


def loop_scores(loops, links) -> np.ndarray:
    """Loop score ``(loop, time)``: the product of link scores around each loop."""
    rows = []
    for lp in loops:
        n = lp.nodes
        score = np.ones_like(next(iter(links.values())))
        for i, x in enumerate(n):
            score = score * links[(x, n[(i + 1) % len(n)])]
        rows.append(score)
    return np.array(rows).reshape(len(loops), -1)


def relative_scores(scores: np.ndarray) -> np.ndarray:
    """Loop score / sum of absolute loop scores, per time (0 where all scores are 0)."""
    total = np.abs(scores).sum(axis=0)
    with np.errstate(all="ignore"):
        return np.where(total > 0, scores / np.where(total > 0, total, 1.0), 0.0)


def analyze(prog: ir.Program, data: dict, times, ctrl, limit: int = MAX_LOOPS):
    """``(loops, relative scores (loop, time[1:]))`` of one run's stored outputs.

    Every elementary loop when there are at most ``limit``; otherwise the loops the
    strongest-path search finds at ``SEARCH_TIMES`` evenly spaced steps, the relative scores
    then normalised among those loops.
    """
    env = scalar_series(prog, data, times, ctrl)
    links = link_scores(prog, env, times, ctrl)
    loops = feedback_loops(prog, limit + 1)
    if len(loops) > limit:
        n = len(times) - 1
        steps = sorted(set(np.linspace(0, n - 1, min(n, SEARCH_TIMES)).round().astype(int)))
        loops = _rotated(
            strongest_cycles(links, sorted(_stocks(prog)), steps), _stocks(prog), "strongest path"
        )
    if not loops:
        return loops, np.zeros((0, len(times) - 1))
    return loops, relative_scores(loop_scores(loops, links))


def loop_label(prog: ir.Program, lp: Loop) -> str:
    """Readable loop: Vensim names (with elements) of its variables, internal ones left out."""
    by_target = {a.target: a for a in prog.assigns}
    names = []
    for n in lp.nodes:
        a = by_target[n]
        if n.startswith("_"):
            continue
        names.append(a.element + (f"[{','.join(a.subscript)}]" if a.subscript else ""))
    return " -> ".join(dict.fromkeys(names))


def simulate_loops(cm, params=None, time_step=None, limit: int = MAX_LOOPS):
    """Simulate ``cm`` once with every variable stored at every step; ``(times, loops, rel)``.

    ``times`` are the ends of the steps the relative scores ``rel (loop, time)`` refer to.
    """
    dt = float(cm.time_step if time_step is None else time_step)
    res = cm.simulate(params=params, time_step=dt, saveper=dt, n_runs=1, engine="numpy")
    prog = cm.ir
    data = {k: v[0] for k, v in res.data.items()}
    ctrl = {
        "dt": dt,
        "initial_time": float(cm.initial_time),
        "final_time": float(cm.final_time),
        "saveper": dt,
    }
    loops, rel = analyze(prog, data, res.time, ctrl, limit)
    for lp in loops:
        lp.name = loop_label(prog, lp)
    return res.time[1:], loops, rel


def mean_link_scores(cm, params=None) -> dict:
    """``{(x, z): mean link score}`` of one run stored at every step: every link of the
    causal graph (scalar names), its sign the link's polarity (0: never active). Used for
    the +/- of the model diagram (``aigap diagram``)."""
    dt = float(cm.time_step)
    res = cm.simulate(params=params, time_step=dt, saveper=dt, n_runs=1, engine="numpy")
    prog = cm.ir
    data = {k: v[0] for k, v in res.data.items()}
    ctrl = {
        "dt": dt,
        "initial_time": float(cm.initial_time),
        "final_time": float(cm.final_time),
        "saveper": dt,
    }
    env = scalar_series(prog, data, res.time, ctrl)
    return {k: float(np.nanmean(v)) for k, v in link_scores(prog, env, res.time, ctrl).items()}
