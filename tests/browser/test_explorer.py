"""The explorer page in headless Chromium: live runs equal the Python engine, YAML, offline."""

import shutil

import matplotlib.image as mpimg
import numpy as np
import pytest
from browser_helpers import open_page, wait_js

from aigap.cli import main
from aigap.engine import compile_model
from aigap.scenarios import load_scenario, resolve_params
from aigap.workflow.runner import find_model, scenarios_dir

CONSTANT, ELEMENT, VALUE = "Price War Intensity", "CN", 0.3125


@pytest.fixture(scope="module")
def cm():
    return compile_model(find_model())


def _engine(cm, scenario_path, sets=()):
    sc = load_scenario(scenario_path, cm)
    names = [
        "ARR Gap Ratio",
        "Model ARR Gap Ratio",
        "Return Gap Ratio",
        "Total AI ARR",
        "Model ARR",
    ]
    return cm.simulate(params=resolve_params(cm, sc, sets), outputs=names, engine="numpy")


def _assert_page_equals(page, res):
    last = page.evaluate("window.aigap.last")
    for name in res.names:
        expected = res[name][0].reshape(res[name][0].shape[0], -1).T  # element x time
        got = np.array(last[name], dtype=float)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=name)


def _move(page, k, value):
    runs = int(page.evaluate("window.aigap.runs"))
    page.fill(f"#num-{k}", repr(value))
    wait_js(page, f"window.aigap.runs > {runs} && !window.aigap.busy")


def _download_checked(page, tmp_path, name, capsys):
    """Download the page's scenario YAML beside the named scenarios; ``aigap check`` it."""
    with page.expect_download() as dl:
        page.click("#download")
    folder = tmp_path / "scenarios"
    shutil.copytree(scenarios_dir(), folder)
    target = folder / name
    dl.value.save_as(target)
    capsys.readouterr()
    assert main(["check", str(target)]) == 0, capsys.readouterr().err
    return target, target.read_text()


def _bands_on(browser, page_file, scenario):
    """The page's 5-95% gap-table bands with ``scenario`` picked."""
    page = open_page(browser, page_file)
    runs = int(page.evaluate("window.aigap.runs"))
    page.select_option("#scenario", scenario)
    wait_js(page, f"window.aigap.runs > {runs} && !window.aigap.busy")
    bands = page.evaluate("window.aigap.tableBands")
    page.close()
    return bands


def _assert_bands(bands, res, n, rtol):
    """Page bands equal the 5/95% quantiles of the engine's year-end ARR gap over ``n`` runs."""
    from aigap.workflow.summary import year_end

    for k, year in enumerate(range(2026, 2031)):
        v = [float(year_end(res, "ARR Gap Ratio", year, run=r)) for r in range(n)]
        np.testing.assert_allclose(
            bands["ARR Gap Ratio"][k], np.quantile(v, [0.05, 0.95]), rtol=rtol
        )


def _k(page, constant, element):
    return page.get_attribute(
        f'.ctl[data-constant="{constant}"][data-element="{element}"]', "data-k"
    )


def test_slider_move_equals_engine_and_yaml_round_trips(
    browser, explorer_file, cm, tmp_path, capsys
):
    requests = []
    page = open_page(browser, explorer_file, requests)
    _assert_page_equals(page, _engine(cm, scenarios_dir() / "baseline.yaml"))
    _move(page, _k(page, CONSTANT, ELEMENT), VALUE)
    ref = _engine(cm, scenarios_dir() / "baseline.yaml", [f"{CONSTANT}[{ELEMENT}]={VALUE}"])
    _assert_page_equals(page, ref)
    table = page.evaluate("window.aigap.table")
    assert len(table["ARR Gap Ratio"]) == 5

    # the downloaded scenario validates (aigap check) and reproduces the page
    target, text = _download_checked(page, tmp_path, "mine.yaml", capsys)
    assert "extends: baseline" in text and CONSTANT in text
    assert text.count(":") <= 5, f"only the changed constant is written:\n{text}"
    _assert_page_equals(page, _engine(cm, target))

    page.screenshot(path=str(tmp_path / "explorer.png"), full_page=False)
    img = mpimg.imread(tmp_path / "explorer.png")[..., :3]
    blue = ((img[..., 2] > 0.6) & (img[..., 0] < 0.3)).sum()
    red = ((img[..., 0] > 0.6) & (img[..., 2] < 0.3) & (img[..., 1] < 0.4)).sum()
    assert blue > 500 and red > 200, "the charts are not drawn"
    assert all(u.startswith(("file:", "blob:", "data:")) for u in requests), requests
    page.close()


