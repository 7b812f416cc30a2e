"""A compiled kernel's machine-code entry point for one set of argument types, for the per-tick path.

Calling a numba dispatcher works out each argument's numba type and looks up the compiled version
for them (about 0.4 us for a call of some fifteen arguments). A node that calls the same kernel
every tick with arguments of the same types (its own arrays, allocated once, and Python numbers)
takes the entry point of that version once, in ``start``, and calls it directly: the same machine
code, the arguments converted as the dispatcher converts them, without the look-up.

The entry point does not check the types it is given: an array of another dtype, number of
dimensions or layout than the one it was taken for is read as if it were one. A caller passes arrays
made by the same code every time (the same dtype and shape rank; C-contiguous) and keeps the
dispatcher for anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def entry_point(kernel: Any, *args: Any) -> Callable[..., Any]:
    """The entry point of numba dispatcher ``kernel`` compiled for the types of ``args`` (loaded or
    compiled now when it has no such version; nothing is run). A kernel that is not a numba
    dispatcher (a plain Python function) is returned as it is."""
    typeof = getattr(kernel, "typeof_pyval", None)
    if typeof is None:
        return kernel
    sig = tuple(typeof(a) for a in args)
    found = kernel.overloads.get(sig)
    if found is None:
        kernel.compile(sig)
        found = kernel.overloads[sig]
    return found.entry_point


__all__ = ["entry_point"]
