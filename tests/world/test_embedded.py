import math

import numpy as np
import pytest

from dil.world.actors import A_SPEED, A_X, A_Y, ActorKind, ActorSpec
from dil.world.embedded import EmbeddedWorld

from ..road.helpers import ROADS


@pytest.fixture
def highway():
    return EmbeddedWorld(ROADS / "highway.xodr", ActorSpec("ego", length=4.6, width=1.9))


def _ego_at(world, lane, s, offset=0.0, speed=20.0, yaw_offset=0.0):
    x, y, z, h = world.network.lane_to_world("1", lane, s, offset)
    world.set_pose(0, (x, y, z, h + yaw_offset), speed)


def test_a_collision_is_reported_once_with_the_other_actor_and_closing_speed(highway):
    lead = highway.spawn_in_lane(ActorSpec("lead"), "1", -2, 60.0, speed=5.0)
    events = []
    for k in range(100):
        _ego_at(highway, -2, 40.0 + 0.3 * k, speed=15.0)
        events += highway.step(k * 20_000_000, 0.02)
    hits = [e for e in events if e.kind == "collision"]
    assert len(hits) == 1
    hit = hits[0]
    assert (hit.actor_id, hit.other_id) == (0, lead)
    assert hit.relative_speed == pytest.approx(10.0)
    # the ego's front reached the lead's back: centres 4.6 m apart (both boxes 4.6 m long)
    assert 40.0 + 0.3 * (hit.t_ns // 20_000_000) - 60.0 == pytest.approx(-4.6, abs=0.31)


def test_rotated_actor_in_the_next_lane_is_hit_by_its_corner(highway):
    # a pedestrian crossing diagonally: its box is rotated, the car passes close beside it
    x, y, z, _ = highway.network.lane_to_world("1", -1, 50.0)
    ped = highway.spawn(ActorSpec("ped", ActorKind.OBJECT, 3.0, 0.4, 1.0), (x, y - 1.4, z, math.radians(60)))
    _ego_at(highway, -1, 50.0, offset=0.3)
    events = highway.step(0, 0.02)
    assert [e.other_id for e in events if e.kind == "collision"] == [ped]


def test_lane_invasion_and_road_departure(highway):
    kinds = []
    offsets = [0.0] * 5 + [1.5] * 5 + [0.0] * 5 + [-12.0] * 5
    for k, off in enumerate(offsets):
        _ego_at(highway, -1, 100.0 + k, offset=off if off > -10 else 0.0)
        if off <= -10:  # beyond the outermost lane
            x, y, z, h = highway.network.lane_to_world("1", -3, 100.0 + k, -4.0)
            highway.set_pose(0, (x, y, z, h), 20.0)
        kinds += [(k, e.kind, e.detail) for e in highway.step(k, 0.02)]
    assert [k[:2] for k in kinds] == [(5, "lane_invasion"), (15, "off_road")]
    assert "lane -1 into lane 1" in kinds[0][2] or "lane -1 into lane -2" in kinds[0][2]


def test_lane_followers_keep_their_lane_and_speed_up(highway):
    car = highway.spawn_in_lane(ActorSpec("car"), "1", -3, 10.0, speed=10.0)
    highway.follow_lane(car, 20.0, accel=4.0)
    for k in range(250):  # 5 s
        highway.step(k, 0.02)
    state, _ = highway.actor_state()
    assert state[car, A_SPEED] == pytest.approx(20.0)
    pos = highway.network.locate(state[car, A_X], state[car, A_Y])
    assert pos.lane == -3 and pos.offset == pytest.approx(0.0, abs=1e-9)
    # 2.5 s of acceleration from 10 to 20 m/s then 2.5 s at 20 m/s
    assert pos.s == pytest.approx(10.0 + 2.5 * 15.0 + 2.5 * 20.0, abs=0.5)


def test_lane_followers_cross_the_junction_on_their_route():
    world = EmbeddedWorld(ROADS / "junction.xodr")
    net = world.network
    route = net.graph.route(("1", -1, 100.0), ("3", 1, 100.0))
    car = world.spawn_in_lane(ActorSpec("car"), "1", -1, 100.0, speed=10.0)
    world.follow_lane(car, 10.0, route=route)
    seen = []
    for k in range(600):
        world.step(k, 0.02)
        state, _ = world.actor_state()
        pos = net.locate(state[car, A_X], state[car, A_Y])
        if not seen or seen[-1] != pos.road:
            seen.append(pos.road)
    assert seen[0] == "1" and seen[-1] == "3"
    assert net.roads[net.road_index(route[1][0])].junction == "100"


def test_the_world_is_deterministic():
    def run():
        w = EmbeddedWorld(ROADS / "junction.xodr")
        for i, (road, lane) in enumerate((("1", -1), ("2", -1), ("3", -2), ("4", -1))):
            a = w.spawn_in_lane(ActorSpec(f"c{i}"), road, lane, 120.0, speed=8.0)
            w.follow_lane(a, 12.0)
        out = []
        for k in range(400):
            out += w.step(k, 0.02)
        return w.actor_state()[0].copy(), out

    (a, ea), (b, eb) = run(), run()
    assert (a == b).all() and ea == eb


def test_set_poses_places_many_actors_as_set_pose_places_each(highway):
    a = highway.spawn_in_lane(ActorSpec("a"), "1", -1, 30.0)
    b = highway.spawn_in_lane(ActorSpec("b"), "1", -2, 50.0)
    poses = np.array([[10.0, 1.5, 0.2, 0.3, 7.0], [20.0, -2.5, 0.1, -0.2, 9.0]])
    highway.set_poses(np.array([b, a], dtype=np.int64), poses)
    one_by_one = EmbeddedWorld(ROADS / "highway.xodr", ActorSpec("ego", length=4.6, width=1.9))
    for name in ("a", "b"):
        one_by_one.spawn(ActorSpec(name), (0.0, 0.0, 0.0, 0.0))
    one_by_one.set_pose(b, (10.0, 1.5, 0.2, 0.3), 7.0)
    one_by_one.set_pose(a, (20.0, -2.5, 0.1, -0.2), 9.0)
    np.testing.assert_array_equal(highway.actor_state()[0], one_by_one.actor_state()[0])
    assert highway.actors.state[b, A_SPEED] == 7.0 and highway.actors.state[a, A_X] == 20.0


def test_set_poses_names_an_actor_that_is_gone_and_places_the_rows_before_it(highway):
    a = highway.spawn_in_lane(ActorSpec("a"), "1", -1, 30.0)
    b = highway.spawn_in_lane(ActorSpec("b"), "1", -2, 50.0)
    highway.destroy(b)
    poses = np.array([[10.0, 1.5, 0.0, 0.0, 7.0], [20.0, -2.5, 0.0, 0.0, 9.0]])
    with pytest.raises(KeyError, match=f"no live actor with id {b}"):
        highway.set_poses(np.array([a, b], dtype=np.int64), poses)
    assert (highway.actors.state[a, A_X], highway.actors.state[a, A_Y]) == (10.0, 1.5)
    with pytest.raises(KeyError, match="no live actor with id 99"):
        highway.set_poses(np.array([99], dtype=np.int64), poses)
