"""Encoding of all-number messages from a fixed template, for 1 kHz streams.

The frame of a schema whose fields are all F64 or INT has the same bytes every time except the
values, when every float is written as msgpack float64 and every integer as int64. The template is
built once; each message is a numba kernel writing the values into it in place. Nothing is
allocated per message and the result is ordinary msgpack that :func:`dil.bus.codec.decode` reads.
"""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Callable
from operator import itemgetter
from typing import Any

import numpy as np
from numba import njit

from .codec import topic_prefix
from .schema import HEADER, Kind, Schema

if sys.byteorder != "little":  # the kernel swaps bytes into msgpack's big-endian order
    raise ImportError("dil.bus.fixed assumes a little-endian host")

H_SEQ = 0
H_T_SIM = 1
H_T_WALL = 2


@njit(cache=True)
def _write_be(buf: np.ndarray, offsets: np.ndarray, value_bytes: np.ndarray) -> None:
    """Write value ``i`` (8 little-endian bytes in ``value_bytes``) big-endian at ``offsets[i]``."""
    for i in range(offsets.size):
        o = offsets[i]
        b = 8 * i
        for k in range(8):
            buf[o + k] = value_bytes[b + 7 - k]


@njit(cache=True)
def fill(
    buf: np.ndarray,
    header_offsets: np.ndarray,
    header_bytes: np.ndarray,
    float_offsets: np.ndarray,
    float_bytes: np.ndarray,
    int_offsets: np.ndarray,
    int_bytes: np.ndarray,
) -> None:
    """Write the header integers, floats and integers into the frame template ``buf``."""
    _write_be(buf, header_offsets, header_bytes)
    _write_be(buf, float_offsets, float_bytes)
    _write_be(buf, int_offsets, int_bytes)


@njit(cache=True)
def values_valid(
    floats: np.ndarray,
    f_lo: np.ndarray,
    f_hi: np.ndarray,
    ints: np.ndarray,
    i_lo: np.ndarray,
    i_hi: np.ndarray,
) -> bool:
    """True when every float is finite and each value within its ``[lo, hi]``."""
    for i in range(floats.size):
        v = floats[i]
        if not (math.isfinite(v) and f_lo[i] <= v <= f_hi[i]):
            return False
    ok = True
    for i in range(ints.size):
        ok = ok and i_lo[i] <= ints[i] <= i_hi[i]
    return ok


