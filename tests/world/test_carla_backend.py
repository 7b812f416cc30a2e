"""The CARLA backend through the real ``carla`` client against ``dil carla-lite`` in its own process:
connect, synchronous mode, spawn, move, tick, camera frames, collisions, settings restored; and a
catalog scenario giving the same verdict and KPIs on both worlds."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest

from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing, WorldChoice
from dil.stack.ai import AiOptions
from dil.world.actors import A_SPEED, A_X, A_Y, A_YAW, ActorKind, ActorSpec
from dil.world.camera import CameraSpec
from dil.world.carla_backend import CarlaError, CarlaOptions, CarlaWorld

from ..carla_lite.conftest import ROADS, start_server, stop_server
from ..inference import linear_model as lm
from ..inference.deadlines import PATIENT_MS
from ..ports import free_port

carla = pytest.importorskip("carla")
CATALOG = Path(__file__).resolve().parents[2] / "scenarios" / "catalog"


@pytest.fixture(scope="module")
def highway():
    s = start_server("--map", str(ROADS / "highway.xodr"))
    yield s
    stop_server(s)


@pytest.fixture(scope="module")
def rural():
    s = start_server("--map", str(ROADS / "rural.xodr"))
    yield s
    stop_server(s)


WAIT_S = 60.0
"""The client's and the cameras' time-outs here [s]: no test here is about them, and a loaded 2-core
machine can hold a client's stream thread or the server for seconds."""


def options(server, **kw) -> CarlaOptions:
    return CarlaOptions(
        host=server.host, port=server.port, **{"timeout_s": WAIT_S, "frame_timeout_s": WAIT_S, **kw}
    )


def _shown_once_current(observer, hero_x: float, timeout_s: float = WAIT_S) -> dict:
    """The vehicles another client sees, by role name, once its newest world state is the last tick's
    (it reaches that client over its own stream, a moment after the tick on a busy machine)."""
    deadline = time.monotonic() + timeout_s
    while True:
        shown = {a.attributes["role_name"]: a for a in observer.get_actors().filter("vehicle.*")}
        hero = shown.get("hero")
        if hero is not None and abs(hero.get_transform().location.x - hero_x) <= 1e-3:
            return shown
        assert time.monotonic() < deadline, f"the observer still shows {shown} after {timeout_s} s"
        time.sleep(0.01)


def test_a_full_cycle_mirrors_dil_s_world_into_the_server_and_gives_it_back(highway):
    observer = highway.client().get_world()
    assert not observer.get_settings().synchronous_mode
    world = CarlaWorld(options(highway), ActorSpec("ego"))
    assert world.map_name == "highway" and len(world.network.roads) == len(world.network.odr.roads)
    settings = observer.get_settings()
    assert settings.synchronous_mode and settings.fixed_delta_seconds == pytest.approx(0.02)
    try:
        cam = world.add_camera("front", CameraSpec(width=160, height=90), 50.0)
        lead_spec = ActorSpec("lead", ActorKind.VEHICLE, length=7.0)
        lead = world.spawn_in_lane(lead_spec, "1", -2, 80.0, speed=10.0)
        world.follow_lane(lead, 10.0)
        for k in range(25):
            x, y, z, yaw = world.network.lane_to_world("1", -2, 20.0 + 0.4 * k)
            world.set_pose(0, (x, y, z, yaw), 20.0)
            assert world.step(k * 20_000_000, 0.02) == []
            frame = cam.measure(world.actor_state()[0], 2)
            img = np.frombuffer(frame["data"], np.uint8).reshape(90, 160, 3)
            assert img.std() > 5  # the road, drawn by the server from the ego's seat
        assert cam.lag_ticks == [0] * 25 and cam.stale == 0  # each frame shows the state just sent
        # what the server shows is where dil put it, in CARLA's left-handed frame
        state, _ = world.actor_state()
        shown = _shown_once_current(observer, state[0, A_X])
        assert set(shown) == {"hero", "lead"}
        assert shown["lead"].type_id == "vehicle.carlamotors.carlacola"  # a 7 m vehicle
        for role, i in (("hero", 0), ("lead", lead)):
            tf = shown[role].get_transform()
            assert tf.location.x == pytest.approx(state[i, A_X], abs=1e-3)
            assert tf.location.y == pytest.approx(-state[i, A_Y], abs=1e-3)
        v = shown["lead"].get_velocity()
        assert math.hypot(v.x, v.y) == pytest.approx(10.0, abs=0.01)
        assert world.kpis()["carla_ticks"] == 25
    finally:
        world.close()
    settings = observer.get_settings()
    assert not settings.synchronous_mode and settings.fixed_delta_seconds is None
    observer.wait_for_tick()  # the actor list is the newest world state's
    assert len(observer.get_actors().filter("vehicle.*")) == 0
    assert len(observer.get_actors().filter("sensor.*")) == 0


