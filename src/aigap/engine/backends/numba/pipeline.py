"""numba's nopython pipeline without the passes the generated kernels never need.

A generated lock-step kernel is straight-line arithmetic in a few loops: no
closures, ``with`` blocks, literal unrolling, ``literally`` calls, dynamic
raises, array expressions or inlinable overloads, and no branch on a constant.
numba's default pipeline still runs a pass for each (and re-analyses the whole
function after most of them), which is a fifth of the Python work of compiling
the project model's kernel (counted calls: 12.8 million -> 10.5 million).
:class:`KernelPipeline` keeps what such code needs: bytecode to IR, SSA, type
inference, legalisation and lowering, in numba's order. The dropped passes
rewrite constructs the kernels do not contain, so the machine code is the
default pipeline's, instruction for instruction (checked on the project model's
Euler kernel, and by a test on a small model).
"""

from numba.core.compiler import CompilerBase
from numba.core.compiler_machinery import PassManager
from numba.core.typed_passes import (
    AnnotateTypes,
    IRLegalization,
    NativeLowering,
    NopythonTypeInference,
    NoPythonBackend,
    NoPythonSupportedFeatureValidation,
    PreLowerStripPhis,
)
from numba.core.untyped_passes import FixupArgs, IRProcessing, ReconstructSSA, TranslateByteCode

PASSES = (
    (TranslateByteCode, "analyzing bytecode"),
    (FixupArgs, "fix up args"),
    (IRProcessing, "processing IR"),
    (ReconstructSSA, "ssa"),
    (NopythonTypeInference, "nopython frontend"),
    (PreLowerStripPhis, "remove phis nodes"),
    (NoPythonSupportedFeatureValidation, "ensure features that are in use are in a valid form"),
    (IRLegalization, "ensure IR is legal prior to lowering"),
    (AnnotateTypes, "annotate types"),
    (NativeLowering, "native lowering"),
    (NoPythonBackend, "nopython mode backend"),
)


class KernelPipeline(CompilerBase):
    """The compiler of the generated kernels (``@njit(pipeline_class=KernelPipeline)``)."""

    def define_pipelines(self):
        """One nopython pipeline of :data:`PASSES` (no object-mode fallback: none exists
        for ``njit``)."""
        pm = PassManager("aigap_kernel")
        for cls, what in PASSES:
            pm.add_pass(cls, what)
        pm.finalize()
        return [pm]
