"use strict";
// aigap explorer. The model is KERNEL (generated from the engine's IR by
// aigap.engine.backends.js); this script only moves inputs, runs it in a worker and draws.
const $ = (id) => document.getElementById(id);
const NP = DATA.params.length;
const index = {};                      // constant -> element label -> kernel param index
DATA.params.forEach((p, k) => { (index[p[1]] = index[p[1]] || {})[p[2].join(",")] = k; });
const WORKER_MAIN = `
self.onmessage = (e) => {
  const {id, sets, job} = e.data;
  const t0 = performance.now();
  const P = new Float64Array(${NP});
  const results = sets.map((inputs) => {
    const O = job.widths.map((w) => new Float64Array(w * job.n_saved));
    if (inputs.every((v) => typeof v === "number")) {     // no time series: hoisted kernel
      runConst(Float64Array.from(inputs), {}, job.times, job.save, job.dt, job.t0, job.t1,
               job.saveper, O);
      return O;
    }
    const TS = {};
    for (let k = 0; k < inputs.length; k++) {
      const v = inputs[k];
      TS[k] = typeof v === "number" ? [[job.t0], [v]] : v;
    }
    runTS(P, TS, job.times, job.save, job.dt, job.t0, job.t1, job.saveper, O);
    return O;
  });
  self.postMessage({id, results, ms: performance.now() - t0},
                   results.flat().map((a) => a.buffer));     // transferred, not copied
};`;
const worker = new Worker(URL.createObjectURL(
  new Blob([KERNEL, WORKER_MAIN], {type: "text/javascript"})));
const JOB = {widths: DATA.widths, n_saved: DATA.n_saved, times: DATA.times, save: DATA.save,
             dt: DATA.dt, t0: DATA.t0, t1: DATA.t1, saveper: DATA.saveper};
const state = {scenario: Object.keys(DATA.scenarios)[0], compare: "", over: {}};
const api = window.aigap = {runs: 0, last: null, latency: [], ready: false};

