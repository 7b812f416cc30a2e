"""OSI traces written by another tool (built here with the official bindings) replayed through dil:
KPIs equal to a hand computation, the built-in stack in open loop, and bad input named clearly."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from mcap.writer import Writer
from osi3.osi_groundtruth_pb2 import GroundTruth
from osi3.osi_object_pb2 import MovingObject
from osi_utilities import MultiTraceWriter, SingleTraceWriter

from dil.osi.convert import trace_to_log
from dil.osi.detect import is_osi_trace
from dil.osi.trace import OsiTraceError, TraceWarnings, read_ground_truth
from dil.recording.fast import fast_records
from dil.run.kpi import score_log

DT = 0.02
L_EGO, L_LEAD = 4.5, 4.8
V_EGO = 20.0


def lead(t: float) -> tuple[float, float, float]:
    """Lead vehicle (x, v, a): 40 m ahead at 20 m/s, braking at 4 m/s^2 from 1 s to 3 s."""
    if t < 1.0:
        return 40.0 + 20.0 * t, 20.0, 0.0
    if t < 3.0:
        tb = t - 1.0
        return 60.0 + 20.0 * tb - 2.0 * tb * tb, 20.0 - 4.0 * tb, -4.0
    return 92.0 + 12.0 * (t - 3.0), 12.0, 0.0


def frames(n: int = 250, *, lanes: bool = True) -> list[GroundTruth]:
    out = []
    for k in range(n):
        t = k * DT
        gt = GroundTruth()
        gt.version.version_major, gt.version.version_minor = 3, 7
        gt.timestamp.seconds, gt.timestamp.nanos = divmod(k * 20_000_000, 1_000_000_000)
        gt.host_vehicle_id.value = 7
        xl, vl, al = lead(t)
        for oid, x, v, a, length in ((7, V_EGO * t, V_EGO, 0.0, L_EGO), (12, xl, vl, al, L_LEAD)):
            o = gt.moving_object.add()
            o.id.value = oid
            o.type = MovingObject.TYPE_VEHICLE
            o.vehicle_classification.type = MovingObject.VehicleClassification.TYPE_CAR
            b = o.base
            b.dimension.length, b.dimension.width, b.dimension.height = length, 1.8, 1.5
            b.position.x, b.position.y, b.position.z = x, 0.0, 0.75
            b.velocity.x, b.acceleration.x = v, a
            b.orientation.yaw = 0.0
            b.orientation_rate.yaw = 0.0
        if lanes and k == 0:
            ln = gt.lane.add()
            ln.id.value = 100
            ln.classification.type = ln.classification.TYPE_DRIVING
            ln.classification.centerline_is_driving_direction = True
            for x in range(-50, 400, 5):
                p = ln.classification.centerline.add()
                p.x, p.y = float(x), 0.0
        out.append(gt)
    return out


def hand_ttc_headway(n: int = 250) -> tuple[float, float]:
    ttc = headway = math.inf
    for k in range(n):
        t = k * DT
        xl, vl, _ = lead(t)
        gap = xl - V_EGO * t - 0.5 * (L_EGO + L_LEAD)
        if V_EGO - vl > 1e-6:
            ttc = min(ttc, gap / (V_EGO - vl))
        headway = min(headway, gap / V_EGO)
    return ttc, headway


def write(path: Path, messages: list[GroundTruth]) -> Path:
    w = MultiTraceWriter() if path.suffix == ".mcap" else SingleTraceWriter()
    assert w.open(path)
    if isinstance(w, MultiTraceWriter):
        w.add_channel("gt", GroundTruth, {"net.asam.osi.trace.channel.osi_version": "3.7.0"})
    for m in messages:
        assert w.write_message(m, "gt")
    w.close()
    return path


@pytest.mark.parametrize("suffix", [".mcap", ".osi"])
def test_a_braking_lead_scores_the_hand_computed_ttc_and_headway(tmp_path: Path, suffix: str) -> None:
    trace = write(tmp_path / f"braking{suffix}", frames())
    assert is_osi_trace(trace)
    conv = trace_to_log(trace, tmp_path / "braking.dil.mcap")
    assert conv.frames == 250 and not conv.warnings.counts
    assert {"host_vehicle_id", "base.velocity", "base.acceleration", "lane"} <= conv.mapping.used
    kpis = score_log(conv.log)
    ttc, headway = hand_ttc_headway()
    assert ttc == pytest.approx(11.5 / 8.0, abs=0.05)  # the scenario as designed
    assert kpis.min_ttc == pytest.approx(ttc, rel=1e-9)
    assert kpis.min_headway == pytest.approx(headway, rel=1e-9)
    assert kpis.min_distance == pytest.approx(ttc * 8.0, rel=1e-9)
    assert not kpis.collision
    assert kpis.initial_speed == pytest.approx(V_EGO)


def test_the_built_in_stack_runs_open_loop_on_the_trace(tmp_path: Path) -> None:
    trace = write(tmp_path / "braking.mcap", frames())
    conv = trace_to_log(trace, tmp_path / "ol.dil.mcap", open_loop=True)
    ol = conv.open_loop
    assert ol is not None and ol.commands == 250
    # the stack saw the closing lead and braked, after the lead began braking
    assert ol.first_brake_s is not None and 1.0 < ol.first_brake_s < 5.0
    assert ol.max_abs_steering < 0.05  # straight lane, centred ego
    topics = {t for t, _, _ in fast_records(conv.log)}
    assert {"ai/command", "sensor/lanes", "sensor/objects", "world/actors", "vehicle/state"} <= topics


def test_without_lanes_the_report_says_what_is_disabled(tmp_path: Path) -> None:
    trace = write(tmp_path / "nolanes.osi", frames(20, lanes=False))
    conv = trace_to_log(trace, tmp_path / "n.dil.mcap")
    text = conv.mapping.text()
    assert "missing: lane (20 x): no lanes" in text and "lane-departure KPI" in text


def test_a_crash_in_the_trace_is_a_collision(tmp_path: Path) -> None:
    conv = trace_to_log(write(tmp_path / "crash.osi", frames(400)), tmp_path / "c.dil.mcap")
    kpis = score_log(conv.log)
    assert kpis.collision and kpis.collision_with == "osi-12"
    assert kpis.collision_time == pytest.approx(6.4, abs=0.03)


# --- bad input ---------------------------------------------------------------------------------


def _read(path: Path) -> tuple[list[int], TraceWarnings]:
    w = TraceWarnings()
    return [t for t, _ in read_ground_truth(path, w)], w


def test_a_file_that_is_not_mcap(tmp_path: Path) -> None:
    p = tmp_path / "junk.mcap"
    p.write_bytes(b"not an mcap file at all" * 10)
    with pytest.raises(OsiTraceError, match=r"junk\.mcap: not an MCAP file"):
        _read(p)


def test_an_mcap_without_ground_truth(tmp_path: Path) -> None:
    p = tmp_path / "other.mcap"
    with p.open("wb") as f:
        w = Writer(f)
        w.start("x", "test")
        sid = w.register_schema("thing", "jsonschema", b"{}")
        w.register_channel("/things", "json", sid)
        w.finish()
    with pytest.raises(OsiTraceError, match=r"other\.mcap: no OSI GroundTruth channel \(channels: /things\)"):
        _read(p)


def test_a_wrong_osi_version(tmp_path: Path) -> None:
    msgs = frames(5)
    msgs[0].version.version_major = 2
    with pytest.raises(OsiTraceError, match=r"v2\.osi: channel .*t = 0\.000 s: field version = 2\.7\.0"):
        _read(write(tmp_path / "v2.osi", msgs))
    p = tmp_path / "v4.mcap"
    w = MultiTraceWriter()
    w.open(p)
    w.add_channel("gt", GroundTruth, {"net.asam.osi.trace.channel.osi_version": "4.0.0"})
    w.write_message(frames(1)[0], "gt")
    w.close()
    with pytest.raises(
        OsiTraceError, match=r"channel gt: metadata net\.asam\.osi\.trace\.channel\.osi_version"
    ):
        _read(p)


def test_a_truncated_trace_keeps_what_was_read(tmp_path: Path) -> None:
    p = write(tmp_path / "cut.osi", frames(50))
    data = p.read_bytes()
    p.write_bytes(data[: len(data) * 3 // 4])
    times, w = _read(p)
    assert 30 < len(times) < 40
    assert w.counts == {"file cut short": 1}
    assert "cut.osi: channel (single channel): reading stops after t = " in w.first["file cut short"]


def test_a_truncated_mcap_trace(tmp_path: Path) -> None:
    p = write(tmp_path / "cut.mcap", frames(50))
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    try:
        times, w = _read(p)
    except OsiTraceError as e:  # the summary is gone: said, naming the file
        assert "cut.mcap" in str(e)
        return
    assert len(times) < 50 and "file cut short" in w.counts


@pytest.mark.parametrize("suffix", [".osi", ".mcap"])
def test_non_increasing_timestamps_are_counted_and_skipped(tmp_path: Path, suffix: str) -> None:
    msgs = frames(10)
    msgs[5].timestamp.nanos = 0  # back to t = 0
    msgs[6].CopyFrom(msgs[4])  # repeats t = 0.08
    times, w = _read(write(tmp_path / f"t{suffix}", msgs))
    assert len(times) == 8 and times == sorted(set(times))
    assert w.counts == {"non-increasing timestamp": 2}
    # an .osi file in its order; the MCAP reader yields messages in log-time order (so equal times)
    first = "0.000000 s after 0.080000 s" if suffix == ".osi" else "0.000000 s after 0.000000 s"
    channel = "(single channel)" if suffix == ".osi" else "gt"
    assert f"t{suffix}: channel {channel}: field timestamp {first}" in w.first["non-increasing timestamp"]


def test_objects_that_appear_and_vanish_and_a_missing_host(tmp_path: Path) -> None:
    msgs = frames(30)
    for k in range(10, 20):
        del msgs[k].moving_object[1]  # the lead vanishes for 0.2 s
    del msgs[25].moving_object[0]  # the host is missing once
    conv = trace_to_log(write(tmp_path / "gaps.osi", msgs), tmp_path / "g.dil.mcap")
    assert conv.frames == 29 and conv.skipped_no_host == 1
    assert conv.mapping.appeared == 0 and conv.mapping.vanished == 1  # gone once, back with its id
    assert conv.warnings.counts == {"host vehicle missing": 1}
    assert "t = 0.500 s" in conv.warnings.first["host vehicle missing"]
    ids = [[a["id"] for a in m["actors"]] for t, m in _actors(conv.log)]
    assert ids[9] == [0, 1] and ids[10] == [0] and ids[20] == [0, 1]  # the lead keeps its id


def _actors(log: Path) -> list:
    import msgpack

    return [(t, msgpack.unpackb(d)) for topic, t, d in fast_records(log) if topic == "world/actors"]


def test_a_dil_log_is_not_taken_for_an_osi_trace(tmp_path: Path) -> None:
    conv = trace_to_log(write(tmp_path / "x.osi", frames(5)), tmp_path / "x.dil.mcap")
    assert not is_osi_trace(conv.log)
