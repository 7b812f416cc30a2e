"""A live Foxglove WebSocket server for real-time runs (``dil drive --foxglove [PORT]``).

It serves the channels and schemas of ``dil log export --format foxglove`` as the run goes:
``foxglove/road`` (SceneUpdate: the lanes, sent again whenever a client subscribes and every 2 s),
``foxglove/scene`` (SceneUpdate: the actors), ``foxglove/tf`` (FrameTransforms world -> ego),
``foxglove/camera/<name>`` (CompressedImage), ``foxglove/log`` (Log: the events), and every dil
topic as JSON with its JSON Schema.

An observer of the bus: a tap that only appends the frame to a bounded deque (the loop never waits
and never blocks; a server that falls far behind loses the oldest frames), and a thread that wakes
``rate_hz`` times a second, keeps every event and the newest message of each other topic, converts
them and hands them to the ``foxglove-sdk`` server. Times are simulated time [ns], as in the export.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import msgpack
from foxglove_schemas_protobuf.FrameTransforms_pb2 import FrameTransforms
from foxglove_schemas_protobuf.Log_pb2 import Log
from foxglove_schemas_protobuf.SceneUpdate_pb2 import SceneUpdate
from google.protobuf.message import Message as Protobuf

from dil.bus.messages import SCHEMAS, SENSOR_FIELDS, sensor_schema
from dil.bus.schema import Schema

from .foxglove import EVENT_TOPICS, LOG, ROAD, SCENE, TF, _to_json, foxglove_messages, json_schema
from .foxglove_scene import descriptor_set, road_scene
from .jsonschema import schema_text

if TYPE_CHECKING:
    import foxglove

    from dil.bus.transport import Bus
    from dil.road.sampling import LaneStrip

log = logging.getLogger("dil.foxglove")

DEFAULT_PORT = 8765
"""Foxglove's usual WebSocket port."""
ROAD_EVERY_S = 2.0
"""The road goes out again this often [s] (and whenever a client subscribes to it)."""
_HEADER = frozenset(("schema_version", "seq", "t_sim_ns", "t_wall_ns", "source"))


def _sensor_schema(topic: str, msg: dict) -> Schema | None:
    """The schema of a ``sensor/<name>`` message, its kind told by its fields."""
    keys = msg.keys() - _HEADER
    for kind, (fields, _doc) in SENSOR_FIELDS.items():
        if {f.name for f in fields} == keys:
            return sensor_schema(topic.removeprefix("sensor/"), kind)
    return None


def _decode(frame: bytes, end: int) -> dict | None:
    """The message of a frame whose topic ends at ``end``, or None when it is not a msgpack map."""
    try:
        msg = msgpack.unpackb(frame[end + 1 :])
    except ValueError:
        return None
    return msg if isinstance(msg, dict) else None


class _Listener:
    """Tells the server's thread when a client subscribes to the road (sent once per subscription)."""

    def __init__(self, road_wanted: threading.Event) -> None:
        self._road_wanted = road_wanted

    def on_subscribe(self, client: object, channel: object) -> None:
        if getattr(channel, "topic", None) == ROAD:
            self._road_wanted.set()

    def on_unsubscribe(self, client: object, channel: object) -> None:
        pass


