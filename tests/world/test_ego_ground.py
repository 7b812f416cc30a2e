"""The ego stood on the road in the world's step (one pass with the other actors) is at the height a
lookup of the surface under it gives plus its heave, bit for bit, on a climbing road and off it (where
it keeps the height it last had)."""

import math

from dil.world.actors import A_X, A_Y, A_YAW, A_Z, ActorSpec
from dil.world.embedded import EmbeddedWorld

from ..road.helpers import ROADS


def test_the_step_stands_the_ego_where_a_surface_lookup_does():
    world = EmbeddedWorld(ROADS / "rural.xodr", ActorSpec("ego", length=4.6, width=1.85))
    net = world.network
    ref = EmbeddedWorld(ROADS / "rural.xodr", ActorSpec("ego", length=4.6, width=1.85))
    x0, y0, _, yaw = net.lane_to_world("1", -1, 5.0)
    heights = []
    for k in range(60):  # up the slope, then far off every road, then back on it
        off = 400.0 if 30 <= k < 40 else 0.0
        x, y = x0 + 3.0 * k * math.cos(yaw), y0 + 3.0 * k * math.sin(yaw) + off
        heave = 0.01 * math.sin(0.3 * k)
        # as the world node stood it before the step did: a lookup of the surface under it
        prev = ref.actors.state[0, A_Z]
        ref.set_pose(0, (x, y, net.surface_z(x, y, prev - heave) + heave, yaw), 20.0)
        ref.step(k * 20_000_000, 0.02)
        world.set_pose(0, (x, y, world.actors.state[0, A_Z], yaw), 20.0)
        world.step(k * 20_000_000, 0.02, heave)
        got, want = world.actors.state[0], ref.actors.state[0]
        assert (got[A_X], got[A_Y], got[A_YAW]) == (want[A_X], want[A_Y], want[A_YAW])
        assert got[A_Z] == want[A_Z], k
        heights.append(got[A_Z])
    assert heights[29] > heights[0] + 1.0  # it climbed
    assert set(heights[30:40]) == {heights[29]}  # off every road: the height it last had
