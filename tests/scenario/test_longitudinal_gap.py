"""The longitudinal gap between two entities, worked out inline, is the gap measured from their
reference points or box centres with the other's box projected on the heading, to the bit."""

from __future__ import annotations

import math
import random

from dil.scenario.entities import Entity
from dil.scenario.separation import extent_along, longitudinal_gap, reference_points
from dil.world.actors import ActorKind


def _measured(a: Entity, b: Entity, freespace: bool) -> float:
    """The gap from the parts it is made of (reference points, the projected box)."""
    ax, ay, bx, by = reference_points(a, b, freespace)
    d = (bx - ax) * math.cos(a.yaw) + (by - ay) * math.sin(a.yaw)
    if freespace:
        reach = 0.5 * a.length + 0.5 * extent_along(b, a.yaw)
        d = math.copysign(max(0.0, abs(d) - reach), d)
    return d


def test_the_inline_gap_is_the_measured_one_to_the_bit():
    rng = random.Random(20)
    for _ in range(2000):
        a, b = (
            Entity(
                name,
                ActorKind.VEHICLE,
                rng.uniform(0.5, 12.0),
                rng.uniform(0.5, 3.0),
                1.5,
                centre_x=rng.uniform(-1.0, 3.0),
                x=rng.uniform(-200.0, 200.0),
                y=rng.uniform(-200.0, 200.0),
                yaw=rng.uniform(-4.0, 4.0),
            )
            for name in ("a", "b")
        )
        for freespace in (False, True):
            got, want = longitudinal_gap(a, b, freespace), _measured(a, b, freespace)
            assert got == want and math.copysign(1.0, got) == math.copysign(1.0, want)
