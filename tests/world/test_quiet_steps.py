"""The world node skips the event step where :meth:`EventDetector.quiet` says nothing can begin: on a
drive that weaves across lanes, off the road and through another car, quiet is true exactly where
``events_after`` finds no event and leaves the detector as it was."""

from __future__ import annotations

import copy
import math

from dil.world.actors import A_ALIVE, EGO, ActorSpec
from dil.world.embedded import EmbeddedWorld
from dil.world.step_kernel import W_CENTRE_ON, W_INVADING

from ..road.helpers import ROADS


def test_quiet_is_true_exactly_where_events_after_finds_nothing_and_changes_nothing():
    world = EmbeddedWorld(ROADS / "highway.xodr", ActorSpec("ego", length=4.6, width=1.9))
    world.spawn_in_lane(ActorSpec("lead"), "1", -2, 120.0, speed=0.0)
    det = world.events
    checks = det.checks
    quiet_steps = busy_steps = 0
    for k in range(400):
        s = 20.0 + 0.5 * k
        offset = 4.5 * math.sin(k / 25.0) - (2.0 if k > 300 else 0.0)  # across lanes, off the road at times
        x, y, z, h = world.network.lane_to_world("1", -2, s, offset)
        world.set_pose(EGO, (x, y, z, h + 0.2 * math.cos(k / 25.0)), 15.0)
        n = world.actors.count
        check_ego = world.actors.state[EGO, A_ALIVE] > 0.5
        pairs = checks.run(world.actors.state, world.actors.boxes, n, EGO + 1, check_ego, 0.0)
        flags = checks.flags
        said = det.quiet(pairs, check_ego, bool(flags[W_CENTRE_ON]), int(flags[W_INVADING]))
        before = (copy.copy(det.touching), det.ego_off_road, det._invading)
        events = det.events_after(k * 20_000_000, world.actors, pairs, check_ego)
        after = (det.touching, det.ego_off_road, det._invading)
        assert said == (not events and before == after), k
        quiet_steps += said
        busy_steps += not said
    assert quiet_steps > 100 and busy_steps > 10