// a sweep's drawn value acts from DATA.draws_from on, the scenario's value before it
// (as aigap.analysis.ensemble.design_params builds it)
function interp(xs, vs, t) {
  if (t <= xs[0]) return vs[0];
  for (let i = 1; i < xs.length; i++)
    if (t <= xs[i]) return vs[i - 1] + (vs[i] - vs[i - 1]) * (t - xs[i - 1]) / (xs[i] - xs[i - 1]);
  return vs[vs.length - 1];
}
function fromStep(b, v) {
  const t0 = DATA.draws_from;
  if (t0 === null || t0 <= DATA.t0 + DATA.step_eps) return v;
  const bx = typeof b === "number" ? [] : b[0];
  const xs = [...new Set([...bx, t0 - DATA.step_eps, t0])].sort((p, q) => p - q);
  const before = (t) => typeof b === "number" ? b : interp(b[0], b[1], t);
  return [xs, xs.map((t) => t >= t0 ? v : before(t))];
}
function inputsOf(name, over) {
  const inp = DATA.scenarios[name].inputs.slice();
  for (const [k, v] of Object.entries(over || {})) inp[k] = v;
  return inp;
}
// ------------------------------------------------------------ worker, coalesced requests
let busy = false, queued = false, reqId = 0, sentAt = 0;
function request() {
  if (busy) { queued = true; return; }          // run the latest inputs when the worker is free
  busy = true; queued = false; api.busy = true;
  const sets = [inputsOf(state.scenario, state.over)];
  if (state.compare) sets.push(inputsOf(state.compare, {}));
  const base = DATA.scenarios[state.scenario].inputs;
  for (const draw of DATA.posterior) {        // drawn values on top of the scenario's,
    const d = base.slice();                   // the moved controls on top of both
    for (const [k, v] of Object.entries(draw)) d[k] = fromStep(base[k], v);
    for (const [k, v] of Object.entries(state.over)) d[k] = v;
    sets.push(d);
  }
  sentAt = performance.now();
  worker.postMessage({id: ++reqId, sets, job: JOB});
}
worker.onmessage = (e) => {
  const {results, ms} = e.data;
  busy = false;
  if (queued) { request(); }                     // stale result: still draw it, then rerun
  const nCmp = state.compare ? 1 : 0;
  draw(unpack(results[0]), nCmp ? unpack(results[1]) : null,
       results.slice(1 + nCmp));                // draws stay packed (bands read them in place)
  const lat = performance.now() - sentAt;
  api.latency.push(lat);
  api.runs += 1;
  api.kernelMs = ms;
  if (!api.ready) { api.ready = true; api.firstChartsMs = performance.now(); }  // since navigation start
  api.busy = busy;
  document.body.dataset.runs = String(api.runs);
  $("status").textContent = `${(1 + nCmp + DATA.posterior.length)} run(s) in ${ms.toFixed(1)} ms`;
};
function unpack(O) {                           // output name -> [element][time]
  const out = {};
  DATA.outputs.forEach((name, i) => {
    const w = DATA.widths[i];
    out[name] = [];
    for (let e = 0; e < w; e++) {
      const s = new Array(DATA.n_saved);
      for (let j = 0; j < DATA.n_saved; j++) s[j] = O[i][j * w + e];
      out[name].push(s);
    }
  });
  return out;
}
// ------------------------------------------------------------ controls
function fmt(v) { return Number.isFinite(v) ? +v.toPrecision(6) + "" : String(v); }
function rangeOf(c, d) {
  let [lo, hi] = c.limits;
  if (lo === null) lo = d > 0 ? 0 : (d < 0 ? 2 * d : -1);
  if (hi === null) hi = d > 0 ? 2 * d : (d < 0 ? 0 : 1);
  return [lo, hi];
}
function buildControls() {
  const groups = {};
  for (const c of DATA.constants) (groups[c.group] = groups[c.group] || []).push(c);
  const root = $("controls");
  root.innerHTML = "";
  for (const [g, list] of Object.entries(groups)) {
    const det = document.createElement("details");
    det.open = true;
    det.innerHTML = `<summary>${g} (${list.length})</summary>`;
    for (const c of list) c.elements.forEach((el, e) => det.appendChild(control(c, el, e)));
    root.appendChild(det);
  }
}
function control(c, el, e) {
  const k = index[c.name][el];
  const d = c.default[e];
  const [lo, hi] = rangeOf(c, d);
  const row = document.createElement("div");
  row.className = "ctl";
  row.dataset.constant = c.name; row.dataset.element = el; row.dataset.k = k;
  const label = c.name + (el ? `[${el}]` : "");
  row.title = `${label}\nunit: ${c.units}\nrange: ${c.limits[0] ?? "-inf"} .. ${c.limits[1] ?? "inf"}`
    + `\nbaseline (model): ${fmt(d)}\nsource: ${c.doc}`;
  row.innerHTML = `<label>${label}</label><input type="range" id="rng-${k}" min="${lo}" max="${hi}"`
    + ` step="${(hi - lo) / 500}"><input type="number" id="num-${k}" step="any">`
    + `<button title="reset ${label}" id="rst-${k}">&#8634;</button>`
    + `<button title="edit ${label} as points over time" id="tsb-${k}" class="tsb">pts</button>`
    + `<div class="ts" id="ts-${k}"></div>`;
  const rng = row.querySelector("input[type=range]"), num = row.querySelector("input[type=number]");
  const set = (v) => { if (!Number.isFinite(v)) return; state.over[k] = v; sync(k); request(); };
  rng.addEventListener("input", () => set(parseFloat(rng.value)));
  num.addEventListener("input", () => set(parseFloat(num.value)));
  row.querySelector(`#rst-${k}`).addEventListener("click", () => { delete state.over[k]; sync(k); request(); });
  row.querySelector(`#tsb-${k}`).addEventListener("click", () => {
    const v = current(k);                        // a constant becomes two points over the run
    if (typeof v === "number") { state.over[k] = [[DATA.t0, DATA.t1], [v, v]]; sync(k); request(); }
  });
  const ts = row.querySelector(".ts");
  ts.addEventListener("input", () => readPoints(k));
  ts.addEventListener("click", (ev) => {
    const b = ev.target.closest("button");
    if (!b) return;
    const [xs, vs] = current(k).map((a) => a.slice());
    if (b.classList.contains("tp-del")) {
      const i = +b.dataset.i; xs.splice(i, 1); vs.splice(i, 1);
      state.over[k] = xs.length === 1 ? vs[0] : [xs, vs];   // one point left: a constant
    } else if (b.classList.contains("tp-add")) {
      const n = xs.length, last = xs[n - 1];
      const x = last + 1 <= DATA.t1 ? last + 1 : (n > 1 ? (xs[n - 2] + last) / 2 : last - 1);
      const at = xs.findIndex((t) => t > x);
      const i = at < 0 ? n : at;
      xs.splice(i, 0, x); vs.splice(i, 0, vs[Math.max(0, i - 1)]);
      state.over[k] = [xs, vs];
    } else return;
    sync(k, true); request();
  });
  return row;
}
function current(k) { return k in state.over ? state.over[k] : DATA.scenarios[state.scenario].inputs[k]; }
// points of a time-varying control: times strictly increasing (else marked, not run)
function readPoints(k) {
  const rows = [...document.querySelectorAll(`#ts-${k} .tp`)];
  const pts = rows.map((r) => [parseFloat(r.querySelector(".tp-t").value),
                               parseFloat(r.querySelector(".tp-v").value)]);
  const ok = pts.every(([t, v]) => Number.isFinite(t) && Number.isFinite(v))
    && pts.every((p, i) => i === 0 || p[0] > pts[i - 1][0]);
  $(`ts-${k}`).classList.toggle("invalid", !ok);
  if (!ok) return;
  state.over[k] = [pts.map((p) => p[0]), pts.map((p) => p[1])];
  sync(k); request();
}
function pointsEditor(k, v) {
  return `<span class="tsl">over time (linear, held beyond the ends):</span>` + v[0].map((t, i) =>
    `<span class="tp"><input type="number" class="tp-t" step="any" value="${fmt(t)}" title="time">`
    + `<input type="number" class="tp-v" step="any" value="${fmt(v[1][i])}" title="value">`
    + `<button class="tp-del" data-i="${i}" title="remove this point">&#215;</button></span>`).join("")
    + `<button class="tp-add" title="add a point">+ point</button>`;
}
function sync(k, force) {
  const v = current(k);
  const row = document.querySelector(`.ctl[data-k="${k}"]`);
  if (!row) return;
  const ts = typeof v !== "number";
  const shown = ts ? v[1][0] : v;
  row.querySelector("input[type=range]").value = shown;
  const num = row.querySelector("input[type=number]");
  if (document.activeElement !== num) num.value = fmt(shown);
  const box = row.querySelector(".ts");
  if (!ts) { box.innerHTML = ""; box.classList.remove("invalid"); }
  else if (force || !box.contains(document.activeElement) || !box.children.length) {
    box.innerHTML = pointsEditor(k, v);          // not while the user types in it
  }
  row.classList.toggle("timevarying", ts);
  row.classList.toggle("changed", k in state.over);
}
function syncAll() { for (let k = 0; k < NP; k++) sync(k); }
// ------------------------------------------------------------ YAML of the changes
function yaml() {
  const byC = {};
  for (const [k, v] of Object.entries(state.over)) {
    const p = DATA.params[k];
    (byC[p[1]] = byC[p[1]] || []).push([p[2].join(","), v]);
  }
  let out = `description: ${JSON.stringify("Explorer changes on top of " + state.scenario)}\n`
    + `extends: ${state.scenario}\nconstants:\n`;
  const names = Object.keys(byC).sort();
  if (!names.length) return out.replace("constants:\n", "constants: {}\n");
  const val = (v) => typeof v === "number" ? String(v)       // shortest exact decimal
    : `{points: [${v[0].map((t, i) => `[${t}, ${v[1][i]}]`).join(", ")}]}`;
  for (const name of names) {
    const items = byC[name];
    if (items.length === 1 && items[0][0] === "") out += `  ${JSON.stringify(name)}: ${val(items[0][1])}\n`;
    else {
      out += `  ${JSON.stringify(name)}:\n`;
      for (const [el, v] of items) out += `    ${JSON.stringify(el)}: ${val(v)}\n`;
    }
  }
  return out;
}
api.yaml = yaml;
// ------------------------------------------------------------ charts and table
const COLORS = ["#1f5fbf", "#c8332b", "#2a8f3f", "#8a4fbf"];
function yearEnd(series, year) {
  const t = DATA.saved_times, x = year + 1;
  for (let j = 0; j < t.length - 1; j++)
    if (t[j] <= x && x <= t[j + 1]) return series[j] + (series[j + 1] - series[j]) * (x - t[j]) / (t[j + 1] - t[j]);
  return series[t.length - 1];
}
function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
function seriesOf(O, name, e) {              // one element's series of a packed result
  const oi = DATA.outputs.indexOf(name), w = DATA.widths[oi];
  if (w === 1) return O[oi];
  const s = new Float64Array(DATA.n_saved);
  for (let j = 0; j < s.length; j++) s[j] = O[oi][j * w + e];
  return s;
}
function bands(draws, name, e) {
  const n = DATA.n_saved, nd = draws.length, out = {q05: [], q25: [], q75: [], q95: []};
  const oi = DATA.outputs.indexOf(name), w = DATA.widths[oi];
  const buf = new Float64Array(nd);             // typed-array sort: numeric, no comparator
  for (let j = 0; j < n; j++) {
    let m = 0;
    for (let i = 0; i < nd; i++) { const x = draws[i][oi][j * w + e]; if (Number.isFinite(x)) buf[m++] = x; }
    if (!m) { for (const q in out) out[q].push(NaN); continue; }
    const v = buf.subarray(0, m).sort();
    out.q05.push(quantile(v, 0.05)); out.q25.push(quantile(v, 0.25));
    out.q75.push(quantile(v, 0.75)); out.q95.push(quantile(v, 0.95));
  }
  return out;
}
function chart(name, cur, cmp, draws) {
  const W = 380, H = 190, L = 58, R = 8, T = 8, B = 22;
  const t = DATA.saved_times, regions = DATA.regions[name];
  const lines = cur[name], cl = cmp ? cmp[name] : [];
  const bs = draws.length ? lines.map((_, e) => bands(draws, name, e)) : [];
  const obs = DATA.observations.filter((o) => o.variable === name);
  let vals = [].concat(...lines, ...cl, ...bs.map((b) => b.q05.concat(b.q95)));
  for (const o of obs) for (const v of [o.value, o.low, o.high]) if (v != null) vals.push(v / o.share);
  vals = vals.filter(Number.isFinite);
  let lo = Math.min(...vals), hi = Math.max(...vals);
  const log = lo > 0 && hi / lo > 30;
  const f = log ? Math.log10 : (v) => v;
  if (!log) { lo = Math.min(lo, 0); }
  let a = f(lo), b = f(hi); if (b - a < 1e-12) { b = a + 1; }
  const X = (x) => L + (x - t[0]) / (t[t.length - 1] - t[0]) * (W - L - R);
  const Y = (y) => T + (1 - (f(y) - a) / (b - a)) * (H - T - B);
  const path = (s) => "M" + s.map((y, j) => `${X(t[j]).toFixed(1)},${Y(y).toFixed(1)}`).join("L");
  let svg = `<svg viewBox="0 0 ${W} ${H}" width="100%" data-variable="${name}">`;
  for (let yr = Math.ceil(t[0]); yr <= t[t.length - 1]; yr++)
    svg += `<line x1="${X(yr)}" x2="${X(yr)}" y1="${T}" y2="${H - B}" stroke="#eee"/><text x="${X(yr)}" y="${H - 6}" font-size="10" text-anchor="middle">${yr}</text>`;
  for (let k = 0; k <= 4; k++) {
    const v = log ? Math.pow(10, a + (b - a) * k / 4) : a + (b - a) * k / 4;
    svg += `<text x="${L - 4}" y="${Y(v) + 3}" font-size="10" text-anchor="end">${v.toPrecision(3)}</text>`;
  }
  bs.forEach((bd, e) => {
    const band = (u, l, op) => `<path d="${path(u)}L${l.map((y, j) => `${X(t[j])},${Y(y)}`).reverse().join("L")}Z" fill="${COLORS[e]}" opacity="${op}"/>`;
    svg += band(bd.q95, bd.q05, 0.12) + band(bd.q75, bd.q25, 0.22);
  });
  cl.forEach((s, e) => { svg += `<path d="${path(s)}" fill="none" stroke="${COLORS[e]}" stroke-dasharray="4 3" opacity="0.7"/>`; });
  lines.forEach((s, e) => { svg += `<path d="${path(s)}" fill="none" stroke="${COLORS[e]}" stroke-width="2"/><text x="${W - R - 2}" y="${T + 12 + 12 * e}" font-size="11" text-anchor="end" fill="${COLORS[e]}">${regions[e]}</text>`; });
  for (const o of obs) {
    const e = Math.max(0, regions.indexOf(o.region));
    const tip = `<title>${o.id}: ${o.description}</title>`;
    if (o.kind === "range") svg += `<line x1="${X(o.time)}" x2="${X(o.time)}" y1="${Y(o.low / o.share)}" y2="${Y(o.high / o.share)}" stroke="${COLORS[e]}" stroke-width="3">${tip}</line>`;
    else if (o.value != null) svg += `<circle cx="${X(o.time)}" cy="${Y(o.value / o.share)}" r="3.5" fill="white" stroke="${COLORS[e]}" stroke-width="1.5">${tip}</circle>`;
  }
  return `<div class="chart"><h3>${name} <small>(${DATA.units[name]}${log ? ", log scale" : ""})</small></h3>${svg}</svg></div>`;
}
function draw(cur, cmp, draws) {
  api.last = cur; api.compare = cmp;
  const names = DATA.gaps.concat(DATA.charts);
  $("charts").innerHTML = names.map((n) => chart(n, cur, cmp, draws)).join("");
  let tab = `<tr><th>Year-end gap (US/CN)</th>${DATA.years.map((y) => `<th>${y}</th>`).join("")}</tr>`;
  api.table = {}; api.tableBands = {};
  for (const g of DATA.gaps) {
    api.table[g] = DATA.years.map((y) => yearEnd(cur[g][0], y));
    const band = draws.length ? DATA.years.map((y) => draws.map((d) => yearEnd(seriesOf(d, g, 0), y)).sort((p, q) => p - q)) : null;
    if (band) api.tableBands[g] = band.map((v) => [quantile(v, 0.05), quantile(v, 0.95)]);
    tab += `<tr><td>${DATA.gap_labels[g] || g}</td>` + api.table[g].map((v, i) =>
      `<td>${v.toPrecision(3)}${cmp ? ` <small>(${yearEnd(cmp[g][0], DATA.years[i]).toPrecision(3)})</small>` : ""}`
      + `${band ? `<br><small>${quantile(band[i], 0.05).toPrecision(2)}-${quantile(band[i], 0.95).toPrecision(2)}</small>` : ""}</td>`).join("") + "</tr>";
  }
  $("gap-table").innerHTML = tab;
}
// ------------------------------------------------------------ loop dominance panel
function loopsPanel() {
  const L = DATA.loops[state.scenario], box = $("loops");
  if (!L) { $("loops-panel").hidden = true; return; }
  const regions = Object.keys(L).filter((r) => r !== "years");
  const cell = (list) => list.length ? list.map(([v, name]) =>
    `<span class="${v >= 0 ? "lr" : "lb"}">${v >= 0 ? "+" : "-"}${Math.round(Math.abs(v) * 100)}%</span> ${name}`).join("<br>")
    : "<i>no loop active</i>";
  box.innerHTML = `<p class="note">Scenario <b>${state.scenario}</b> as defined (computed when the page was built; `
    + `not re-run while you move controls: use <code>aigap loops</code> for your YAML). Mean relative loop score per year `
    + `among the region's loops; + reinforcing, - balancing.</p><table><tr><th>year</th>`
    + regions.map((r) => `<th>${r}</th>`).join("") + "</tr>"
    + L.years.map((y, j) => `<tr><td>${y}</td>` + regions.map((r) => `<td class="lc">${cell(L[r][j])}</td>`).join("") + "</tr>").join("")
    + "</table>";
}
// ------------------------------------------------------------ wiring
for (const name of Object.keys(DATA.scenarios)) {
  for (const sel of [$("scenario"), $("compare")]) {
    const o = document.createElement("option"); o.value = o.textContent = name; sel.appendChild(o);
  }
}
$("scenario").addEventListener("change", () => {
  state.scenario = $("scenario").value; state.over = {};
  $("desc").textContent = DATA.scenarios[state.scenario].description; syncAll(); loopsPanel(); request();
});
$("compare").addEventListener("change", () => { state.compare = $("compare").value; request(); });
$("reset-all").addEventListener("click", () => { state.over = {}; syncAll(); request(); });
$("download").addEventListener("click", () => {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([yaml()], {type: "text/yaml"}));
  a.download = `explore_${state.scenario}.yaml`;
  document.body.appendChild(a); a.click(); a.remove();
});
api.set = (constant, element, value) => {
  const k = index[constant][element || ""]; state.over[k] = value; sync(k); request();
};
buildControls();
loopsPanel();
$("desc").textContent = DATA.scenarios[state.scenario].description;
syncAll();
request();