def test_set_poses_places_each_actor_in_the_server_as_set_pose_does(highway):
    observer = highway.client().get_world()
    world = CarlaWorld(options(highway), ActorSpec("ego"))
    try:
        lead = world.spawn_in_lane(ActorSpec("lead", ActorKind.VEHICLE), "1", -2, 80.0)
        ego_pose = world.network.lane_to_world("1", -2, 30.0)
        lead_pose = world.network.lane_to_world("1", -1, 60.0)
        poses = np.array([[*ego_pose, 20.0], [*lead_pose, 12.0]])
        world.set_poses(np.array([0, lead], dtype=np.int64), poses)
        world.step(0, 0.02)
        state, _ = world.actor_state()
        placed = [A_X, A_Y, A_YAW, A_SPEED]  # z: the world stands the others on the road
        np.testing.assert_array_equal(state[[0, lead]][:, placed], poses[:, placed])
        shown = _shown_once_current(observer, state[0, A_X])
        for k, role in enumerate(("hero", "lead")):  # CARLA's frame is left-handed
            tf = shown[role].get_transform()
            assert tf.location.x == pytest.approx(poses[k, 0], abs=1e-3)
            assert tf.location.y == pytest.approx(-poses[k, 1], abs=1e-3)
        with pytest.raises(KeyError, match="no live actor with id 42"):
            world.set_poses(np.array([42], dtype=np.int64), poses)
    finally:
        world.close()


def test_the_server_s_own_objects_are_collisions_dil_cannot_see(highway):
    observer = highway.client().get_world()
    with CarlaWorld(options(highway), ActorSpec("ego")) as world:
        x, y, z, yaw = world.network.lane_to_world("1", -2, 60.0)
        cone = observer.spawn_actor(
            observer.get_blueprint_library().find("static.prop.trafficcone01"),
            carla.Transform(carla.Location(x=x, y=-y, z=z), carla.Rotation(yaw=-math.degrees(yaw))),
        )
        events = []
        for k in range(50):
            world.set_pose(0, world.network.lane_to_world("1", -2, 40.0 + 0.5 * k), 25.0)
            events += world.step(k * 20_000_000, 0.02)
        assert [e.kind for e in events] == ["collision"]
        assert events[0].other_id == -1 and "static.prop.trafficcone01" in events[0].detail
        assert events[0].relative_speed == pytest.approx(25.0)
        cone.destroy()


def test_the_settings_are_restored_when_the_run_fails(highway):
    observer = highway.client().get_world()
    with pytest.raises(ZeroDivisionError), CarlaWorld(options(highway), ActorSpec("ego")) as world:
        world.step(0, 0.02)
        _ = 1 / 0
    assert not observer.get_settings().synchronous_mode
    observer.wait_for_tick()
    assert len(observer.get_actors().filter("vehicle.*")) == 0


def test_clear_errors_for_an_absent_server_another_version_and_a_bad_delta(highway):
    port = free_port()
    with pytest.raises(CarlaError, match=f"no CARLA server answered at 127.0.0.1:{port}"):
        CarlaWorld(CarlaOptions(port=port, timeout_s=0.5))
    with pytest.raises(CarlaError, match="whole number of dil's physics steps"):
        CarlaWorld(options(highway), fixed_delta_s=0.0125)
    other = start_server("--report-version", "0.9.15")
    try:
        with pytest.raises(CarlaError, match=r"version 0\.9\.15, the client is 0\.9\.16"):
            CarlaWorld(options(other))
    finally:
        stop_server(other)


def test_a_scenario_on_another_map_is_refused_before_it_runs(rural):
    with pytest.raises(
        ValueError, match=r"road network is highway\.xodr but the CARLA server has map 'rural'"
    ):
        run(
            RunSpec(
                ScenarioChoice(CATALOG / "ccrs.xosc"),
                world=WorldChoice(backend="carla", carla=options(rural)),
            )
        )
    assert not rural.client().get_world().get_settings().synchronous_mode


@pytest.mark.parametrize(
    ("scenario", "stack"), [("ccrs", "builtin"), ("ccrs", "none"), ("alks_cutin", "builtin")]
)
def test_catalog_scenarios_give_the_same_verdict_and_kpis_on_both_worlds(highway, scenario, stack):
    embedded = run(RunSpec(ScenarioChoice(CATALOG / f"{scenario}.xosc"), DriverChoice(stack)))
    carla_run = run(
        RunSpec(
            ScenarioChoice(CATALOG / f"{scenario}.xosc"),
            DriverChoice(stack),
            world=WorldChoice(backend="carla", carla=options(highway)),
        )
    )
    assert carla_run.verdict == embedded.verdict
    own = {k: v for k, v in carla_run.kpis.items() if not k.startswith("carla_")}
    assert own == embedded.kpis
    assert carla_run.kpis["carla_ticks"] > 100
    # the collision of the undriven ego is dil's, and CARLA's sensor saw it too
    assert carla_run.kpis["carla_collisions_confirmed"] == int(embedded.kpis["collision"])


