"""``dil log export LOG --format osi``: an existing dil log's ground truth as an OSI trace.

The log's own messages are the source: every ``world/actors`` message becomes one ``GroundTruth``
with the newest ``vehicle/state`` before it, exactly as the live tap does; the road network and
the ego's geometry come from the log's attachments (``road.xodr``, ``vehicle.yaml``) and its run
description (the vehicle model).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import msgpack
import yaml

from dil.bus.messages import VEHICLE_STATE, WORLD_ACTORS
from dil.recording.fast import fast_records
from dil.recording.reader import LogError, read_metadata
from dil.road.network import RoadNetwork

from .groundtruth import EgoGeometry, GroundTruthBuilder
from .lanes import osi_lanes
from .sinks import TraceSink


def ego_geometry(vehicle_yaml: bytes, model: str) -> EgoGeometry:
    """The ego's geometry from a log's ``vehicle.yaml`` attachment and its model's name."""
    doc = yaml.safe_load(vehicle_yaml)
    c = doc["chassis"]
    a, b = float(c["cg_to_front_axle"]), float(c["cg_to_rear_axle"])
    offset = 0.5 * (a + b) if model == "kinematic" else 0.5 * (a - b)
    radius = float(doc.get("tyres", {}).get("radius", 0.32))
    return EgoGeometry(offset, 0.5 * (a + b), float(c["track_front"]), float(c["track_rear"]), radius)


def export_log(log: str | Path, out: str | Path) -> tuple[int, list[str]]:
    """Write ``log``'s ground truth to ``out`` (``.mcap`` or ``.osi``); returns the message count
    and what could not be included."""
    log = Path(log)
    meta, attachments = read_metadata(log)
    notes: list[str] = []
    info = meta.get("dil.run", {})
    net = None
    if "road.xodr" in attachments:
        with tempfile.TemporaryDirectory() as tmp:
            xodr = Path(tmp) / "road.xodr"
            xodr.write_bytes(attachments["road.xodr"])
            net = RoadNetwork.load(xodr)
    else:
        notes.append("no road.xodr attachment: no lanes or lane boundaries, no lane assignment")
    ego = None
    if "vehicle.yaml" in attachments and "model" in info:
        ego = ego_geometry(attachments["vehicle.yaml"], info["model"])
    else:
        notes.append("no vehicle.yaml or model: the ego's reference point is taken as its box centre")
    lanes = osi_lanes(net) if net is not None else None
    builder = GroundTruthBuilder(lanes, net, ego, f"road.xodr attached to {log.name}" if net else "")
    sink = TraceSink(out, f"dil log {log.name}")
    state: bytes | None = None
    n = 0
    try:
        for topic, t_ns, data in fast_records(log):
            if topic == VEHICLE_STATE.topic:
                state = bytes(data)
            elif topic == WORLD_ACTORS.topic:
                msg = msgpack.unpackb(data)
                st = msgpack.unpackb(state) if state is not None else None
                sink.write(builder.build(t_ns, msg["actors"], st))
                n += 1
    finally:
        sink.close()
    if n == 0:
        raise LogError(f"{log}: no world/actors messages: nothing to export as OSI ground truth")
    return n, notes
