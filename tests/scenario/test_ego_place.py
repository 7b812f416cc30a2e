"""The stack-driven ego's lane place looked up when something reads it: the same place, to the bit, as
looking it up every step."""

from __future__ import annotations

import math
import random

import pytest

from dil.scenario.ego_place import KEEP, DeferredPlace, defer_place
from dil.scenario.entities import Entity
from dil.world.actors import ActorKind
from tests.scenario.engine_harness import EngineHarness
from tests.scenario.helpers import CATALOG


def _inside(x: float) -> bool:
    return int(x) % 3 != 0


def _lookup(calls: list[float]):
    """A lookup that is inside a lane for x not a multiple of 3 and writes x as the entity's s."""

    def look(e: Entity, x: float, y: float, yaw: float) -> bool:
        calls.append(x)
        if not _inside(x):
            return False
        d = e.__dict__
        d["road"], d["lane"], d["s"], d["offset"], d["forward"] = "r", -1, x, y, math.cos(yaw) > 0.0
        return True

    return look


def _entity() -> Entity:
    return Entity("Ego", ActorKind.VEHICLE, 4.5, 1.8, 1.5, road="start", lane=-2, s=-1.0)


def test_the_place_is_that_of_the_newest_pose_inside_a_lane():
    """Poses off the lanes leave the place as it was; reads at random steps see what a lookup in every
    step would have left, and each read looks up only the poses newer than the first inside a lane."""
    rng = random.Random(7)
    e = defer_place(_entity(), _lookup(calls := []))
    assert type(e) is DeferredPlace and e.road == "start" and e.s == -1.0
    eager = (-1.0, "start")
    for step in range(1, 400):
        e.defer(float(step), 0.5, 0.0)
        if _inside(step):
            eager = (float(step), "r")
        if rng.random() < 0.2:
            calls.clear()
            assert (e.s, e.road) == eager
            assert len(calls) <= 2  # the newest, and the one before it when the newest is off the lanes
    assert (e.s, e.road, e.lane, e.offset, e.forward) == (eager[0], "r", -1, 0.5, True)


def test_poses_beyond_the_kept_ones_are_looked_up_oldest_first():
    """More poses than :data:`KEEP` between two reads: the oldest is looked up as a further one comes,
    and the read still sees the newest inside a lane."""
    e = defer_place(_entity(), _lookup(calls := []))
    for step in (4, 5, *([6] * (KEEP + 3))):  # 6 is off the lanes: the place stays at 5
        e.defer(float(step), 0.0, 0.0)
    assert calls == [4.0, 5.0, 6.0, 6.0, 6.0]  # the five beyond the kept ones
    calls.clear()
    assert e.s == 5.0
    assert calls == [6.0] * KEEP


def test_a_write_makes_the_waiting_lookups_first():
    """A teleport writes some of the five fields: the waiting lookups come first, so the fields it does
    not write hold the looked-up values, as with a lookup every step."""
    e = defer_place(_entity(), _lookup([]))
    e.defer(4.0, 2.5, math.pi)
    e.road = None
    assert e.__dict__["_waiting"] == []
    assert (e.road, e.s, e.offset, e.forward) == (None, 4.0, 2.5, False)


def _swerve(x0: float, y0: float, speed: float, amplitude: float):
    """The ego's box-centre motion: along x at ``speed`` [m/s], weaving across y by ``amplitude`` [m]
    (beyond the road's edge for a large one)."""

    def motion(t: float) -> tuple[float, float, float, float, float]:
        w = 0.8
        y = y0 + amplitude * math.sin(w * t)
        return x0 + speed * t, y, math.atan2(amplitude * w * math.cos(w * t), speed), speed, 0.0

    return motion


@pytest.mark.parametrize(
    "name, amplitude", [("ccrs", 1.0), ("alks_cutin", 9.0), ("lane_change_highway", 14.0), ("cpna", 6.0)]
)
def test_the_ego_place_read_now_and_then_is_that_of_a_lookup_every_step(name: str, amplitude: float):
    """The ego weaves across lanes and off the road; its place read at random steps is, to the bit,
    the place found by a lookup in every step's kernel call, and every entity's track and the
    storyboard's transitions are the same."""

    def harness() -> EngineHarness:
        base = EngineHarness(CATALOG / f"{name}.xosc")
        ego = base.scenario.entities[base.scenario.ego]
        return EngineHarness(
            CATALOG / f"{name}.xosc", ego=_swerve(ego.x + ego.centre_x, ego.y, 15.0, amplitude)
        )

    lazy, every = harness(), harness()
    # looked up in every step's kernel call
    every.engine._ego.__dict__["defer_unless_read"] = lambda x, y, yaw: False
    rng = random.Random(name)
    lazy_ego, every_ego = lazy.engine._ego, every.engine._ego
    fields = ("road", "lane", "s", "offset", "forward")
    read = 0
    for _ in range(600):
        lazy.step()
        every.step()
        if rng.random() < 0.15:
            read += 1
            assert [getattr(lazy_ego, f) for f in fields] == [getattr(every_ego, f) for f in fields]
    assert read > 50
    assert lazy.tracks == every.tracks
    assert lazy.transitions() == every.transitions()


def test_a_place_read_every_step_is_looked_up_in_the_step():
    """Read in each step, the ego's place is looked up in the step's kernel call (nothing waits after
    the step); unread, its poses wait."""
    base = EngineHarness(CATALOG / "ccrs.xosc")
    ego = base.scenario.entities[base.scenario.ego]
    h = EngineHarness(CATALOG / "ccrs.xosc", ego=_swerve(ego.x + ego.centre_x, ego.y, 15.0, 0.5))
    lazy = h.engine._ego
    for _ in range(4):
        h.step()
        assert lazy.s > 0.0
    h.step()
    assert lazy.__dict__["_waiting"] == []
    h.step(3)
    assert len(lazy.__dict__["_waiting"]) == 3
