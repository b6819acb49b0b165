"""Declarative reality checks (``model/checks.yaml``): schema-first parsing.

A checks file is a mapping with ``description`` and ``checks``, a list of named checks::

    checks:
      - name: no developer pay, no developer revenue
        description: why this must hold (the article's mechanism)
        scenario: baseline                 # optional: a scenario name or file to start from
        constants:                         # optional, exactly like a scenario's constants
          Initial Developer WTP: 0
          Frontier Developer Value: {step: {time: 2026, before: 100, after: 0}}
        matrix: true                       # optional: every ranged constant at its min and
                                           # max, one at a time, then all at min / all at max
        from: 2024                         # optional time window (default: whole run)
        to: 2031
        expect:
          - variable: Developer Subscription ARR    # a name, or a list of names (summed)
            element: US                             # optional subscript element(s)
            "<=": {baseline: true, factor: 0.5}     # exactly one predicate

Predicates: ``">="``, ``"<="``, ``between: [lo, hi]``, ``approx`` (with ``rtol``/``atol``),
``finite: true``, ``non_negative: true``, ``monotone: increasing | decreasing |
non_decreasing | non_increasing`` (with ``atol``). A reference value is a number,
``{variable: NAME, factor: k}`` (another variable in the same run) or ``{baseline: true |
NAME, factor: k}`` (the variable in the check's scenario without its constants and matrix).

Nothing in the file is evaluated: names are looked up in the model, numbers are numbers.
Every problem is one ``file:line: key: message`` :class:`~aigap.scenarios.Issue`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import InputError, IssueList, closest
from ..scenarios.schema import check_overrides, parse_constants
from ..scenarios.yamlnodes import (
    compose_file,
    describe,
    is_mapping,
    is_sequence,
    line_of,
    mapping_items,
    number,
    string,
)

TOP_KEYS = ("description", "checks")
CHECK_KEYS = ("name", "description", "scenario", "constants", "matrix", "from", "to", "expect")
MATRIX_KEYS = ("constants", "exclude", "combined")
COMPARISONS = (">=", "<=", "between", "approx")
FLAGS = ("finite", "non_negative")
PREDICATES = COMPARISONS + FLAGS + ("monotone",)
EXPECT_KEYS = ("variable", "element", "at", "from", "to", "rtol", "atol") + PREDICATES
REF_KEYS = ("variable", "element", "baseline", "factor")
MONOTONE = ("increasing", "decreasing", "non_decreasing", "non_increasing")


class ChecksError(InputError):
    """A checks file is invalid; ``.issues`` lists every problem."""


@dataclass(frozen=True)
class Ref:
    """A reference value: a number, another variable (same run) or the baseline run."""

    value: float | None = None
    variables: tuple = ()
    element: str | None = None
    baseline: bool = False
    factor: float = 1.0


@dataclass(frozen=True)
class Expectation:
    """One predicate over a variable (or a sum of variables) in a time window."""

    variables: tuple
    predicate: str
    args: tuple = ()  # Refs (comparisons) or the monotone direction
    element: str | None = None
    window: tuple = (None, None)
    rtol: float = 0.0
    atol: float = 0.0
    line: int | None = None
    key: str = ""

    @property
    def label(self) -> str:
        name = " + ".join(self.variables) + (f"[{self.element}]" if self.element else "")
        return f"{name} {self.predicate}"


@dataclass(frozen=True)
class Matrix:
    """Extreme-condition matrix: each constant at min and max, then all at min / max."""

    constants: tuple = ()  # empty: every constant with a finite declared range
    exclude: tuple = ()
    combined: bool = True


@dataclass(frozen=True)
class Check:
    """A named check: the runs (scenario + constants [+ matrix]) and its expectations."""

    name: str
    description: str
    scenario: str | None
    overrides: tuple
    matrix: Matrix | None
    window: tuple
    expect: tuple
    line: int | None = None
    needs_baseline: bool = False


@dataclass
class ChecksFile:
    """A validated checks file."""

    path: Path
    description: str
    checks: list = field(default_factory=list)


def _number_key(vnode, key, issues, positive=False):
    value = number(vnode)
    if value is None or (positive and value < 0):
        issues.add(
            line_of(vnode),
            key,
            f"expected a {'non-negative ' if positive else ''}number, got {describe(vnode)}",
        )
        return None
    return value


def _names(vnode, key, issues) -> tuple:
    """One variable name or a non-empty list of names."""
    if is_sequence(vnode):
        names = tuple(string(n) for n in vnode.value)
        if names and None not in names:
            return names
    else:
        name = string(vnode)
        if name is not None:
            return (name,)
    issues.add(
        line_of(vnode), key, f"expected a variable name or a list of names, got {describe(vnode)}"
    )
    return ()


def parse_ref(node, key, issues) -> Ref | None:
    """A number, ``{variable: ..., factor: ...}`` or ``{baseline: ..., factor: ...}``."""
    if not is_mapping(node):
        value = number(node)
        if value is None:
            issues.add(
                line_of(node),
                key,
                f"expected a number or a mapping with 'variable' "
                f"or 'baseline', got {describe(node)}",
            )
            return None
        return Ref(value=value)
    fields = {}
    for k, knode, vnode in mapping_items(node, issues, key):
        if k not in REF_KEYS:
            issues.add(
                line_of(knode),
                f"{key}.{k}",
                f"unknown key (allowed: {', '.join(REF_KEYS)})",
                closest(k, REF_KEYS),
            )
            continue
        fields[k] = vnode
    if ("variable" in fields) == ("baseline" in fields):
        issues.add(line_of(node), key, "give exactly one of 'variable' or 'baseline'")
        return None
    ref = {"factor": 1.0}
    if "factor" in fields:
        ref["factor"] = _number_key(fields["factor"], f"{key}.factor", issues)
    if "element" in fields:
        ref["element"] = string(fields["element"])
    if "variable" in fields:
        ref["variables"] = _names(fields["variable"], f"{key}.variable", issues)
    else:
        b = fields["baseline"]
        flag = b.value in ("true", "True", "yes") if b.tag.endswith(":bool") else None
        if flag is True:
            ref["variables"] = ()
        elif flag is None and string(b) and not b.tag.endswith(":bool"):
            ref["variables"] = (string(b),)
        else:
            issues.add(
                line_of(b),
                f"{key}.baseline",
                "expected true (the same variable) or a variable name",
            )
            return None
        ref["baseline"] = True
    if ref["factor"] is None or ref.get("variables") is None:
        return None
    return Ref(**ref)


def parse_expectation(node, key, window, issues) -> Expectation | None:
    """One item of ``expect``."""
    if not is_mapping(node):
        issues.add(
            line_of(node),
            key,
            f"expected a mapping with 'variable' and one predicate, got {describe(node)}",
        )
        return None
    fields, ok = {}, True
    for k, knode, vnode in mapping_items(node, issues, key):
        if k not in EXPECT_KEYS:
            issues.add(
                line_of(knode),
                f"{key}.{k}",
                f"unknown key or predicate (predicates: {', '.join(PREDICATES)})",
                closest(k, EXPECT_KEYS),
            )
            ok = False
            continue
        fields[k] = (knode, vnode)
    preds = [k for k in fields if k in PREDICATES]
    if "variable" not in fields:
        issues.add(line_of(node), key, "missing 'variable'")
        return None
    if len(preds) != 1:
        issues.add(
            line_of(node),
            key,
            f"give exactly one predicate ({', '.join(PREDICATES)})"
            + (f"; found {', '.join(preds)}" if preds else ""),
        )
        return None
    pred = preds[0]
    pnode = fields[pred][1]
    pkey = f"{key}.{pred}"
    args = ()
    if pred in (">=", "<=", "approx"):
        ref = parse_ref(pnode, pkey, issues)
        args = (ref,) if ref else None
    elif pred == "between":
        if not is_sequence(pnode) or len(pnode.value) != 2:
            issues.add(line_of(pnode), pkey, f"expected [low, high], got {describe(pnode)}")
            args = None
        else:
            refs = tuple(parse_ref(n, f"{pkey}[{i}]", issues) for i, n in enumerate(pnode.value))
            args = refs if None not in refs else None
            if args and all(r.value is not None for r in refs) and refs[0].value > refs[1].value:
                issues.add(line_of(pnode), pkey, "low is above high")
                args = None
    elif pred in FLAGS:
        if not (pnode.tag.endswith(":bool") and pnode.value in ("true", "True", "yes")):
            issues.add(line_of(pnode), pkey, f"expected true, got {describe(pnode)}")
            args = None
    else:
        direction = string(pnode)
        if direction not in MONOTONE:
            issues.add(
                line_of(pnode),
                pkey,
                f"expected one of {', '.join(MONOTONE)}, got {describe(pnode)}",
                closest(str(direction), MONOTONE),
            )
            args = None
        else:
            args = (direction,)
    tols = {
        t: _number_key(fields[t][1], f"{key}.{t}", issues, positive=True)
        for t in ("rtol", "atol")
        if t in fields
    }
    if any(v is None for v in tols.values()):
        ok = False
    win = parse_window(
        {k: v for k, v in fields.items() if k in ("from", "to", "at")}, key, issues, window
    )
    variables = _names(fields["variable"][1], f"{key}.variable", issues)
    element = string(fields["element"][1]) if "element" in fields else None
    if args is None or win is None or not variables or not ok:
        return None
    return Expectation(
        variables=variables,
        predicate=pred,
        args=args,
        element=element,
        window=win,
        rtol=tols.get("rtol", 0.0),
        atol=tols.get("atol", 0.0),
        line=line_of(node),
        key=key,
    )


def parse_window(fields, key, issues, default=(None, None)):
    """``from``/``to`` (or ``at``) -> ``(t0, t1)``; None after an issue."""
    if "at" in fields and ("from" in fields or "to" in fields):
        issues.add(line_of(fields["at"][0]), f"{key}.at", "use 'at' or 'from'/'to', not both")
        return None
    if "at" in fields:
        t = _number_key(fields["at"][1], f"{key}.at", issues)
        return None if t is None else (t, t)
    lo, hi = default
    if "from" in fields:
        lo = _number_key(fields["from"][1], f"{key}.from", issues)
    if "to" in fields:
        hi = _number_key(fields["to"][1], f"{key}.to", issues)
    if ("from" in fields and lo is None) or ("to" in fields and hi is None):
        return None
    if lo is not None and hi is not None and hi < lo:
        issues.add(
            line_of(fields["to"][1] if "to" in fields else fields["from"][1]),
            f"{key}.to",
            "must not be before 'from'",
        )
        return None
    return (lo, hi)


def parse_matrix(node, key, issues):
    """``true`` or ``{constants: [...], exclude: [...], combined: bool}``; False: none."""
    if node.tag.endswith(":bool"):
        return Matrix() if node.value in ("true", "True", "yes") else False
    if not is_mapping(node):
        issues.add(
            line_of(node),
            key,
            f"expected true or a mapping ({', '.join(MATRIX_KEYS)}), got {describe(node)}",
        )
        return None
    out = {}
    for k, knode, vnode in mapping_items(node, issues, key):
        if k not in MATRIX_KEYS:
            issues.add(
                line_of(knode),
                f"{key}.{k}",
                f"unknown key (allowed: {', '.join(MATRIX_KEYS)})",
                closest(k, MATRIX_KEYS),
            )
            return None
        if k == "combined":
            if not vnode.tag.endswith(":bool"):
                issues.add(
                    line_of(vnode), f"{key}.{k}", f"expected true or false, got {describe(vnode)}"
                )
                return None
            out[k] = vnode.value in ("true", "True", "yes")
        else:
            out[k] = _names(vnode, f"{key}.{k}", issues)
    return Matrix(**out)


def parse_check(node, i, issues) -> Check | None:
    """One item of ``checks``."""
    key = f"checks[{i}]"
    if not is_mapping(node):
        issues.add(
            line_of(node), key, f"expected a mapping (name, expect, ...), got {describe(node)}"
        )
        return None
    fields = {}
    for knode, vnode in node.value:
        if getattr(knode, "value", None) == "name" and string(vnode):
            key = f"checks[{string(vnode)}]"
    for k, knode, vnode in mapping_items(node, issues, key):
        if k not in CHECK_KEYS:
            issues.add(
                line_of(knode),
                f"{key}.{k}",
                f"unknown key (allowed: {', '.join(CHECK_KEYS)})",
                closest(k, CHECK_KEYS),
            )
            continue
        fields[k] = (knode, vnode)
    for req in ("name", "expect"):
        if req not in fields:
            issues.add(line_of(node), key, f"missing required key '{req}'")
    if "name" not in fields or "expect" not in fields:
        return None
    name = string(fields["name"][1])
    if name is None:
        issues.add(line_of(fields["name"][1]), f"{key}.name", "expected a non-empty string")
        return None
    key = f"checks[{name}]"
    text = {k: string(fields[k][1]) for k in ("description", "scenario") if k in fields}
    for k, v in text.items():
        if v is None:
            issues.add(line_of(fields[k][1]), f"{key}.{k}", "expected a non-empty string")
    window = parse_window({k: v for k, v in fields.items() if k in ("from", "to")}, key, issues)
    matrix = (
        parse_matrix(fields["matrix"][1], f"{key}.matrix", issues) if "matrix" in fields else False
    )
    overrides = (
        parse_constants({"constants": fields["constants"]}, _Prefixed(issues, key))
        if "constants" in fields
        else []
    )
    enode = fields["expect"][1]
    if not is_sequence(enode) or not enode.value:
        issues.add(
            line_of(enode),
            f"{key}.expect",
            f"expected a non-empty list of expectations, got {describe(enode)}",
        )
        return None
    expect = [
        parse_expectation(n, f"{key}.expect[{j}]", window or (None, None), issues)
        for j, n in enumerate(enode.value)
    ]
    if None in expect or window is None or matrix is None:
        return None
    needs = any(isinstance(a, Ref) and a.baseline for e in expect for a in e.args)
    return Check(
        name=name,
        description=text.get("description") or "",
        scenario=text.get("scenario"),
        overrides=tuple(overrides),
        matrix=matrix or None,
        window=window,
        expect=tuple(expect),
        line=line_of(node),
        needs_baseline=needs,
    )


class _Prefixed:
    """An IssueList view that prefixes keys (``constants.X`` -> ``checks[n].constants.X``)."""

    def __init__(self, issues, prefix):
        self._issues, self._prefix, self.file = issues, prefix, issues.file

    def add(self, line, key, message, suggestion=None, file=None):
        self._issues.add(line, f"{self._prefix}.{key}", message, suggestion, file)


def load_checks(path, model=None, scenario_dir=None) -> ChecksFile:
    """Parse and validate a checks file (against ``model`` when given).

    Raises
    ------
    ChecksError
        Listing every problem, one ``file:line: key: message`` each.
    """
    path = Path(path)
    issues = IssueList(str(path))
    root = compose_file(path, issues)
    if root is not None and not is_mapping(root):
        issues.add(
            line_of(root), "", "a checks file must be a mapping with 'description' and 'checks'"
        )
        root = None
    if root is None:
        raise ChecksError(issues)
    found = {}
    for k, knode, vnode in mapping_items(root, issues, ""):
        if k not in TOP_KEYS:
            issues.add(
                line_of(knode),
                k,
                f"unknown top-level key (allowed: {', '.join(TOP_KEYS)})",
                closest(k, TOP_KEYS),
            )
            continue
        found[k] = vnode
    desc = string(found["description"]) if "description" in found else None
    if desc is None:
        issues.add(
            line_of(found["description"]) if "description" in found else 1,
            "description",
            "missing or empty (a one-line description)",
        )
    checks = []
    cnode = found.get("checks")
    if cnode is None or not is_sequence(cnode) or not cnode.value:
        issues.add(
            line_of(cnode) if cnode is not None else 1,
            "checks",
            "expected a non-empty list of checks",
        )
    else:
        checks = [parse_check(n, i, issues) for i, n in enumerate(cnode.value)]
        names = [c.name for c in checks if c]
        for c in checks:
            if c and names.count(c.name) > 1:
                issues.add(c.line, f"checks[{c.name}]", "duplicate check name")
    if model is not None and not issues:
        checks = [validate_check(c, model, issues, scenario_dir or path.parent) for c in checks]
    if issues:
        raise ChecksError(issues)
    return ChecksFile(path=path, description=desc, checks=checks)


def scenario_path(ref: str, folder) -> Path:
    """A scenario named in a checks file: a path (``.yaml``, relative to ``folder``) or a
    name looked up in ``folder``."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or len(p.parts) > 1:
        return p if p.is_absolute() else Path(folder) / p
    return Path(folder) / f"{ref}.yaml"


