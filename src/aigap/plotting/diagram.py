"""Stock-and-flow diagram of the model, from its already-parsed IR (``aigap diagram``).

Stocks (INTEG states), their flows (with the sign each flow enters the net flow) and the
stock-to-stock influences through auxiliaries are read from the compiled program's IR; the
polarity (+/-) of every link from the sign of its mean Loops-That-Matter link score over one
run (``analysis.ltm.mean_link_scores``, passed in). Levers (the constants the shipped
scenarios set) and the three gap outputs are drawn with their links. Only the placement of
the boxes below is hand-made.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..core.keys import GAPS
from ..engine import ir
from ..engine.ordering import expr_vars
from .style import plt, save

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..engine import CompiledModel

__all__ = ["LAYOUT", "KEY_LINKS", "LEVERS", "structure", "plot_diagram"]

# Placement (x, y) of each stock, by sector; a stock missing here is placed on a spare column.
LAYOUT = {
    "Token Price": (0.0, 0.0),
    "AI Capital": (0.0, 3.4),
    "Capability": (0.0, 6.8),
    "Developer WTP": (4.6, 0.0),
    "Paying Developers": (4.6, 3.4),
    "AI App Users": (4.6, 6.8),
    "Interface Orientation": (4.6, 10.2),
    "Model Contract ARR": (9.4, 0.0),
    "Application Contract ARR": (14.2, 0.0),
    "Unserved Enterprise Pool": (9.4, 3.4),
    "Embedded Enterprise Budget": (14.2, 3.4),
    "Seat Software Budget": (9.4, 6.8),
    "Substituted Seat Budget": (14.2, 6.8),
    "Cumulative Pool Growth": (14.2, 10.2),
    "Overseas Paying Users": (0.0, 10.2),
}
SECTORS = [  # (label, x0, y0, x1, y1)
    ("capability, capital, token price; users abroad", -1.7, -1.6, 1.7, 12.3),
    ("developers, users, paradigm", 2.9, -1.6, 6.3, 12.3),
    ("ARR by layer (model / application)", 7.7, -1.6, 15.9, 1.75),
    ("enterprise budget pools (B2) and conservation accounting", 7.7, 1.95, 15.9, 12.3),
]
# Key causal links drawn (the script checks each one exists in the parsed model), with the loop
# they belong to. The full list of stock-to-stock influences is printed by the script.
KEY_LINKS = [
    ("Paying Developers", "Seat Software Budget", "R1"),
    ("Developer WTP", "Paying Developers", "R1"),
    ("Seat Software Budget", "Model Contract ARR", "R1 B2"),
    ("Model Contract ARR", "AI Capital", "R2 R3"),
    ("Application Contract ARR", "AI Capital", "R2 R3"),
    ("AI Capital", "Capability", "R2"),
    ("Capability", "Seat Software Budget", "R2"),
    ("Capability", "Unserved Enterprise Pool", "R2"),
    ("Capability", "Developer WTP", ""),
    ("AI Capital", "Token Price", "B1"),
    ("Token Price", "Model Contract ARR", "B1"),
    ("Unserved Enterprise Pool", "Application Contract ARR", "B2"),
    ("Interface Orientation", "Model Contract ARR", ""),
    ("Interface Orientation", "Seat Software Budget", "R1"),
    ("AI App Users", "AI Capital", ""),
    ("Substituted Seat Budget", "Application Contract ARR", "B2"),
    ("AI App Users", "Overseas Paying Users", ""),
]
LOOPS = [
    "R1 developer flywheel: paying developers -> word of mouth; priced developers -> team -> enterprise procurement",
    "R2 capex-capability: ARR -> capex -> AI capital -> capability -> agent readiness -> ARR",
    "R3 return on capex: ARR growth -> perceived return -> capex (and the bust when growth slows)",
    "R4 price anchoring (self-loop of Developer WTP): market plan price <-> developer WTP",
    "B1 price war: capital scale -> lower cost -> lower token price -> (inelastic) lower revenue",
    "B2 budget depletion: substitution and embedding drain the pools; contracts fill the AI wallet",
    "B3 capital return: more capital -> lower return on capital -> less capex",
]
# Levers: the constants the shipped scenarios set (scenarios/*.yaml), placed beside a stock
LEVERS = {
    "Price War Intensity": (-1.5, -1.25),
    "Developer Price Markup": (3.1, -1.25),
    "Subscription Push": (6.1, 1.75),
    "Consumer Paying Share": (6.1, 8.3),
    "Overseas Reach": (-1.5, 11.9),
    "Model Direct Share": (8.0, -1.25),
    "Model Supplier Share": (11.8, -1.25),
    "Embedding Push": (11.8, 1.95),
    "Substitutable Share": (11.8, 8.4),
}
GAP_POS = {
    "ARR Gap Ratio": (18.6, 1.7),
    "Model ARR Gap Ratio": (18.6, -0.6),
    "Return Gap Ratio": (18.6, 4.6),
}
LINK, LEVER_COLOR, GAP_COLOR = "#3d74b8", "#2a7d2a", "#7a3e9d"
BOX_W, BOX_H = 2.8, 0.9


def _polarity(paths) -> str:
    """Net polarity of several paths: the sign of the sum of their link-score products
    ("" when they cancel or never act)."""
    total = float(np.sum(paths))
    return "+" if total > 0 else "-" if total < 0 else ""


def structure(cm: CompiledModel, links: dict, element: str = "US") -> dict:
    """What the diagram draws, from the IR and the mean link scores ``links``.

    Returns ``{"stocks": {stock: [(flow, +1|-1)]}, "influences": {(a, b): "+"|"-"|"±"},
    "levers": {(lever, stock)}, "gaps": {(stock, gap): polarity}}`` (Vensim names;
    subscripted variables read at ``element``). A link's polarity is the sign of the sum over
    its paths of the products of their mean link scores (its net effect in the run).
    """
    prog = cm.ir
    states = {st.sid: st for st in prog.states}
    by_target = {a.target: a for a in prog.assigns}
    integ = {
        a.target
        for a in prog.assigns
        if isinstance(a.expr, ir.StateRead) and states[a.expr.state].kind == "integ"
    }
    name = {t: a.element for t, a in by_target.items()}
    inputs: dict = {}
    for (x, z), v in links.items():
        inputs.setdefault(z, {})[x] = v

    def mine(t):
        a = by_target[t]
        return not a.subscript or element in a.subscript

    def upstream(z, sign=1, seen=()):
        """``[(stock, path score)]`` of the stocks reached backwards from ``z`` through
        auxiliaries (and SMOOTH chains), stopping at stocks; a path's score is the product
        of its mean link scores."""
        out = []
        for x, v in inputs.get(z, {}).items():
            if x in seen:
                continue
            s = sign * v
            if x in integ:
                out.append((x, s))
            else:
                out += upstream(x, s, seen + (x,))
        return out

    stocks, influences = {}, {}
    for t in sorted(integ):
        if not mine(t):
            continue
        (rate,) = inputs.get(t, {None: 0})
        if rate is None:
            continue
        parts = inputs.get(rate, {}) if rate.startswith("_") else {rate: 1.0}
        stocks[name[t]] = [
            (name[f], int(np.sign(v) or 1))
            for f, v in sorted(parts.items())
            if not f.startswith("_")
        ]
        found: dict = {}
        for src, sgn in upstream(t):
            found.setdefault(name[src], []).append(sgn)
        for src, sg in found.items():
            if src != name[t]:
                influences[(src, name[t])] = _polarity(sg)
    succ: dict = {}
    for x, z in links:
        succ.setdefault(x, set()).add(z)
    levers, gaps = set(), {}
    py = {v.py_name: n for n, v in cm.variables.items()}
    entries: dict = {}
    for t, a in by_target.items():
        if mine(t):
            for par in expr_vars(a.expr) - set(by_target):
                lever = py.get(par.split("[")[0])
                if lever in LEVERS:
                    entries.setdefault(lever, []).append(t)
    for lever, ts in entries.items():  # the stocks nearest to where the lever enters
        succ["_lever"] = set(ts)
        levers |= {(lever, stock) for stock in _downstream("_lever", succ, integ, name)}
    succ.pop("_lever", None)
    for gap in GAPS:
        t = next((x for x in by_target if name[x] == gap), None)
        if t is None:
            continue
        pred = {z: set(xs) for z, xs in inputs.items()}
        near = _downstream(t, pred, integ, name)  # the nearest stocks upstream
        found = {}
        for src, sgn in upstream(t):
            if name[src] in near and mine(src):  # the element's own stocks (US / CN)
                found.setdefault(name[src], []).append(sgn)
        gaps.update({(src, gap): _polarity(sg) for src, sg in found.items()})
    return {"stocks": stocks, "influences": influences, "gaps": gaps, "levers": levers}


def _downstream(t, succ, integ, name) -> set:
    """The nearest stocks from ``t`` along ``succ`` (downstream; upstream when given the
    predecessors), fewest auxiliaries between, breadth first."""
    seen, level = {t}, [t]
    while level:
        found = {name[x] for x in level if x in integ}
        if found:
            return found
        nxt = []
        for x in level:
            for z in sorted(succ.get(x, ())):
                if z not in seen:
                    seen.add(z)
                    nxt.append(z)
        level = nxt
    return set()


def _arrow(ax, a, b, color, label="", rad=0.22, lw=1.4, scale=22, shrink=22):
    (xa, ya), (xb, yb) = a, b
    ax.add_patch(
        FancyArrowPatch(
            a,
            b,
            connectionstyle=f"arc3,rad={rad}",
            arrowstyle="-|>",
            mutation_scale=scale,
            color=color,
            lw=lw,
            alpha=0.85,
            shrinkA=shrink,
            shrinkB=shrink,
            zorder=1,
        )
    )
    if label:  # midpoint of the arc3 Bezier curve: chord midpoint + rad/2 * (dy, -dx)
        dx, dy = xb - xa, yb - ya
        ax.text(
            (xa + xb) / 2 + rad / 2 * dy,
            (ya + yb) / 2 - rad / 2 * dx,
            label,
            fontsize=8.5,
            color=color,
            weight="bold",
            ha="center",
            va="center",
            zorder=2,
            bbox={"fc": "white", "ec": "none", "pad": 0.6, "alpha": 0.85},
        )


def plot_diagram(
    cm: CompiledModel, links: dict, path: Path | str | None = None, element: str = "US"
) -> tuple[Figure, dict]:
    """Draw the diagram of ``cm`` (``links``: :func:`aigap.analysis.ltm.mean_link_scores`);
    writes a PNG when ``path`` is given; returns ``(Figure, structure)``.

    Raises ``ValueError`` when a key link of ``KEY_LINKS`` is not in the model."""
    st = structure(cm, links, element)
    stocks, influences = st["stocks"], st["influences"]
    fig, ax = plt.subplots(figsize=(20, 13))
    pos = dict(LAYOUT)
    for k, s in enumerate(x for x in stocks if x not in pos):
        pos[s] = (21.5, 10.2 - 3.4 * k)
    for label, x0, y0, x1, y1 in SECTORS:
        ax.add_patch(
            FancyBboxPatch(
                (x0, y0),
                x1 - x0,
                y1 - y0,
                boxstyle="round,pad=0.1",
                fc="#f5f5f5",
                ec="#cccccc",
                lw=1,
                zorder=0,
            )
        )
        ax.text(x0 + 0.1, y1 - 0.05, label, fontsize=9, color="#777777", va="top", style="italic")
    for a, b, loop in KEY_LINKS:
        if (a, b) not in influences:
            raise ValueError(f"key link {a} -> {b} is not in the model")
        sign = influences[(a, b)]
        _arrow(ax, pos[a], pos[b], LINK, f"{sign} {loop}".strip() if sign else loop)
    inflow_of = {}
    for s, flows in stocks.items():
        for f, sign in flows:
            if sign > 0:
                inflow_of.setdefault(f, []).append(s)
    between = set()
    for s, flows in stocks.items():
        for f, sign in flows:
            for t in inflow_of.get(f, []) if sign < 0 else []:
                (x, y), (xt, yt) = pos[s], pos[t]
                pipe(ax, (x + BOX_W / 2, y), (xt - BOX_W / 2, yt), f)
                between.add((f, t))
                between.add((f, s))
    for s, flows in stocks.items():
        x, y = pos[s]
        ins = [f for f, sign in flows if sign > 0 and (f, s) not in between]
        outs = [f for f, sign in flows if sign < 0 and (f, s) not in between]
        for k, f in enumerate(ins):
            dx = (k - (len(ins) - 1) / 2) * 1.45
            pipe(ax, (x + dx, y + BOX_H / 2 + 1.0), (x + dx, y + BOX_H / 2), f, cloud_start=True)
        for k, f in enumerate(outs):
            dx = (k - (len(outs) - 1) / 2) * 1.45
            pipe(ax, (x + dx, y - BOX_H / 2), (x + dx, y - BOX_H / 2 - 0.75), f, cloud_end=True)
    for s in stocks:
        x, y = pos[s]
        ax.add_patch(
            FancyBboxPatch(
                (x - BOX_W / 2, y - BOX_H / 2),
                BOX_W,
                BOX_H,
                boxstyle="square,pad=0",
                fc="white",
                ec="#222222",
                lw=1.6,
                zorder=3,
            )
        )
        ax.text(x, y, s, ha="center", va="center", fontsize=9.5, weight="bold", zorder=4)
    for lever, target in sorted(st["levers"]):
        if target in pos:
            _arrow(ax, LEVERS[lever], pos[target], LEVER_COLOR, rad=0.1, lw=1.0, scale=16, shrink=8)
    for lever, (x, y) in LEVERS.items():
        ax.text(
            x,
            y,
            lever,
            ha="center",
            va="center",
            fontsize=8.5,
            color=LEVER_COLOR,
            weight="bold",
            zorder=5,
            bbox={"boxstyle": "round,pad=0.3", "fc": "#eef7ee", "ec": LEVER_COLOR, "lw": 1},
        )
    for (src, gap), sign in sorted(st["gaps"].items()):
        if src in pos and gap in GAP_POS:
            _arrow(
                ax, pos[src], GAP_POS[gap], GAP_COLOR, sign, rad=0.08, lw=1.0, scale=16, shrink=14
            )
    for gap, (x, y) in GAP_POS.items():
        ax.text(
            x,
            y,
            f"{gap}\n(US / CN)",
            ha="center",
            va="center",
            fontsize=9,
            color=GAP_COLOR,
            weight="bold",
            zorder=5,
            bbox={"boxstyle": "round,pad=0.4", "fc": "#f6eefa", "ec": GAP_COLOR, "lw": 1.3},
        )
    ax.text(
        -1.7,
        -2.3,
        "Feedback loops (see model/README.md):\n" + "\n".join(LOOPS),
        fontsize=8.5,
        va="top",
        family="monospace",
    )
    ax.set_title(
        f"{Path(cm.path).name}: stocks (boxes, each per Region US/CN), flows (pipes "
        "with valve and name, o = outside the model boundary), key stock-to-stock links "
        "(blue, +/- polarity and loop),\nlevers set by the scenarios (green, to the stocks "
        "nearest to where they enter) and the US/China gap outputs (purple, from the "
        "nearest stocks); +/- = net sign of the link scores over the baseline run "
        f"({element})",
        fontsize=11,
    )
    ax.set_xlim(-2.4, 20.4 if all(p[0] < 16 for p in pos.values()) else 23.5)
    ax.set_ylim(-5.4, 12.7)
    ax.axis("off")
    if path is not None:
        save(fig, path)
    return fig, st


def pipe(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    label: str,
    cloud_start: bool = False,
    cloud_end: bool = False,
) -> None:
    """A flow: a pipe with an arrowhead, a valve (red) and its name; o = outside."""
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="simple,head_width=1.2,head_length=1.0",
            mutation_scale=12,
            color="#444444",
            lw=0.4,
            zorder=2,
        )
    )
    mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
    vertical = abs(end[0] - start[0]) < 1e-9
    ax.plot([mx], [my], marker=">" if vertical else "v", ms=6, color="#c0392b", zorder=3)
    if vertical:
        ax.text(
            mx + 0.1,
            my,
            label,
            fontsize=6.8,
            ha="left",
            va="center",
            color="#8e2b20",
            zorder=3,
            rotation=0,
        )
    else:
        ax.text(
            mx, my + 0.15, label, fontsize=7.5, ha="center", va="bottom", color="#8e2b20", zorder=3
        )
    for flag, (x, y) in ((cloud_start, start), (cloud_end, end)):
        if flag:
            ax.plot([x], [y], marker="o", ms=7, mfc="white", mec="#999999", zorder=3)
