"""Read a Vensim ``.mdl`` with PySD's translator and collect model structure.

We never write a second parser: PySD's Vensim translator produces the
abstract model, and PySD's own namespace and subscript managers give the
Python identifiers and subscript ranges exactly as PySD would.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import EngineError, UnsupportedFeatureError

CONTROL_NAMES = ("INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER")


@dataclass
class ParsedElement:
    """One model element (a Vensim variable) with PySD's metadata."""

    name: str
    py_name: str
    dims: tuple
    components: list
    units: str | None
    limits: tuple
    doc: str
    line: int | None
    control: bool = False
    kind: str = "aux"


@dataclass
class ParsedModel:
    """Everything the compiler needs from PySD's abstract model."""

    path: str
    model_hash: str
    text: str
    elements: dict = field(default_factory=dict)  # py_name -> ParsedElement
    by_name: dict = field(default_factory=dict)  # Vensim name -> py_name
    clean: dict = field(default_factory=dict)  # PySD cleanspace -> py_name
    dims: dict = field(default_factory=dict)  # range -> tuple(elements)
    subranges: dict = field(default_factory=dict)
    mapping: dict = field(default_factory=dict)  # range -> mapped ranges
    subscripts: object = None  # PySD SubscriptManager

    def line_of(self, py_name):
        el = self.elements.get(py_name)
        return el.line if el else None


