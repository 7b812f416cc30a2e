"""Lane departures from an OSI trace's lanes and lane boundaries: a host built with the official
bindings drifts across a boundary and off the road at known times; dil's own trace of a lane change
gives the live run's lane invasion."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest
from osi3.osi_groundtruth_pb2 import GroundTruth
from osi3.osi_lane_pb2 import Lane
from osi3.osi_object_pb2 import MovingObject
from osi_utilities import MultiTraceWriter

from dil.cli import main
from dil.osi.convert import trace_to_log
from dil.recording.fast import fast_records
from dil.run.kpi import score_log

ROOT = Path(__file__).resolve().parents[2]
DT = 0.02
V, DRIFT, T_DRIFT = 20.0, 0.45, 1.0
LENGTH, WIDTH = 4.5, 1.8
SECTIONS = ((-50.0, 150.0), (150.0, 400.0))
"""Two lane sections: the host drives from the first into the second in the left lane."""


def host_y(t: float) -> float:
    """Centred in the right lane (y = -1.75), drifting left at 0.45 m/s from 1 s."""
    return -1.75 + DRIFT * max(0.0, t - T_DRIFT)


def _lanes(gt: GroundTruth, *, pairing: bool = True, boundaries: bool = True) -> None:
    """Right lane y in [-3.5, 0], left lane [0, 3.5], each in two sections; boundaries per section."""
    for sec, (x0, x1) in enumerate(SECTIONS):
        xs = [x0 + i * (x1 - x0) / 20 for i in range(21)]
        if boundaries:
            for j, y in enumerate((-3.5, 0.0, 3.5)):
                b = gt.lane_boundary.add()
                b.id.value = 10 * (sec + 1) + j
                for x in xs:
                    p = b.boundary_line.add()
                    p.position.x, p.position.y = x, y
        for j, yc in enumerate((-1.75, 1.75)):
            ln = gt.lane.add()
            ln.id.value = 100 * (sec + 1) + j
            c = ln.classification
            c.type = Lane.Classification.TYPE_DRIVING
            c.centerline_is_driving_direction = True
            for x in xs:
                p = c.centerline.add()
                p.x, p.y = x, yc
            c.right_lane_boundary_id.add().value = 10 * (sec + 1) + j
            c.left_lane_boundary_id.add().value = 10 * (sec + 1) + j + 1
            if pairing and sec == 0:
                c.lane_pairing.add().successor_lane_id.value = 200 + j
            if pairing and sec == 1:
                c.lane_pairing.add().antecessor_lane_id.value = 100 + j


def frames(n: int, **lanes: bool) -> list[GroundTruth]:
    out = []
    for k in range(n):
        t = k * DT
        gt = GroundTruth()
        gt.version.version_major, gt.version.version_minor = 3, 7
        gt.timestamp.seconds, gt.timestamp.nanos = divmod(k * 20_000_000, 1_000_000_000)
        gt.host_vehicle_id.value = 1
        o = gt.moving_object.add()
        o.id.value = 1
        o.type = MovingObject.TYPE_VEHICLE
        o.vehicle_classification.type = MovingObject.VehicleClassification.TYPE_CAR
        b = o.base
        b.dimension.length, b.dimension.width, b.dimension.height = LENGTH, WIDTH, 1.5
        b.position.x, b.position.y, b.position.z = V * t, host_y(t), 0.75
        b.velocity.x, b.velocity.y = V, DRIFT if t > T_DRIFT else 0.0
        if k == 0:
            _lanes(gt, **lanes)
        out.append(gt)
    return out


def write(path: Path, messages: list[GroundTruth]) -> Path:
    w = MultiTraceWriter()
    assert w.open(path)
    w.add_channel("gt", GroundTruth, {"net.asam.osi.trace.channel.osi_version": "3.7.0"})
    for m in messages:
        assert w.write_message(m, "gt")
    w.close()
    return path


def events(log: Path) -> list[tuple[float, str, str]]:
    out = []
    for topic, t_ns, data in fast_records(log):
        if topic == "world/events":
            e = msgpack.unpackb(data)
            out.append((t_ns * 1e-9, e["kind"], e["detail"]))
    return out


def first_frame(pred) -> float:
    k = 0
    while not pred(k * DT):
        k += 1
    return k * DT


N = 680  # 13.58 s


def test_a_host_drifting_across_a_boundary_and_off_the_road(tmp_path: Path) -> None:
    conv = trace_to_log(write(tmp_path / "drift.mcap", frames(N)), tmp_path / "drift.dil.mcap")
    # by hand: a left corner passes y = 0 (the line between the lanes); the centre passes y = 3.5
    t_invasion = first_frame(lambda t: host_y(t) + WIDTH / 2 > 0.0)
    t_off = first_frame(lambda t: host_y(t) > 3.5)
    assert t_invasion == pytest.approx(2.9) and t_off == pytest.approx(12.68)
    ev = events(conv.log)
    assert [(k, round(t, 6)) for t, k, _ in ev] == [
        ("lane_invasion", round(t_invasion, 6)),
        ("off_road", round(t_off, 6)),
    ]
    assert "lane 100 into lane 101" in ev[0][2]
    kpis = score_log(conv.log)
    assert kpis.lane_invasions == 1 and kpis.off_road == 1
    text = conv.mapping.text()
    assert "lane_boundary" in conv.mapping.used and "lane_boundary" not in conv.mapping.ignored
    assert "lane departures: from 4 lane areas" in text and "1 lane invasions, 1 off road" in text


def test_lanes_joined_by_pairing_are_one_lane(tmp_path: Path) -> None:
    """Without the pairing, driving from one lane section into the next looks like an invasion."""
    conv = trace_to_log(write(tmp_path / "np.mcap", frames(N, pairing=False)), tmp_path / "np.dil.mcap")
    kinds = [(k, round(t, 2)) for t, k, _ in events(conv.log)]
    t_section = first_frame(lambda t: V * t + LENGTH / 2 > SECTIONS[1][0])  # the front corners enter it
    assert kinds[:2] == [("lane_invasion", 2.9), ("lane_invasion", round(t_section, 2))]


def test_lanes_without_boundaries_give_no_departures(tmp_path: Path) -> None:
    conv = trace_to_log(write(tmp_path / "nb.mcap", frames(200, boundaries=False)), tmp_path / "nb.dil.mcap")
    assert events(conv.log) == []
    assert "lane departures: not computed (no lanes with lane_boundary lines" in conv.mapping.text()


def test_dil_own_trace_of_a_lane_change_gives_the_live_run_s_invasion(tmp_path: Path) -> None:
    scen = ROOT / "scenarios" / "catalog" / "lane_change_highway.xosc"
    short = ["--max-time", "10"]  # the lane change starts at 3 s and is over by 7 s: 10 s of the 40 s hold it
    main(["run", str(scen), *short, "--out", str(tmp_path), "--osi-trace", str(tmp_path / "gt.mcap")])
    live = [(round(t, 6), k) for t, k, _ in events(tmp_path / scen.stem / "run.mcap")]
    assert [k for _, k in live] == ["lane_invasion"]
    conv = trace_to_log(tmp_path / "gt.mcap", tmp_path / "gt.dil.mcap")
    replayed = [(round(t, 6), k) for t, k, _ in events(conv.log)]
    assert replayed == live