def test_an_ai_stack_sees_the_server_s_camera(rural, tmp_path):
    model = lm.build(tmp_path / "model", source=(640, 360))
    ai = AiOptions(model=str(model["manifest"]), deadline_ms=PATIENT_MS)
    result = run(
        RunSpec(
            ScenarioChoice(CATALOG / "lane_keeping_rural.xosc"),
            DriverChoice("ai", ai=ai),
            world=WorldChoice(backend="carla", carla=options(rural)),
            timing=Timing(max_time=2.0),
        )
    )
    k = result.kpis
    assert k["ai_frames_sent"] >= 45 and k["ai_commands_applied"] == k["ai_frames_sent"]
    # every frame the stack sent came from the server (the last one measured may not be sent yet)
    assert k["carla_front_frames"] - k["ai_frames_sent"] in (0, 1) and k["carla_front_stale_frames"] == 0
    assert k["carla_front_lag_ticks_max"] == 0 and k["carla_front_delay_p50_ms"] > 0


def test_behind_a_real_time_loop_the_server_never_holds_the_loop_up():
    server = start_server("--map", str(ROADS / "highway.xodr"))
    try:
        quick = options(server, timeout_s=5.0, frame_timeout_s=2.0)  # how soon a step says it is gone
        world = CarlaWorld(quick, ActorSpec("ego"), threaded=True)
        cam = world.add_camera("front", CameraSpec(width=160, height=90), 50.0)
        first = cam.measure(world.actor_state()[0], 1)  # nothing rendered yet: black, not a wait
        assert first["data"] == bytes(160 * 90 * 3)
        for k in range(200):  # far faster than the server ticks: the newest state wins
            world.set_pose(0, world.network.lane_to_world("1", -2, 20.0 + 0.1 * k), 5.0)
            world.step(k * 20_000_000, 0.02)
        assert world.states_dropped > 0
        deadline = time.monotonic() + 120.0  # a bound for a loaded machine, not what is timed
        while True:  # the image comes on the sensor stream, the tick's reply on the RPC: either first
            img = np.frombuffer(cam.measure(world.actor_state()[0], 1)["data"], np.uint8)
            if (img.std() > 5 and world.frames_shown() >= 1) or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert world.frames_shown() >= 1
        assert img.std() > 5
        stop_server(server)  # the server goes away: the next steps say so, the loop can stop safely
        with pytest.raises(CarlaError, match="the CARLA server"):
            for k in range(500):
                world.step(k * 20_000_000, 0.02)
                time.sleep(0.02)
    finally:
        stop_server(server)


class _InterruptedOnce:
    """The server's world, whose first ``apply_settings`` is interrupted by Ctrl-C once the server
    has taken the settings (the client was still waiting for the reply)."""

    def __init__(self, world):
        self._world, self._interrupted = world, False

    def __getattr__(self, name):
        return getattr(self._world, name)

    def apply_settings(self, settings):
        frame = self._world.apply_settings(settings)
        if not self._interrupted:
            self._interrupted = True
            raise KeyboardInterrupt
        return frame


def test_ctrl_c_while_the_world_opens_gives_the_server_its_settings_back(highway, monkeypatch):
    import dil.world.carla_backend as backend

    real = backend.connect
    monkeypatch.setattr(backend, "connect", lambda o: (lambda c, w: (c, _InterruptedOnce(w)))(*real(o)))
    observer = highway.client().get_world()
    with pytest.raises(KeyboardInterrupt):
        CarlaWorld(options(highway), ActorSpec("ego"))
    assert not observer.get_settings().synchronous_mode


def test_ctrl_c_during_a_run_gives_the_server_its_settings_back(rural, tmp_path):
    import signal
    import subprocess
    import sys

    observer = rural.client().get_world()
    args = ["run", str(CATALOG / "lane_keeping_rural.xosc"), "--no-record", "--out", str(tmp_path)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "dil", *args, "--world", "carla", "--carla-port", str(rural.port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60.0
        while not observer.get_settings().synchronous_mode:  # the run has taken the server over
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "dil run: interrupted" in err and "Traceback" not in err, err
    assert not observer.get_settings().synchronous_mode
    observer.wait_for_tick()
    assert len(observer.get_actors().filter("vehicle.*")) == 0
    assert len(observer.get_actors().filter("sensor.*")) == 0
