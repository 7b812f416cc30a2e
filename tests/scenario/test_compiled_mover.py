"""The compiled mover moves the entities in the common state as the Python path moves them, to the bit:
whole runs of the catalog and of the tests' scenarios (the storyboard's ego and a stack-driven one),
entities that leave the mover for a lane change and come back, speed transitions of every shape, and
lane steps the kernel leaves to the Python path."""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest

from dil.realtime.loop import Loop
from dil.road.network import RoadNetwork
from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice
from dil.scenario.entities import PLACE_FIELDS, Entity, Transition
from dil.scenario.kernels import LaneStepper
from dil.scenario.loader import load
from dil.scenario.mover import CompiledMover, MovedEntity, in_common_state
from dil.scenario.mover_kernel import move_rows
from dil.world.actors import ActorKind
from tests.scenario.engine_harness import EngineHarness
from tests.scenario.helpers import CATALOG, action, event, scenario, sim_time, speed, teleport

DATA = Path(__file__).parent / "data"
STATE = (*PLACE_FIELDS, "speed", "accel", "odometer", "standstill", "present")
"""The fields compared after every step."""


def _states(h: EngineHarness) -> list[tuple]:
    return [tuple(getattr(e, f) for f in STATE) for e in h.scenario.entities.values()]


def _poses(h: EngineHarness) -> list[list[float]]:
    return h.world.actors.state[:, :5].tolist()


def _compare(path: Path, steps: int, **kw) -> tuple[int, int]:
    """Step the engine with and without the compiled mover; every entity's state, the world's actor
    rows and the transitions are the same after each step. Entity-steps made in the mover, and how many
    times an entity left it."""
    fast, slow = EngineHarness(path, compiled=True, **kw), EngineHarness(path, compiled=False, **kw)
    assert slow.engine.mover is None and fast.engine.mover is not None
    moved = left = 0
    inside: set[str] = set()
    for _ in range(steps):
        fast.step()
        slow.step()
        assert _states(fast) == _states(slow)
        assert _poses(fast) == _poses(slow)
        now = {e.name for e in fast.scenario.entities.values() if type(e) is MovedEntity}
        moved += len(now)
        left += len(inside - now)
        inside = now
    assert fast.transitions() == slow.transitions()
    assert fast.tracks == slow.tracks
    return moved, left


CATALOG_NAMES = sorted(p.stem for p in CATALOG.glob("*.xosc"))


@pytest.mark.parametrize("name", CATALOG_NAMES)
def test_catalog_runs_are_the_same_to_the_bit(name: str):
    moved, _ = _compare(CATALOG / f"{name}.xosc", 1200)
    assert moved > 1000  # the mover did move entities


def _straight_ego(h: EngineHarness):
    ego = h.scenario.entities[h.scenario.ego]
    x0, y0, yaw = ego.x + ego.centre_x * math.cos(ego.yaw), ego.y + ego.centre_x * math.sin(ego.yaw), ego.yaw

    def motion(t: float) -> tuple[float, float, float, float, float]:
        return x0 + 15.0 * t * math.cos(yaw), y0 + 15.0 * t * math.sin(yaw), yaw, 15.0, 0.0

    return motion


@pytest.mark.parametrize("name", ["alks_cutout", "ccrs", "cpna", "lane_change_highway"])
def test_with_a_stack_driven_ego_the_runs_are_the_same_to_the_bit(name: str):
    path = CATALOG / f"{name}.xosc"
    moved, _ = _compare(path, 800, ego=_straight_ego(EngineHarness(path)))
    assert moved > 100


@pytest.mark.parametrize(
    "name",
    [
        "transitions",
        "end_of_road",
        "lane_sections",
        "headway",
        "relative_heading",
        "offroad",
        "trajectory_shapes",
        "trajectory_timing",
    ],
)
def test_the_tests_scenarios_are_the_same_to_the_bit(name: str):
    _compare(DATA / f"{name}.xosc", 1500)


def test_a_lane_change_by_time_is_made_in_the_mover():
    """alks_cutout's lead changes lane (sinusoidal, by time): it stays in the mover through the change,
    which ends there (its lateral transition cleared, the action ended), and the run is the Python
    path's to the bit."""
    path = CATALOG / "alks_cutout.xosc"
    _, left = _compare(path, 1100)
    assert left == 0
    h = EngineHarness(path)
    lead = h.scenario.entities["Lead"]
    kinds = []
    for _ in range(1100):
        h.step()
        kinds.append((type(lead) is MovedEntity, lead.lateral is not None))
    assert (True, True) in kinds and (False, True) not in kinds
    first = kinds.index((True, True))
    assert (True, False) in kinds[first:]  # the change ended in the mover


