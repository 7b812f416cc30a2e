"""The AI stack in a run: a real node process over tcp, its deadlines, hold and fallback."""

import json
import subprocess
import sys
from pathlib import Path

import msgpack
import numpy as np
import pytest
import yaml

from dil.recording.reader import records
from dil.run.runner import run
from dil.run.spec import DriverChoice, Outputs, RunSpec, ScenarioChoice, Timing
from dil.stack.ai import AiOptions

from ..ports import free_port
from . import linear_model as lm
from .deadlines import PATIENT_MS

SCENARIO = Path("scenarios/catalog/lane_keeping_rural.xosc")


@pytest.fixture
def model(tmp_path):
    return lm.build(tmp_path / "model", source=(640, 360))


def _serve(model, *extra):
    address = f"tcp://127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dil", "node", "serve", str(model["manifest"]), "--bind", address, *extra],
        stderr=subprocess.DEVNULL,
    )
    return address, proc


def _events(log):
    return [msgpack.unpackb(m.data) for t, m in records(log) if t == "stack/events"]


def test_a_healthy_local_node_drives_the_whole_run(model, tmp_path):
    log = tmp_path / "run.mcap"
    ai = AiOptions(model=str(model["manifest"]), deadline_ms=PATIENT_MS)
    result = run(
        RunSpec(
            ScenarioChoice(SCENARIO),
            DriverChoice("ai", ai=ai),
            outputs=Outputs(record=log),
            timing=Timing(max_time=3.0),
        )
    )
    k = result.kpis
    assert k["ai_fallback_at_s"] is None and k["ai_control_at_end"] == "ai"
    assert k["ai_frames_sent"] >= 70 and k["ai_commands_applied"] == k["ai_frames_sent"]
    assert k["ai_deadline_misses"] == 0 and k["ai_latency_p50_ms"] > 0
    commands = [msgpack.unpackb(m.data) for t, m in records(log) if t == "ai/command"]
    assert sum(c["inference_ns"] > 0 for c in commands) == k["ai_commands_applied"]
    assert _events(log) == []


def test_a_slow_node_is_held_then_replaced_by_the_fallback(model, tmp_path):
    address, proc = _serve(model, "--delay-ms", "250")
    log = tmp_path / "run.mcap"
    try:
        ai = AiOptions(nodes=(address,), deadline_ms=100.0, hold_ms=300.0)
        result = run(
            RunSpec(
                ScenarioChoice(SCENARIO),
                DriverChoice("ai", ai=ai),
                outputs=Outputs(record=log),
                timing=Timing(max_time=4.0),
            )
        )
    finally:
        proc.terminate()
        proc.wait(10)
    kinds = [e["kind"] for e in _events(log)]
    assert kinds[:2] == ["deadline_miss", "hold"] and "fallback" in kinds
    assert kinds.index("fallback") > kinds.index("hold")
    k = result.kpis
    assert k["ai_commands_applied"] == 0 and k["ai_deadline_misses"] >= 3
    assert 0.3 <= k["ai_fallback_at_s"] <= 0.5 and k["ai_control_at_end"] == "fallback"
    assert result.simulated_s == pytest.approx(4.0, abs=0.01)  # the run went on under the fallback
    assert json.loads(json.dumps(k))  # the KPIs are plain JSON for the result file


def test_a_killed_node_is_detected_and_the_run_continues_under_the_fallback(model, tmp_path):
    address, proc = _serve(model)
    log = tmp_path / "run.mcap"

    def kill_at_2s(t, limit):
        if t >= 2.0 and proc.poll() is None:
            proc.kill()
            proc.wait(10)

    try:
        ai = AiOptions(nodes=(address,), deadline_ms=200.0, hold_ms=300.0)
        result = run(
            RunSpec(
                ScenarioChoice(SCENARIO),
                DriverChoice("ai", ai=ai),
                outputs=Outputs(record=log),
                timing=Timing(max_time=5.0),
            ),
            progress=kill_at_2s,
        )
    finally:
        if proc.poll() is None:
            proc.kill()
    k = result.kpis
    assert k["ai_commands_applied"] >= 30  # it drove until killed
    assert 2.0 < k["ai_fallback_at_s"] < 2.6
    events = _events(log)
    fallback = next(e for e in events if e["kind"] == "fallback")
    assert fallback["control"] == "fallback" and "built-in stack drives" in fallback["detail"]
    assert result.simulated_s == pytest.approx(5.0, abs=0.01)


def test_no_node_answering_is_an_error_before_the_run_starts(model):
    from dil.stack.remote import StackError

    ai = AiOptions(nodes=(f"tcp://127.0.0.1:{free_port()}",), probe_timeout_s=1.0)
    with pytest.raises(StackError, match=r"no inference node answers at tcp://127\.0\.0\.1"):
        run(RunSpec(ScenarioChoice(SCENARIO), DriverChoice("ai", ai=ai), timing=Timing(max_time=1.0)))


