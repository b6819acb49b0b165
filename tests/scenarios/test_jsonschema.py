"""JSON Schemas of scenario, sweep, observation, priors and profile files (``aigap schema``).

The schemas are generated from the checkers' key tuples and the model; these tests keep the
committed copies current, validate every shipped file, and check that the schema and the
checker refuse the same broken files.
"""

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from aigap.analysis.file_schemas import SCHEMA_FILES, SCHEMA_KINDS, file_schema, schema_text
from aigap.analysis.policy_file import load_policy
from aigap.analysis.priors_file import load_priors
from aigap.analysis.sweep_file import load_sweep
from aigap.core.errors import InputError
from aigap.observations import load_observations
from aigap.scenarios import load_scenario
from aigap.scenarios.jsonschema import yaml_data
from aigap.scenarios.profile_file import load_profile

ROOT = Path(__file__).resolve().parents[2]
SCEN = ROOT / "scenarios"
SHIPPED = {
    "scenario": sorted(SCEN.glob("*.yaml")),
    "sweep": sorted((SCEN / "sweeps").glob("*.yaml")),
    "observations": [SCEN / "data" / "observations.yaml"],
    "priors": sorted((SCEN / "priors").glob("*.yaml")),
    "profile": [ROOT / "model" / "ai_gap.profile.yaml"],
    "policy": sorted((SCEN / "policies").glob("*.yaml")),
}
LOADERS = {
    "scenario": load_scenario,
    "sweep": load_sweep,
    "observations": load_observations,
    "priors": load_priors,
    "profile": load_profile,
    "policy": lambda path, model: load_policy(path, model, read_worlds=False),
}
HEADER = re.compile(r"^# yaml-language-server: \$schema=(\S+)\n")


@pytest.fixture(scope="module")
def real():
    from aigap.engine import compile_model

    return compile_model(ROOT / "model" / "ai_gap.mdl")


@pytest.fixture(scope="module")
def validators(real):
    out = {}
    for kind in SCHEMA_KINDS:
        schema = file_schema(kind, real)
        jsonschema.Draft202012Validator.check_schema(schema)
        out[kind] = jsonschema.Draft202012Validator(schema)
    return out


@pytest.mark.parametrize("kind", SCHEMA_KINDS)
def test_committed_schemas_are_current(real, kind):
    committed = (ROOT / "schemas" / SCHEMA_FILES[kind]).read_text(encoding="utf-8")
    assert committed == schema_text(kind, real), (
        f"schemas/{SCHEMA_FILES[kind]} is stale: run `make schemas`"
    )


def test_schema_enumerates_the_models_constants(cm, real):
    for model in (cm, real):
        props = file_schema("scenario", model)["properties"]["constants"]["anyOf"][0]
        assert set(props["properties"]) == set(model.constants)
        assert props["additionalProperties"] is False
    name, info = next((n, i) for n, i in real.constants.items() if not i.dims and i.limits)
    prop = file_schema("scenario", real)["properties"]["constants"]["anyOf"][0]["properties"]
    bounds = prop[name]["allOf"][1]
    assert (bounds.get("minimum"), bounds.get("maximum")) == tuple(info.limits)
    assert info.units in prop[name]["description"]


@pytest.mark.parametrize("kind", SCHEMA_KINDS)
def test_every_shipped_file_validates_and_names_its_schema(validators, kind):
    assert SHIPPED[kind]
    for path in SHIPPED[kind]:
        head = HEADER.match(path.read_text(encoding="utf-8"))
        assert head, f"{path}: first line must be '# yaml-language-server: $schema=...'"
        target = (path.parent / head.group(1)).resolve()
        assert target == (ROOT / "schemas" / SCHEMA_FILES[kind]).resolve(), path
        errors = [
            f"{list(e.absolute_path)}: {e.message[:200]}"
            for e in validators[kind].iter_errors(yaml_data(path))
        ]
        assert not errors, f"{path}: {errors}"


def _base(kind):
    data = yaml_data(SHIPPED[kind][0] if kind != "scenario" else SCEN / "baseline.yaml")
    if kind == "sweep":
        data["scenario"] = str(SCEN / "china_entry_point.yaml")
    if kind == "profile":
        data.pop("docs")  # generator scripts are looked up beside the file (not in tmp)
    if kind == "policy":
        data["scenario"] = str(SCEN / "baseline.yaml")
    return data


def _set(path):
    def change(d):
        *head, last = path
        for k in head:
            d = d[k]
        d[last] = change.value

    return change


def _mut(path, value):
    f = _set(path)
    f.value = value
    return f


def _pop(key):
    return lambda d: d.pop(key)