def validate_check(check: Check, model, issues: IssueList, scenario_dir) -> Check:
    """Names against the model: constants, variables, elements, scenario file."""
    key = f"checks[{check.name}]"
    if check.scenario and not scenario_path(check.scenario, scenario_dir).is_file():
        names = sorted(p.stem for p in Path(scenario_dir).glob("*.yaml"))
        issues.add(
            check.line,
            f"{key}.scenario",
            f"scenario '{check.scenario}' not found in {scenario_dir}",
            closest(check.scenario, names),
        )
    check_overrides(list(check.overrides), model, _Prefixed(issues, key))
    if check.matrix:
        for name in check.matrix.constants + check.matrix.exclude:
            if name not in model.constants:
                issues.add(
                    check.line,
                    f"{key}.matrix",
                    f"unknown model constant '{name}'",
                    closest(name, model.constants),
                )
    for e in check.expect:
        refs = [a for a in e.args if isinstance(a, Ref)]
        _check_names(e.variables, e.element, model, e.line, f"{e.key}.variable", issues)
        for r in refs:
            if r.variables:
                if _check_names(
                    r.variables, r.element, model, e.line, f"{e.key}.{e.predicate}", issues
                ):
                    _check_dims(e, r, model, issues)
            elif r.element:
                _check_names(
                    e.variables, r.element, model, e.line, f"{e.key}.{e.predicate}", issues
                )
    return check


