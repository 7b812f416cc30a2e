"""OSI ground truth out of a run: read back with asam-osi-utilities (not dil's code), every entity's
pose equals dil's own log at every world tick, the ego's reference point is converted on a turning
vehicle, lanes are written once and referenced by id, and exporting the log gives the same trace."""

from __future__ import annotations

import math
from pathlib import Path

import msgpack
import pytest
from mcap.reader import make_reader
from osi_utilities import ChannelSpecification, MessageType, MultiTraceReader, open_channel

import vehicle_models
from dil.osi.export import export_log
from dil.run.runner import run
from dil.run.spec import Outputs, RunSpec, ScenarioChoice, Timing

SCENARIO = Path(__file__).parents[2] / "scenarios" / "catalog" / "lane_keeping_rural.xosc"


@pytest.fixture(scope="module")
def osi_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    d = tmp_path_factory.mktemp("osi_run")
    log, trace = d / "run.mcap", d / "trace_gt.mcap"
    run(
        RunSpec(
            ScenarioChoice(SCENARIO),
            outputs=Outputs(record=log, osi=trace, osi_in_log=True),
            timing=Timing(max_time=12.0),
        )
    )
    return {"dir": d, "log": log, "trace": trace}


def _ground_truth(path: Path) -> list:
    reader = MultiTraceReader(log_incompatible_messages=False)
    assert reader.open(path)
    reader.set_topics(["ground_truth"])
    out = [r.message for r in reader]
    reader.close()
    return out


def _dil_log(path: Path) -> tuple[list[tuple[int, dict]], list[tuple[int, dict, dict | None]]]:
    """world/actors messages with the newest vehicle/state before each (plain mcap reader)."""
    actors, states = [], []
    state = None
    with path.open("rb") as f:
        for _schema, channel, message in make_reader(f).iter_messages(log_time_order=False):
            if channel.topic == "vehicle/state":
                state = msgpack.unpackb(message.data)
                states.append((message.log_time, state))
            elif channel.topic == "world/actors":
                actors.append((message.log_time, msgpack.unpackb(message.data), state))
    return states, actors


def _t(gt) -> int:
    return gt.timestamp.seconds * 1_000_000_000 + gt.timestamp.nanos


def test_every_pose_equals_the_log_at_every_world_tick(osi_run: dict) -> None:
    _, actors = _dil_log(osi_run["log"])
    for source in (osi_run["trace"], osi_run["log"]):
        gts = _ground_truth(source)
        assert len(gts) == len(actors) > 500  # 12 s at 50 Hz
        for gt, (t, msg, _) in zip(gts, actors, strict=True):
            assert _t(gt) == t
            assert gt.host_vehicle_id.value == 1
            by_id = {o.id.value: o for o in gt.moving_object}
            assert len(by_id) == len(msg["actors"])
            for a in msg["actors"]:
                b = by_id[a["id"] + 1].base
                assert (b.position.x, b.position.y) == (a["x"], a["y"])
                assert b.position.z == pytest.approx(a["z"] + 0.5 * a["height"], abs=1e-12)
                assert b.orientation.yaw == a["yaw"]
                assert (b.dimension.length, b.dimension.width, b.dimension.height) == (
                    a["length"],
                    a["width"],
                    a["height"],
                )
                assert math.hypot(b.velocity.x, b.velocity.y) == pytest.approx(a["speed"], rel=1e-3, abs=1e-3)