def _lane_change(lanes: str, shape: str, dim: str, value: str) -> str:
    return (
        '<PrivateAction><LateralAction><LaneChangeAction><LaneChangeActionDynamics dynamicsShape="'
        f'{shape}" value="{value}" dynamicsDimension="{dim}"/><LaneChangeTarget><RelativeTargetLane '
        f'entityRef="Car" value="{lanes}"/></LaneChangeTarget></LaneChangeAction></LateralAction>'
        "</PrivateAction>"
    )


def _lane_offset(offset: str) -> str:
    return (
        '<PrivateAction><LateralAction><LaneOffsetAction continuous="false"><LaneOffsetActionDynamics '
        'dynamicsShape="cubic" maxLateralAcc="1.5"/><LaneOffsetTarget><AbsoluteTargetLaneOffset '
        f'value="{offset}"/></LaneOffsetTarget></LaneOffsetAction></LateralAction></PrivateAction>'
    )


def test_lane_changes_of_every_shape_are_the_same_to_the_bit(tmp_path: Path):
    """Lane changes by time of every shape and by rate, made in the mover while the speed changes, stops
    and reverses; one by distance and a lane offset, which leave it; a change started while one runs: every
    state and world row is the Python path's."""
    events = "".join(
        event(name, action(f"a_{name}", private), sim_time(at, f"c_{name}"), priority="parallel")
        for name, private, at in (
            ("left", _lane_change("1", "sinusoidal", "time", "3"), "0.5"),
            ("faster", speed("25", "cubic", "time", "2.5"), "1.0"),
            ("back", _lane_change("-1", "linear", "time", "2"), "4.0"),
            ("again", _lane_change("1", "cubic", "time", "2.5"), "5.0"),
            ("stop", speed("0", "linear", "rate", "8"), "5.5"),
            ("rate", _lane_change("-1", "sinusoidal", "rate", "1.2"), "9.0"),
            ("go", speed("12", "linear", "time", "1"), "9.5"),
            ("jump", _lane_change("1", "step", "time", "0"), "12.0"),
            ("far", _lane_change("-1", "cubic", "distance", "40"), "13.0"),
            ("aside", _lane_offset("0.6"), "17.0"),
            ("rev", speed("-3", "linear", "time", "1"), "20.0"),
            ("last", _lane_change("1", "linear", "time", "2"), "21.0"),
        )
    )
    path = scenario(tmp_path, events, extra_init=speed("10"), stop=sim_time("25", "end"))
    h = EngineHarness(path)
    car = h.scenario.entities["Car"]
    seen = set()
    for _ in range(2450):
        h.step()
        if car.lateral is not None:
            lat = car.lateral
            seen.add((type(car) is MovedEntity, lat.shape, lat.distance > 0.0, car.speed <= 0.0))
    # in the mover moving, standing and reversing; out of it by distance and for the lane offset
    inside = {(True, "sinusoidal", False, False), (True, "sinusoidal", False, True)}
    outside = {(False, "cubic", True, False), (False, "cubic", False, False)}
    assert inside | outside | {(True, "linear", False, True)} <= seen
    _, left = _compare(path, 2450)
    assert left >= 2


def _trajectory(*vertices: tuple[str, str, str]) -> str:
    """A FollowTrajectoryAction at the entity's speed along a polyline through lane positions on road 1
    (lane, s, offset)."""
    points = "".join(
        f'<Vertex><Position><LanePosition roadId="1" laneId="{lane}" s="{s}" offset="{offset}"/></Position>'
        "</Vertex>"
        for lane, s, offset in vertices
    )
    return (
        '<PrivateAction><RoutingAction><FollowTrajectoryAction><Trajectory name="path" closed="false">'
        f"<Shape><Polyline>{points}</Polyline></Shape></Trajectory><TimeReference><None/></TimeReference>"
        '<TrajectoryFollowingMode followingMode="position"/></FollowTrajectoryAction></RoutingAction>'
        "</PrivateAction>"
    )


