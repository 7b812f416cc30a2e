"""A real inference node process (``dil node serve``) over tcp on loopback."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from dil.bus import Encoder
from dil.bus.codec import decode
from dil.bus.messages import INFERENCE_REQUEST, SERVICE_SCHEMAS
from dil.bus.zmq_bus import Endpoints, ZmqBus

from ..ports import free_port
from . import linear_model as lm


@pytest.fixture
def node(tmp_path):
    model = lm.build(tmp_path)
    address = f"tcp://127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dil",
            "node",
            "serve",
            str(model["manifest"]),
            "--bind",
            address,
            "--name",
            "n1",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    bus = ZmqBus(Endpoints.default("tcp"))
    yield model, address, proc, bus
    bus.close()
    if proc.poll() is None:
        proc.terminate()
        proc.wait(10)


ENC = Encoder(INFERENCE_REQUEST, "test")


def _request(fid, img, speed=5.0, camera="front"):
    h, w = img.shape[:2]
    fields = {
        "frame_id": fid,
        "deadline_ns": 0,
        "images": [{"camera": camera, "width": w, "height": h, "encoding": "bgr8", "data": img.tobytes()}],
        "objects": [],
        "ego": [speed, 1.0],
        "ego_fields": "speed,vx",
    }
    return ENC.encode(fid * 1000, time.time_ns(), fields)


def _replies(req, n, timeout_ms=30_000):
    out = []
    while len(out) < n:
        frame = req.recv(timeout_ms)
        assert frame is not None, f"only {len(out)} of {n} replies"
        out.append(decode(frame, SERVICE_SCHEMAS)[1])
    return out


def _unread_by_server(port: int) -> int:
    """Bytes the kernel holds for the server's established connections on ``port``, not yet read."""
    total = 0
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            local, state, queues = line.split()[1], line.split()[3], line.split()[4]
            if state == "01" and int(local.split(":")[1], 16) == port:
                total += int(queues.split(":")[1], 16)
    return total


def _stopped(pid: int) -> bool:
    """Whether every thread of ``pid`` has stopped (a signal is delivered some time after ``kill``)."""
    tasks = os.listdir(f"/proc/{pid}/task")
    return all(_state(f"/proc/{pid}/task/{t}/stat") == "T" for t in tasks)


def _state(stat_path: str) -> str:
    with open(stat_path) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def _wait_until(condition, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _probe(req):
    req.send(
        ENC.encode(
            0, 0, {"frame_id": 0, "deadline_ns": 0, "images": [], "objects": [], "ego": [], "ego_fields": ""}
        )
    )
    return _replies(req, 1, 60_000)[0]


def test_the_node_answers_in_order_with_the_exact_commands_and_batches(node):
    model, address, proc, bus = node
    req = bus.requester("inference", address)
    probe = _probe(req)
    assert probe["needs"] == f"camera:front:{lm.W}x{lm.H},ego:speed" and "n1 (onnx on" in probe["node"]
    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 256, (lm.H, lm.W, 3), dtype=np.uint8) for _ in range(40)]
    requests = [_request(k, f, speed=float(k)) for k, f in enumerate(frames, start=1)]
    port = int(address.rsplit(":", 1)[1])
    os.kill(proc.pid, signal.SIGSTOP)  # the node reads nothing until all 40 wait in its socket
    try:
        _wait_until(lambda: _stopped(proc.pid))
        for r in requests:
            req.send(r)
        _wait_until(lambda: _unread_by_server(port) >= sum(len(r) for r in requests))
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    replies = _replies(req, 40)
    assert [r["frame_id"] for r in replies] == list(range(1, 41))
    for r, f, k in zip(replies, frames, range(1, 41), strict=True):
        assert r["error"] == ""
        want = lm.commands(model, f, float(k))
        got = [r["steering_wheel_angle"], r["throttle"], r["brake"]]
        np.testing.assert_allclose(got, want, atol=1e-5)
        assert r["inference_ns"] > 0 and r["node_ns"] >= r["inference_ns"]
    assert max(r["batch"] for r in replies) == model["doc"]["max_batch"]  # what waited was computed together


