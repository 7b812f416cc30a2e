"""A dil log as an MCAP file every channel of which Foxglove decodes.

dil records msgpack, which Foxglove does not read. The export writes:

- every msgpack topic of the log under its own name as ``json`` messages, with the topic's JSON
  Schema (byte fields as base64 strings), one message for each recorded one;
- channels already in an encoding Foxglove reads (the OSI ``ground_truth`` channel: protobuf with
  its FileDescriptorSet) unchanged;
- Foxglove's well-known messages (protobuf, schemas from ``foxglove-schemas-protobuf``):
  ``foxglove/road`` (SceneUpdate: the lanes, once), ``foxglove/scene`` (SceneUpdate: the actors,
  one per ``world/actors``), ``foxglove/tf`` (FrameTransforms world -> ego, one per
  ``world/actors``), ``foxglove/camera/<name>`` (CompressedImage, one per image of
  ``sensor/<name>``) and ``foxglove/log`` (Log: scenario, world and stack events).

Log and publish times are the message's simulated time ``t_sim_ns`` [ns]; the run's metadata and
attachments are copied.
"""

from __future__ import annotations

import base64
import json
import math
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgpack
from foxglove_schemas_protobuf.CompressedImage_pb2 import CompressedImage
from foxglove_schemas_protobuf.FrameTransforms_pb2 import FrameTransforms
from foxglove_schemas_protobuf.Log_pb2 import Log
from foxglove_schemas_protobuf.SceneUpdate_pb2 import SceneUpdate
from google.protobuf.message import Message as Protobuf
from mcap.exceptions import InvalidMagic, McapError
from mcap.records import Attachment, Channel, Footer, Message, Metadata, Schema
from mcap.stream_reader import StreamReader
from mcap.writer import CompressionType, Writer

from dil import __version__

from .foxglove_scene import actor_scene, camera_image, descriptor_set, ego_transform, event_log, road_scene
from .reader import LogError

ROAD = "foxglove/road"
SCENE = "foxglove/scene"
TF = "foxglove/tf"
LOG = "foxglove/log"
CAMERA = "foxglove/camera/"
EVENT_TOPICS = ("scenario/events", "world/events", "stack/events")
DECODED = frozenset(("json", "protobuf", "flatbuffer", "ros1", "cdr"))
"""Message encodings Foxglove decodes."""


class _Out:
    """The output file: channels registered on first use, messages numbered per channel."""

    def __init__(self, writer: Writer) -> None:
        self.w = writer
        self._schemas: dict[tuple[str, str, bytes], int] = {}
        self._channels: dict[str, int] = {}
        self._seq: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()

    def channel(
        self, topic: str, encoding: str, schema: tuple[str, str, bytes], meta: dict | None = None
    ) -> None:
        if topic in self._channels:
            return
        sid = self._schemas.get(schema)
        if sid is None:
            sid = self._schemas[schema] = self.w.register_schema(*schema)
        self._channels[topic] = self.w.register_channel(topic, encoding, sid, meta or {})

    def has(self, topic: str) -> bool:
        return topic in self._channels

    def message(self, topic: str, t_ns: int, data: bytes) -> None:
        self.w.add_message(self._channels[topic], t_ns, data, t_ns, self._seq[topic])
        self._seq[topic] += 1
        self.counts[topic] += 1

    def proto(self, topic: str, t_ns: int, msg: Protobuf) -> None:
        if topic not in self._channels:
            name = msg.DESCRIPTOR.full_name
            self.channel(topic, "protobuf", (name, "protobuf", descriptor_set(type(msg))))
        self.message(topic, t_ns, msg.SerializeToString())


def json_schema(recorded: bytes) -> bytes:
    """The JSON Schema of a topic's JSON messages from the one a dil log records for its msgpack
    messages: byte strings become base64 strings."""
    try:
        doc = json.loads(recorded or b"{}")
    except ValueError:
        doc = {}

    def fix(node: object) -> None:
        if isinstance(node, dict):
            if node.get("contentEncoding") == "binary":
                node["contentEncoding"] = "base64"
            for v in node.values():
                fix(v)
        elif isinstance(node, list):
            for v in node:
                fix(v)

    fix(doc)
    if isinstance(doc, dict) and "description" in doc:
        doc["description"] = doc["description"].replace("a msgpack map", "JSON (dil log export)")
    return json.dumps(doc).encode()


def _plain(value: object) -> object:
    """``value`` with byte strings as base64 text and non-finite floats as null (JSON has neither)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _to_json(msg: dict) -> bytes:
    try:
        return json.dumps(msg, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError):
        return json.dumps(_plain(msg), separators=(",", ":")).encode()


def _records(path: Path) -> Iterator[object]:
    """The records of a log in file order, stopping quietly where a cut-short file ends."""
    try:
        f = path.open("rb")
    except OSError as e:
        raise LogError(f"{path}: cannot read ({e.strerror})") from None
    started = False
    with f:
        try:
            for rec in StreamReader(f).records:
                started = True
                yield rec
        except InvalidMagic as e:
            raise LogError(f"{path}: not an MCAP file ({e})") from None
        except (McapError, Exception) as e:  # a truncated chunk surfaces as various decoding errors
            if not started:
                raise LogError(f"{path}: not an MCAP file ({e})") from None


def _road(attachments: dict[str, bytes], step_m: float) -> list:
    """The lanes of the log's road network (its ``road.xodr`` attachment), or none."""
    xodr = attachments.get("road.xodr")
    if not xodr:
        return []
    from dil.road.network import RoadNetwork
    from dil.road.sampling import sample_lanes

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "road.xodr"
        p.write_bytes(xodr)
        return sample_lanes(RoadNetwork.load(p), step_m)