class FoxgloveLive:
    """The server and its converting thread. Call it with a bus frame (``topic NUL msgpack``): it
    is a bus tap. ``road``: the lanes of the run's network (``sample_lanes``), or none; ``rate_hz``:
    how often the scene, transforms, images and topics go out [Hz] (events: every one)."""

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        *,
        host: str = "127.0.0.1",
        road: list[LaneStrip] | None = None,
        rate_hz: float = 30.0,
        backlog: int = 20_000,
    ) -> None:
        import foxglove

        self._fg = foxglove
        logging.getLogger("foxglove").setLevel(logging.WARNING)  # its start and stop: our own line says it
        self._context = foxglove.Context()
        self._road = road or []
        self._road_wanted = threading.Event()
        self._road_sent = -math.inf
        self._channels: dict[str, foxglove.Channel] = {}
        # every channel known in advance exists before the server: a client that connects while a
        # channel is being created may be told of it before it can subscribe to it
        for topic, message in ((ROAD, SceneUpdate), (SCENE, SceneUpdate), (TF, FrameTransforms), (LOG, Log)):
            self._proto_channel(topic, message)
        for topic, schema in SCHEMAS.items():
            self._json_channel(topic, schema)
        self._server = foxglove.start_server(
            name="dil",
            host=host,
            port=port,
            context=self._context,
            server_listener=_Listener(self._road_wanted),
        )
        self.host = host
        self._frames: deque[bytes] = deque(maxlen=backlog)
        self._period_s = 1.0 / rate_hz
        self._actors_before: set[int] = set()
        self._t_ns = 0
        self._stop = threading.Event()
        self._closed = False
        self.published = 0
        """Messages handed to the server so far."""
        self._thread = threading.Thread(target=self._serve, name="foxglove-live", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        """The TCP port the server listens on (the one asked for, or the one given for 0)."""
        return self._server.port

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def __call__(self, frame: bytes) -> None:
        """The bus tap: keep the frame for the server's thread (never blocks)."""
        if not self._closed:
            self._frames.append(frame)

    def close(self) -> None:
        """Publish what is left, stop the thread and the server; the tap then ignores frames."""
        self._closed = True
        self._stop.set()
        self._thread.join(timeout=5.0)
        self._server.stop()

    # --- the server's thread -------------------------------------------------------------------------

    def _serve(self) -> None:
        while True:
            stopping = self._stop.wait(self._period_s)
            try:
                self._publish_batch()
            except Exception:  # a bad message must not end the live view
                log.exception("foxglove live server: a batch could not be published")
            if stopping:
                return

    def _publish_batch(self) -> None:
        frames = self._frames
        newest: dict[str, bytes] = {}  # topic -> its newest frame of the batch
        events: list[tuple[str, dict]] = []
        while frames:
            frame = frames.popleft()
            end = frame.find(b"\0", 0, 64)
            if end <= 0:
                continue
            topic = frame[:end].decode()
            if topic not in EVENT_TOPICS:
                newest[topic] = frame
            elif (msg := _decode(frame, end)) is not None:
                events.append((topic, msg))
        for topic, frame in newest.items():
            if (msg := _decode(frame, len(topic))) is not None:
                self._publish(topic, msg)
        for topic, msg in events:
            self._publish(topic, msg)
        now = time.monotonic()
        if self._road and (self._road_wanted.is_set() or now - self._road_sent >= ROAD_EVERY_S):
            self._road_wanted.clear()
            self._road_sent = now
            self._proto(ROAD, self._t_ns, road_scene(self._road, self._t_ns))

    def _publish(self, topic: str, msg: dict) -> None:
        t = int(msg.get("t_sim_ns", self._t_ns))
        self._t_ns = max(self._t_ns, t)
        self._json(topic, t, msg)
        for channel, proto in foxglove_messages(topic, msg, t, self._actors_before):
            self._proto(channel, t, proto)

    def _channel(self, topic: str, encoding: str, schema: foxglove.Schema) -> foxglove.Channel:
        ch = self._channels.get(topic)
        if ch is None:
            ch = self._channels[topic] = self._fg.Channel(
                topic, schema=schema, message_encoding=encoding, context=self._context
            )
        return ch

    def _json_channel(self, topic: str, schema: Schema | None) -> foxglove.Channel:
        text = json_schema(schema_text(schema)) if schema is not None else b"{}"
        return self._channel(topic, "json", self._fg.Schema(name=topic, encoding="jsonschema", data=text))

    def _proto_channel(self, topic: str, message: type[Protobuf]) -> foxglove.Channel:
        name = message.DESCRIPTOR.full_name
        schema = self._fg.Schema(name=name, encoding="protobuf", data=descriptor_set(message))
        return self._channel(topic, "protobuf", schema)

    def _json(self, topic: str, t_ns: int, msg: dict) -> None:
        ch = self._channels.get(topic)
        if ch is None:
            schema = _sensor_schema(topic, msg) if topic.startswith("sensor/") else None
            ch = self._json_channel(topic, schema)
        ch.log(_to_json(msg), log_time=t_ns)
        self.published += 1

    def _proto(self, topic: str, t_ns: int, msg: Protobuf) -> None:
        ch = self._channels.get(topic) or self._proto_channel(topic, type(msg))
        ch.log(msg.SerializeToString(), log_time=t_ns)
        self.published += 1


def road_of(road_file: Path | None, step_m: float = 2.0) -> list[LaneStrip]:
    """The lanes of an OpenDRIVE file ``step_m`` apart [m], or none without a file."""
    from dil.road.network import RoadNetwork
    from dil.road.sampling import sample_lanes

    return [] if road_file is None else sample_lanes(RoadNetwork.load(road_file), step_m)


@contextmanager
def serve_live(
    bus: Bus, road_file: Callable[[], Path | None], port: int | None
) -> Iterator[FoxgloveLive | None]:
    """With a ``port``: a live server tapping ``bus`` for the duration of the block, announced on
    stdout, with the lanes of ``road_file()`` (asked only then); without one, nothing."""
    if port is None:
        yield None
        return
    live = FoxgloveLive(port, road=road_of(road_file()))
    print(
        f"foxglove: serving the run live at {live.url} (Foxglove: Open connection, Foxglove WebSocket)",
        flush=True,
    )
    bus.tap(live)
    try:
        yield live
    finally:
        live.close()