def test_two_runtimes_share_one_node(node):
    model, address, _, bus = node
    a, b = bus.requester("inference", address), bus.requester("inference", address)
    _probe(a)
    img = np.full((lm.H, lm.W, 3), 100, np.uint8)
    a.send(_request(1, img, 1.0))
    b.send(_request(2, img, 2.0))
    ra, rb = _replies(a, 1)[0], _replies(b, 1)[0]
    assert (ra["frame_id"], rb["frame_id"]) == (1, 2)
    assert ra["steering_wheel_angle"] == pytest.approx(lm.commands(model, img, 1.0)[0], abs=1e-5)
    assert rb["steering_wheel_angle"] == pytest.approx(lm.commands(model, img, 2.0)[0], abs=1e-5)


def test_bad_requests_get_an_error_reply_and_the_rest_are_answered(node):
    _, address, proc, bus = node
    req = bus.requester("inference", address)
    _probe(req)
    good = np.zeros((lm.H, lm.W, 3), np.uint8)
    req.send(_request(1, np.zeros((lm.H + 2, lm.W, 3), np.uint8)))  # wrong size
    req.send(_request(2, good, camera="rear"))  # a camera the model does not read
    req.send(b"inference/request\0\x93garbage")
    req.send(_request(3, good))
    r = _replies(req, 4)
    assert r[0]["frame_id"] == 1 and f"the image is {lm.W}x{lm.H + 2}" in r[0]["error"]
    assert r[1]["frame_id"] == 2 and "no image from camera 'front'" in r[1]["error"]
    assert r[2]["error"]
    assert r[3]["frame_id"] == 3 and r[3]["error"] == ""
    assert proc.poll() is None  # still serving


def test_a_model_that_does_not_match_its_manifest_fails_at_start(tmp_path):
    model = lm.build(tmp_path)
    text = model["manifest"].read_text().replace("name: speed", "name: velocity")
    model["manifest"].write_text(text)
    out = subprocess.run(
        [sys.executable, "-m", "dil", "node", "serve", str(model["manifest"]), "--bind", "tcp://127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    assert "linear.yaml: inputs[1].name: 'velocity': the model has no such input" in out.stderr


def test_node_check_prints_the_tensors(tmp_path):
    model = lm.build(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "dil", "node", "check", str(model["manifest"])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert f"in  image: [-1, 3, {lm.H}, {lm.W}] float32" in out.stdout


def test_the_inference_benchmark_measures_the_cpu_backend(tmp_path):
    model = lm.build(tmp_path, source=(64, 48))
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [
            *(sys.executable, "-m", "dil", "bench", "inference", "--manifest", str(model["manifest"])),
            *("--frames", "20", "--burst", "16", "--json", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    import json

    rows = {(r["backend"], r["what"]) for r in json.loads(out.read_text())["rows"]}
    assert ("onnx cpu", "model latency, batch 1") in rows
    assert ("onnx cpu", "node overhead beyond the model, camera frame") in rows
    assert ("onnx cpu", "throughput, max_batch 8") in rows


@pytest.mark.subprocess
def test_a_run_s_own_node_serves_on_an_ipc_socket_in_the_folder_it_is_given(tmp_path):
    """No port is picked for a run's local node, so no other process can take it while the node
    starts."""
    from dil.stack.ai import start_local_node

    model = lm.build(tmp_path)
    address, proc = start_local_node(str(model["manifest"]), "onnx", (), tmp_path)
    bus = ZmqBus(Endpoints.default("tcp"))
    try:
        assert address == f"ipc://{tmp_path / 'node'}"
        probe = _probe(bus.requester("inference", address))
        assert probe["needs"] == f"camera:front:{lm.W}x{lm.H},ego:speed"
    finally:
        bus.close()
        proc.terminate()
        proc.wait(60)
