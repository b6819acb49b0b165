"""glibc's vector math (libmvec) inside numba kernels: eight lanes per call.

``vexp(x, out)``, ``vlog(x, out)``, ``vpow(x, y, out)`` compute eight results
from eight inputs (1-D float64 views of length 8). On a CPU with AVX-512F that
is one call of ``_ZGVeN8v_exp`` / ``_ZGVeN8v_log`` / ``_ZGVeN8vv_pow``
(``<8 x double>``); on a CPU with AVX2 and FMA (libmvec's AVX2 variants use
FMA) it is two calls of ``_ZGVdN4v_exp`` / ``_ZGVdN4v_log`` / ``_ZGVdN4vv_pow``
on the two ``<4 x double>`` halves. Results within a few ulp of the scalar C
library. :func:`isa` says which variant this machine uses (``None``: libmvec
is not usable here), :func:`available` whether there is one.
"""

from __future__ import annotations

import functools

LIBMVEC = "libmvec.so.1"
# ISA -> (lanes per call, CPU features it needs, symbols); preferred first
VARIANTS = {
    "avx512": (
        8,
        ("avx512f",),
        {"exp": "_ZGVeN8v_exp", "log": "_ZGVeN8v_log", "pow": "_ZGVeN8vv_pow"},
    ),
    "avx2": (
        4,
        ("avx2", "fma"),
        {"exp": "_ZGVdN4v_exp", "log": "_ZGVdN4v_log", "pow": "_ZGVdN4vv_pow"},
    ),
}
LANES = 8


@functools.lru_cache(maxsize=None)
def isa() -> str | None:
    """``"avx512"`` or ``"avx2"``: the libmvec variant callable on this CPU; ``None``
    when neither is (no such CPU features, or no glibc libmvec)."""
    try:
        import llvmlite.binding as llb

        # a FeatureMap {name: bool}: its flatten() text lists "-avx512f" for a CPU *without*
        # it, so a substring test would say yes on every x86 CPU (SIGILL on AMD Zen 3)
        features = llb.get_host_cpu_features()
        for name, (_, needs, symbols) in VARIANTS.items():
            if all(features.get(f, False) for f in needs):
                llb.load_library_permanently(LIBMVEC)
                if all(llb.address_of_symbol(s) for s in symbols.values()):
                    return name
    except Exception:  # no glibc libmvec (musl, macOS, Windows) or no llvmlite
        return None
    return None


def available() -> bool:
    """True when libmvec's vector functions can be called on this machine."""
    return isa() is not None


def _make(name, arity, variant):
    from llvmlite import ir as lir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    width, _, symbols = VARIANTS[variant]

    def typer(typingctx, *arrays):
        sig = types.void(*arrays)

        def codegen(context, builder, signature, args):
            vec = lir.VectorType(lir.DoubleType(), width)
            fn = cgutils.get_or_insert_function(
                builder.module, lir.FunctionType(vec, [vec] * arity), symbols[name]
            )
            data = [
                context.make_array(ty)(context, builder, a).data
                for ty, a in zip(signature.args, args)
            ]
            for k in range(0, LANES, width):  # one call per <width x double> chunk
                ptrs = [
                    builder.bitcast(cgutils.gep(builder, d, k) if k else d, vec.as_pointer())
                    for d in data
                ]
                out = builder.call(fn, [builder.load(p, align=8) for p in ptrs[:arity]])
                builder.store(out, ptrs[arity], align=8)
            return context.get_dummy_value()

        return sig, codegen

    if arity == 1:

        def one(typingctx, x, out):
            return typer(typingctx, x, out)

        return intrinsic(one)

    def two(typingctx, x, y, out):
        return typer(typingctx, x, y, out)

    return intrinsic(two)


if isa() is not None:
    vexp = _make("exp", 1, isa())
    vlog = _make("log", 1, isa())
    vpow = _make("pow", 2, isa())
