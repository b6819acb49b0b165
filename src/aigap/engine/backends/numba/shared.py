"""Helper functions every generated numba kernel calls, compiled once per machine.

Scalar versions of what the numpy backend calls: comparisons as 0.0/1.0,
IF THEN ELSE, NaN-propagating MIN/MAX, ``numpy.interp`` branch for branch for
lookups, time-series interpolation, and the small per-run array updates of
delay/smooth chains. Vensim functions (STEP, ZIDZ...) are not here: they are
lowered to primitives once, in :mod:`aigap.engine.lowering`.

They live in this one module (``cache=True``: numba keeps their machine code
beside it, or in ``NUMBA_CACHE_DIR``), not in each generated kernel module, so a
new kernel compiles only its own body; LLVM still inlines them into the kernel.
The one-line helpers (comparisons as numbers, IF THEN ELSE, MIN, MAX) and the
lock-step kernel's cell access (``_ld``/``_st``) are intrinsics: LLVM instructions
written at the call (``select``, ``fcmp``, a load at a fixed offset), the same
results as the Python they replace (tested with NaN, signed zeros and infinities),
at a fraction of numba's cost to type and lower a call of a compiled function.
Imported by the generated modules only (it imports numba).
"""

import numpy as np
from llvmlite import ir as lir
from numba import njit, types
from numba.extending import intrinsic

_ZERO = lir.Constant(lir.DoubleType(), 0.0)


def cell_address(context, builder, aty, V, row, lane):
    """LLVM address of ``V[row, lane]`` in a C-contiguous ``(rows, 8)`` array ``V`` of
    numba type ``aty`` (``row``, ``lane``: int64 values), without numba's indexing."""
    data = builder.extract_value(V, context.data_model_manager[aty].get_field_position("data"))
    at = builder.add(builder.mul(row, lir.Constant(lir.IntType(64), 8)), lane)
    return builder.gep(data, [at], inbounds=True)


def _address(context, builder, signature, args):
    # address of the cell (V, row, lane) of an _ld/_st call
    row, lane = (
        context.cast(builder, v, t, types.int64) for v, t in zip(args[1:3], signature.args[1:3])
    )
    return cell_address(context, builder, signature.args[0], args[0], row, lane)


@intrinsic
def _f(typingctx, c):
    # a comparison as a number (numpy's booleans are 0/1 in arithmetic): 1.0 or 0.0
    def codegen(context, builder, signature, args):
        return builder.uitofp(args[0], lir.DoubleType())

    return types.float64(types.boolean), codegen


@intrinsic
def _ite(typingctx, c, a, b):
    # IF THEN ELSE: both sides are evaluated (as numpy.where does); NaN counts as true
    def codegen(context, builder, signature, args):
        c, a, b = args
        return builder.select(builder.fcmp_unordered("!=", c, _ZERO), a, b)

    return types.float64(types.float64, types.float64, types.float64), codegen


def _select(keep_a):
    # a if (a <op> b or a != a) else b: NaN-propagating MIN/MAX, numpy's operand order
    def codegen(context, builder, signature, args):
        a, b = args
        nan = builder.fcmp_unordered("uno", a, a)
        return builder.select(builder.or_(builder.fcmp_ordered(keep_a, a, b), nan), a, b)

    return types.float64(types.float64, types.float64), codegen


@intrinsic
def _fmin(typingctx, a, b):
    return _select("<=")


@intrinsic
def _fmax(typingctx, a, b):
    return _select(">=")


@intrinsic
def _ld(typingctx, V, row, lane):
    # V[row, lane] of the lock-step kernel's value array (row a literal, lane 0..7)
    def codegen(context, builder, signature, args):
        return builder.load(_address(context, builder, signature, args))

    return types.float64(V, row, lane), codegen


@intrinsic
def _st(typingctx, V, row, lane, x):
    # V[row, lane] = x
    def codegen(context, builder, signature, args):
        x = context.cast(builder, args[3], signature.args[3], types.float64)
        builder.store(x, _address(context, builder, signature, args))
        return context.get_dummy_value()

    return types.void(V, row, lane, x), codegen


@njit(cache=True, error_model="numpy")
def _seg(x, xp):
    lo = 0
    hi = xp.shape[0] - 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if xp[mid] <= x:
            lo = mid
        else:
            hi = mid
    return lo


