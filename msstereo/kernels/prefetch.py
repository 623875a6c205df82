"""A cache prefetch hint for kernels that read a large array out of order.

The search of the relaxation solver reads a few samples of each pixel's
costs at an offset that follows the disparity; the cost volume is far larger
than the caches and the offsets change from pixel to pixel, so the hardware
prefetcher can miss them and the pixel waits on memory. Asking for a pixel a
few ahead takes that wait off the critical path where it is the cost (the
gain is measured in ``docs/results.md``). A hint only: no value changes.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch"]


@intrinsic
def prefetch(typingctx, array, i, j, k):
    """Hint the caches to load ``array[i, j, k]`` (``llvm.prefetch``: read, keep in all levels).

    The index must lie inside the array (it is not checked).
    """
    signature = types.void(array, i, j, k)

    def codegen(context, builder, sig, args):
        array_type = sig.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        index = [context.cast(builder, value, kind, types.intp) for value, kind in zip(args[1:], sig.args[1:])]
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, index, wraparound=False)
        byte = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte, i32, i32, i32]), "llvm.prefetch.p0")
        # read (0), highest locality (3), data cache (1)
        builder.call(function, [builder.bitcast(pointer, byte), ir.Constant(i32, 0), ir.Constant(i32, 3),
                                ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return signature, codegen
