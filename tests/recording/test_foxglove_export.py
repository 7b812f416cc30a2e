"""``dil log export --format foxglove``: real runs of catalog scenarios exported by the command,
read back with the mcap reader, validated with ``jsonschema`` and decoded with Foxglove's own
protobuf schemas (``foxglove-schemas-protobuf``). The commands run in-process (:mod:`tests.inproc`)
but for the refusal of a file that is not a log, which runs as a ``dil`` process."""

from __future__ import annotations

import base64
import json
import math
import subprocess
import sys
from collections import Counter
from pathlib import Path

import cv2
import jsonschema
import msgpack
import numpy as np
import pytest
from foxglove_schemas_protobuf.CompressedImage_pb2 import CompressedImage
from foxglove_schemas_protobuf.FrameTransforms_pb2 import FrameTransforms
from foxglove_schemas_protobuf.Log_pb2 import Log
from foxglove_schemas_protobuf.SceneUpdate_pb2 import SceneUpdate
from google.protobuf.descriptor_pb2 import FileDescriptorSet
from mcap.reader import make_reader

from dil.recording.reader import read_metadata, records
from tests.inproc import dil_here

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "dil" / "inference" / "models" / "lane_keeper.yaml"
FOXGLOVE_ENCODINGS = {"json": "jsonschema", "protobuf": "protobuf"}
"""Message encodings of the export and the schema encoding Foxglove needs with each."""


