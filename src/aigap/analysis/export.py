"""``aigap export FOLDER``: a run folder's results in the formats analysts use.

``xlsx`` (every table of the folder as a sheet, a ``unit`` column beside every variable,
and a README sheet saying what each sheet holds), ``csv`` (one tidy long table: scenario or
run, time, variable, region, value, unit) and ``netcdf`` (an :class:`xarray.Dataset`, one
variable per model output over scenario/run x time x Region, units as attributes; written
with scipy's netCDF3 writer, so no extra library). The file is written next to a temporary
name and linked into place: an existing file is never overwritten.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from ..scenarios import InputError
from ..workflow.manifest import sha256_file
from ..workflow.rundir import check_output_path

__all__ = ["FORMATS", "folder_units", "folder_dataset", "long_table", "export_folder"]

FORMATS = {"xlsx": ".xlsx", "csv": ".csv", "netcdf": ".nc"}
SHEET_NOTES = {
    "summary": "year-end values 2026-2030 per scenario, variable and region",
    "results": "time series per scenario (tidy: one value per row)",
    "fit": "per published observation: observed, simulated, error, pass/fail",
    "percentiles": "5/25/50/75/95% and mean per variable, region and year-end "
    "(*_consistent: over the data-consistent runs)",
    "conditions": "probability of each condition with its 95% Wilson interval",
    "samples": "the sampled input values, one row per run",
    "ranking": "inputs ranked by their effect on each output",
    "indices": "sensitivity indices per output and input",
    "parameters": "fitted constants, intervals and identification",
    "boxes": "PRIM boxes: restricted input ranges, coverage, density",
    "gaps": "posterior-predictive gap ratios per year-end",
    "draws": "posterior draws, one row per draw",
    "units": "unit of every model variable and constant",
}


def _model_path(folder: Path, manifest: dict):
    copied = sorted((folder / "inputs").glob("*.mdl"))
    if copied:
        return copied[0]
    rec = manifest.get("model") if isinstance(manifest.get("model"), dict) else {}
    for base in (Path(manifest.get("cwd") or "."), Path(".")):
        p = base / rec.get("path", "")
        if rec.get("path") and p.is_file() and sha256_file(p) == rec.get("sha256"):
            return p
    return None


def folder_units(folder, manifest=None) -> dict:
    """Vensim name -> unit of every variable and constant of the model the folder ran
    (its ``inputs/`` copy, or the manifest's model when its sha256 still matches)."""
    folder = Path(folder)
    manifest = manifest if manifest is not None else _manifest(folder)
    path = _model_path(folder, manifest)
    if path is None:
        return {}
    from ..engine import compile_model

    cm = compile_model(path)
    units = {n: (v.units or "") for n, v in cm.variables.items()}
    units.update({n: (c.units or "") for n, c in cm.constants.items()})
    return units


def _manifest(folder: Path) -> dict:
    try:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError([f"{folder}: not a run folder (no readable manifest.json)"]) from None
    if not isinstance(m, dict):
        raise InputError([f"{folder / 'manifest.json'}: not a JSON object"])
    return m


def _base(name: str) -> str:
    return name.split("[")[0].split("@")[0]


def folder_dataset(folder, units=None):
    """The folder's time series as an :class:`xarray.Dataset` (None when it has none).

    Sweeps (``outputs.npz``): dims run x time (x Region), plus ``consistent`` per run;
    run/compare (``results.csv``): dims scenario x time (x Region).
    """
    import pandas as pd
    import xarray as xr

    folder = Path(folder)
    units = units if units is not None else folder_units(folder)
    npz, res = folder / "outputs.npz", folder / "results.csv"
    if npz.is_file():
        meta = json.loads((folder / "coords.json").read_text(encoding="utf-8"))
        with np.load(npz) as z:
            time = z["time"]
            data = {k[4:]: z[k] for k in z.files if k.startswith("out:")}
            consistent = z["consistent"] if "consistent" in z.files else None
        coords = {"time": time, **{d: list(v) for d, v in meta["coords"].items()}}
        ds = xr.Dataset({n: (tuple(meta["dims"][n]), a) for n, a in data.items()}, coords=coords)
        ds = ds.assign_coords(run=np.arange(next(iter(data.values())).shape[0]))
        if consistent is not None:
            ds["consistent"] = ("run", consistent.astype("int8"))
            ds["consistent"].attrs["description"] = "1 = run passes every fitted observation"
    elif res.is_file():
        df = pd.read_csv(res).fillna({"region": ""})
        if "scenario" not in df.columns:
            df["scenario"] = _manifest(folder).get("name", folder.name)
        arrays = {}
        for name, sub in df.groupby("variable", sort=False):
            if (sub.region == "").all():
                arrays[name] = sub.set_index(["scenario", "time"]).value.to_xarray()
            else:
                arrays[name] = (
                    sub.rename(columns={"region": "Region"})
                    .set_index(["scenario", "time", "Region"])
                    .value.to_xarray()
                )
        ds = xr.Dataset(arrays)
    else:
        return None
    for name in ds.data_vars:
        if _base(name) in units:
            ds[name].attrs["units"] = units[_base(name)]
    ds.attrs.update(
        {
            "source": str(folder),
            "created_by": "aigap export",
            "time_units": "model time in years (2031.0 = year-end 2030)",
        }
    )
    return ds


def long_table(folder, units=None):
    """One tidy long DataFrame of the folder's time series with a ``unit`` column."""
    ds = folder_dataset(folder, units)
    if ds is None:
        raise InputError(
            [
                f"{folder}: no time series to export (no results.csv or "
                "outputs.npz); use --format xlsx for its tables"
            ]
        )
    frames = []
    for name in ds.data_vars:
        if name == "consistent":
            continue
        da = ds[name]
        df = da.to_dataframe(name="value").reset_index()
        if "Region" not in df.columns:
            df["Region"] = ""
        df = df.rename(columns={"Region": "region"}).assign(
            variable=name, unit=da.attrs.get("units", "")
        )
        frames.append(df)
    import pandas as pd

    out = pd.concat(frames, ignore_index=True)
    key = "scenario" if "scenario" in out.columns else "run"
    return out[[key, "time", "variable", "region", "value", "unit"]].dropna(subset=["value"])


def _sheets(folder: Path, units: dict) -> dict:
    import pandas as pd

    sheets = {}
    for csv in sorted(folder.glob("*.csv")):
        df = pd.read_csv(csv)
        if "variable" in df.columns and "unit" not in df.columns:
            df.insert(
                list(df.columns).index("variable") + 1,
                "unit",
                [units.get(_base(str(v)), "") for v in df.variable],
            )
        sheets[csv.stem[:31]] = df
    if units:
        sheets["units"] = pd.DataFrame(sorted(units.items()), columns=["name", "unit"])
    return sheets


def _write_xlsx(path: Path, folder: Path, manifest: dict, units: dict) -> None:
    import pandas as pd

    sheets = _sheets(folder, units)
    readme = [
        ("aigap export of", str(folder)),
        ("kind", manifest.get("kind", "")),
        ("name", manifest.get("name", "")),
        ("command", " ".join(manifest.get("command") or [])),
        (
            "model sha256",
            (manifest.get("model") or {}).get("sha256", "")
            if isinstance(manifest.get("model"), dict)
            else "",
        ),
        ("time", "model time in years; a year-end Y is time Y+1 (2031.0 = year-end 2030)"),
        ("money", "USD/Year = annualised US dollars"),
        ("", ""),
    ]
    readme += [
        (f"sheet {n}", SHEET_NOTES.get(n, "table of the run folder") + f" ({len(df):,} rows)")
        for n, df in sheets.items()
    ]
    if (folder / "outputs.npz").is_file():
        readme.append(
            (
                "per-run time series",
                "not in this workbook (too many rows); aigap export --format netcdf or csv",
            )
        )
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame(readme, columns=["item", "content"]).to_excel(
            xw, sheet_name="README", index=False
        )
        for name, df in sheets.items():
            df.to_excel(xw, sheet_name=name, index=False)
        for ws in xw.book.worksheets:
            for col in ws.columns:
                width = max(len(str(c.value or "")) for c in list(col)[:200])
                ws.column_dimensions[col[0].column_letter].width = min(max(width + 2, 8), 80)


def export_folder(folder, fmt: str = "xlsx", output=None) -> Path:
    """Write the folder's results as ``fmt``; returns the file (never overwrites)."""
    folder = Path(folder)
    if fmt not in FORMATS:
        raise InputError([f"--format: unknown format '{fmt}' (one of {', '.join(FORMATS)})"])
    manifest = _manifest(folder)
    out = Path(output) if output else Path(folder.name + FORMATS[fmt])
    check_output_path(out, "--output")
    units = folder_units(folder, manifest)
    fd, tmp = tempfile.mkstemp(
        prefix=".export-", suffix=FORMATS[fmt], dir=out.parent if str(out.parent) else "."
    )
    os.close(fd)
    from ..workflow.rundir import current_umask

    os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp's 0600 would hide the file
    try:
        if fmt == "xlsx":
            _write_xlsx(Path(tmp), folder, manifest, units)
        elif fmt == "csv":
            long_table(folder, units).to_csv(tmp, index=False, float_format="%.10g")
        else:
            ds = folder_dataset(folder, units)
            if ds is None:
                raise InputError(
                    [
                        f"{folder}: no time series to export (no results.csv or "
                        "outputs.npz); use --format xlsx for its tables"
                    ]
                )
            ds.to_netcdf(tmp, engine="scipy")
        try:
            os.link(tmp, out)  # atomic, and fails if the name was taken meanwhile
        except FileExistsError:
            raise InputError([f"--output: {out}: exists; it is never overwritten"]) from None
    finally:
        os.unlink(tmp)
    return out
