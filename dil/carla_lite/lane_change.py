"""Lane changes for the autopilot: overtaking a slower car ahead, and forced changes.

A change moves the car into the neighbouring lane of the same direction at once in lane terms (its
follower row gets the new lane) but not in space: the lateral offset that keeps it where it is decays
to the new lane's centre at ``LATERAL_SPEED``. A change starts only when the target lane is free
around the car: nothing within ``FRONT_MARGIN`` plus a time gap ahead, nothing behind within
``REAR_MARGIN`` plus what a faster car there closes in ``REAR_TIME``. The car keeps its gap to
bodies ahead throughout (the corridor check follows its pose).
"""

from __future__ import annotations

import math

import numpy as np

from dil.road.lanes import lane_centre_t
from dil.road.network import RoadNetwork

from .dynamics import K_ALIVE, K_CLASS, K_LENGTH, K_PARENT, K_VX, K_VY, K_WIDTH, K_X, K_Y

LATERAL_SPEED = 1.0
"""Speed of the sideways move into the new lane [m/s]."""
FRONT_MARGIN = 10.0
"""Free space needed ahead in the target lane [m], plus ``FRONT_TIME`` of the car's speed."""
FRONT_TIME = 2.0
REAR_MARGIN = 8.0
"""Free space needed behind in the target lane [m], plus what a faster car there closes in ``REAR_TIME``."""
REAR_TIME = 3.0
COOLDOWN_S = 5.0
"""Time between two changes of one car [s]."""
SLOWER_BY = 1.5
"""Overtake a car ahead that drives this much slower than the wanted speed [m/s] ..."""
OVERTAKE_GAP = 40.0
"""... when it is this close [m]."""
BODY_CLASSES = (1.0, 3.0)
"""Vehicles and props."""


END_MARGIN = 40.0
"""No change this close to the end of the road in the direction of travel [m], nor on a junction's
roads: the lanes beside may lead elsewhere there."""


def neighbour(network: RoadNetwork, road: int, lane: int, direction: int, s: float, left: bool) -> int:
    """The driving lane beside ``lane`` on the left (or right) of travel at ``s``; 0 when none (or
    when the road is a junction's or ends within ``END_MARGIN``)."""
    rd = network.roads[road]
    left_on_road = rd.length - s if direction > 0 else s
    if rd.junction not in ("-1", "") or left_on_road < END_MARGIN:
        return 0
    step = direction if left else -direction
    other = lane + step
    if other == 0 or (other > 0) != (lane > 0):
        return 0
    sections = network.roads[road].lane_sections
    k = max((i for i, sec in enumerate(sections) if sec.s <= s), default=0)
    for ln in sections[k].lanes:
        if ln.id == other and ln.type == "driving":
            return other
    return 0


def target_is_free(
    state: np.ndarray, n: int, me: int, centre: tuple[float, float], heading: float, speed: float
) -> bool:
    """No body in the target lane (centre point ``centre`` beside the car, along ``heading``) within
    the margins ahead and behind. ``me`` is the car's row."""
    a = state[me]
    c, s = math.cos(heading), math.sin(heading)
    rows = np.arange(n)
    live = (state[:n, K_ALIVE] > 0.5) & (state[:n, K_PARENT] < 0.0) & (rows != me)
    live &= np.isin(state[:n, K_CLASS], BODY_CLASSES)
    for j in np.nonzero(live)[0]:
        b = state[j]
        dx, dy = b[K_X] - centre[0], b[K_Y] - centre[1]
        lon, lat = c * dx + s * dy, -s * dx + c * dy
        if abs(lat) > 0.5 * (a[K_WIDTH] + b[K_WIDTH]) + 0.3:
            continue
        reach = 0.5 * (a[K_LENGTH] + b[K_LENGTH])
        if lon >= 0.0:
            if lon - reach < FRONT_MARGIN + FRONT_TIME * speed:
                return False
        else:
            closing = max(0.0, b[K_VX] * c + b[K_VY] * s - speed)
            if -lon - reach < REAR_MARGIN + REAR_TIME * closing:
                return False
    return True


def centre_t(network: RoadNetwork, road: int, lane: int, s: float, work: np.ndarray) -> float:
    """t of a lane's centre at ``s`` [m]."""
    return float(lane_centre_t(network.tables, road, lane, s, work))