def _dil(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return dil_here(*args, cwd=cwd)


def _run_and_export(tmp: Path, *run_args: str) -> tuple[Path, Path]:
    done = _dil("run", *run_args, "--out", str(tmp / "runs"), cwd=tmp)
    assert done.returncode in (0, 1, 3), done.stderr
    log = next((tmp / "runs").glob("*/run.mcap"))
    out = tmp / "export.mcap"
    exported = _dil("log", "export", str(log), "--format", "foxglove", "-o", str(out), cwd=tmp)
    assert exported.returncode == 0, exported.stderr
    assert str(out) in exported.stdout
    return log, out


def _read(path: Path) -> tuple[dict, dict[str, list]]:
    """Channels by topic (channel, schema) and messages by topic (log time, data)."""
    with path.open("rb") as f:
        reader = make_reader(f)
        summary = reader.get_summary()
        assert summary is not None
        chans = {c.topic: (c, summary.schemas[c.schema_id]) for c in summary.channels.values()}
        msgs: dict[str, list] = {}
        for _schema, channel, message in reader.iter_messages(log_time_order=False):
            msgs.setdefault(channel.topic, []).append((message.log_time, message.data))
    return chans, msgs


def _source(log: Path) -> dict[str, list]:
    out: dict[str, list] = {}
    for topic, m in records(log):
        out.setdefault(topic, []).append(m)
    return out


@pytest.fixture(scope="module")
def ccrs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _run_and_export(tmp_path_factory.mktemp("ccrs"), "ccrs", "--osi")


def test_every_channel_has_a_schema_foxglove_decodes(ccrs: tuple[Path, Path]) -> None:
    _log, out = ccrs
    chans, msgs = _read(out)
    for topic, (channel, schema) in chans.items():
        assert FOXGLOVE_ENCODINGS.get(channel.message_encoding) == schema.encoding, topic
        if channel.message_encoding == "json":
            validator = jsonschema.Draft202012Validator(json.loads(schema.data))
            validator.check_schema(validator.schema)
            for _t, data in msgs[topic]:
                validator.validate(json.loads(data))
        else:
            fds = FileDescriptorSet.FromString(schema.data)
            packages = {f"{f.package}.{m.name}" for f in fds.file for m in f.message_type}
            assert schema.name in packages, topic
    # Foxglove's own topics decode with Foxglove's schema package
    assert chans["foxglove/scene"][1].name == "foxglove.SceneUpdate"
    for topic, cls in (
        ("foxglove/road", SceneUpdate),
        ("foxglove/scene", SceneUpdate),
        ("foxglove/tf", FrameTransforms),
    ):
        assert chans[topic][1].name == cls.DESCRIPTOR.full_name
        for _t, data in msgs[topic]:
            cls.FromString(data)


def test_message_counts_and_times_match_the_log(ccrs: tuple[Path, Path]) -> None:
    log, out = ccrs
    source = _source(log)
    _chans, msgs = _read(out)
    assert {t: len(v) for t, v in source.items()} == {t: len(msgs[t]) for t in source}
    for topic, rows in source.items():
        if topic == "ground_truth":  # protobuf, copied byte for byte
            assert [bytes(m.data) for m in rows] == [d for _t, d in msgs[topic]]
            continue
        for m, (t, data) in zip(rows, msgs[topic], strict=True):
            native = msgpack.unpackb(m.data)
            assert t == native["t_sim_ns"]
            assert json.loads(data)["seq"] == native["seq"]
    n_actors = len(source["world/actors"])
    assert len(msgs["foxglove/scene"]) == n_actors
    assert len(msgs["foxglove/tf"]) == n_actors
    assert len(msgs["foxglove/road"]) == 1


def _yaw(q) -> float:
    return 2.0 * math.atan2(q.z, q.w)


def test_scene_has_lanes_and_actors_where_the_log_has_them(ccrs: tuple[Path, Path]) -> None:
    log, out = ccrs
    source = _source(log)
    _chans, msgs = _read(out)
    t_known = 5_000_000_000
    native = next(msgpack.unpackb(m.data) for m in source["world/actors"] if m.log_time == t_known)
    scene = next(SceneUpdate.FromString(d) for t, d in msgs["foxglove/scene"] if t == t_known)
    by_id = {e.id: e for e in scene.entities}
    assert set(by_id) == {f"actor/{a['id']}" for a in native["actors"]} == {"actor/0", "actor/1"}
    for a in native["actors"]:
        e = by_id[f"actor/{a['id']}"]
        assert e.frame_id == "world"
        (cube,) = e.cubes
        p = cube.pose.position
        assert (p.x, p.y, p.z) == pytest.approx((a["x"], a["y"], a["z"]), abs=1e-9)
        assert _yaw(cube.pose.orientation) == pytest.approx(a["yaw"], abs=1e-9)
        assert (cube.size.x, cube.size.y, cube.size.z) == pytest.approx(
            (a["length"], a["width"], a["height"])
        )
        (text,) = e.texts
        assert text.text.startswith(f"{a['id']} {a['name']}")
    ego, target = native["actors"]
    assert target["name"] == "Target"
    # ccrs: the target stands still in the ego's lane, ahead of it
    first = SceneUpdate.FromString(msgs["foxglove/scene"][0][1])
    last = SceneUpdate.FromString(msgs["foxglove/scene"][-1][1])
    for update in (first, last):
        pos = next(e for e in update.entities if e.id == "actor/1").cubes[0].pose.position
        assert (pos.x, pos.y) == pytest.approx((target["x"], target["y"]), abs=1e-6)
    ahead = (target["x"] - ego["x"]) * math.cos(ego["yaw"]) + (target["y"] - ego["y"]) * math.sin(ego["yaw"])
    assert ahead > 0
    # the transform world -> ego at the same time is the ego's pose
    tf = next(FrameTransforms.FromString(d) for t, d in msgs["foxglove/tf"] if t == t_known).transforms[0]
    assert (tf.parent_frame_id, tf.child_frame_id) == ("world", "ego")
    assert (tf.translation.x, tf.translation.y) == pytest.approx((ego["x"], ego["y"]), abs=1e-9)
    assert _yaw(tf.rotation) == pytest.approx(ego["yaw"], abs=1e-9)
    # the road: one line per lane border, and the actors stand between two lines of the same road
    (road,) = SceneUpdate.FromString(msgs["foxglove/road"][0][1]).entities
    _meta, attachments = read_metadata(log)
    assert "road.xodr" in attachments
    assert len(road.lines) == len(road.metadata) >= 3
    for a in (ego, target):
        lateral = []
        for line in road.lines:
            pts = np.array([(q.x, q.y) for q in line.points])
            i = int(np.argmin(np.hypot(pts[:, 0] - a["x"], pts[:, 1] - a["y"])))
            if np.hypot(*(pts[i] - (a["x"], a["y"]))) < 10.0:
                # signed distance to the left of the actor's heading
                d = pts[i] - (a["x"], a["y"])
                lateral.append(-d[0] * math.sin(a["yaw"]) + d[1] * math.cos(a["yaw"]))
        assert min(lateral) < -0.5 * a["width"] and max(lateral) > 0.5 * a["width"], lateral


@pytest.mark.subprocess  # the AI stack's inference node is a process
def test_camera_frames_become_compressed_images(tmp_path: Path) -> None:
    log, out = _run_and_export(
        tmp_path, "lane_keeping_rural", "--stack", "ai", "--ai-model", str(MODEL), "--max-time", "1"
    )
    source = _source(log)
    chans, msgs = _read(out)
    frames = [msgpack.unpackb(m.data) for m in source["sensor/front"]]
    assert frames, "the AI stack's camera recorded no frame"
    assert chans["foxglove/camera/front"][1].name == "foxglove.CompressedImage"
    images = [(t, CompressedImage.FromString(d)) for t, d in msgs["foxglove/camera/front"]]
    assert [t for t, _i in images] == [f["t_sim_ns"] for f in frames]
    t, image = images[-1]
    assert image.format == "jpeg" and image.frame_id == "camera/front"
    assert image.timestamp.seconds * 1_000_000_000 + image.timestamp.nanos == t
    pixels = cv2.imdecode(np.frombuffer(image.data, np.uint8), cv2.IMREAD_COLOR)
    native = frames[-1]
    assert pixels.shape == (native["height"], native["width"], 3)
    raw = np.frombuffer(native["data"], np.uint8).reshape(pixels.shape)
    assert np.abs(pixels.astype(int) - raw).mean() < 8.0  # the same picture, up to JPEG's loss
    # the JSON copy of the topic carries the bytes as base64
    data = json.loads(msgs["sensor/front"][-1][1])["data"]
    assert base64.b64decode(data) == native["data"]


def test_events_become_foxglove_log_lines(tmp_path: Path) -> None:
    log, out = _run_and_export(tmp_path, "ccrs", "--stack", "none")  # nobody brakes: a collision
    (event,) = [msgpack.unpackb(m.data) for m in _source(log)["world/events"]]
    assert event["kind"] == "collision"
    chans, msgs = _read(out)
    assert chans["foxglove/log"][1].name == "foxglove.Log"
    lines = [(t, Log.FromString(d)) for t, d in msgs["foxglove/log"]]
    kinds = Counter(line.name for _t, line in lines)
    assert kinds["world/events"] == 1
    t, line = next((t, line) for t, line in lines if line.name == "world/events")
    assert t == event["t_sim_ns"]
    assert line.level == Log.Level.ERROR
    assert "collision" in line.message and f"actor {event['other_id']}" in line.message


def test_a_file_that_is_not_a_log_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mcap"
    bad.write_text("not a log\n")
    out = tmp_path / "out.mcap"
    done = subprocess.run(
        [sys.executable, "-m", "dil", "log", "export", str(bad), "--format", "foxglove", "-o", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 2
    assert str(bad) in done.stderr and "not an MCAP file" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_run_with_foxglove_writes_the_export_beside_the_log(tmp_path: Path) -> None:
    done = _dil("run", "ccrs", "--foxglove", "--max-time", "2", "--out", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 3, done.stderr  # cut by the time guard: incomplete, logged all the same
    log, export = tmp_path / "ccrs" / "run.mcap", tmp_path / "ccrs" / "run_foxglove.mcap"
    assert str(export) in done.stdout
    _chans, msgs = _read(export)
    assert len(msgs["foxglove/scene"]) == len(_source(log)["world/actors"]) > 0
    refused = _dil("run", "ccrs", "--foxglove", "--no-record", "--out", str(tmp_path), cwd=tmp_path)
    assert refused.returncode == 2 and "--no-record" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_log_cut_short_is_exported_up_to_its_end(ccrs: tuple[Path, Path], tmp_path: Path) -> None:
    log, _out = ccrs
    cut = tmp_path / "cut.mcap"
    data = log.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # as a killed writer leaves it
    out = tmp_path / "cut_foxglove.mcap"
    done = _dil("log", "export", str(cut), "--format", "foxglove", "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "cut short" in done.stdout
    held = {t: len(v) for t, v in _source(cut).items()}
    assert 0 < held["world/actors"] < len(_source(log)["world/actors"])
    _chans, msgs = _read(out)
    assert {t: len(msgs[t]) for t in held} == held
    assert len(msgs["foxglove/scene"]) == held["world/actors"]