def test_scenario_picker_and_compare_overlay(browser, explorer_file, cm):
    page = open_page(browser, explorer_file)
    runs = int(page.evaluate("window.aigap.runs"))
    page.select_option("#scenario", "price_war_truce")
    wait_js(page, f"window.aigap.runs > {runs} && !window.aigap.busy")
    page.select_option("#compare", "baseline")
    wait_js(page, "window.aigap.compare !== null && !window.aigap.busy")
    _assert_page_equals(page, _engine(cm, scenarios_dir() / "price_war_truce.yaml"))
    # the truce's ramps are shown as their editable points (US and CN)
    assert page.locator(".ctl.timevarying").count() >= 2
    assert page.locator(f'.ctl[data-constant="{CONSTANT}"] .tp').count() >= 4
    assert page.locator("path[stroke-dasharray]").count() >= 3
    # the loop panel shows the picked scenario's measured dominance, year by year
    from aigap.analysis.loops_file import load_loop_names, loops_file
    from aigap.analysis.loopstable import yearly_dominance

    named = load_loop_names(loops_file(cm.path), cm.variables)
    params = resolve_params(cm, load_scenario(scenarios_dir() / "price_war_truce.yaml", cm))
    dom = yearly_dominance(cm, params, named)
    assert dom["years"] == list(range(2024, 2031))
    rows = page.locator("#loops tr")
    assert rows.count() == 1 + len(dom["years"])
    for j, year in enumerate(dom["years"]):
        cn = rows.nth(1 + j).locator("td").nth(2).inner_text()
        score, title = dom["CN"][j][0]
        assert f"{round(abs(score) * 100)}% {title}" in cn, (year, cn)
    page.close()