@njit(cache=True, error_model="numpy")
def _lk_interp(x, xp, fp, sl):
    # numpy.interp, branch for branch (slopes precomputed with its formula)
    n = xp.shape[0]
    if x != x:
        return x
    if x < xp[0]:
        return fp[0]
    if x > xp[n - 1]:
        return fp[n - 1]
    if x == xp[n - 1]:
        return fp[n - 1]
    j = _seg(x, xp)
    if xp[j] == x:
        return fp[j]
    v = sl[j] * (x - xp[j]) + fp[j]
    if v != v:
        v = sl[j] * (x - xp[j + 1]) + fp[j + 1]
        if v != v and fp[j] == fp[j + 1]:
            v = fp[j]
    return v


@njit(cache=True, error_model="numpy")
def _lk_extrap(x, xp, fp, sl):
    n = xp.shape[0]
    if x > xp[n - 1]:
        return fp[n - 1] + sl[n - 2] * (x - xp[n - 1])
    if x < xp[0]:
        return fp[0] + sl[0] * (x - xp[0])
    return _lk_interp(x, xp, fp, sl)


@njit(cache=True, error_model="numpy")
def _lk_hold(x, xp, fp, sl):
    n = xp.shape[0]
    if x != x or x >= xp[n - 1]:
        return fp[n - 1]
    if x < xp[0]:
        return fp[0]
    return fp[_seg(x, xp)]


@njit(cache=True, error_model="numpy")
def _ts(t, TX, a, b, TV, r):
    # time-series parameter: linear between points, held beyond the ends
    if t <= TX[a]:
        return TV[r, a]
    if t >= TX[b - 1]:
        return TV[r, b - 1]
    j = a + _seg(t, TX[a:b])
    slope = (TV[r, j + 1] - TV[r, j]) / (TX[j + 1] - TX[j])
    return slope * (t - TX[j]) + TV[r, j]


@njit(cache=True, error_model="numpy")
def _order(v):
    # int(order) as numpy does; out-of-range values are checked (and reported) by the host
    if v == v and 1.0 <= v < 1e6:
        return int(v)
    return 1


@njit(cache=True, error_model="numpy")
def _smooth_d(D, S, inp, of, tm, n):
    D[0] = ((inp - S[0]) * of) / tm
    for q in range(1, n):
        D[q] = ((S[q - 1] - S[q]) * of) / tm


@njit(cache=True, error_model="numpy")
def _delay_d(D, S, inp, of, tm, n):
    D[0] = (inp - S[0] / tm) * of
    for q in range(1, n):
        D[q] = (S[q - 1] / tm - S[q] / tm) * of


@njit(cache=True, error_model="numpy")
def _delayn_d(D, S, TN, TM, inp, of, tm, n):
    TN[0] = tm
    for q in range(1, n):
        TN[q] = TM[q - 1]
    D[0] = (inp - S[0] / TN[0]) * of
    for q in range(1, n):
        D[q] = (S[q - 1] / TN[q - 1] - S[q] / TN[q]) * of


@njit(cache=True, error_model="numpy")
def _euler(S, D, dt, n):
    for q in range(n):
        S[q] = S[q] + D[q] * dt


@njit(cache=True, error_model="numpy")
def _half(Y, S, D, dt, n):
    for q in range(n):
        Y[q] = S[q] + D[q] * dt / 2


@njit(cache=True, error_model="numpy")
def _full(Y, S, D, dt, n):
    for q in range(n):
        Y[q] = S[q] + D[q] * dt


@njit(cache=True, error_model="numpy")
def _rk4(S, D, K2, K3, K4, dt, n):
    for q in range(n):
        S[q] = S[q] + dt / 6 * (D[q] + 2 * K2[q] + 2 * K3[q] + K4[q])


@njit(cache=True, error_model="numpy")
def _copy(A, B, n):
    for q in range(n):
        A[q] = B[q]


@njit(cache=True, error_model="numpy")
def _chain(n, value):
    A = np.empty(n)
    for q in range(n):
        A[q] = value
    return A


@njit(cache=True, error_model="numpy")
def _reduced_order(o, dt, d):
    # PySD shortens a delay whose time is below order * TIME STEP (never below 1 here)
    while o * dt > d and o > 1:
        o -= 1
    return o


@njit(cache=True, error_model="numpy")
def _pipe_len(d, dt):
    # round(max(d / dt, 1) + 1e-6), as the numpy backend; bad values reported by the host
    v = d / dt
    if v < 1.0:
        v = 1.0
    v = v + 1e-06
    if v == v and v < 1e9:
        return max(int(np.rint(v)), 1)
    return 1