def test_trajectories_at_the_entitys_speed_are_the_same_to_the_bit(tmp_path: Path):
    """Polylines followed at the entity's speed are made in the mover while the speed changes, stops and
    reverses (backwards along a trajectory started at a negative speed); one that ends on a lane hands the
    entity back to its lane, one that ends off the road to the Python path: every state and world row is
    the Python path's."""
    events = "".join(
        event(name, action(f"a_{name}", private), sim_time(at, f"c_{name}"), priority="parallel")
        for name, private, at in (
            (
                "path",
                _trajectory(("-2", "62", "0"), ("-1", "90", "0.3"), ("-3", "125", "0"), ("-3", "140", "0")),
                "0.5",
            ),
            ("faster", speed("20", "sinusoidal", "time", "2"), "1.0"),
            ("stop", speed("0", "linear", "time", "1"), "2.5"),
            ("go", speed("15", "cubic", "time", "1.5"), "4.5"),
            ("rev", speed("-4"), "10.0"),
            ("back", _trajectory(("-3", "150", "0"), ("-2", "120", "0.5")), "10.5"),
            ("fwd", speed("12"), "19.0"),
            ("off", _trajectory(("-2", "160", "0"), ("-3", "190", "-9")), "19.5"),
        )
    )
    path = scenario(tmp_path, events, extra_init=speed("10"), stop=sim_time("24", "end"))
    h = EngineHarness(path)
    car = h.scenario.entities["Car"]
    seen = set()
    for _ in range(2350):
        h.step()
        if car.trajectory is not None:
            seen.add((type(car) is MovedEntity, car.trajectory.reverse, math.copysign(1.0, car.speed)))
    assert {(True, False, 1.0), (True, True, -1.0)} <= seen and all(inside for inside, _, _ in seen)
    assert car.road is None  # the last one ended off the road
    _compare(path, 2350)


def _road_entities(net: RoadNetwork, rng: random.Random, n: int, lateral: bool = False) -> list[Entity]:
    """``n`` entities at random places on the network's lanes, with random speeds and transitions
    (``lateral``: most of them changing their lane offset by time too, as a lane change)."""
    out = []
    roads = list(net.roads)
    for i in range(n):
        road = rng.choice(roads)
        lanes = sorted({ln.id for sec in road.lane_sections for ln in sec.lanes if ln.id != 0})
        e = Entity(f"e{i}", ActorKind.VEHICLE, 4.5, 1.8, 1.5, centre_x=1.4, world_id=i)
        s = rng.choice(
            [rng.uniform(0.0, road.length), rng.uniform(0.0, 30.0), rng.uniform(-30.0, 0.0) + road.length]
        )
        e.place_in_lane(net, road.id, rng.choice(lanes), s, rng.uniform(-0.5, 0.5))
        e.speed = rng.choice([0.0, 0.0, rng.uniform(0.0, 30.0)])
        e.max_decel = rng.choice([10.0, 2.0])
        if rng.random() < 0.7:
            shape = rng.choice(["linear", "cubic", "sinusoidal", "step"])
            duration, distance = (
                (rng.uniform(0.5, 4.0), 0.0) if rng.random() < 0.6 else (0.0, rng.uniform(5, 40))
            )
            e.speed_transition = Transition(
                e.speed, rng.choice([0.0, rng.uniform(-3.0, 35.0)]), shape, duration, distance
            )
        if lateral and rng.random() < 0.8:
            shape = rng.choice(["linear", "cubic", "sinusoidal", "step"])
            end = rng.choice([e.offset, rng.uniform(-3.5, 3.5)])
            e.lateral = Transition(e.offset, end, shape, rng.choice([0.0, rng.uniform(0.5, 4.0)]))
        out.append(e)
    return out


@pytest.mark.parametrize("lateral", [False, True])
@pytest.mark.parametrize("name", ["lane_keeping_rural", "alks_cutin", "ccrs"])
def test_kernel_steps_equal_entity_moves(name: str, lateral: bool):
    """Entities with random speeds and speed transitions of every shape, by time and by distance (and
    lane changes by time of every shape), stepped by the mover and by :meth:`Entity.move`, are the same
    after every step, until they stop or run off their roads (where the kernel leaves the lane step to
    the Python path)."""
    net = RoadNetwork.load(load(CATALOG / f"{name}.xosc").road_file)
    mine = _road_entities(net, random.Random(name), 24, lateral)
    theirs = _road_entities(net, random.Random(name), 24, lateral)
    mover = CompiledMover(mine, LaneStepper(net))
    mover.set_slots([e.world_id for e in mine])
    poses = np.zeros((len(mine), 5))
    assert all(in_common_state(e) for e in mine)
    declined = 0
    dt = 0.01
    for k in range(1, 500):
        t = k * dt
        for e in mover.move(dt, poses):  # out of the mover (a road's end): the Python path, as the engine
            e.move(net, t, dt)
        for e in theirs:
            e.move(net, t, dt)
        assert [tuple(getattr(e, f) for f in STATE) for e in mine] == [
            tuple(getattr(e, f) for f in STATE) for e in theirs
        ]
        assert [e.speed_transition is None for e in mine] == [e.speed_transition is None for e in theirs]
        assert [e.lateral is None for e in mine] == [e.lateral is None for e in theirs]
        for i, e in enumerate(mine):
            if type(e) is MovedEntity and e.__dict__["_fresh"]:
                c = e.centre_x
                want = [e.x + c * math.cos(e.yaw), e.y + c * math.sin(e.yaw), e.z, e.yaw, e.speed]
                assert poses[i].tolist() == want
            else:
                declined += 1
    assert declined > 0


