"""Keep the heap: large buffers reused without page faults.

A camera frame (640x360 BGR is 691 KB) is copied several times on its way through the bus:
``tobytes``, msgpack, the topic prefix, ZeroMQ. glibc serves allocations above its mmap threshold
from fresh ``mmap`` pages and returns them on ``free``, so every such copy faults its pages in
again: about 0.3 ms per 691 KB copy on the build machine, ten times the copy itself (encoding an
inference request measured 0.72 ms with the default allocator, 0.07 ms with the heap kept). With
``M_MMAP_MAX`` 0 and a high ``M_TRIM_THRESHOLD`` the freed blocks stay in the heap and the next
frame reuses them, already mapped. This is the usual allocator setting for real-time Linux
processes (with ``mlockall``, which it complements); the cost is that a process keeps its peak
heap until it exits. dil's command line applies it at start (``dil ...``); glibc only, elsewhere
nothing changes and the reason is returned.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
TRIM_THRESHOLD = 1 << 30
"""Free heap at the top kept before any is returned to the system [bytes]."""


def keep_heap() -> str | None:
    """Apply the allocator settings; None when applied, else why not."""
    name = ctypes.util.find_library("c")
    if name is None:
        return "no C library found"
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return f"{name} has no mallopt (not glibc)"
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    if mallopt(M_MMAP_MAX, 0) != 1 or mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) != 1:
        return "mallopt refused the settings"
    return None
