"""Size limits of received frames, derived from each topic's schema.

An oversized frame must not reach the decoder: unpacking a 10 MB msgpack array into Python objects
stalls a 1 kHz loop for a hundred milliseconds and leaves its memory behind. Two guards, both
derived from the schema:

- the socket refuses frames beyond :attr:`Limits.max_bytes` (ZeroMQ's ZMQ_MAXMSGSIZE): libzmq
  reads the size in the frame's header and drops the connection without reading the body; the
  subscriber connects again (:mod:`dil.bus.links`), so an oversized frame costs the link a few
  hundred milliseconds and the reader nothing;
- the decoder refuses, before building any object, a frame longer than :attr:`Limits.max_bytes`
  (other transports) and any map, array, string or byte string longer than the schema allows
  (msgpack's unpacker limits), counted as ``too_large``.

The largest legal frame of a topic follows from its fields: numbers 9 bytes, a fixed-length list
its length, and the bounds below for fields of unbounded length (a field may set its own with
``max_len``). Readers accept extra fields (forward compatibility) within the margin.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .schema import HEADER, Field, Kind, Schema

MAX_STR_BYTES = 4096
"""A string field's largest UTF-8 length unless the field says otherwise, in bytes."""
MAX_LIST_LEN = 4096
"""A variable-length list of numbers' largest length unless the field says otherwise."""
MAX_RECORDS = 4096
"""A list of records' largest length unless the field says otherwise."""
MAX_IMAGE_BYTES = 3840 * 2160 * 3
"""An image's largest size unless the field says otherwise: a 4K frame in bgr8, in bytes."""
EXTRA_FIELDS = 32
"""Map entries a reader accepts beyond the schema's own (fields of a later minor version)."""
MIN_ARRAY_LEN = 64
"""The shortest array limit, so that a small extra list field still decodes."""
FRAME_MARGIN = 2.0
"""The accepted frame size is this factor times the largest legal frame, plus :data:`FRAME_SLACK`."""
FRAME_SLACK = 64 * 1024
"""Added to every accepted frame size, for extra fields and headroom, in bytes."""

_NUMBER = 9  # msgpack float64 or int64 with its type byte
_HEAD = 5  # the longest header of a map, array, string or binary


@dataclass(frozen=True)
class Limits:
    """The limits of one topic's frames, in bytes and in elements."""

    legal_bytes: int
    """The largest frame (topic prefix and payload) of the schema's own fields, without margin."""
    max_bytes: int
    """The largest frame accepted: ``legal_bytes`` with the margin; ZMQ_MAXMSGSIZE of subscribers."""
    max_array_len: int
    max_map_len: int
    max_str_len: int
    max_bin_len: int

    @functools.cached_property
    def unpack_options(self) -> dict[str, int]:
        """Keyword arguments of ``msgpack.unpackb`` enforcing these limits (built once)."""
        return {
            "max_array_len": self.max_array_len,
            "max_map_len": self.max_map_len,
            "max_str_len": self.max_str_len,
            "max_bin_len": self.max_bin_len,
            "max_ext_len": 0,
        }


def _max_len(f: Field) -> int:
    """The largest number of elements (lists, records) or bytes (strings, bytes) of a field."""
    if f.max_len is not None:
        return f.max_len
    if f.kind is Kind.STR:
        return MAX_STR_BYTES
    if f.kind is Kind.ENUM:
        return max((len(v.encode()) for v in f.values), default=0)
    if f.kind is Kind.F64_LIST:
        return f.length if f.length is not None else MAX_LIST_LEN
    if f.kind is Kind.RECORDS:
        return MAX_RECORDS
    if f.kind is Kind.BYTES:
        return MAX_IMAGE_BYTES
    return 0


def _value_bytes(f: Field) -> int:
    """The largest msgpack encoding of a field's value, in bytes."""
    k = f.kind
    if k in (Kind.F64, Kind.INT, Kind.BOOL):
        return _NUMBER
    if k in (Kind.STR, Kind.ENUM, Kind.BYTES):
        return _HEAD + _max_len(f)
    if k is Kind.F64_LIST:
        return _HEAD + _NUMBER * _max_len(f)
    return _HEAD + _max_len(f) * _map_bytes(f.record)  # RECORDS


def _map_bytes(fields: tuple[Field, ...]) -> int:
    return _HEAD + sum(_HEAD + len(f.name.encode()) + _value_bytes(f) for f in fields)


def _walk(fields: tuple[Field, ...]):
    for f in fields:
        yield f
        yield from _walk(f.record)


def _record_sets(fields: tuple[Field, ...]):
    yield fields
    for f in fields:
        if f.record:
            yield from _record_sets(f.record)


@functools.lru_cache(maxsize=256)
def limits(schema: Schema) -> Limits:
    """The size limits of ``schema``'s frames."""
    fields = HEADER + schema.fields
    frame = len(schema.topic.encode()) + 1 + _map_bytes(fields)
    every = list(_walk(fields))
    arrays = [_max_len(f) for f in every if f.kind in (Kind.F64_LIST, Kind.RECORDS)]
    strings = [_max_len(f) for f in every if f.kind in (Kind.STR, Kind.ENUM)]
    keys = [len(f.name.encode()) for f in every]
    blobs = [_max_len(f) for f in every if f.kind is Kind.BYTES]
    return Limits(
        legal_bytes=frame,
        max_bytes=int(frame * FRAME_MARGIN) + FRAME_SLACK,
        max_array_len=max([MIN_ARRAY_LEN, *arrays]),
        max_map_len=max(len(s) for s in _record_sets(fields)) + EXTRA_FIELDS,
        max_str_len=max([256, *strings, *keys]),
        max_bin_len=max([0, *blobs]),
    )


def socket_limit(topic: str, schemas: dict[str, Schema] | None = None) -> int:
    """ZMQ_MAXMSGSIZE for a subscriber of ``topic``, in bytes: from its schema, or for a sensor topic
    whose kind is not known here, the largest of the sensor kinds' limits; -1 (no limit) for a topic
    with no schema."""
    from .messages import SCHEMAS, SENSOR_FIELDS, sensor_schema

    schema = (schemas or SCHEMAS).get(topic)
    if schema is not None:
        return limits(schema).max_bytes
    if topic.startswith("sensor/"):
        name = topic.removeprefix("sensor/")
        return max(limits(sensor_schema(name, kind)).max_bytes for kind in SENSOR_FIELDS)
    return -1