def test_a_model_reading_another_camera_size_is_refused_before_the_run(tmp_path):
    from dil.stack.remote import StackError

    small = lm.build(tmp_path / "small")  # expects an 8x6 camera
    address, proc = _serve(small)
    try:
        with pytest.raises(
            StackError, match="reads camera 'front' at 8x6; this run has camera 'front' at 640x360"
        ):
            run(
                RunSpec(
                    ScenarioChoice(SCENARIO),
                    DriverChoice("ai", ai=AiOptions(nodes=(address,))),
                    timing=Timing(max_time=1.0),
                )
            )
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_driver_takes_over_by_braking(model, tmp_path):
    log = tmp_path / "run.mcap"
    ai = AiOptions(model=str(model["manifest"]), deadline_ms=PATIENT_MS, driver_seat=True)
    # the scripted driver sits with hands off and full throttle, then brakes hard at 5 s
    spec = RunSpec(
        ScenarioChoice(SCENARIO),
        DriverChoice("ai", profile="accelerate-brake", ai=ai),
        outputs=Outputs(record=log),
        timing=Timing(max_time=6.0),
    )
    result = run(spec)
    events = _events(log)
    assert [e["kind"] for e in events] == ["takeover"]
    assert events[0]["control"] == "driver" and "brake pedal at 0.80" in events[0]["detail"]
    assert result.kpis["ai_control_at_end"] == "driver"
    t_takeover = next(m.log_time for t, m in records(log) if t == "stack/events") * 1e-9
    assert 5.0 <= t_takeover <= 5.1
    commands = [msgpack.unpackb(m.data) for t, m in records(log) if t == "ai/command"]
    after = [c for c in commands if c["t_sim_ns"] > 5.1e9]
    assert after and all(c["brake"] == pytest.approx(0.8) for c in after)  # the driver's input drives


def test_the_console_hands_control_back_to_the_ai(model):
    """The stack ticked by hand on the in-process bus, with the node's server in this process."""
    from dil.bus import Drops, Encoder, LocalBus
    from dil.bus.messages import CONSOLE_COMMAND, DRIVER_INPUT, SCHEMAS
    from dil.inference.backend import load_backend
    from dil.inference.manifest import load_manifest
    from dil.inference.server import InferenceServer
    from dil.realtime.clock import SimClock
    from dil.stack.builtin import BuiltinStack
    from dil.stack.remote import RemoteOptions, RemoteStack
    from vehicle_models.parameters import load as load_vehicle

    bus, drops, clock = LocalBus(), Drops(), SimClock()
    m = load_manifest(model["manifest"])
    server = InferenceServer(m, load_backend("onnx").open(m.model_path, {}), bus.replier("inference", "n1"))
    fallback = BuiltinStack(bus, drops, clock, load_vehicle("sedan_bmw320i"))
    stack = RemoteStack(bus, drops, clock, fallback, RemoteOptions(("n1",), driver_seat=True, wait=False))
    events = []
    ev_sub = bus.subscriber("stack/events")
    driver = bus.publisher(DRIVER_INPUT.topic)
    console = bus.publisher(CONSOLE_COMMAND.topic)
    d_enc, c_enc = Encoder(SCHEMAS["driver/input"], "wheel"), Encoder(CONSOLE_COMMAND, "console")
    import threading

    stop = threading.Event()
    t = threading.Thread(target=lambda: server.serve(stop.is_set, 5))
    t.start()
    try:
        stack.start(0)
        brake = {"steering_wheel_angle": 0.0, "throttle": 0.0, "brake": 0.5, "gear": 1}
        driver.send(d_enc.encode(0, 0, brake))
        stack.tick(0)
        assert stack.control == "driver"
        console.send(c_enc.encode(1, 0, {"command": "handover", "argument": "ai", "operator": "ops"}))
        driver.send(d_enc.encode(1, 0, {**brake, "brake": 0.0}))
        stack.tick(5_000_000)
        assert stack.control == "ai"
        while (f := ev_sub.recv()) is not None:
            events.append(msgpack.unpackb(f.split(b"\0", 1)[1]))
    finally:
        stop.set()
        t.join(5)
    assert [e["kind"] for e in events] == ["takeover", "handback"] and "by ops" in events[1]["detail"]


def test_a_model_can_read_the_cruise_speed_the_scenario_sets(model, tmp_path):
    # the linear model blind (image weights zero) with the scenario's cruise speed as its one ego
    # value: every command it gives is B + 0.1 * V * cruise, whatever the camera sees
    import onnx
    from onnx import numpy_helper

    m = onnx.load(model["onnx"])
    for init in m.graph.initializer:
        if init.name == "W":
            init.CopyFrom(numpy_helper.from_array(np.zeros_like(model["W"]), "W"))
    onnx.save(m, model["onnx"].with_name("blind.onnx"))
    doc = dict(model["doc"])
    doc["model"] = "blind.onnx"
    doc["inputs"] = [doc["inputs"][0], {**doc["inputs"][1], "fields": ["cruise_speed"]}]
    manifest = model["manifest"].with_name("blind.yaml")
    manifest.write_text(yaml.safe_dump(doc, sort_keys=False))
    address, proc = _serve({"manifest": manifest})  # one node answers both runs
    try:
        for kmh in (50.0, 80.0):
            _blind_run(address, kmh, tmp_path / f"run{kmh:g}.mcap", model)
    finally:
        proc.terminate()
        proc.wait(10)


def _blind_run(address: str, kmh: float, log: Path, model: dict) -> None:
    """A run at ``kmh`` driven by the blind model's node at ``address``: every answer is the model's
    bias plus its cruise-speed weight times the scenario's cruise speed."""
    ai = AiOptions(nodes=(address,), deadline_ms=PATIENT_MS)
    run(
        RunSpec(
            ScenarioChoice(SCENARIO, {"EgoSpeed": str(kmh)}),
            DriverChoice("ai", ai=ai),
            outputs=Outputs(record=log),
            timing=Timing(max_time=0.5),
        )
    )
    answers = [msgpack.unpackb(m.data) for t, m in records(log) if t == "ai/command"]
    answers = [c for c in answers if c["inference_ns"] > 0]  # the model's, not the fallback's
    expected = model["B"].astype(float) + 0.1 * model["V"][0].astype(float) * kmh / 3.6
    assert len(answers) >= 5
    for c in answers:
        assert c["steering_wheel_angle"] == pytest.approx(2.0 * expected[0], abs=1e-5)
        assert c["throttle"] == pytest.approx(min(max(expected[1], 0.0), 1.0), abs=1e-5)
