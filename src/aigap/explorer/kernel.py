"""The generated JavaScript kernel of a compiled model: inputs, packaging, a node runner.

``kernel_bundle`` gives everything a page or ``node`` needs to run the model
(the generated source, the parameter order, the time grid); ``pack_params``
turns engine parameters (``{Vensim name: value}``, as ``resolve_params``
returns them) into the kernel's ``P`` / ``TS``; ``run_node`` runs many
parameter sets in one ``node`` process (tests and benchmarks).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..engine.backends.js import generate_js
from ..engine.params import TimeSeries, normalize_timeseries, normalize_value
from ..engine.simulate import time_grid

NODE_MAIN = r"""
const fs = require('fs');
const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = [];
const t0 = process.hrtime.bigint();
for (const inp of job.inputs) {
  const O = job.widths.map(w => new Float64Array(w * job.n_saved));
  const TS = {};
  for (const [k, v] of Object.entries(inp.TS)) TS[k] = v;
  run(Float64Array.from(inp.P), TS, job.times, job.save, job.dt, job.t0, job.t1,
      job.saveper, O);
  out.push(O.map(a => Array.from(a)));
}
const ns = Number(process.hrtime.bigint() - t0);
const reps = job.repeat || 0;
let per = null;
if (reps) {
  const inp = job.inputs[0];
  const O = job.widths.map(w => new Float64Array(w * job.n_saved));
  const P = Float64Array.from(inp.P);
  const s = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) run(P, inp.TS, job.times, job.save, job.dt, job.t0,
                                     job.t1, job.saveper, O);
  per = Number(process.hrtime.bigint() - s) / reps / 1e9;
}
fs.writeFileSync(process.argv[3], JSON.stringify({out, seconds: ns / 1e9, per_run: per}));
"""


def kernel_bundle(cm, outputs, method="euler", ts_params=frozenset()) -> dict:
    """Source and metadata of the JS kernel storing ``outputs`` (a list of Vensim names)."""
    prog = cm.ir
    outputs = list(outputs)
    times, save = time_grid(cm.initial_time, cm.final_time, cm.time_step, cm.saveper)
    widths = [len(prog.outputs[name].scalars) for name in outputs]
    return {
        "source": generate_js(prog, frozenset(ts_params), tuple(outputs), method),
        "params": [[p.name, p.constant, list(p.element), p.default] for p in prog.params.values()],
        "outputs": outputs,
        "widths": widths,
        "shapes": [[len(cm.dims[d]) for d in cm.variables[n].dims] for n in outputs],
        "times": [float(t) for t in times],
        "save": [int(s) for s in save],
        "saved_times": [float(t) for t in times[save >= 0]],
        "n_saved": int((save >= 0).sum()),
        "dt": float(cm.time_step),
        "t0": float(cm.initial_time),
        "t1": float(cm.final_time),
        "saveper": float(cm.saveper),
    }


def pack_params(cm, params: dict) -> tuple:
    """``(P, TS)`` of the kernel for engine parameters ``params`` (one run)."""
    prog = cm.ir
    P = [float(p.default) for p in prog.params.values()]
    index = {name: k for k, name in enumerate(prog.params)}
    TS = {}
    for name, value in params.items():
        info = cm.constants[name]
        members = [p for p in prog.params.values() if p.constant == name]
        if isinstance(value, TimeSeries):
            tx, tv = normalize_timeseries(name, value, info, 1)
            for p in members:
                v = tv[(0,) + p.index + (slice(None),)]
                TS[str(index[p.name])] = [[float(x) for x in tx], [float(x) for x in v]]
        else:
            arr = normalize_value(name, value, info, 1)
            for p in members:
                P[index[p.name]] = float(arr[(0,) + p.index])
    return P, TS


def ts_names(cm, params: dict) -> frozenset:
    """Scalar parameter names that are time series in ``params`` (the kernel's signature)."""
    return frozenset(
        p.name for p in cm.ir.params.values() if isinstance(params.get(p.constant), TimeSeries)
    )


def run_node(bundle: dict, inputs: list, repeat: int = 0) -> dict:
    """Run the kernel in ``node`` for every ``(P, TS)`` of ``inputs``.

    Returns ``{"out": [ {output: array (n_saved, *shape)} per input ],
    "seconds": wall time of the runs, "per_run": seconds per run over ``repeat``
    repetitions of the first input (None when ``repeat`` is 0)}``.
    """
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH")
    with tempfile.TemporaryDirectory(prefix="aigap-js-") as tmp:
        tmp = Path(tmp)
        (tmp / "k.js").write_text(bundle["source"] + NODE_MAIN)
        job = {
            k: bundle[k]
            for k in ("times", "save", "dt", "t0", "t1", "saveper", "widths", "n_saved")
        }
        job["inputs"] = [{"P": P, "TS": TS} for P, TS in inputs]
        job["repeat"] = repeat
        (tmp / "job.json").write_text(json.dumps(job))
        subprocess.run(
            [node, str(tmp / "k.js"), str(tmp / "job.json"), str(tmp / "o.json")],
            check=True,
            capture_output=True,
            text=True,
        )
        res = json.loads((tmp / "o.json").read_text())
    out = []
    for run in res["out"]:
        out.append(
            {
                name: np.array(vals, dtype=float).reshape([bundle["n_saved"], *shape])
                for name, vals, shape in zip(bundle["outputs"], run, bundle["shapes"])
            }
        )
    return {"out": out, "seconds": res["seconds"], "per_run": res["per_run"]}
