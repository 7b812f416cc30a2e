"""Borrowed array views for kernels: a slice of a 1-D buffer as a C-contiguous 1-D or 2-D array,
made with a few loads and stores.

A view made by slicing and ``reshape`` inside a kernel checks its shape and holds a reference to the
buffer (about 40 ns each); these hold none, as ``numba.carray`` views do. They are of the same numba
types as the sliced and reshaped ones, so code compiled on them is the same. A kernel may use them
while the buffer it was given lives (its whole call) and must never return one to Python or keep it;
nor do they check bounds: the caller's layout must fit in the buffer.
"""

from __future__ import annotations

from numba import types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.np.arrayobj import make_array, populate_array


def _fits(buf: types.Type, *sizes: types.Type) -> bool:
    """A C-contiguous 1-D array and integer offset and sizes (else the view is not typed)."""
    return (
        isinstance(buf, types.Array)
        and buf.ndim == 1
        and buf.layout == "C"
        and all(isinstance(t, types.Integer) for t in sizes)
    )


def _view_codegen(ndim: int):
    """Code of a borrowed C-contiguous ``ndim``-D view (shape from the call's trailing arguments)."""

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        buf = args[0]
        sizes = zip(args[1:], sig.args[1:], strict=True)
        offset, *shape = (context.cast(builder, a, t, types.intp) for a, t in sizes)
        src = make_array(sig.args[0])(context, builder, buf)
        view = make_array(sig.return_type)(context, builder)
        itemsize = context.get_constant(types.intp, sig.args[0].dtype.bitwidth // 8)
        strides = [itemsize] if ndim == 1 else [builder.mul(shape[1], itemsize), itemsize]
        populate_array(
            view,
            data=builder.gep(src.data, [offset]),
            shape=cgutils.pack_array(builder, shape),
            strides=cgutils.pack_array(builder, strides),
            itemsize=itemsize,
            meminfo=None,
            parent=None,
        )
        return view._getvalue()

    return codegen


@intrinsic
def view1(typingctx, buf, offset, rows):  # type: ignore[no-untyped-def]
    """``buf[offset : offset + rows]`` of a C-contiguous 1-D array, borrowed (inside a kernel only;
    no bounds check: the caller's layout must fit in ``buf``)."""
    if not _fits(buf, offset, rows):
        return None
    return types.Array(buf.dtype, 1, "C")(buf, offset, rows), _view_codegen(1)


@intrinsic
def view2(typingctx, buf, offset, rows, cols):  # type: ignore[no-untyped-def]
    """``buf[offset : offset + rows * cols].reshape((rows, cols))`` of a C-contiguous 1-D array,
    borrowed (inside a kernel only; no bounds check: the caller's layout must fit in ``buf``)."""
    if not _fits(buf, offset, rows, cols):
        return None
    return types.Array(buf.dtype, 2, "C")(buf, offset, rows, cols), _view_codegen(2)
