"""dil's messages as Foxglove's well-known messages (``foxglove-schemas-protobuf``): the road as
lines, the actors as boxes with labels, the world-to-ego transform, camera images and event logs.

Frames: ``world`` is the scenario's world frame (x east, y north, z up, metres, yaw from x
counter-clockwise); ``ego`` is the ego vehicle's bounding-box centre, x forward, y left.
Times are simulated time in nanoseconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import cv2
import numpy as np
from foxglove_schemas_protobuf.Color_pb2 import Color
from foxglove_schemas_protobuf.CompressedImage_pb2 import CompressedImage
from foxglove_schemas_protobuf.CubePrimitive_pb2 import CubePrimitive
from foxglove_schemas_protobuf.FrameTransform_pb2 import FrameTransform
from foxglove_schemas_protobuf.FrameTransforms_pb2 import FrameTransforms
from foxglove_schemas_protobuf.LinePrimitive_pb2 import LinePrimitive
from foxglove_schemas_protobuf.Log_pb2 import Log
from foxglove_schemas_protobuf.Point3_pb2 import Point3
from foxglove_schemas_protobuf.Pose_pb2 import Pose
from foxglove_schemas_protobuf.Quaternion_pb2 import Quaternion
from foxglove_schemas_protobuf.SceneEntity_pb2 import SceneEntity
from foxglove_schemas_protobuf.SceneEntityDeletion_pb2 import SceneEntityDeletion
from foxglove_schemas_protobuf.SceneUpdate_pb2 import SceneUpdate
from foxglove_schemas_protobuf.TextPrimitive_pb2 import TextPrimitive
from foxglove_schemas_protobuf.Vector3_pb2 import Vector3
from google.protobuf.descriptor import FileDescriptor
from google.protobuf.descriptor_pb2 import FileDescriptorSet
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from dil.road.sampling import LaneStrip

WORLD = "world"
EGO = "ego"

_KIND_COLOURS = {
    "vehicle": (0.25, 0.55, 0.95),
    "pedestrian": (0.95, 0.65, 0.15),
    "cyclist": (0.85, 0.35, 0.85),
    "object": (0.6, 0.6, 0.6),
}
_EGO_COLOUR = (0.2, 0.85, 0.35)
_MARK_COLOURS = {"yellow": (0.95, 0.8, 0.1), "white": (0.95, 0.95, 0.95), "standard": (0.95, 0.95, 0.95)}
_UNMARKED = (0.45, 0.45, 0.45)
_DASH_PERIOD_M = 9.0
"""Length of a broken mark's dash and gap together [m] (a 3 m dash, 6 m gap)."""
_REFERENCE = (0.95, 0.3, 0.3)


def descriptor_set(message: type[Message]) -> bytes:
    """The serialized FileDescriptorSet of ``message``'s file and every file it imports (the
    schema data of an MCAP ``protobuf`` channel)."""
    out = FileDescriptorSet()
    seen: set[str] = set()

    def add(fd: FileDescriptor) -> None:
        if fd.name in seen:
            return
        seen.add(fd.name)
        for dep in fd.dependencies:
            add(dep)
        fd.CopyToProto(out.file.add())

    add(message.DESCRIPTOR.file)
    return out.SerializeToString()