def _free_dims(names, element, model) -> set:
    """Subscript ranges left after selecting ``element`` (union over ``names``)."""
    picked = [e.strip() for e in (element or "").split(",") if e.strip()]
    return {
        d
        for n in names
        for d in model.variables[n].dims
        if not any(p in model.dims[d] for p in picked)
    }


def _check_dims(e, ref, model, issues) -> None:
    """A reference variable may not have subscripts the checked variable lacks."""
    if e.variables[0] not in model.variables:
        return
    extra = _free_dims(ref.variables, ref.element, model) - _free_dims(
        e.variables, e.element, model
    )
    if extra:
        issues.add(
            e.line,
            f"{e.key}.{e.predicate}",
            f"'{' + '.join(ref.variables)}' has "
            f"subscripts ({', '.join(sorted(extra))}) that '{' + '.join(e.variables)}' "
            f"has not; select an element",
        )


def _check_names(names, element, model, line, key, issues) -> bool:
    kinds = {n: v.kind for n, v in model.variables.items()}
    for n in names:
        if n not in kinds or kinds[n] == "lookup":
            valid = [k for k, v in kinds.items() if v != "lookup"]
            issues.add(line, key, f"unknown model variable '{n}'", closest(n, valid))
            return False
    if element is None:
        return True
    for n in names:
        dims = model.variables[n].dims
        valid = [e for d in dims for e in model.dims[d]]
        for el in (e.strip() for e in element.split(",")):
            if el not in valid:
                issues.add(
                    line,
                    key,
                    f"'{el}' is not a subscript element of '{n}'"
                    + (f" (valid: {', '.join(valid)})" if valid else " (it is not subscripted)"),
                    closest(el, valid),
                )
                return False
    return True