BAD = [
    ("scenario", "unknown top-level key", _mut(["constnts"], {})),
    ("scenario", "constants not a mapping", _mut(["constants"], [1, 2])),
    ("scenario", "unknown constant", _mut(["constants"], {"Price War Intensty": 0.5})),
    ("scenario", "value out of range", _mut(["constants"], {"Price War Intensity": 7})),
    ("scenario", "string value", _mut(["constants"], {"Price War Intensity": "high"})),
    ("scenario", "unknown element", _mut(["constants"], {"Price War Intensity": {"EU": 0.5}})),
    (
        "scenario",
        "ramp without to",
        _mut(
            ["constants"],
            {"Price War Intensity": {"ramp": {"start": 2026, "end": 2028, "from": 0.5}}},
        ),
    ),
    ("scenario", "missing description", _pop("description")),
    ("sweep", "unknown sampler", _mut(["sampler"], "lhss")),
    ("sweep", "runs not an integer", _mut(["runs"], "many")),
    ("sweep", "seed negative", _mut(["seed"], -1)),
    (
        "sweep",
        "unknown distribution key",
        _mut(
            ["uncertain"], {"Price War Subsidy Depth": {"dist": "uniform", "low": 0.2, "hi": 0.8}}
        ),
    ),
    (
        "sweep",
        "support outside the range",
        _mut(
            ["uncertain"], {"Price War Subsidy Depth": {"dist": "uniform", "low": 0.2, "high": 80}}
        ),
    ),
    ("sweep", "unknown output", _mut(["outputs"], ["Total AI ARRR"])),
    (
        "sweep",
        "unknown condition op",
        _mut(["conditions"], [{"variable": "ARR Gap Ratio", "year": 2030, "op": "=<", "value": 1}]),
    ),
    ("observations", "unknown kind", _mut(["observations", 0, "kind"], "pont")),
    ("observations", "negative value", _mut(["observations", 0, "value"], -3)),
    ("observations", "unknown item key", _mut(["observations", 0, "wieght"], 1)),
    (
        "observations",
        "range without high",
        _mut(
            ["observations", 0],
            {
                "id": "a",
                "variable": "Model ARR",
                "region": "US",
                "time": 2026,
                "kind": "range",
                "low": 1,
            },
        ),
    ),
    ("observations", "unknown region", _mut(["observations", 0, "region"], "EU")),
    (
        "priors",
        "missing rationale",
        _mut(["priors"], {"Agentic Usage Growth": {"dist": "uniform", "low": 1, "high": 2}}),
    ),
    (
        "priors",
        "discrete prior",
        _mut(
            ["priors"],
            {"Agentic Usage Growth": {"dist": "discrete", "levels": [1, 2], "rationale": "x"}},
        ),
    ),
    ("priors", "unknown top-level key", _mut(["prior"], {})),
    ("profile", "unknown top-level key", _mut(["key_variable"], ["Model ARR"])),
    ("profile", "unknown key variable", _mut(["key_variables", 0], "Total AI ARRR")),
    ("profile", "key variables not a list", _mut(["key_variables"], "Model ARR")),
    ("profile", "unknown region dimension", _mut(["regions", "dimension"], "Regoin")),
    ("profile", "one region element", _mut(["regions", "elements"], ["US"])),
    ("profile", "unknown region element", _mut(["regions", "elements"], ["US", "EU"])),
    ("profile", "bad colour", _mut(["regions", "colors", "US"], "blue")),
    (
        "profile",
        "gap of an unknown variable",
        _mut(["gap_ratios", "ARR Gap Ratio", "of"], "Total ARR"),
    ),
    ("profile", "unknown gap ratio key", _mut(["gap_ratios", "ARR Gap Ratio", "over"], "x")),
    ("profile", "fractional report year", _mut(["report_years", "first"], 2026.5)),
    ("profile", "missing last report year", lambda d: d["report_years"].pop("last")),
    ("profile", "bad scenario name", _mut(["default_scenarios", 0], "../etc/passwd")),
    (
        "policy",
        "unknown lever key",
        _mut(["levers"], {"Embedding Push": {"CN": {"low": 0.3, "hi": 1.0}}}),
    ),
    ("policy", "unknown constant", _mut(["levers"], {"Embeding Push": {"low": 0, "high": 1}})),
    ("policy", "unknown statistic", _mut(["objectives", 0, "statistic"], "average")),
    (
        "policy",
        "objective without sense",
        _mut(["objectives"], [{"variable": "ARR Gap Ratio", "year": 2030}]),
    ),
    ("policy", "missing seed", _pop("seed")),
]


@pytest.mark.parametrize("kind, what, change", BAD, ids=[f"{k}-{w}" for k, w, _ in BAD])
def test_schema_and_checker_refuse_the_same_bad_file(
    real, validators, tmp_path, kind, what, change
):
    data = _base(kind)
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert validators[kind].is_valid(yaml_data(good))
    LOADERS[kind](good, model=real)  # the unchanged file is valid
    bad_data = copy.deepcopy(data)
    change(bad_data)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(bad_data, sort_keys=False), encoding="utf-8")
    assert not validators[kind].is_valid(yaml_data(bad)), what
    with pytest.raises(InputError):
        LOADERS[kind](bad, model=real)


def test_cli_schema(aigap, tmp_path):
    p = aigap("schema", "scenario", model=None)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == json.loads(
        (ROOT / "schemas" / SCHEMA_FILES["scenario"]).read_text(encoding="utf-8")
    )
    out = tmp_path / "s.json"
    p = aigap("schema", "priors", "--output", out)
    assert p.returncode == 0 and out.is_file(), p.stderr
    schema = json.loads(out.read_text(encoding="utf-8"))
    assert schema["$schema"].endswith("2020-12/schema")
    assert "Price War Intensity" in schema["properties"]["priors"]["properties"]  # mini model
    p = aigap("schema", "policy", model=None)  # aigap optimize files
    assert p.returncode == 0 and json.loads(p.stdout) == json.loads(
        (ROOT / "schemas" / SCHEMA_FILES["policy"]).read_text(encoding="utf-8")
    )
    p = aigap("schema", "scenarios", model=None)
    assert p.returncode == 2 and "invalid choice" in p.stderr
