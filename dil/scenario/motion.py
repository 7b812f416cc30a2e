"""The standard's transition dynamics and along-road stepping, as the storyboard-driven entities use them.

A transition moves a value ``v0 -> v1`` by a shape ``f(u)``, u in [0, 1] (OpenSCENARIO
``DynamicsShape``): step, linear ``u``, cubic ``3u^2 - 2u^3``, sinusoidal ``(1 - cos(pi u)) / 2``.
Its extent is a time [s], a distance [m] or a rate (the peak of the value's rate of change, always a
magnitude: m/s^2 for a speed, m/s for a lateral position).
"""

from __future__ import annotations

import math

from dil.road.network import RoadNetwork

PEAK_SLOPE = {"linear": 1.0, "cubic": 1.5, "sinusoidal": math.pi / 2.0}
"""max f'(u) of each continuous shape: a change b over an extent c peaks at b * PEAK_SLOPE / c."""


def shape_slope(shape: str, u: float) -> float:
    """f'(u) of a shape at normalised progress ``u`` (0 outside [0, 1]; 0 for step)."""
    if u < 0.0 or u > 1.0 or shape == "step":
        return 0.0
    if shape == "linear":
        return 1.0
    if shape == "cubic":
        return 6.0 * u * (1.0 - u)
    if shape == "sinusoidal":
        return 0.5 * math.pi * math.sin(math.pi * u)
    raise ValueError(f"unknown dynamics shape {shape!r}")


def extent_for_rate(shape: str, change: float, rate: float) -> float:
    """The extent over which ``change`` peaks at ``|rate|`` per unit (0 for a step or no change)."""
    if shape == "step" or rate == 0.0 or change == 0.0:
        return 0.0
    return PEAK_SLOPE[shape] * abs(change) / abs(rate)


def duration_for_peak_second_derivative(shape: str, change: float, peak: float) -> float:
    """The duration [s] over which ``change`` [m] peaks at ``peak`` [m/s^2] of second derivative
    (LaneOffsetAction's maxLateralAcc): cubic 6b/T^2, sinusoidal pi^2 b / (2 T^2); a linear shape's
    is unbounded at its ends, so it takes the cubic's duration, as the reference player does."""
    if shape == "step" or peak <= 0.0 or change == 0.0:
        return 0.0
    if shape == "sinusoidal":
        return math.pi * math.sqrt(abs(change) / (2.0 * peak))
    return math.sqrt(6.0 * abs(change) / peak)


def speed_transition_duration(
    shape: str, dimension: str, value: float, v0: float, v1: float, max_accel: float, max_decel: float
) -> float:
    """How long [s] a SpeedAction from ``v0`` to ``v1`` [m/s] lasts; 0 means at once.

    ``distance``: the shape runs over the time in which the speed's mean ``(v0 + v1) / 2`` covers
    the distance (every shape's mean is the midpoint). The result is stretched so that the peak
    acceleration stays within the entity's performance limits [m/s^2].
    """
    dv = v1 - v0
    if shape == "step" or dv == 0.0:
        return 0.0
    if dimension == "rate":
        duration = extent_for_rate(shape, dv, value)
    elif dimension == "distance":
        mean = abs(v0 + v1) / 2.0
        duration = value / mean if value > 0.0 and mean > 0.0 else 0.0
    else:
        duration = max(value, 0.0)
    if duration <= 0.0:
        return 0.0
    peak = PEAK_SLOPE[shape] * abs(dv) / duration
    limit = max_accel if dv > 0 else max_decel
    if limit > 0.0 and peak > limit:
        duration *= peak / limit
    return duration


def curvature(net: RoadNetwork, road: str, s: float) -> float:
    """Curvature [1/m] of the road's reference line at s (positive turning left)."""
    length = net.roads[net.road_index(road)].length
    h = 0.05
    a, b = max(s - h, 0.0), min(s + h, length)
    if b - a < 1e-6:
        return 0.0
    ha = net.road_to_world(road, a)[3]
    hb = net.road_to_world(road, b)[3]
    d = (hb - ha + math.pi) % (2.0 * math.pi) - math.pi
    return d / (b - a)


def ds_for_distance(net: RoadNetwork, road: str, s: float, t: float, distance: float) -> float:
    """The step along s [m] that moves a point at lateral position t [m] by ``distance`` [m] in the
    world: ``distance / (1 - kappa t)``, so that the world speed is kept on curves at any offset."""
    k = curvature(net, road, s)
    scale = 1.0 - k * t
    if scale < 0.05:  # beyond the curve's centre: keep the step finite
        scale = 0.05
    return distance / scale
