"""glibc's vector math (libmvec) inside numba kernels, through LLVM's loop vectorizer.

``lexp(x)``, ``llog(x)``, ``lpow(x, y)`` (the kernels' calls) are scalar calls (one run's value) that
tell LLVM's loop vectorizer which libmvec function computes four of them at once
(the ``vector-function-abi-variant`` attribute of the call): in the lock-step
kernel's ``for l in range(8)`` loops, LLVM then calls ``_ZGVdN4v_exp`` /
``_ZGVdN4v_log`` / ``_ZGVdN4vv_pow`` (AVX2 + FMA, ``<4 x double>``) twice per eight
runs, with the loop's other statements vectorized around them. Where a call is
not vectorized, its scalar body runs the same 4-lane function on a broadcast and
keeps lane 0, so a value never depends on whether LLVM vectorized its loop:
results within a few ulp of the scalar C library, the same on every x86-64 CPU
with AVX2 (AVX-512 ones included). :func:`isa` says whether this machine can
run them (``"avx2"``, or ``None``: no such CPU features, or no glibc libmvec).

The calls are intrinsics: numba types and lowers them without compiling a
function, so they cost the kernel's compile next to nothing.
"""

from __future__ import annotations

import functools

LIBMVEC = "libmvec.so.1"
# ISA -> (lanes per call, CPU features it needs, symbols)
VARIANTS = {
    "avx2": (
        4,
        ("avx2", "fma"),
        {"exp": "_ZGVdN4v_exp", "log": "_ZGVdN4v_log", "pow": "_ZGVdN4vv_pow"},
    )
}
LANES = 8  # runs per lock-step group: two 4-lane calls


@functools.lru_cache(maxsize=None)
def isa() -> str | None:
    """``"avx2"``: the libmvec variant callable on this CPU; ``None`` when it is not
    (no such CPU features, or no glibc libmvec)."""
    try:
        import llvmlite.binding as llb

        # a FeatureMap {name: bool}: its flatten() text lists "-avx2" for a CPU *without*
        # it, so a substring test would say yes on every x86 CPU (SIGILL)
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


def _scalar_body(module, name, arity, width, symbol):
    """``double aigap.lane.<name>(double...)``: the vector function on the value in every
    lane (a special value in an undefined lane would take libmvec's slow path), lane 0.

    ``noinline`` so that the call stays a call until the loop vectorizer replaces it."""
    from llvmlite import ir as lir
    from numba.core import cgutils

    fname = f"aigap.lane.{name}"
    if fname in module.globals:
        return module.globals[fname]
    d = lir.DoubleType()
    vec = lir.VectorType(d, width)
    fn = lir.Function(module, lir.FunctionType(d, [d] * arity), fname)
    fn.linkage = "linkonce_odr"
    fn.attributes.add("noinline")
    vfn = cgutils.get_or_insert_function(module, lir.FunctionType(vec, [vec] * arity), symbol)
    b = lir.IRBuilder(fn.append_basic_block())
    zero = lir.Constant(lir.IntType(32), 0)
    splat = lir.Constant(lir.VectorType(lir.IntType(32), width), [0] * width)
    undef = lir.Constant(vec, lir.Undefined)
    args = [b.shuffle_vector(b.insert_element(undef, a, zero), undef, splat) for a in fn.args]
    b.ret(b.extract_element(b.call(vfn, args), zero))
    return fn


def _variant_attribute(text):
    """A call-site attribute set holding the string attribute ``text`` (llvmlite only
    knows the keyword attributes)."""
    from llvmlite.ir.instructions import CallInstrAttributes

    class VariantAttributes(CallInstrAttributes):
        _known = CallInstrAttributes._known | {text}

    return VariantAttributes([text])


def _make(name, arity, variant):
    from numba import types
    from numba.extending import intrinsic

    width, _, symbols = VARIANTS[variant]
    symbol = symbols[name]
    mapping = f'"vector-function-abi-variant"="_ZGV_LLVM_N{width}{"v" * arity}_aigap.lane.{name}({symbol})"'

    def typer(typingctx, *args):
        sig = types.float64(*([types.float64] * arity))

        def codegen(context, builder, signature, values):
            fn = _scalar_body(builder.module, name, arity, width, symbol)
            call = builder.call(fn, list(values))
            call.attributes = _variant_attribute(mapping)
            return call

        return sig, codegen

    if arity == 1:

        def one(typingctx, x):
            return typer(typingctx, x)

        return intrinsic(one)

    def two(typingctx, x, y):
        return typer(typingctx, x, y)

    return intrinsic(two)


if isa() is not None:
    lexp = _make("exp", 1, isa())
    llog = _make("log", 1, isa())
    lpow = _make("pow", 2, isa())


def _make_rows(name, arity, variant):
    """``v<name>(V, row..., out)``: the function on rows of eight runs of a C-contiguous
    ``(rows, 8)`` array ``V``, two 4-lane calls per row: what a lane loop runs once
    LLVM has vectorized it (``benchmarks/bench_backends.py`` times the floor with it)."""
    from llvmlite import ir as lir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    from .shared import cell_address

    width, _, symbols = VARIANTS[variant]

    def typer(typingctx, V, *rows):
        sig = types.void(V, *rows)

        def codegen(context, builder, signature, args):
            vec = lir.VectorType(lir.DoubleType(), width)
            fn = cgutils.get_or_insert_function(
                builder.module, lir.FunctionType(vec, [vec] * arity), symbols[name]
            )
            rows = [
                context.cast(builder, r, t, types.int64)
                for r, t in zip(args[1:], signature.args[1:])
            ]
            for k in range(0, LANES, width):
                lane = lir.Constant(lir.IntType(64), k)
                ptrs = [
                    builder.bitcast(
                        cell_address(context, builder, signature.args[0], args[0], r, lane),
                        vec.as_pointer(),
                    )
                    for r in rows
                ]
                out = builder.call(fn, [builder.load(p, align=8) for p in ptrs[:arity]])
                builder.store(out, ptrs[arity], align=8)
            return context.get_dummy_value()

        return sig, codegen

    if arity == 1:

        def one(typingctx, V, x, out):
            return typer(typingctx, V, x, out)

        return intrinsic(one)

    def two(typingctx, V, x, y, out):
        return typer(typingctx, V, x, y, out)

    return intrinsic(two)


if isa() is not None:
    vexp = _make_rows("exp", 1, isa())
    vlog = _make_rows("log", 1, isa())
    vpow = _make_rows("pow", 2, isa())
