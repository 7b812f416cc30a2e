"""OpenSCENARIO 1.3 AngleCondition and RelativeAngleCondition: an entity's heading (absolute, or
relative to another entity's) is within a tolerance of an angle, in the world, road or lane frame.

dil's storyboard entities stay level (pitch and roll 0 rad), so conditions on pitch or roll compare
0 with the angle; the file's reader is warned once."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from lxml import etree

from .xml import MAX_ANGLE, Reader

if TYPE_CHECKING:
    from .context import Context
    from .entities import Entity

ANGLE_TYPES = ("heading", "pitch", "roll")
FRAMES = ("world", "entity", "road", "lane", "trajectory")
"""The coordinate systems an angle is measured in."""


def wrap(a: float) -> float:
    """``a`` [rad] wrapped into [-pi, pi)."""
    return (a + math.pi) % (2.0 * math.pi) - math.pi


def heading_in(e: Entity, frame: str) -> float | None:
    """``e``'s heading [rad] in ``frame``: world (and entity: the world heading, which a
    RelativeAngleCondition compares with the other entity's), road (against the reference line at
    the entity, s increasing), lane (against the lane's direction of travel: the reference line's
    plus pi on a left lane, id > 0) or trajectory (against the tangent of the trajectory it follows
    where it is; None when it follows none). Off every road, road and lane headings are the world
    heading."""
    if frame == "trajectory":
        return wrap(e.yaw - e.trajectory.pose()[2]) if e.trajectory is not None else None
    if frame in ("road", "lane") and e.road is not None:
        h = e.h_rel
        if frame == "lane" and e.lane > 0:
            h -= math.pi
        return wrap(h)
    return wrap(e.yaw)


def parse_angle_condition(r: Reader, el: etree._Element) -> Callable[[Context, Entity], bool]:
    """An ``<AngleCondition>`` or ``<RelativeAngleCondition>`` as a test of one triggering entity:
    true while the angle [rad] is within ``angleTolerance`` [rad] of ``angle`` (wrapped); never for an
    entity that follows no trajectory when the frame is ``trajectory``."""
    kind = r.choice(el, "angleType", ANGLE_TYPES)
    angle = r.num(el, "angle", limit=MAX_ANGLE)
    tol = r.num(el, "angleTolerance", limit=MAX_ANGLE)
    if tol < 0.0:
        raise r.error(el, f"attribute angleTolerance={el.get('angleTolerance')!r} is negative")
    default = "entity" if el.tag == "RelativeAngleCondition" else "world"
    frame = r.choice(el, "coordinateSystem", FRAMES, default)
    if kind != "heading":
        r.warn(el, f"angleType={kind!r}: dil's entities are level, their {kind} is 0 rad")
    ref = r.raw(el, "entityRef") if el.tag == "RelativeAngleCondition" else None

    def holds(ctx: Context, e: Entity) -> bool:
        if kind != "heading" or (ref is None and frame == "entity"):
            value: float | None = 0.0  # level entities; an entity's heading in its own frame is 0
        elif ref is None:
            value = heading_in(e, frame)
        else:
            own, other = heading_in(e, frame), heading_in(ctx.entity(ref), frame)
            value = None if own is None or other is None else own - other
        return value is not None and abs(wrap(value - angle)) <= tol + 1e-9

    return holds
