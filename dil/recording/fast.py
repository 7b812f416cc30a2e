"""A fast reader for dil's own logs: MCAP with uncompressed chunks, parsed with ``struct`` straight
from the file's bytes (the generic reader builds a Python object per record and is several times
slower). Stops quietly where a cut-short file ends; compressed chunks are left to the generic
reader (:mod:`dil.recording.reader`)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

MAGIC = b"\x89MCAP0\r\n"
OP_SCHEMA, OP_CHANNEL, OP_MESSAGE, OP_CHUNK = 0x03, 0x04, 0x05, 0x06
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_REC = struct.Struct("<BQ")
_MSG = struct.Struct("<HIQQ")


class CompressedLogError(ValueError):
    """The log has compressed chunks: use the generic reader."""


def _channel(buf: memoryview, at: int) -> tuple[int, str]:
    cid = _U16.unpack_from(buf, at)[0]
    at += 4  # id, schema id
    n = _U32.unpack_from(buf, at)[0]
    return cid, bytes(buf[at + 4 : at + 4 + n]).decode()


def _records(
    buf: memoryview, start: int, end: int, topics: dict[int, str]
) -> Iterator[tuple[str, int, memoryview]]:
    at = start
    unpack_rec, unpack_msg = _REC.unpack_from, _MSG.unpack_from
    while at + 9 <= end:
        op, length = unpack_rec(buf, at)
        body = at + 9
        if body + length > end:
            return  # cut short
        if op == OP_MESSAGE:
            cid, _seq, log_time, _pub = unpack_msg(buf, body)
            yield topics[cid], log_time, buf[body + 22 : body + length]
        elif op == OP_CHANNEL:
            cid, topic = _channel(buf, body)
            topics[cid] = topic
        elif op == OP_CHUNK:
            p = body + 8 + 8 + 8 + 4
            n = _U32.unpack_from(buf, p)[0]
            compression = bytes(buf[p + 4 : p + 4 + n])
            p += 4 + n
            size = _U64.unpack_from(buf, p)[0]
            p += 8
            if compression:
                raise CompressedLogError(compression.decode())
            yield from _records(buf, p, min(p + size, end), topics)
        at = body + length


def fast_records(path: str | Path) -> Iterator[tuple[str, int, memoryview]]:
    """``(topic, log_time_ns, msgpack payload)`` of every message, in file order."""
    buf = memoryview(Path(path).read_bytes())  # payloads are views into it, valid after the loop
    if bytes(buf[:8]) != MAGIC:
        raise ValueError(f"{path}: not an MCAP file")
    yield from _records(buf, 8, len(buf), {})