def stamp(t_ns: int) -> Timestamp:
    return Timestamp(seconds=t_ns // 1_000_000_000, nanos=t_ns % 1_000_000_000)


def _colour(rgb: tuple[float, float, float], a: float = 1.0) -> Color:
    return Color(r=rgb[0], g=rgb[1], b=rgb[2], a=a)


def _yaw(yaw: float) -> Quaternion:
    """Rotation by ``yaw`` [rad] about z."""
    return Quaternion(x=0.0, y=0.0, z=math.sin(0.5 * yaw), w=math.cos(0.5 * yaw))


def road_scene(strips: Iterable[LaneStrip], t_ns: int) -> SceneUpdate:
    """One entity ``road`` in ``world``: each lane's outer border as a line (white or yellow where
    marked, dashed where the mark is broken, grey where unmarked), an unmarked reference line thin
    red; it never expires (metadata: ``road/section/lane`` -> lane type, one per line)."""
    entity = SceneEntity(timestamp=stamp(t_ns), frame_id=WORLD, id="road", lifetime=Duration())
    identity = Pose(orientation=Quaternion(w=1.0))
    for strip in strips:
        if strip.mark != "none":
            rgb, width = _MARK_COLOURS.get(strip.mark_color, _MARK_COLOURS["white"]), 0.15
        elif strip.lane == 0:
            rgb, width = _REFERENCE, 0.05
        else:
            rgb, width = _UNMARKED, 0.08
        line = LinePrimitive(
            type=LinePrimitive.Type.LINE_STRIP,
            pose=identity,
            thickness=width,
            points=[Point3(x=float(p[0]), y=float(p[1]), z=float(p[2])) for p in np.asarray(strip.outer)],
            color=_colour(rgb),
        )
        if "broken" in strip.mark:  # dashes: the segments starting in the first third of each period
            line.type = LinePrimitive.Type.LINE_LIST
            on = np.flatnonzero(np.mod(strip.s[:-1] - strip.s[0], _DASH_PERIOD_M) < _DASH_PERIOD_M / 3)
            line.indices.extend(int(k) for i in on for k in (i, i + 1))
        entity.lines.append(line)
        entity.metadata.add(key=f"{strip.road}/{strip.section}/{strip.lane}", value=strip.type)
    return SceneUpdate(entities=[entity])


def actor_scene(actors: list[dict], t_ns: int, gone: Iterable[int] = ()) -> SceneUpdate:
    """Every actor of a ``world/actors`` message as an entity ``actor/<id>`` in ``world``: a box
    (its bounding box, ego green) and above it a label with its id, name and speed [km/h];
    actors no longer in the world (``gone``) are deleted."""
    update = SceneUpdate()
    for i in gone:
        update.deletions.add(
            timestamp=stamp(t_ns), type=SceneEntityDeletion.Type.MATCHING_ID, id=f"actor/{i}"
        )
    for a in actors:
        rgb = _EGO_COLOUR if a["id"] == 0 else _KIND_COLOURS.get(a["kind"], _KIND_COLOURS["object"])
        pose = Pose(position=Vector3(x=a["x"], y=a["y"], z=a["z"]), orientation=_yaw(a["yaw"]))
        label = Pose(
            position=Vector3(x=a["x"], y=a["y"], z=a["z"] + 0.5 * a["height"] + 0.6),
            orientation=Quaternion(w=1.0),
        )
        update.entities.append(
            SceneEntity(
                timestamp=stamp(t_ns),
                frame_id=WORLD,
                id=f"actor/{a['id']}",
                lifetime=Duration(),
                cubes=[
                    CubePrimitive(
                        pose=pose,
                        size=Vector3(x=a["length"], y=a["width"], z=a["height"]),
                        color=_colour(rgb, 0.8),
                    )
                ],
                texts=[
                    TextPrimitive(
                        pose=label,
                        billboard=True,
                        font_size=14.0,
                        scale_invariant=True,
                        color=_colour((1.0, 1.0, 1.0)),
                        text=f"{a['id']} {a['name']}  {a['speed'] * 3.6:.0f} km/h",
                    )
                ],
            )
        )
    return update


def ego_transform(ego: dict, t_ns: int) -> FrameTransforms:
    """``world`` -> ``ego`` from the ego's record of a ``world/actors`` message (x, y, z [m], yaw [rad])."""
    return FrameTransforms(
        transforms=[
            FrameTransform(
                timestamp=stamp(t_ns),
                parent_frame_id=WORLD,
                child_frame_id=EGO,
                translation=Vector3(x=ego["x"], y=ego["y"], z=ego["z"]),
                rotation=_yaw(ego["yaw"]),
            )
        ]
    )


def camera_image(msg: dict, name: str, t_ns: int, jpeg_quality: int = 90) -> CompressedImage:
    """A ``sensor/<name>`` camera or bird's-eye image as JPEG (bgr8 frames are compressed)."""
    data = msg["data"]
    if msg["encoding"] != "jpeg":
        pixels = np.frombuffer(data, np.uint8).reshape(msg["height"], msg["width"], 3)
        ok, buf = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        if not ok:
            raise ValueError(f"sensor/{name} frame {msg.get('frame_id')}: cannot encode as JPEG")
        data = buf.tobytes()
    return CompressedImage(timestamp=stamp(t_ns), frame_id=f"camera/{name}", data=data, format="jpeg")


def event_log(topic: str, msg: dict, t_ns: int) -> Log:
    """An event of ``scenario/events``, ``world/events`` or ``stack/events`` as a log line: a
    collision is an error, other world events and a stack's misses, fallback and node failures
    warnings, the rest information."""
    level = Log.Level.INFO
    if topic == "scenario/events":
        text = f"{msg['element_type']} {msg['element']}: {msg['transition']} -> {msg['state']}"
    elif topic == "world/events":
        level = Log.Level.ERROR if msg["kind"] == "collision" else Log.Level.WARNING
        other = f" with actor {msg['other_id']}" if msg["other_id"] >= 0 else ""
        text = (
            f"{msg['kind']}: actor {msg['actor_id']}{other} at ({msg['x']:.1f}, {msg['y']:.1f}) m"
            f", {msg['relative_speed'] * 3.6:.1f} km/h {msg['detail']}".rstrip()
        )
    else:
        if msg.get("kind") in _STACK_WARNINGS:
            level = Log.Level.WARNING
        text = " ".join(f"{k}={v}" for k, v in msg.items() if k not in _HEADER_KEYS and v not in ("", -1))
    return Log(timestamp=stamp(t_ns), level=level, message=text, name=topic)


_HEADER_KEYS = frozenset(("schema_version", "seq", "t_sim_ns", "t_wall_ns", "source"))
_STACK_WARNINGS = frozenset(("fallback", "node_lost", "node_error", "deadline_miss"))