def test_a_write_from_outside_reloads_the_row():
    """An attribute written from outside (a teleport, a new speed) marks the entity stale: the next step
    starts from the written values."""
    net = RoadNetwork.load(load(CATALOG / "ccrs.xosc").road_file)
    road = net.roads[0]
    a, b = (Entity(n, ActorKind.VEHICLE, 4.5, 1.8, 1.5, world_id=i) for i, n in enumerate("ab"))
    for e in (a, b):
        e.place_in_lane(net, road.id, -1, 10.0, 0.0)
        e.speed = 10.0
    mover = CompiledMover([a], LaneStepper(net))
    poses = np.zeros((1, 5))
    mover.move(0.01, poses)
    b.move(net, 0.01, 0.01)
    assert type(a) is MovedEntity and a.s == b.s
    for e in (a, b):
        e.place_in_lane(net, road.id, -1, 50.0, 0.0)
        e.speed = 3.0
    assert not a.__dict__["_fresh"]
    for k in range(2, 50):
        mover.move(0.01, poses)
        b.move(net, k * 0.01, 0.01)
        assert (a.s, a.x, a.y, a.speed, a.odometer) == (b.s, b.x, b.y, b.speed, b.odometer)
    a.lateral = Transition(0.0, 1.0, "linear", 1.0)  # a lane change by time: made in the mover
    assert mover.move(0.01, poses) == [] and type(a) is MovedEntity and a.lateral.elapsed == 0.01
    a.lateral = Transition(0.0, 1.0, "linear", 0.0, 10.0)  # one by distance: the Python path's
    assert mover.move(0.01, poses) == [a] and type(a) is Entity and mover.moved == []


def test_deletes_adds_teleports_and_speed_changes_are_the_same_to_the_bit(tmp_path: Path):
    """An entity in the mover is deleted, added back elsewhere, teleported and given new speeds (a
    cubic change by time, a sinusoidal one by distance, a step) while it moves: it leaves and comes
    back, and every state and world row is the Python path's."""
    delete = '<GlobalAction><EntityAction entityRef="Car"><DeleteEntityAction/></EntityAction></GlobalAction>'
    add = (
        '<GlobalAction><EntityAction entityRef="Car"><AddEntityAction><Position>'
        '<LanePosition roadId="1" laneId="-3" s="300" offset="0"/></Position></AddEntityAction>'
        "</EntityAction></GlobalAction>"
    )
    events = "".join(
        event(name, action(f"a_{name}", private), sim_time(at, f"c_{name}"), priority="parallel")
        for name, private, at in (
            ("faster", speed("25", "cubic", "time", "2.5"), "0.5"),
            ("gone", delete, "1.5"),
            ("back", add, "2.5"),
            ("jump", f"<PrivateAction>{teleport('-1', '120')}</PrivateAction>", "3.5"),
            ("slower", speed("5", "sinusoidal", "distance", "30"), "4.0"),
            ("stop", speed("0", "linear", "rate", "4"), "6.5"),
            ("go", speed("12"), "9.0"),
        )
    )
    path = scenario(tmp_path, events, extra_init=speed("10"), stop=sim_time("11", "end"))
    _, left = _compare(path, 1150)
    assert left >= 2


@pytest.mark.parametrize("stack", ["none", "builtin"])
def test_the_kernel_is_loaded_in_start(stack: str, monkeypatch):
    """The engine loads the mover's kernel in ``start`` with the types of its steps: the loop's ticks
    add no signature (no compilation or cache load inside the loop)."""
    seen: dict[str, int] = {}
    ticks = Loop._simulated_ticks

    def watched(self, k, limit, stride):
        seen["before"] = len(move_rows.signatures)
        done = ticks(self, k, limit, stride)
        seen["after"] = len(move_rows.signatures)
        return done

    monkeypatch.setattr(Loop, "_simulated_ticks", watched)
    run(RunSpec(ScenarioChoice(CATALOG / "alks_cutout.xosc"), DriverChoice(stack)))
    assert seen["before"] == seen["after"] >= 1