def test_the_ego_reference_point_becomes_the_box_centre_on_a_turning_vehicle(osi_run: dict) -> None:
    params = vehicle_models.load("sedan_bmw320i")
    a, b = params.chassis.cg_to_front_axle, params.chassis.cg_to_rear_axle
    d = 0.5 * (a - b)  # single-track model: reference point at the CG; the box centre midway between axles
    assert abs(d) > 0.05
    _, actors = _dil_log(osi_run["log"])
    gts = _ground_truth(osi_run["trace"])
    turning = 0
    for gt, (_, _, st) in zip(gts, actors, strict=True):
        if st is None:
            continue
        ego = next(o for o in gt.moving_object if o.id.value == 1).base
        yaw = st["yaw"]
        c, s = math.cos(yaw), math.sin(yaw)
        assert ego.position.x == pytest.approx(st["x"] + d * c, abs=1e-9)
        assert ego.position.y == pytest.approx(st["y"] + d * s, abs=1e-9)
        w = st["yaw_rate"]
        u, v = st["vx"], st["vy"] + w * d
        assert ego.velocity.x == pytest.approx(u * c - v * s, abs=1e-9)
        assert ego.velocity.y == pytest.approx(u * s + v * c, abs=1e-9)
        assert ego.orientation_rate.yaw == w
        # longitudinal: the reference point's, less the centripetal part of the offset
        along = ego.acceleration.x * c + ego.acceleration.y * s
        assert along == pytest.approx(st["ax"] - w * w * d, abs=1e-9)
        if abs(w * d) > 2e-3:
            turning += 1
            # the reference point's own velocity would be measurably different
            naive = (st["vx"] * -s + st["vy"] * c, ego.velocity.x * -s + ego.velocity.y * c)
            assert abs(naive[0] - naive[1]) > 1e-3
    assert turning > 20, "the scenario must turn the ego for this test to mean anything"


def test_lanes_are_written_once_and_referenced_by_id(osi_run: dict) -> None:
    gts = _ground_truth(osi_run["trace"])
    first = gts[0]
    assert len(first.lane) >= 2 and len(first.lane_boundary) >= 3
    assert all(len(g.lane) == 0 and len(g.lane_boundary) == 0 for g in gts[1:])
    boundaries = {b.id.value for b in first.lane_boundary}
    lanes = {ln.id.value for ln in first.lane}
    for ln in first.lane:
        c = ln.classification
        assert len(c.centerline) >= 2
        assert {x.value for x in c.left_lane_boundary_id} <= boundaries
        assert {x.value for x in c.right_lane_boundary_id} <= boundaries
        for p in c.lane_pairing:
            for lid in (p.antecessor_lane_id, p.successor_lane_id):
                assert not lid.HasField("value") or lid.value in lanes
    assigned = [
        x.value for g in gts for o in g.moving_object for x in o.moving_object_classification.assigned_lane_id
    ]
    assert assigned and set(assigned) <= lanes
    # the ego drives in a driving lane whose boundaries lie either side of it
    driving = {ln.id.value for ln in first.lane if ln.classification.type == ln.classification.TYPE_DRIVING}
    assert set(assigned) <= driving


def test_the_ego_wheels_and_lights_are_written(osi_run: dict) -> None:
    _, actors = _dil_log(osi_run["log"])
    st = actors[-1][2]
    gt = _ground_truth(osi_run["trace"])[-1]
    ego = next(o for o in gt.moving_object if o.id.value == 1)
    wheels = ego.vehicle_attributes.wheel_data
    assert [(w.axle, w.index) for w in wheels] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [w.rotation_rate for w in wheels] == [st[f"wheel_speed_{k}"] for k in ("fr", "fl", "rr", "rl")]
    assert all(w.rotation_rate > 1.0 for w in wheels)
    assert ego.vehicle_attributes.bbcenter_to_rear.x < -1.0
    assert ego.vehicle_classification.light_state.HasField("brake_light_state")


def test_exporting_the_log_gives_the_live_trace(osi_run: dict) -> None:
    live = _ground_truth(osi_run["trace"])
    assert live[0].map_reference == "rural.xodr"
    live[0].ClearField("map_reference")
    for name in ("export_gt.mcap", "export_gt.osi"):
        out = osi_run["dir"] / name
        n, notes = export_log(osi_run["log"], out)
        assert n == len(live) and notes == []
        spec = ChannelSpecification(
            path=out,
            message_type=MessageType.GROUND_TRUTH,
            topic="ground_truth" if name.endswith("mcap") else None,
        )
        with open_channel(spec) as channel:
            exported = list(channel)
        assert exported[0].map_reference == "road.xodr attached to run.mcap"
        exported[0].ClearField("map_reference")
        assert [m.SerializeToString() for m in exported] == [m.SerializeToString() for m in live]