def file_hash(path) -> str:
    """Return the sha256 hex digest of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _norm(name: str) -> str:
    return re.sub(r"[\s_]+", " ", name.strip().strip('"')).lower()


def definition_lines(text: str) -> dict:
    """Map normalized variable names to the 1-based line where they are defined.

    A Vensim equation starts at the beginning of the file or after the ``|``
    that ends the previous equation; the name runs up to ``=``, ``[``, ``(``
    or ``:``.
    """
    lines = {}
    starts = [0] + [m.end() for m in re.finditer(r"\|", text)]
    for start in starts:
        chunk = text[start : start + 400]
        m = re.match(r"(?:\s*\{[^}]*\})?\s*(\"(?:[^\"\\]|\\.)*\"|[^=\[\(:~|\"]+)", chunk)
        if not m:
            continue
        name = _norm(m.group(1))
        if not name or name.startswith("*") or name.startswith("{"):
            continue
        off = start + (len(chunk[: m.start(1)]))
        line = text.count("\n", 0, off) + text.count("\r", 0, off) - text.count("\r\n", 0, off) + 1
        lines.setdefault(name, line)
    return lines


def _is_number(ast) -> bool:
    return isinstance(ast, (int, float, np.ndarray)) and not isinstance(ast, bool)


def _classify(components) -> str:
    from pysd.translators.structures import abstract_expressions as ae

    if any(type(c).__name__ == "AbstractLookup" or c.type == "Lookup" for c in components):
        return "lookup"
    if any(isinstance(c.ast, ae.IntegStructure) for c in components):
        return "stock"
    if all(_is_number(c.ast) for c in components):
        return "constant"
    return "aux"


def _references(ast, out):
    from pysd.translators.structures import abstract_expressions as ae

    if isinstance(ast, ae.ReferenceStructure):
        out.add(ast.reference)
        return
    if isinstance(ast, ae.AbstractSyntax):
        for value in vars(ast).values():
            _references(value, out)
    elif isinstance(ast, (list, tuple)):
        for value in ast:
            _references(value, out)


def decode_text(raw: bytes):
    """``(text, encoding)`` of a Vensim file: UTF-8 when valid, else Windows-1252.

    Vensim writes models and exported outputs in the Windows code page unless the
    model starts with ``{UTF-8}``; PySD decodes as UTF-8 and silently drops the
    bytes it cannot read (``Café`` becomes ``Caf``), so the encoding is decided
    here, from the bytes, for both.
    """
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "cp1252"


def parse_model(path) -> ParsedModel:
    """Parse a Vensim model with PySD's translator.

    Parameters
    ----------
    path : str or Path
        The ``.mdl`` file.

    Returns
    -------
    ParsedModel
    """
    from pysd.translators.vensim.vensim_file import VensimFile
    from pysd.builders.python.python_model_builder import SectionBuilder

    path = Path(path)
    if not path.is_file():
        raise EngineError(f"model file not found: {path}")
    if path.suffix.lower() != ".mdl":
        raise EngineError(f"not a Vensim .mdl file: {path}")
    raw = path.read_bytes()
    text, encoding = decode_text(raw)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vf = VensimFile(path, encoding=encoding)
            vf.parse()
            am = vf.get_abstract_model()
    except Exception as exc:  # PySD's parser errors are not user friendly
        raise EngineError(f"{path}: PySD could not parse the model: {exc}") from exc

    main = am.sections[0]
    if len(am.sections) > 1:
        macro = am.sections[1]
        raise UnsupportedFeatureError(
            macro.name, "MACRO", str(path), definition_lines(text).get(_norm(macro.name))
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sb = SectionBuilder(main)
    except Exception as exc:  # PySD's subscript/namespace errors
        raise EngineError(f"{path}: PySD could not build the model: {exc}") from exc
    lines = definition_lines(text)
    pm = ParsedModel(path=str(path), model_hash=hashlib.sha256(raw).hexdigest(), text=text)
    sm = sb.subscripts
    pm.subscripts = sm
    pm.dims = {k: tuple(v) for k, v in sm.subscripts.items()}
    pm.subranges = dict(sm.subranges)
    pm.mapping = {k: list(v) for k, v in sm.mapping.items()}
    for el_builder, element in zip(sb.elements, main.elements):
        sb.namespace.add_to_namespace(element.name)
        py_name = sb.namespace.namespace[element.name]
        units = element.units or None
        limits = tuple(element.limits) if element.limits else (None, None)
        limits = tuple(
            None if (v is None or (isinstance(v, float) and np.isnan(v))) else float(v)
            for v in limits
        )
        pe = ParsedElement(
            name=element.name,
            py_name=py_name,
            dims=tuple(el_builder.subscripts),
            components=list(element.components),
            units=units,
            limits=limits,
            doc=(element.documentation or "").strip(),
            line=lines.get(_norm(element.name)),
            control=element.name.upper() in CONTROL_NAMES,
        )
        pe.kind = _classify(pe.components)
        pm.elements[py_name] = pe
        pm.by_name[element.name] = py_name
    pm.clean = dict(sb.namespace.cleanspace)
    # flows: auxiliaries referenced directly by a stock's rate expression
    from pysd.translators.structures import abstract_expressions as ae

    flows = set()
    for pe in pm.elements.values():
        for c in pe.components:
            if isinstance(c.ast, ae.IntegStructure):
                _references(c.ast.flow, flows)
    for ref in flows:
        py = pm.clean.get(ref, ref)
        if py in pm.elements and pm.elements[py].kind == "aux":
            pm.elements[py].kind = "flow"
    return pm


def component_index(pm: ParsedModel, dims: tuple, subs: list, excepts: list):
    """Positions that one component of an element defines.

    Parameters
    ----------
    pm : ParsedModel
    dims : tuple
        The element's final dimensions (range names).
    subs : list
        The component's subscripts (range names, subranges or elements).
    excepts : list of list
        The component's :EXCEPT: subscript lists.

    Returns
    -------
    index : list of np.ndarray
        One integer index array per dimension (positions in ``dims``).
    mask : np.ndarray of bool or None
        Over the block ``index`` defines, False where an EXCEPT removes it.
    """
    sm = pm.subscripts
    coords = sm.make_coord_dict(list(subs))
    index = []
    for dim, (cdim, elems) in zip(dims, coords.items()):
        full = pm.dims[dim]
        index.append(np.array([full.index(e) for e in elems], dtype=np.intp))
    if not excepts:
        return index, None
    shape = tuple(len(i) for i in index)
    mask = np.ones(shape, dtype=bool)
    cdims = list(coords.items())
    for exc in excepts:
        ecoords = sm.make_coord_dict(list(exc))
        sel = []
        for (cdim, elems), (edim, eelems) in zip(cdims, ecoords.items()):
            sel.append(np.array([e in eelems for e in elems]))
        mask[np.ix_(*sel)] = False
    return index, mask
