"""Borrowed views (``dil.road.views``) give a kernel the same arrays, of the same numba types, as a slice
and ``reshape`` of its buffer: the same values, writes that reach the buffer, any integer width for
the offset and sizes; a buffer that is not a C-contiguous 1-D array is refused when the kernel compiles.
The packed network's tables and grid, made of such views, are typed as those made by slicing."""

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from dil.road.network import RoadNetwork
from dil.road.packed import LAYOUT, grid, tables
from dil.road.views import view1, view2

from .helpers import ROADS


@njit
def _views(buf, o, r, c):
    a = view2(buf, o, r, c)
    b = buf[o : o + r * c].reshape((r, c))
    v = view1(buf, o + 1, r)
    w = buf[o + 1 : o + 1 + r]
    same = a.shape == b.shape and v.shape == w.shape
    for i in range(r):
        same = same and v[i] == w[i]
        for j in range(c):
            same = same and a[i, j] == b[i, j]
    a[r - 1, c - 1] = -1.0  # reaches the buffer
    v[0] = -2.0
    return same, a.sum() + v.sum()


def test_views_hold_the_buffer_s_values_and_write_into_it():
    buf = np.arange(40, dtype=np.float64)
    same, total = _views(buf, 5, 3, 4)
    assert same
    assert buf[5 + 3 * 4 - 1] == -1.0 and buf[6] == -2.0
    want = buf[5:17].sum() + buf[6:9].sum()
    assert total == want


@njit
def _copies(buf, o, r, c):
    return view2(buf, o, r, c).copy(), view1(buf, o, r).copy()


def test_offsets_and_sizes_of_any_integer_width():
    buf = np.arange(12, dtype=np.int64)
    a, v = _copies(buf, np.int32(2), np.int16(2), np.uint8(3))
    np.testing.assert_array_equal(a, buf[2:8].reshape((2, 3)))
    np.testing.assert_array_equal(v, buf[2:4])


def test_a_buffer_that_is_not_c_contiguous_1d_is_refused():
    with pytest.raises(TypingError):
        _views(np.zeros((4, 4)), 0, 2, 2)
    with pytest.raises(TypingError):
        _views(np.zeros(20)[::2], 0, 2, 2)


@njit
def _sliced(fbuf, ibuf, where):
    return fbuf[where[0, 0] : where[0, 0] + where[0, 1] * where[0, 2]].reshape((where[0, 1], where[0, 2]))


def test_the_packed_tables_are_typed_as_sliced_arrays():
    net = RoadNetwork.load(ROADS / "highway.xodr")
    packed = net.packed
    T, G = tables(*packed), grid(*packed)
    sliced = _sliced(*packed)
    np.testing.assert_array_equal(T[0], sliced)
    t_type = tables.nopython_signatures[0].return_type
    g_type = grid.nopython_signatures[0].return_type
    del T, G  # borrowed: not kept past the buffers
    sliced_type = _sliced.nopython_signatures[0].return_type
    assert t_type[0] == sliced_type
    assert all(t.layout == "C" and t.dtype.bitwidth == 64 for t in (*t_type, *g_type))
    assert [t.ndim for t in (*t_type, *g_type)] == [n for _, n in LAYOUT]
