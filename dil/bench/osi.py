"""``dil bench osi``: the cost of OSI ground truth, and how fast OSI traces read.

- encode: one world tick's ``GroundTruth`` (build from the ``world/actors`` records and the ego's
  ``vehicle/state``, with lane assignment on the highway network, then serialize) for 1, 20 and 100
  moving objects; the baseline is dil's own msgpack encoding of the same ``world/actors`` message,
  measured in the same run. Target: <= 1 ms per tick for 100 objects (world rate, never 1 kHz).
- read: a 20-object trace of 50 Hz ground truth read back with ``asam-osi-utilities`` (messages
  decoded) against the plain ``mcap`` reader's undecoded iteration of the same file.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import msgpack
from mcap.reader import make_reader
from osi_utilities import ChannelSpecification, MessageType, MultiTraceReader, open_channel

from dil.bench.report import format_table, write_json
from dil.bus.messages import VEHICLE_STATE
from dil.osi.groundtruth import EgoGeometry, GroundTruthBuilder
from dil.osi.lanes import osi_lanes
from dil.osi.sinks import TraceSink
from dil.paths import roads_dir
from dil.road.network import RoadNetwork

ROADS = roads_dir()
COLUMNS = (
    "what",
    "objects",
    "per tick us",
    "msgs/s",
    "baseline",
    "baseline value",
    "ratio",
    "target",
    "meets",
)
TARGET_ENCODE_US = 1000.0

_STATE: dict[str, float] = {f.name: 0.0 for f in VEHICLE_STATE.fields}
_STATE["gear"] = 1


def _actors(net: RoadNetwork, n: int, t: float) -> list[dict]:
    road = max(net.roads, key=lambda r: r.length)
    lanes = [ln.id for ln in road.lane_sections[0].lanes if ln.id < 0 and ln.type == "driving"] or [-1]
    out = []
    for i in range(n):
        lane = lanes[i % len(lanes)]
        s = min(road.length - 1.0, 5.0 + 6.0 * (i // len(lanes)) + 20.0 * t)
        x, y, z, h = net.lane_to_world(road.id, lane, s)
        out.append(
            {
                "id": i,
                "kind": "vehicle",
                "name": f"car{i}",
                "x": x,
                "y": y,
                "z": z,
                "yaw": h,
                "speed": 20.0,
                "length": 4.6,
                "width": 1.85,
                "height": 1.45,
            }
        )
    return out


def _encode(net: RoadNetwork, n: int, ticks: int) -> tuple[float, float]:
    """Microseconds per tick: GroundTruth build + serialize, msgpack of world/actors."""
    builder = GroundTruthBuilder(osi_lanes(net), net, EgoGeometry(0.2, 1.4))
    frames = [_actors(net, n, k * 0.02) for k in range(ticks)]
    builder.build(0, frames[0], _STATE).SerializeToString()  # the lanes, once, outside the timing
    t0 = time.perf_counter()
    for k, actors in enumerate(frames):
        builder.build((k + 1) * 20_000_000, actors, _STATE).SerializeToString()
    osi_us = (time.perf_counter() - t0) / ticks * 1e6
    t0 = time.perf_counter()
    for k, actors in enumerate(frames):
        msgpack.packb({"schema_version": 1, "seq": k, "t_sim_ns": k, "t_wall_ns": k, "actors": actors})
    base_us = (time.perf_counter() - t0) / ticks * 1e6
    return osi_us, base_us


def _read(net: RoadNetwork, path: Path, messages: int) -> tuple[float, float, float]:
    """Messages per second: asam-osi-utilities (.mcap), the same (.osi), plain mcap (undecoded)."""
    builder = GroundTruthBuilder(osi_lanes(net), net, EgoGeometry(0.2, 1.4))
    frames = [_actors(net, 20, (k % 200) * 0.02) for k in range(messages)]
    osi_path = path.with_suffix(".osi")
    sinks = [TraceSink(path), TraceSink(osi_path)]
    for k, actors in enumerate(frames):
        gt = builder.build(k * 20_000_000, actors, _STATE)
        for s in sinks:
            s.write(gt)
    for s in sinks:
        s.close()
    t0 = time.perf_counter()
    reader = MultiTraceReader(log_incompatible_messages=False)
    reader.open(path)
    n_osi = sum(1 for _ in reader)
    reader.close()
    osi_rate = n_osi / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    with open_channel(ChannelSpecification(path=osi_path, message_type=MessageType.GROUND_TRUTH)) as ch:
        n_bin = sum(1 for _ in ch)
    bin_rate = n_bin / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    with path.open("rb") as f:
        n_plain = sum(1 for _ in make_reader(f).iter_messages())
    plain_rate = n_plain / (time.perf_counter() - t0)
    assert n_osi == n_plain == n_bin == messages
    return osi_rate, bin_rate, plain_rate


def main(args: argparse.Namespace) -> int:
    import logging

    logging.getLogger("osi_utilities").setLevel(logging.WARNING)
    net = RoadNetwork.load(ROADS / "highway.xodr")
    rows: list[list[object]] = []
    for n in (1, 20, 100):
        osi_us, base_us = _encode(net, n, args.ticks)
        target = TARGET_ENCODE_US if n == 100 else None
        rows.append(
            [
                "GroundTruth encode (build + serialize)",
                n,
                osi_us,
                1e6 / osi_us,
                "msgpack world/actors",
                base_us,
                osi_us / base_us,
                "<= 1000 us" if target else None,
                None if target is None else osi_us <= target,
            ]
        )
    with tempfile.TemporaryDirectory() as tmp:
        osi_rate, bin_rate, plain_rate = _read(net, Path(tmp) / "bench_gt.mcap", args.messages)
    rows.append(["read .mcap, asam-osi-utilities (decoded)", 20, 1e6 / osi_rate, osi_rate,
                 "mcap reader (undecoded)", plain_rate, osi_rate / plain_rate, None, None])  # fmt: skip
    rows.append(["read .osi, asam-osi-utilities (decoded)", 20, 1e6 / bin_rate, bin_rate,
                 "mcap reader (undecoded)", plain_rate, bin_rate / plain_rate, None, None])  # fmt: skip
    print(f"OSI {__import__('osi3').__version__}, highway network, {args.ticks} ticks per size")
    print(format_table(COLUMNS, rows))
    write_json(Path(args.json), "osi", COLUMNS, rows, {"ticks": args.ticks, "messages": args.messages})
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("osi", help="OSI GroundTruth encode per world tick; OSI trace read rate")
    p.add_argument(
        "--ticks", type=int, default=500, help="world ticks per object count (default %(default)s)"
    )
    p.add_argument(
        "--messages", type=int, default=5000, help="messages in the read test (default %(default)s)"
    )
    p.add_argument("--json", default="bench-osi.json", help="where to write the JSON report")
    p.set_defaults(func=main)
