"""AI walkers cross roads at carla-lite's crossings, as CARLA's ``set_pedestrians_cross_factor``
lets them: a walker whose target lies across the road goes to a crossing and straight over it when
the client gave it the road-crossing filter (with the cross factor's probability, drawn from the
generator ``set_pedestrians_seed`` seeds); the others stay on their side."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from .conftest import ROADS, LiteServer, carla, start_server, stop_server, synchronous

TICKS = 900
"""45 s at 0.05 s: enough to walk to a crossing 20 m away, over a 7 m road and on to the target."""
REACHED = 1.0
"""[m]"""


@pytest.fixture
def rural() -> Iterator[LiteServer]:
    s = start_server("--map", str(ROADS / "rural.xodr"))
    yield s
    stop_server(s)


@dataclass
class Walk:
    start_side: bool
    end_side: bool
    """When it reached its target, or at the end."""
    reached: bool
    on_road: list[carla.Location]
    """Where the walker was while on the road surface."""
    road_forward: carla.Vector3D


def _side(m: carla.Map, loc: carla.Location) -> bool:
    """Which side of its road a location lies on (the nearest driving lane's direction)."""
    return m.get_waypoint(loc).lane_id > 0


def _across(world: carla.World, m: carla.Map, start: carla.Location) -> carla.Location:
    """A navigation location 10-30 m from ``start`` on the other side of the same road."""
    here = m.get_waypoint(start)
    for _ in range(2000):
        loc = world.get_random_location_from_navigation()
        wp = m.get_waypoint(loc)
        if (
            wp.road_id == here.road_id
            and _side(m, loc) != _side(m, start)
            and 10.0 < loc.distance(start) < 30.0
        ):
            return loc
    raise AssertionError("no navigation location across the road")


def _walk(client: carla.Client, factor: float, seed: int, count: int) -> list[Walk]:
    """``count`` AI walkers, each sent to a target across the road; how each one went."""
    world = client.get_world()
    m = world.get_map()
    library = world.get_blueprint_library()
    world.set_pedestrians_seed(seed)
    world.set_pedestrians_cross_factor(factor)
    with synchronous(world):
        starts = [world.get_random_location_from_navigation() for _ in range(count)]
        targets = [_across(world, m, s) for s in starts]
        walkers = [
            world.spawn_actor(
                library.find("walker.pedestrian.0001"), carla.Transform(s + carla.Location(z=1.0))
            )
            for s in starts
        ]
        controllers = [
            world.spawn_actor(library.find("controller.ai.walker"), carla.Transform(), w) for w in walkers
        ]
        world.tick()
        for c, t in zip(controllers, targets, strict=True):
            c.start()
            c.go_to_location(t)
            c.set_max_speed(1.4)
        on_road: list[list[carla.Location]] = [[] for _ in walkers]
        done = [False] * count
        ends = list(starts)
        for _ in range(TICKS):
            world.tick()
            for k, w in enumerate(walkers):
                if done[k]:
                    continue  # CARLA's controller then walks on to a random location of its own
                loc = w.get_location()
                if m.get_waypoint(loc, project_to_road=False) is not None:
                    on_road[k].append(loc)
                done[k] = loc.distance(targets[k]) < REACHED
                ends[k] = loc
            if all(done):
                break
        walks = [
            Walk(
                _side(m, s),
                _side(m, ends[k]),
                done[k],
                on_road[k],
                m.get_waypoint(s).transform.get_forward_vector(),
            )
            for k, s in enumerate(starts)
        ]
        for c in controllers:
            c.stop()
        client.apply_batch_sync([carla.command.DestroyActor(a) for a in controllers + walkers], True)
    return walks


def _straight_across(walk: Walk) -> None:
    """On the road the walker went across it, not along it (a crossing is one 4 m quad wide)."""
    first, last = walk.on_road[0], walk.on_road[-1]
    d = last - first
    along = abs(d.x * walk.road_forward.x + d.y * walk.road_forward.y)
    across = abs(-d.x * walk.road_forward.y + d.y * walk.road_forward.x)
    assert across > 4.0 and along < 4.0, (along, across)


def test_every_walker_crosses_with_cross_factor_one_and_none_with_zero(rural):
    client = rural.client()
    crossing = _walk(client, 1.0, seed=5, count=3)
    for walk in crossing:
        assert walk.reached and walk.end_side != walk.start_side
        _straight_across(walk)
    staying = _walk(client, 0.0, seed=5, count=3)
    for walk in staying:
        assert not walk.reached and walk.end_side == walk.start_side
        assert len(walk.on_road) < 3  # at most a brush of the road's edge


def _went_onto_the_road(walks: list[Walk]) -> list[bool]:
    """Who chose to cross: the client's walker navigation decides it with the seed when it plans the
    path; how far each got by the last tick depends on the client's own threads on a busy machine."""
    return [len(w.on_road) >= 3 for w in walks]


def test_half_the_walkers_cross_with_cross_factor_one_half_the_same_ones_each_run(rural):
    first = _went_onto_the_road(_walk(rural.client(), 0.5, seed=11, count=8))
    assert 0 < sum(first) < 8
    again = _went_onto_the_road(_walk(rural.client(), 0.5, seed=11, count=8))  # a new client, same seed
    assert again == first
