"""Stock-and-flow diagram of model/ai_gap.mdl, generated from the model file.

The structure (stocks, the flows into and out of each stock, and which stocks influence which
stock's flows through the auxiliaries) is read from the .mdl with PySD's translator
(``VensimFile(path).parse(); get_abstract_model()``); only the placement of the boxes below is
hand-made. Usage::

    python model/diagram.py [model/ai_gap.mdl] [model/ai_gap_diagram.png]
"""
from __future__ import annotations

import sys
from dataclasses import fields, is_dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

HERE = Path(__file__).resolve().parent

# Placement (x, y) of each stock, by sector; a stock missing here is placed on a spare column.
LAYOUT = {
    "Token Price": (0.0, 0.0), "AI Capital": (0.0, 3.4), "Capability": (0.0, 6.8),
    "Developer WTP": (4.6, 0.0), "Paying Developers": (4.6, 3.4), "AI App Users": (4.6, 6.8),
    "Interface Orientation": (4.6, 10.2),
    "Model Contract ARR": (9.4, 0.0), "Application Contract ARR": (14.2, 0.0),
    "Unserved Enterprise Pool": (9.4, 3.4), "Embedded Enterprise Budget": (14.2, 3.4),
    "Seat Software Budget": (9.4, 6.8), "Substituted Seat Budget": (14.2, 6.8),
    "Cumulative Pool Growth": (14.2, 10.2), "Overseas Paying Users": (0.0, 10.2),
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
BOX_W, BOX_H = 2.8, 0.9


def py_name(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def references(node) -> set:
    """Every variable a PySD AST node refers to (py names)."""
    found = set()
    if node is None or isinstance(node, (str, int, float)):
        return found
    if isinstance(node, (list, tuple)):
        for item in node:
            found |= references(item)
        return found
    if type(node).__name__ == "ReferenceStructure":
        found.add(node.reference)
    if is_dataclass(node):
        for f in fields(node):
            found |= references(getattr(node, f.name))
    return found


def signed_terms(ast) -> list:
    """``[(py_name, +1/-1), ...]`` for a stock's net flow written as a sum/difference."""
    if type(ast).__name__ == "ReferenceStructure":
        return [(ast.reference, 1)]
    if type(ast).__name__ == "ArithmeticStructure" and set(ast.operators) <= {"+", "-"}:
        out = []
        signs = [1] + [1 if op == "+" else -1 for op in ast.operators]
        for sign, arg in zip(signs, ast.arguments):
            out += [(ref, sign * s) for ref, s in signed_terms(arg)]
        return out
    return [(ref, 1) for ref in sorted(references(ast))]


def structure(path):
    """Stocks with their flows, and stock -> stock influences through auxiliaries."""
    from pysd.translators.vensim.vensim_file import VensimFile
    vf = VensimFile(str(path))
    vf.parse()
    model = vf.get_abstract_model()
    elements = [e for s in model.sections for e in s.elements]
    names = {py_name(e.name): e.name for e in elements}
    deps, stocks, constants = {}, {}, set()
    for e in elements:
        ast = e.components[0].ast
        kind = type(ast).__name__
        key = py_name(e.name)
        if kind == "IntegStructure":
            stocks[e.name] = [(names.get(r, r), s) for r, s in signed_terms(ast.flow)]
            deps[key] = references(ast.flow)
        else:
            deps[key] = set().union(*(references(c.ast) for c in e.components))
            if not deps[key] and kind not in ("SmoothStructure",):
                constants.add(key)
    stock_keys = {py_name(s) for s in stocks}
    influences = set()
    for stock, flows in stocks.items():
        seen, todo = set(), [py_name(f) for f, _ in flows]
        while todo:
            v = todo.pop()
            if v in seen or v in constants:
                continue
            seen.add(v)
            if v in stock_keys:
                influences.add((names[v], stock))
                continue
            todo += list(deps.get(v, ()))
    return stocks, {(a, b) for a, b in influences if a != b}


def draw(stocks, influences, out):
    fig, ax = plt.subplots(figsize=(17, 12))
    pos = dict(LAYOUT)
    for k, s in enumerate(x for x in stocks if x not in pos):
        pos[s] = (18.5, 10.2 - 3.4 * k)
    for label, x0, y0, x1, y1 in SECTORS:
        ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0.1",
                                    fc="#f5f5f5", ec="#cccccc", lw=1, zorder=0))
        ax.text(x0 + 0.1, y1 - 0.05, label, fontsize=9, color="#777777", va="top", style="italic")
    for a, b, loop in KEY_LINKS:
        if (a, b) not in influences:
            raise SystemExit(f"key link {a} -> {b} is not in the model")
        (xa, ya), (xb, yb) = pos[a], pos[b]
        ax.add_patch(FancyArrowPatch((xa, ya), (xb, yb), connectionstyle="arc3,rad=0.22",
                                     arrowstyle="-|>", mutation_scale=12, color="#3d74b8",
                                     lw=1.1, alpha=0.8, shrinkA=22, shrinkB=22, zorder=1))
        if loop:   # midpoint of the arc3 Bezier curve: chord midpoint + rad/2 * (dy, -dx)
            dx, dy = xb - xa, yb - ya
            ax.text((xa + xb) / 2 + 0.11 * dy, (ya + yb) / 2 - 0.11 * dx, loop, fontsize=8,
                    color="#3d74b8", weight="bold",
                    ha="center", va="center", zorder=2,
                    bbox={"fc": "white", "ec": "none", "pad": 0.5, "alpha": 0.8})
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
        ax.add_patch(FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H,
                                    boxstyle="square,pad=0", fc="white", ec="#222222", lw=1.6,
                                    zorder=3))
        ax.text(x, y, s, ha="center", va="center", fontsize=9.5, weight="bold", zorder=4)
    ax.text(-1.7, -2.1, "Feedback loops (see model/README.md):\n" + "\n".join(LOOPS),
            fontsize=8.5, va="top", family="monospace")
    ax.set_title("ai_gap.mdl (generated from the model file): stocks (boxes, each per Region US/CN),"
                 " flows (pipes with valve and name, o = outside the model boundary)\nand the key "
                 "stock-to-stock causal links through auxiliaries (blue, labelled with their loop)",
                 fontsize=11)
    ax.set_xlim(-2.2, 16.4 if all(p[0] < 16 for p in pos.values()) else 20.5)
    ax.set_ylim(-5.0, 12.6)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def pipe(ax, start, end, label, cloud_start=False, cloud_end=False):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="simple,head_width=0.9,head_length=0.7",
                                 mutation_scale=10, color="#444444", lw=0.4, zorder=2))
    mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
    vertical = abs(end[0] - start[0]) < 1e-9
    ax.plot([mx], [my], marker=">" if vertical else "v", ms=6, color="#c0392b", zorder=3)
    if vertical:
        ax.text(mx + 0.1, my, label, fontsize=6.8, ha="left", va="center", color="#8e2b20",
                zorder=3, rotation=0)
    else:
        ax.text(mx, my + 0.15, label, fontsize=7.5, ha="center", va="bottom", color="#8e2b20",
                zorder=3)
    for flag, (x, y) in ((cloud_start, start), (cloud_end, end)):
        if flag:
            ax.plot([x], [y], marker="o", ms=7, mfc="white", mec="#999999", zorder=3)


def main(argv):
    path = Path(argv[0]) if argv else HERE / "ai_gap.mdl"
    out = Path(argv[1]) if len(argv) > 1 else HERE / "ai_gap_diagram.png"
    stocks, influences = structure(path)
    draw(stocks, influences, out)
    print(f"{out}: {len(stocks)} stocks, {sum(len(f) for f in stocks.values())} flow ends, "
          f"{len(influences)} stock-to-stock influences (all listed below)")
    for a, b in sorted(influences):
        print(f"  {a} -> {b}")


if __name__ == "__main__":
    main(sys.argv[1:])
