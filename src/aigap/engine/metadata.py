"""Model metadata: constants, variables and control values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import EngineError
from .parse import ParsedModel, component_index


@dataclass(frozen=True)
class ConstantInfo:
    """An overridable model constant.

    Attributes
    ----------
    name, py_name : str
        Vensim name and PySD's Python identifier.
    dims : tuple of str
        Subscript range names.
    default : np.ndarray
        Default value, shape ``dims`` (``()`` for a scalar).
    units : str or None
    limits : tuple
        ``(lo, hi)`` from the Vensim ``[min, max]`` range; ``None`` where not given.
    doc : str
    line : int or None
        Line of the definition in the model file.
    """

    name: str
    py_name: str
    dims: tuple
    default: np.ndarray
    units: str | None
    limits: tuple
    doc: str
    line: int | None = None


@dataclass(frozen=True)
class VariableInfo:
    """A model variable (every element but the control variables).

    ``kind`` is one of ``"stock"``, ``"flow"``, ``"aux"``, ``"constant"``, ``"lookup"``.
    """

    name: str
    py_name: str
    dims: tuple
    units: str | None
    limits: tuple
    doc: str
    kind: str
    line: int | None = None


def pysd_array(values) -> np.ndarray:
    """Array literal as PySD's generated code holds it.

    PySD writes array literals (subscripted constants, lookup tables) with
    ``np.array2string`` (8 significant digits), so we round the same way to
    get identical numbers.
    """
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0:
        return arr
    text = np.array2string(arr, separator=",", threshold=arr.size + 1)
    flat = [float(v) for v in text.replace("[", " ").replace("]", " ").split(",") if v.strip()]
    return np.array(flat, dtype=float).reshape(arr.shape)


def component_block(value: np.ndarray, shape: tuple) -> np.ndarray:
    """An array literal of one component as the block of ``shape`` it defines.

    A list fills the block in order, as PySD reshapes it (``m[A, dim] = 1, 10``
    is one row: shape ``(1, 2)``); a single number fills every position.
    """
    if value.size == int(np.prod(shape)):
        return value.reshape(shape)
    if value.ndim < len(shape):
        value = value.reshape(value.shape + (1,) * (len(shape) - value.ndim))
    return np.broadcast_to(value, shape)


def constant_default(pm: ParsedModel, el) -> np.ndarray:
    """Assemble the default value of a constant from its (numeric) components.

    An element no component defines is 0, as in Vensim (PySD gives NaN there).
    """
    shape = tuple(len(pm.dims[d]) for d in el.dims)
    out = np.zeros(shape)
    for comp in el.components:
        subs, excepts = comp.subscripts
        value = pysd_array(comp.ast)
        if not el.dims:
            out = value.reshape(())
            continue
        index, mask = component_index(pm, el.dims, subs, excepts)
        block = component_block(value, tuple(len(i) for i in index))
        view = out[np.ix_(*index)]
        if mask is None:
            view = block.copy()
        else:
            view = np.where(mask, block, view)
        out[np.ix_(*index)] = view
    return out


def _eval_control(pm: ParsedModel, py_name: str, seen=()):
    """Evaluate a control variable (a number, or arithmetic of control variables)."""
    from pysd.translators.structures import abstract_expressions as ae

    el = pm.elements[py_name]
    if py_name in seen:
        raise EngineError(f"{pm.path}: circular definition of '{el.name}'")

    def ev(ast):
        if isinstance(ast, (int, float)):
            return float(ast)
        if isinstance(ast, ae.ReferenceStructure):
            ref = pm.clean.get(ast.reference, ast.reference)
            if ref not in pm.elements:
                raise EngineError(f"{pm.path}: unknown reference in '{el.name}'")
            return _eval_control(pm, ref, seen + (py_name,))
        if isinstance(ast, ae.ArithmeticStructure):
            vals = [ev(a) for a in ast.arguments]
            if len(vals) == 1 and ast.operators == ["negative"]:
                return -vals[0]
            acc = vals[0]
            for op, v in zip(ast.operators, vals[1:]):
                acc = {
                    "+": acc + v,
                    "-": acc - v,
                    "*": acc * v,
                    "/": acc / v if v else np.nan,
                    "^": acc**v,
                }[op]
            return acc
        raise EngineError(
            f"{pm.path}:{el.line}: control variable '{el.name}' must be a constant expression"
        )

    return ev(el.components[0].ast)


def control_values(pm: ParsedModel) -> dict:
    """INITIAL TIME, FINAL TIME, TIME STEP, SAVEPER as floats (SAVEPER defaults to TIME STEP)."""
    out = {}
    keys = {
        "INITIAL TIME": "initial_time",
        "FINAL TIME": "final_time",
        "TIME STEP": "time_step",
        "SAVEPER": "saveper",
    }
    for py, el in pm.elements.items():
        if el.control:
            out[keys[el.name.upper()]] = float(_eval_control(pm, py))
    for k in ("initial_time", "final_time", "time_step"):
        if k not in out:
            raise EngineError(f"{pm.path}: the model does not define {k.upper().replace('_', ' ')}")
    out.setdefault("saveper", out["time_step"])
    return out


def build_metadata(pm: ParsedModel):
    """Return ``(constants, variables)`` dictionaries keyed by Vensim name."""
    constants, variables = {}, {}
    for py, el in pm.elements.items():
        if el.control:
            continue
        variables[el.name] = VariableInfo(
            name=el.name,
            py_name=py,
            dims=el.dims,
            units=el.units,
            limits=el.limits,
            doc=el.doc,
            kind=el.kind,
            line=el.line,
        )
        if el.kind == "constant":
            constants[el.name] = ConstantInfo(
                name=el.name,
                py_name=py,
                dims=el.dims,
                default=constant_default(pm, el),
                units=el.units,
                limits=el.limits,
                doc=el.doc,
                line=el.line,
            )
    return constants, variables