@dataclass
class Export:
    """What an export wrote."""

    counts: dict[str, int]
    """Messages per output topic."""
    complete: bool
    """The log ended with its footer; False: it was cut short and is exported up to its end."""


def export_foxglove(log: str | Path, out: str | Path, *, lane_step_m: float = 2.0) -> Export:
    """Write ``log`` (a dil log, complete or cut short) as ``out``, an MCAP file Foxglove opens.
    ``lane_step_m``: spacing of the road's line points [m]."""
    log, out = Path(log), Path(out)
    if log.resolve() == out.resolve():
        raise ValueError(f"{out}: the export must not overwrite its log")
    from .reader import read_metadata

    _meta, attachments = read_metadata(log)
    records = _records(log)
    first = next(records, None)  # a file that is not MCAP fails here, before out is created
    strips = _road(attachments, lane_step_m)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as f:
        writer = Writer(f, compression=CompressionType.ZSTD)
        writer.start(profile="", library=f"dil {__version__} (log export --format foxglove)")
        o = _Out(writer)
        complete = _convert(first, records, o, strips)
        writer.finish()
    return Export(dict(o.counts), complete)


def _convert(first: object, records: Iterator[object], o: _Out, strips: list) -> bool:
    """Write every record's conversion; True when the log ended with its footer."""
    schemas: dict[int, Schema] = {}
    channels: dict[int, Channel] = {}
    actors_before: set[int] = set()
    road_done = False
    complete = False

    def all_records() -> Iterator[object]:
        if first is not None:
            yield first
        yield from records

    for rec in all_records():
        if isinstance(rec, Schema):
            schemas[rec.id] = rec
        elif isinstance(rec, Channel):
            channels[rec.id] = rec
        elif isinstance(rec, Footer):
            complete = True
        elif isinstance(rec, Metadata):
            o.w.add_metadata(rec.name, dict(rec.metadata))
        elif isinstance(rec, Attachment):
            o.w.add_attachment(rec.log_time, rec.create_time, rec.name, rec.media_type, rec.data)
        elif isinstance(rec, Message):
            ch = channels.get(rec.channel_id)
            if ch is None:
                continue
            if ch.message_encoding != "msgpack":
                if ch.message_encoding in DECODED:  # kept as it is (OSI ground truth)
                    s = schemas.get(ch.schema_id)
                    o.channel(
                        ch.topic,
                        ch.message_encoding,
                        (s.name, s.encoding, s.data) if s else ("", "", b""),
                        dict(ch.metadata),
                    )
                    o.message(ch.topic, rec.log_time, rec.data)
                continue
            msg = msgpack.unpackb(rec.data)
            t = msg.get("t_sim_ns", rec.log_time) if isinstance(msg, dict) else rec.log_time
            if not o.has(ch.topic):
                s = schemas.get(ch.schema_id)
                o.channel(
                    ch.topic,
                    "json",
                    (s.name if s else ch.topic, "jsonschema", json_schema(s.data if s else b"")),
                    dict(ch.metadata),
                )
            o.message(
                ch.topic, t, _to_json(msg) if isinstance(msg, dict) else json.dumps(_plain(msg)).encode()
            )
            if not isinstance(msg, dict):
                continue
            if ch.topic == "world/actors":
                if not road_done and strips:
                    o.proto(ROAD, t, road_scene(strips, t))
                road_done = True
            for channel, proto in foxglove_messages(ch.topic, msg, t, actors_before):
                o.proto(channel, t, proto)
    return complete


WELL_KNOWN = {ROAD: SceneUpdate, SCENE: SceneUpdate, TF: FrameTransforms, LOG: Log}
"""Foxglove's message type of each derived topic (and ``foxglove/camera/<name>``: CompressedImage)."""


def well_known(topic: str) -> type[Protobuf] | None:
    """The Foxglove message class of a derived topic, or None for the log's own topics."""
    return CompressedImage if topic.startswith(CAMERA) else WELL_KNOWN.get(topic)


def foxglove_messages(topic: str, msg: dict, t: int, actors_before: set[int]) -> list[tuple[str, Protobuf]]:
    """Foxglove's own messages for one dil message at ``t`` [ns]: the scene (actors gone since the
    last world/actors deleted) and the ego's transform, a camera image, or an event's log line.
    ``actors_before`` (the ids of the last world/actors) is updated in place."""
    if topic == "world/actors":
        actors = msg["actors"]
        ids = {a["id"] for a in actors}
        out: list[tuple[str, Protobuf]] = [(SCENE, actor_scene(actors, t, sorted(actors_before - ids)))]
        actors_before.clear()
        actors_before.update(ids)
        ego = next((a for a in actors if a["id"] == 0), None)
        if ego is not None:
            out.append((TF, ego_transform(ego, t)))
        return out
    if topic.startswith("sensor/") and {"encoding", "data", "width", "height"} <= msg.keys():
        name = topic.removeprefix("sensor/")
        return [(CAMERA + name, camera_image(msg, name, t))]
    if topic in EVENT_TOPICS:
        return [(LOG, event_log(topic, msg, t))]
    return []
