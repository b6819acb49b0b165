"""Benchmark: the explorer page in headless Chromium, and the JS kernel against numpy.

Usage::

    .venv/bin/python benchmarks/bench_explorer.py            # 30 slider moves, 500 draws
    .venv/bin/python benchmarks/bench_explorer.py --quick    # 10 moves

Measures, on the project model: the page's file size; page open -> first charts
(navigation start to the first drawn result, from the page's own clock); slider
move -> updated charts (input event -> worker run -> charts and table rebuilt;
median and max over the moves) for the single run and with 500 posterior draws
(synthetic draws: every ranged constant uniform +-10 % around its default,
seed 0); the JS kernel's per-run time in node against the numpy engine's single
run and the numba (compiled) engine's, alone and per run in an ensemble. The load average is printed beside the figures: the machine may be shared.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))


def _draws(cm, folder, n, seed=0):
    rng = np.random.default_rng(seed)
    cols, vals = [], []
    for name, info in cm.constants.items():
        d = np.asarray(info.default, dtype=float)
        if info.limits is None or None in info.limits:
            continue
        lo, hi = info.limits
        for idx in np.ndindex(*d.shape) if d.shape else [()]:
            elems = ",".join(cm.dims[dim][i] for dim, i in zip(info.dims, idx))
            v = d[idx] * rng.uniform(0.9, 1.1, n) if d[idx] else np.full(n, d[idx])
            cols.append(f"{name}[{elems}]" if elems else name)
            vals.append(np.clip(v, lo, hi))
    with (folder / "draws.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerows(np.array(vals).T.tolist())


def _page_latency(browser, path, moves):
    """(wall s to first charts, page ms to first charts, slider latencies in ms)."""
    from browser_helpers import open_page, wait_js

    t = time.perf_counter()
    page = open_page(browser, path)
    open_wall = time.perf_counter() - t
    first = page.evaluate("window.aigap.firstChartsMs")  # ms since navigation start
    k = page.get_attribute('.ctl[data-constant="Price War Intensity"][data-element="CN"]', "data-k")
    lat = []
    for i in range(moves):
        runs = page.evaluate("window.aigap.runs")
        page.fill(f"#num-{k}", repr(0.2 + 0.6 * i / max(moves - 1, 1)))
        wait_js(page, f"window.aigap.runs > {runs} && !window.aigap.busy")
        lat.append(page.evaluate("window.aigap.latency[window.aigap.latency.length - 1]"))
    page.close()
    return open_wall, first, lat


def _screenshot(browser, path, png):
    """The 500-draw page, China's price war eased to 0.3 and baseline overlaid."""
    from browser_helpers import open_page, wait_js

    page = open_page(browser, path)
    k = page.get_attribute('.ctl[data-constant="Price War Intensity"][data-element="CN"]', "data-k")
    runs = page.evaluate("window.aigap.runs")
    page.select_option("#compare", "baseline")
    page.fill(f"#num-{k}", "0.3")
    wait_js(page, f"window.aigap.runs > {runs + 1} && !window.aigap.busy")
    page.screenshot(path=png)
    page.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--screenshot",
        metavar="PNG",
        help="also save a screenshot of the 500-draw page after a move "
        "with 'compare with baseline' (README's picture)",
    )
    args = parser.parse_args(argv)
    from conftest import ARGS, CHROMIUM
    from playwright.sync_api import sync_playwright

    from aigap.engine import compile_model
    from aigap.explorer.build import explore, read_draws
    from aigap.explorer.kernel import kernel_bundle, pack_params, run_node
    from aigap.core.keys import GAPS

    moves = 10 if args.quick else 30
    cm = compile_model(ROOT / "model" / "ai_gap.mdl")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        single = explore([], tmp / "single.html")
        (tmp / "post").mkdir()
        _draws(cm, tmp / "post", 500)
        bands = explore([], tmp / "bands.html", posterior=tmp / "post", max_draws=500)
        n_draws = len(read_draws(tmp / "post", cm, n_max=500))
        assert n_draws == 500, f"the page holds {n_draws} draws, not 500"
        print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
        print(
            f"file size: {single.stat().st_size / 1e6:.2f} MB single, "
            f"{bands.stat().st_size / 1e6:.2f} MB with 500 draws"
        )
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            for label, path in (("single run", single), ("500 draws", bands)):
                wall, first, lat = _page_latency(browser, path, moves)
                print(
                    f"{label}: page open -> first charts {first:.0f} ms (page clock; "
                    f"{wall * 1e3:.0f} ms wall incl. browser tab); slider move -> charts "
                    f"median {np.median(lat):.0f} ms, max {np.max(lat):.0f} ms ({moves} moves)"
                )
            if args.screenshot:
                _screenshot(browser, bands, args.screenshot)
            browser.close()
    outputs = [n for n in (*GAPS, "Total AI ARR", "Model ARR") if n in cm.variables]
    reps = 300 if args.quick else 2000
    js = run_node(kernel_bundle(cm, outputs), [pack_params(cm, {})], repeat=reps)["per_run"]
    cm.simulate(outputs=outputs, engine="numpy")
    t = time.perf_counter()
    n_np = 20
    for _ in range(n_np):
        cm.simulate(outputs=outputs, engine="numpy")
    numpy_run = (time.perf_counter() - t) / n_np
    print(
        f"one run, project model: JS kernel (node) {js * 1e3:.2f} ms, numpy engine "
        f"{numpy_run * 1e3:.2f} ms ({numpy_run / js:.1f}x)"
    )
    cm.simulate(outputs=outputs, engine="compiled")  # numba: compile / load the cache
    t = time.perf_counter()
    for _ in range(n_np):
        cm.simulate(outputs=outputs, engine="compiled")
    numba_one = (time.perf_counter() - t) / n_np
    n_ens = 2000
    cm.simulate(n_runs=n_ens, outputs=outputs, engine="compiled")
    t = time.perf_counter()
    cm.simulate(n_runs=n_ens, outputs=outputs, engine="compiled")
    numba_per = (time.perf_counter() - t) / n_ens
    print(
        f"numba (compiled) engine: one run {numba_one * 1e3:.2f} ms (call overhead included); "
        f"per run in a {n_ens}-run ensemble {numba_per * 1e6:.1f} us; "
        f"JS kernel / numba ensemble per run: {js / numba_per:.1f}x"
    )
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
