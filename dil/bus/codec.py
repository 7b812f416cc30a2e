"""Framing, encoding and decoding of messages.

A frame is ``topic NUL payload``: the topic's UTF-8 name, one zero byte, then the msgpack map of
the header and the topic's fields. The topic prefix lets a ZeroMQ subscriber filter by topic and a
recorder file a frame without decoding it.
"""

from __future__ import annotations

from typing import Any

import msgpack

from .limits import Limits, limits
from .messages import SCHEMAS
from .schema import Drop, MessageError, Schema


def topic_prefix(topic: str) -> bytes:
    """The bytes every frame of ``topic`` starts with."""
    return topic.encode() + b"\0"


def split(frame: bytes) -> tuple[str, memoryview]:
    """The topic and payload of a frame; a frame without a topic is MALFORMED."""
    end = frame.find(b"\0", 0, 64)
    if end <= 0:
        raise MessageError(Drop.MALFORMED, f"frame of {len(frame)} bytes has no 'topic NUL' prefix")
    try:
        topic = frame[:end].decode()
    except UnicodeDecodeError:
        raise MessageError(Drop.MALFORMED, f"topic {frame[:end]!r} is not UTF-8") from None
    return topic, memoryview(frame)[end + 1 :]


def decode(
    frame: bytes, schemas: dict[str, Schema] = SCHEMAS, size: Limits | None = None
) -> tuple[Schema, dict[str, Any]]:
    """The schema and checked message of a frame; raises :class:`MessageError` for anything invalid.
    Frames, maps, lists and strings longer than the schema allows (``size``, by default derived from
    the schema: :mod:`dil.bus.limits`) are refused before any of it is decoded."""
    topic, payload = split(frame)
    schema = schemas.get(topic)
    if schema is None:
        raise MessageError(Drop.UNKNOWN_TOPIC, f"topic {topic!r} is not one of the known topics")
    if size is None:
        size = limits(schema)
    if len(frame) > size.max_bytes:
        raise MessageError(
            Drop.TOO_LARGE, f"{topic}: frame of {len(frame)} bytes: at most {size.max_bytes} are accepted"
        )
    try:
        msg = msgpack.unpackb(payload, raw=False, **size.unpack_options)
    except Exception as e:  # msgpack raises several types for bad bytes
        reason = Drop.TOO_LARGE if "exceeds max" in str(e) else Drop.MALFORMED
        what = "exceeds the schema's size limits" if reason is Drop.TOO_LARGE else "is not msgpack"
        raise MessageError(reason, f"{topic}: payload {what} ({type(e).__name__}: {e})") from None
    schema.check(msg)
    return schema, msg


class Encoder:
    """Encodes one publisher's messages on one topic: header fields, sequence numbers, framing.

    Messages are checked against the schema before they leave (``check=False`` skips that for a
    caller that builds them from already-valid values).
    """

    def __init__(self, schema: Schema, source: str, *, check: bool = True) -> None:
        self.schema = schema
        self.source = source
        self.seq = 0
        self._prefix = topic_prefix(schema.topic)
        self._packer = msgpack.Packer(use_bin_type=True)
        self._check = check

    @property
    def checks(self) -> bool:
        """Whether :meth:`message` checks each message against the schema."""
        return self._check

    def encode(self, t_sim_ns: int, t_wall_ns: int, fields: dict[str, Any]) -> bytes:
        """One frame; the sequence number advances only when the message is valid."""
        return self.pack(self.message(t_sim_ns, t_wall_ns, fields))

    def message(self, t_sim_ns: int, t_wall_ns: int, fields: dict[str, Any]) -> dict[str, Any]:
        """One message as a value (header and fields), checked unless ``check=False``; the sequence
        number advances only when it is valid. :meth:`pack` makes its frame."""
        msg = {
            "schema_version": self.schema.version,
            "seq": self.seq,
            "t_sim_ns": t_sim_ns,
            "t_wall_ns": t_wall_ns,
            "source": self.source,
            **fields,
        }
        if self._check:
            self.schema.check(msg)
        self.seq += 1
        return msg

    def pack(self, msg: dict[str, Any]) -> bytes:
        """The frame of a message made by :meth:`message`."""
        return self._prefix + self._packer.pack(msg)