def _bounds(fields: list, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    big = np.iinfo(np.int64) if dtype is np.int64 else np.finfo(np.float64)
    lo = np.array([big.min if f.lo is None else f.lo for f in fields], dtype=dtype)
    hi = np.array([big.max if f.hi is None else f.hi for f in fields], dtype=dtype)
    return lo, hi


def _str(s: str) -> bytes:
    b = s.encode()
    if len(b) <= 31:
        return bytes([0xA0 | len(b)]) + b
    if len(b) <= 0xFF:
        return b"\xd9" + bytes([len(b)]) + b
    raise ValueError(f"string {s!r} too long for a fixed template")


def _picker(positions: list[int]) -> Any:
    """A function of a sequence returning its items at ``positions`` as a tuple (any length)."""
    if len(positions) == 1:
        get = itemgetter(positions[0])
        return lambda seq: (get(seq),)
    if not positions:
        return lambda seq: ()
    return itemgetter(*positions)


def field_reader(schema: Schema, names: tuple[str, ...]) -> Callable[[Any], Any]:
    """A function reading the fields ``names`` (their values as a tuple; one name: its value) from a
    message of ``schema`` as :meth:`dil.bus.inbox.Inbox.latest_value` gives it: the values tuple a
    :class:`FixedEncoder` hands over in this process (:meth:`FixedEncoder.values`), read by position
    in one C-level call, or the message's map (a frame decoded, a log), read by name. Made once per
    reader: a read makes no object but the result."""
    by_position = position_reader(schema, names)
    by_name = itemgetter(*names)
    return lambda msg: by_position(msg) if type(msg) is tuple else by_name(msg)


def position_reader(schema: Schema, names: tuple[str, ...]) -> Callable[[tuple], Any]:
    """The part of :func:`field_reader` that reads a values tuple (by position): for a reader that
    checks for a tuple itself and so saves a call per read."""
    keys = [f.name for f in HEADER + schema.fields]
    unknown = [n for n in names if n not in keys]
    if unknown or not names:
        raise ValueError(f"schema {schema.topic} has no fields {unknown or list(names)}")
    return itemgetter(*(keys.index(n) for n in names))


class FixedEncoder:
    """Encodes messages of an all-number schema into one reused buffer.

    Set ``floats`` and ``ints`` (the schema's F64 and INT fields, in schema order; names in
    ``float_names`` and ``int_names``), then call :meth:`encode`.
    """

    def __init__(self, schema: Schema, source: str) -> None:
        kinds = {f.kind for f in schema.fields}
        if not kinds <= {Kind.F64, Kind.INT}:
            raise ValueError(f"schema {schema.topic} has non-number fields: no fixed template")
        self.schema = schema
        self.source = source
        self.float_names = tuple(f.name for f in schema.fields if f.kind is Kind.F64)
        self.int_names = tuple(f.name for f in schema.fields if f.kind is Kind.INT)
        self.floats = np.zeros(len(self.float_names))
        self.ints = np.zeros(len(self.int_names), dtype=np.int64)
        self.header = np.zeros(3, dtype=np.int64)
        """seq, t_sim_ns, t_wall_ns of the frame :meth:`encode` made last."""
        self._f_lo, self._f_hi = _bounds([f for f in schema.fields if f.kind is Kind.F64], np.float64)
        self._i_lo, self._i_hi = _bounds([f for f in schema.fields if f.kind is Kind.INT], np.int64)

        n = len(HEADER) + len(schema.fields)
        parts = [topic_prefix(schema.topic), bytes([0x80 | n]) if n <= 15 else b"\xde" + struct.pack(">H", n)]
        offsets: dict[str, int] = {}

        def add(name: str, value: bytes) -> None:
            parts.append(_str(name))
            offsets[name] = sum(map(len, parts)) + 1  # after the type byte
            parts.append(value)

        if schema.version >= 128:
            raise ValueError("fixed templates support schema versions below 128")
        add("schema_version", bytes([schema.version]))
        for name in ("seq", "t_sim_ns", "t_wall_ns"):
            add(name, b"\xd3" + bytes(8))
        add("source", _str(source))
        for f in schema.fields:
            add(f.name, (b"\xcb" if f.kind is Kind.F64 else b"\xd3") + bytes(8))
        self.buffer = np.frombuffer(b"".join(parts), dtype=np.uint8).copy()
        """The frame, rewritten by each :meth:`encode`."""
        self._h_off = np.array([offsets[n] for n in ("seq", "t_sim_ns", "t_wall_ns")], dtype=np.int64)
        self._f_off = np.array([offsets[n] for n in self.float_names], dtype=np.int64)
        self._i_off = np.array([offsets[n] for n in self.int_names], dtype=np.int64)
        self._h_bytes = self.header.view(np.uint8)
        self._f_bytes = self.floats.view(np.uint8)
        self._i_bytes = self.ints.view(np.uint8)
        # message(): the fields in schema order, as indices into floats + ints
        order = self.float_names + self.int_names
        self._names = tuple(f.name for f in schema.fields)
        perm = [order.index(n) for n in self._names]
        self._in_order = perm == list(range(len(perm)))
        self._order = tuple if self._in_order else _picker(perm)
        """Floats then ints -> the fields in schema order."""
        self._version = schema.version
        self._seq = 0
        """The sequence number of the next message (the header's is that of the last frame encoded)."""
        self._keys = ("schema_version", "seq", "t_sim_ns", "t_wall_ns", "source", *self._names)
        self.view: Callable[[tuple], tuple] = tuple
        """What readers of values in this process get of :meth:`values`' tuple: the tuple itself
        (``tuple`` of a tuple is the same object: one C-level call, nothing made); they read it with
        :func:`field_reader`."""
        n_head = 5  # values(): the header's five values come first
        self._float_values = _picker([n_head + self._names.index(n) for n in self.float_names])
        self._int_values = _picker([n_head + self._names.index(n) for n in self.int_names])
        # pack(): a template and values of its own, so that packing a message never disturbs encode()
        self._p_buffer = self.buffer.copy()
        self._p_header = np.zeros(3, dtype=np.int64)
        self._p_floats = np.zeros(len(self.float_names))
        self._p_ints = np.zeros(len(self.int_names), dtype=np.int64)

    def encode(self, t_sim_ns: int, t_wall_ns: int) -> np.ndarray:
        """The frame for the current values; the next call overwrites it."""
        h = self.header
        h[H_SEQ] = self._seq
        h[H_T_SIM] = t_sim_ns
        h[H_T_WALL] = t_wall_ns
        fill(self.buffer, self._h_off, self._h_bytes, self._f_off, self._f_bytes, self._i_off, self._i_bytes)
        self._seq += 1
        return self.buffer

    def message(self, t_sim_ns: int, t_wall_ns: int) -> dict:
        """The current values as a message (header and fields in schema order, Python numbers), as
        :func:`dil.bus.codec.decode` would read :meth:`encode`'s frame; the sequence advances."""
        return self.make(self.values(t_sim_ns, t_wall_ns))

    def values(self, t_sim_ns: int, t_wall_ns: int) -> tuple:
        """The current values as the message's values in order (header, then fields in schema
        order), without making the message: :meth:`make` makes it, :meth:`pack_values` its frame;
        the sequence advances."""
        seq = self._seq
        self._seq = seq + 1
        if self._in_order:  # floats then ints is the schema's order: no list in between
            return (
                self._version,
                seq,
                t_sim_ns,
                t_wall_ns,
                self.source,
                *self.floats.tolist(),
                *self.ints.tolist(),
            )
        fields = self.floats.tolist() + self.ints.tolist()
        return (self._version, seq, t_sim_ns, t_wall_ns, self.source, *self._order(fields))

    def make(self, values: tuple) -> dict[str, Any]:
        """The message of :meth:`values`' tuple (what :meth:`message` returns for the same values)."""
        return dict(zip(self._keys, values, strict=True))

    def pack_values(self, values: tuple) -> bytes:
        """The frame of :meth:`values`' tuple: the bytes :meth:`encode` made for those values."""
        h = self._p_header
        h[H_SEQ], h[H_T_SIM], h[H_T_WALL] = values[1], values[2], values[3]
        self._p_floats[:] = self._float_values(values)
        self._p_ints[:] = self._int_values(values)
        return self._fill_pack()

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The fields' bounds as arrays ``(2, floats)`` and ``(2, ints)``: row 0 the lowest, row 1 the
        highest value (for kernels that check values as :meth:`checked` does)."""
        return np.stack((self._f_lo, self._f_hi)), np.stack((self._i_lo, self._i_hi))

    def checked(self) -> Schema | None:
        """The schema when the current values pass its checks (floats finite, every number within
        its field's bounds), else None: a message made from them may be handed to readers in this
        process as checked (:meth:`dil.bus.transport.LocalBus` publishers' ``hand``), one kernel
        call instead of a check of the message's map by each of them."""
        ok = values_valid(self.floats, self._f_lo, self._f_hi, self.ints, self._i_lo, self._i_hi)
        return self.schema if ok else None

    def pack(self, msg: dict) -> bytes:
        """The frame of a message made by :meth:`message`: the bytes :meth:`encode` made for it."""
        h = self._p_header
        h[H_SEQ], h[H_T_SIM], h[H_T_WALL] = msg["seq"], msg["t_sim_ns"], msg["t_wall_ns"]
        f, i = self._p_floats, self._p_ints
        for k, name in enumerate(self.float_names):
            f[k] = msg[name]
        for k, name in enumerate(self.int_names):
            i[k] = msg[name]
        return self._fill_pack()

    def _fill_pack(self) -> bytes:
        buf = self._p_buffer
        h, f, i = self._p_header, self._p_floats, self._p_ints
        fill(buf, self._h_off, h.view(np.uint8), self._f_off, f.view(np.uint8), self._i_off, i.view(np.uint8))
        return buf.tobytes()

    @property
    def seq(self) -> int:
        """The sequence number the next message will carry."""
        return self._seq

    def warm_up(self) -> None:
        """Compile (or load) the kernel without changing the sequence."""
        fill(self.buffer, self._h_off, self._h_bytes, self._f_off, self._f_bytes, self._i_off, self._i_bytes)
