"""Ground following in the embedded world: z, pitch and roll from the road surface."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest

from dil.road.network import RoadNetwork
from dil.world.actors import A_PITCH, A_ROLL, A_Z, EGO, ActorSpec
from dil.world.embedded import EmbeddedWorld

ROADS = Path(__file__).resolve().parents[2] / "scenarios" / "roads"
GRADE = 0.015
"""rural.xodr's first road rises 1.5 % along s."""
BANK = 0.05
"""[rad]: the superelevation the banked copy adds."""
OBSERVER_WAIT_S = 60.0
"""How long a client watching the CARLA server may take to hold the state of the last tick [s]."""


def test_a_lane_follower_climbs_the_slope_nose_up() -> None:
    world = EmbeddedWorld(ROADS / "rural.xodr")
    car = world.spawn_in_lane(ActorSpec("car"), "1", -1, 50.0, speed=15.0)
    world.follow_lane(car, 15.0)
    for k in range(100):
        world.step(k * 50_000_000, 0.05)
    row = world.actors.state[car]
    net = world.network
    pos = net.locate(row[0], row[1])
    assert pos is not None and pos.road == "1" and pos.s > 60.0
    assert row[A_Z] == pytest.approx(GRADE * pos.s, abs=0.02)
    assert row[A_PITCH] == pytest.approx(math.atan(GRADE), abs=1e-3)  # driving along s: uphill
    assert row[A_ROLL] == pytest.approx(0.0, abs=1e-3)
    oncoming = world.spawn_in_lane(ActorSpec("oncoming"), "1", 1, 300.0, speed=0.0)
    world.step(0, 0.05)
    assert world.actors.state[oncoming, A_PITCH] == pytest.approx(-math.atan(GRADE), abs=1e-3)


def test_a_banked_road_rolls_the_car_and_the_ego_keeps_its_own_height(tmp_path: Path) -> None:
    text = (ROADS / "rural.xodr").read_text()
    banked = text.replace(
        "<lateralProfile/>",
        f'<lateralProfile><superelevation s="0" a="{BANK}" b="0" c="0" d="0"/></lateralProfile>',
        1,
    )
    assert banked != text
    path = tmp_path / "banked.xodr"
    path.write_text(banked)
    world = EmbeddedWorld(RoadNetwork.load(path))
    car = world.spawn_in_lane(ActorSpec("car"), "1", -1, 20.0)  # right of the reference line
    world.actors.state[EGO, :4] = (*world.network.lane_to_world("1", 1, 20.0)[:2], 7.0, 0.0)
    world.step(0, 0.05)
    row = world.actors.state[car]
    t = world.network.lane_to_road("1", -1, 20.0)
    assert t < 0.0
    assert row[A_Z] == pytest.approx(GRADE * 20.0 + t * math.sin(BANK), abs=0.01)  # lower: banked right
    assert row[A_ROLL] == pytest.approx(BANK, abs=2e-3)  # left side up
    assert world.actors.state[EGO, A_Z] == 7.0  # the ego's z is its driver's (surface plus heave)
    assert world.actors.state[EGO, A_ROLL] != 0.0


def test_off_every_road_an_actor_keeps_its_height() -> None:
    world = EmbeddedWorld(ROADS / "rural.xodr")
    far = world.spawn(ActorSpec("far"), (5000.0, 5000.0, 12.5, 0.0))
    world.step(0, 0.05)
    assert world.actors.state[far, A_Z] == 12.5
    assert world.actors.state[far, A_PITCH] == 0.0


@pytest.mark.subprocess
def test_the_carla_backend_shows_actors_with_the_road_s_pitch() -> None:
    carla = pytest.importorskip("carla")
    from dil.world.carla_backend import CarlaOptions, CarlaWorld

    from ..carla_lite.conftest import start_server, stop_server

    server = start_server("--map", str(ROADS / "rural.xodr"))
    try:
        observer = server.client().get_world()
        world = CarlaWorld(CarlaOptions(host=server.host, port=server.port, timeout_s=5.0), ActorSpec("ego"))
        car = world.spawn_in_lane(ActorSpec("car"), "1", -1, 100.0, speed=10.0)
        world.follow_lane(car, 10.0)
        world.set_pose(0, world.network.lane_to_world("1", -1, 20.0), 0.0)
        held = threading.Condition()
        frames = [observer.get_snapshot().frame]
        observer.on_tick(lambda snapshot: _note(held, frames, snapshot.frame))
        for k in range(10):
            world.step(k * 20_000_000, 0.02)
        # the observer takes the world states in on its own threads: on a busy machine the last tick's
        # state (and the car in it) reaches it well after the tick returned
        with held:
            caught_up = held.wait_for(lambda: frames[-1] >= world.frame, OBSERVER_WAIT_S)
        assert caught_up, f"the observer holds frame {frames[-1]} of {world.frame}"
        shown = {a.attributes["role_name"]: a for a in observer.get_actors().filter("vehicle.*")}
        tf = shown["car"].get_transform()  # carla-lite grounds nothing here: dil's actors have physics off
        assert tf.rotation.pitch == pytest.approx(math.degrees(math.atan(GRADE)), abs=0.02)
        assert tf.location.z == pytest.approx(world.actors.state[car, A_Z], abs=1e-3)
        assert isinstance(tf, carla.Transform)
        world.close()
    finally:
        stop_server(server)


def _note(held: threading.Condition, frames: list[int], frame: int) -> None:
    """A world state reached the observer (on the client's threads): its frame, waiters woken."""
    with held:
        frames.append(max(frames[-1], frame))
        held.notify_all()