def test_existing_output_is_never_overwritten(explorer_file, capsys):
    before = explorer_file.read_bytes()
    assert main(["explore", "-o", str(explorer_file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already exists" in err[0]
    assert explorer_file.read_bytes() == before


def test_invalid_scenario_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("description: x\nextends: baseline\nconstants:\n  Price War Intensty: 0.5\n")
    shutil.copy(scenarios_dir() / "baseline.yaml", tmp_path / "baseline.yaml")
    out = tmp_path / "e.html"
    assert main(["explore", str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Price War Intensity" in err and not out.exists()


def test_posterior_bands_are_the_draws_resimulated(browser, cm, tmp_path):
    """--posterior RUN: the page's 5-95% gap band equals the draws simulated by the engine
    with the moved slider applied on top of each draw."""
    from aigap.explorer.build import explore
    from aigap.workflow.summary import year_end

    rng = np.random.default_rng(5)
    n = 40
    run = tmp_path / "run"
    run.mkdir()
    adv = rng.uniform(0.8, 1.2, n)
    pw_us = rng.uniform(0.1, 0.4, n)
    lines = ["Frontier Advance Rate,Price War Intensity[US]"]
    lines += [f"{float(a)!r},{float(b)!r}" for a, b in zip(adv, pw_us)]
    (run / "draws.csv").write_text("\n".join(lines) + "\n")
    out = explore([], tmp_path / "post.html", posterior=run)
    page = open_page(browser, out)
    _move(page, _k(page, CONSTANT, ELEMENT), VALUE)
    bands = page.evaluate("window.aigap.tableBands")
    pwi = np.tile(np.array(cm.constants[CONSTANT].default, dtype=float), (n, 1))
    pwi[:, 0] = pw_us
    pwi[:, 1] = VALUE
    res = cm.simulate(
        params={"Frontier Advance Rate": adv, CONSTANT: pwi},
        outputs=["ARR Gap Ratio"],
        engine="numpy",
    )
    for k, year in enumerate(range(2026, 2031)):
        v = np.sort([float(year_end(res, "ARR Gap Ratio", year, run=r)) for r in range(n)])
        np.testing.assert_allclose(
            bands["ARR Gap Ratio"][k], np.quantile(v, [0.05, 0.95]), rtol=1e-11
        )
    assert page.locator('path[opacity="0.12"]').count() >= 3
    page.screenshot(path=str(tmp_path / "bands.png"))
    page.close()


def test_cli_writes_one_self_contained_file(tmp_path, capsys):
    out = tmp_path / "page.html"
    assert main(["explore", "-o", str(out)]) == 0
    assert "Explorer written" in capsys.readouterr().out
    html = out.read_text()
    assert " src=" not in html and "<link" not in html and "@import" not in html
    assert out.stat().st_size < 3e6
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"], "no temporary file left"


def test_time_varying_lever_edited_by_points(browser, explorer_file, cm, tmp_path, capsys):
    """'What if China's price war stopped in 2027?' without touching a file: turn
    Price War Intensity[CN] into points, edit them, and the page equals the engine run of
    the same points; the downloaded YAML (points) validates and reproduces the page."""
    from aigap.engine.params import TimeSeries

    page = open_page(browser, explorer_file)
    k = _k(page, CONSTANT, ELEMENT)
    base = float(page.input_value(f"#num-{k}"))
    runs = int(page.evaluate("window.aigap.runs"))
    page.click(f"#tsb-{k}")  # constant -> two points 2024, 2031
    wait_js(page, f"window.aigap.runs > {runs} && !window.aigap.busy")
    assert page.locator(f"#ts-{k} .tp").count() == 2
    page.click(f"#ts-{k} .tp-add")  # a point between them
    wait_js(page, f"document.querySelectorAll('#ts-{k} .tp').length === 3 && !window.aigap.busy")
    for i, (field, value) in enumerate([("tp-t", 2027.0), ("tp-v", 0.05)]):
        runs = int(page.evaluate("window.aigap.runs"))
        nth = 1 if field == "tp-t" else 2
        page.locator(f"#ts-{k} .tp").nth(nth).locator(f".{field}").fill(repr(value))
        wait_js(page, f"window.aigap.runs > {runs} && !window.aigap.busy")
    page.evaluate("document.activeElement.blur()")
    times = [2024.0, 2027.0, 2031.0]
    values = np.array(cm.constants[CONSTANT].default, dtype=float)[:, None].repeat(3, 1)
    values[1] = [base, base, 0.05]
    ref = cm.simulate(
        params={CONSTANT: TimeSeries(times, values)},
        outputs=[
            "ARR Gap Ratio",
            "Model ARR Gap Ratio",
            "Return Gap Ratio",
            "Total AI ARR",
            "Model ARR",
        ],
        engine="numpy",
    )
    _assert_page_equals(page, ref)
    target, text = _download_checked(page, tmp_path, "stop2027.yaml", capsys)
    assert "points: [[2024, 0.85], [2027, 0.85], [2031, 0.05]]" in text, text
    _assert_page_equals(page, _engine(cm, target))
    # times that are not increasing are marked and not run
    runs = int(page.evaluate("window.aigap.runs"))
    page.locator(f"#ts-{k} .tp").nth(1).locator(".tp-t").fill("2035")
    assert page.locator(f"#ts-{k}.invalid").count() == 1
    page.wait_for_timeout(200)
    assert int(page.evaluate("window.aigap.runs")) == runs
    page.screenshot(path=str(tmp_path / "points.png"))
    page.close()


def test_posterior_draws_apply_on_top_of_the_selected_scenario(browser, cm, tmp_path):
    """With a scenario picked, each draw keeps the scenario's values for what it does not
    draw (price_war_truce's ramps) and replaces only the drawn constants."""
    from aigap.explorer.build import explore

    n = 30
    adv = np.random.default_rng(9).uniform(0.8, 1.2, n)
    run = tmp_path / "run"
    run.mkdir()
    (run / "draws.csv").write_text(
        "Frontier Advance Rate\n" + "".join(f"{float(a)!r}\n" for a in adv)
    )
    bands = _bands_on(
        browser, explore([], tmp_path / "post.html", posterior=run), "price_war_truce"
    )
    params = resolve_params(cm, load_scenario(scenarios_dir() / "price_war_truce.yaml", cm))
    from aigap.engine.params import TimeSeries

    for name, v in params.items():  # one copy of the ramps per draw
        if isinstance(v, TimeSeries):
            vals = np.asarray(v.values, dtype=float)
            vals = vals.reshape((1,) * (vals.ndim == 2) + vals.shape)
            params[name] = TimeSeries(v.times, np.repeat(vals, n, axis=0))
    params["Frontier Advance Rate"] = adv
    _assert_bands(
        bands, cm.simulate(params=params, outputs=["ARR Gap Ratio"], engine="numpy"), n, 1e-11
    )


def test_bad_max_draws_and_bad_draws_file(tmp_path, capsys):
    out = tmp_path / "x.html"
    assert main(["explore", "--max-draws", "0", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--max-draws" in err[0] and not out.exists()
    run = tmp_path / "run"
    run.mkdir()
    (run / "draws.csv").write_text("Price War Intensity[XX]\n0.3\n")
    assert main(["explore", "--posterior", str(run), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown element" in err[0] and "US/CN" in err[0]
    assert not out.exists()


def test_feature_the_js_backend_cannot_print_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    """An IR node without JavaScript code (here: a function the printer lacks, put into the
    project model's IR) stops `aigap explore` with one line naming the variable."""
    import copy

    from aigap.engine import ir
    from aigap.explorer import kernel

    real = kernel.generate_js

    def patched(prog, *args):
        prog = copy.deepcopy(prog)
        for a in prog.assigns:
            if a.element == "Token Price Change":
                a.expr = ir.Call("no_such_function", (a.expr,))
        return real(prog, *args)

    monkeypatch.setattr(kernel, "generate_js", patched)
    out = tmp_path / "x.html"
    assert main(["explore", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Token Price Change" in err[0] and "no_such_function" in err[0]
    assert not out.exists() and not list(tmp_path.iterdir())


def test_sweep_folder_bands_are_its_consistent_runs_from_its_start_time(browser, cm, tmp_path):
    """--posterior SWEEP_FOLDER: the sweep's runs consistent with the data, their values
    acting from the sweep's start time, re-simulated in the page equal the engine's."""
    from aigap.analysis.ensemble import design_params
    from aigap.analysis.sweep_job import run_sweep
    from aigap.explorer.build import explore

    src = scenarios_dir() / "sweeps" / "price_war.yaml"
    text = src.read_text().replace(
        "scenario: china_entry_point",
        f"scenario: {(scenarios_dir() / 'china_entry_point.yaml').resolve()}",
    )
    (tmp_path / "pw.yaml").write_text(text)
    out = run_sweep(
        tmp_path / "pw.yaml",
        model=cm,
        runs_dir=tmp_path / "runs",
        progress=None,
        plots=False,
        runs=64,
    )
    keep = np.asarray(out.consistent, dtype=bool)
    assert 0 < keep.sum() < 64
    bands = _bands_on(
        browser, explore([], tmp_path / "sweep.html", posterior=out.run_dir), "china_entry_point"
    )
    base = resolve_params(cm, load_scenario(scenarios_dir() / "china_entry_point.yaml", cm))
    import json

    start = json.loads((out.run_dir / "manifest.json").read_text())["sweep"]["swept_values_from"]
    assert start > cm.initial_time
    # the values as the folder holds them (samples.csv, 10 significant digits)
    import pandas as pd

    X = pd.read_csv(out.run_dir / "samples.csv").drop(columns=["run", "flags"]).to_numpy()
    np.testing.assert_allclose(X, out.X, rtol=1e-9)
    params = design_params(cm, base, out.spec.uncertain, X[keep], from_time=start)
    _assert_bands(
        bands,
        cm.simulate(params=params, outputs=["ARR Gap Ratio"], engine="numpy"),
        int(keep.sum()),
        1e-10,
    )
