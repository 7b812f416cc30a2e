"""A road network's arrays packed into three, for kernels called every step.

A numba kernel's call checks and unpacks each array argument (about 60 ns each), so a kernel that
takes the network's nineteen arrays one by one spends about 1 us per call on its arguments alone.
:func:`pack` copies them once into one float buffer and one integer buffer, with a table of where
each lies; :func:`tables` and :func:`grid` give them back inside a kernel as views (no copy), the
same values in the same order and of the same numba types, so the arithmetic on them is unchanged.

The views are borrowed (:mod:`.views`): making the nineteen costs a few loads and stores, where the
``reshape`` of a slice and the reference count of each cost about 0.5 us per call. A kernel that
takes the buffers uses the views while it runs and never returns them; Python code reads the
packed form through :func:`unpack`, which copies.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .lookup import Grid
from .tables import Tables
from .views import view1, view2

LAYOUT = (
    ("f", 2), ("f", 2), ("i", 2), ("f", 1), ("f", 2), ("i", 2), ("i", 2), ("f", 2), ("i", 1),
    ("f", 2), ("i", 2), ("f", 2), ("i", 2), ("f", 2), ("i", 2),  # Tables
    ("f", 2), ("i", 1), ("i", 1), ("f", 1),  # Grid
)  # fmt: skip
"""Kind (f: float64, i: int64) and number of dimensions of each array of ``RoadNetwork.flat``."""


def pack(arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The float buffer, the integer buffer and the table (one row per array: offset in its buffer,
    rows, columns) of a network's ``flat`` arrays (see :data:`LAYOUT`)."""
    if len(arrays) != len(LAYOUT):
        raise ValueError(f"a road network has {len(LAYOUT)} flat arrays, not {len(arrays)}")
    floats: list[np.ndarray] = []
    ints: list[np.ndarray] = []
    where = np.zeros((len(arrays), 3), dtype=np.int64)
    sizes = {"f": 0, "i": 0}
    for k, (a, (kind, ndim)) in enumerate(zip(arrays, LAYOUT, strict=True)):
        if a.dtype.kind != kind or a.ndim != ndim or a.itemsize != 8:
            raise ValueError(f"road array {k}: {a.dtype} with {a.ndim} dimensions, expected {kind}8 {ndim}-D")
        where[k] = sizes[kind], a.shape[0], a.shape[1] if ndim == 2 else 1
        sizes[kind] += a.size
        (floats if kind == "f" else ints).append(a.ravel())
    fbuf = np.concatenate(floats).astype(np.float64) if floats else np.zeros(0)
    ibuf = np.concatenate(ints).astype(np.int64) if ints else np.zeros(0, dtype=np.int64)
    return fbuf, ibuf, where


@njit(cache=True, inline="always")
def _f2(fbuf: np.ndarray, where: np.ndarray, k: int) -> np.ndarray:
    return view2(fbuf, where[k, 0], where[k, 1], where[k, 2])


@njit(cache=True, inline="always")
def _i2(ibuf: np.ndarray, where: np.ndarray, k: int) -> np.ndarray:
    return view2(ibuf, where[k, 0], where[k, 1], where[k, 2])


@njit(cache=True, inline="always")
def _v(buf: np.ndarray, where: np.ndarray, k: int) -> np.ndarray:
    return view1(buf, where[k, 0], where[k, 1])


@njit(cache=True)
def tables(fbuf: np.ndarray, ibuf: np.ndarray, where: np.ndarray) -> Tables:
    """The network's :class:`~dil.road.tables.Tables` as borrowed views of the packed buffers (for
    kernels only; see the module's note)."""
    return Tables(
        _f2(fbuf, where, 0),
        _f2(fbuf, where, 1),
        _i2(ibuf, where, 2),
        _v(fbuf, where, 3),
        _f2(fbuf, where, 4),
        _i2(ibuf, where, 5),
        _i2(ibuf, where, 6),
        _f2(fbuf, where, 7),
        _v(ibuf, where, 8),
        _f2(fbuf, where, 9),
        _i2(ibuf, where, 10),
        _f2(fbuf, where, 11),
        _i2(ibuf, where, 12),
        _f2(fbuf, where, 13),
        _i2(ibuf, where, 14),
    )


@njit(cache=True)
def grid(fbuf: np.ndarray, ibuf: np.ndarray, where: np.ndarray) -> Grid:
    """The network's lookup :class:`~dil.road.lookup.Grid` as borrowed views of the packed buffers
    (for kernels only; see the module's note)."""
    return Grid(_f2(fbuf, where, 15), _v(ibuf, where, 16), _v(ibuf, where, 17), _v(fbuf, where, 18))


@njit(cache=True)
def _copies(fbuf: np.ndarray, ibuf: np.ndarray, where: np.ndarray) -> tuple:
    T = tables(fbuf, ibuf, where)
    G = grid(fbuf, ibuf, where)
    return (
        T[0].copy(), T[1].copy(), T[2].copy(), T[3].copy(), T[4].copy(), T[5].copy(), T[6].copy(),
        T[7].copy(), T[8].copy(), T[9].copy(), T[10].copy(), T[11].copy(), T[12].copy(), T[13].copy(),
        T[14].copy(), G[0].copy(), G[1].copy(), G[2].copy(), G[3].copy(),
    )  # fmt: skip


def unpack(fbuf: np.ndarray, ibuf: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, ...]:
    """Copies of the arrays a kernel sees through :func:`tables` and :func:`grid`, in
    ``RoadNetwork.flat``'s order."""
    return _copies(fbuf, ibuf, where)
