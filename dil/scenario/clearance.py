"""RelativeClearanceCondition: lanes around an entity free of other entities.

True for a triggering entity when no other entity (or none of the listed ones) stands in the
area from ``distance_backward`` [m] behind it to ``distance_forward`` [m] ahead of it along the
road, in the lanes ``from``..``to`` relative to its own (OpenDRIVE lane ids: the difference of ids,
the reference line not counted), other-side lanes only with ``opposite_lanes``; and at least one
such lane exists where it is. Distances are along the road between reference points, or between
the bounding boxes with ``free_space``. An entity on another road is not in the area (the
comparison is along one road's s).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lxml import etree

from .xml import Reader

if TYPE_CHECKING:
    from .context import Context
    from .entities import Entity

DRIVING = ("driving", "entry", "exit", "onRamp", "offRamp", "connectingRamp", "bidirectional")


def relative_lane(a: int, b: int) -> tuple[int, bool]:
    """Lane ``b`` relative to lane ``a`` (id difference without the reference line) and whether it
    is on the other side of the reference line."""
    d = b - a
    if (a > 0) != (b > 0):
        return (abs(d) - 1) * (1 if d > 0 else -1), True
    return d, False


def _along(a: Entity, b: Entity, free_space: bool) -> float:
    """Where ``b`` is ahead of ``a`` along the road [m] (negative: behind), for ``a``'s direction."""
    ds = (b.s - a.s) if a.forward else (a.s - b.s)
    if free_space:
        # reference points to box centres, then the two half lengths
        ds += (b.centre_x if b.forward == a.forward else -b.centre_x) - a.centre_x
        reach = 0.5 * (a.length + b.length)
        ds = 0.0 if abs(ds) <= reach else ds - reach if ds > 0 else ds + reach
    return ds


def _lane_exists(ctx: Context, e: Entity, lo: int, hi: int, opposite: bool) -> bool:
    road = ctx.net.roads[ctx.net.road_index(e.road)]  # type: ignore[arg-type]
    k = max((i for i, sec in enumerate(road.lane_sections) if sec.s <= e.s), default=0)
    for ln in road.lane_sections[k].lanes:
        if ln.type in DRIVING and lo <= ln.id - e.lane <= hi and (opposite or (ln.id > 0) == (e.lane > 0)):
            return True
    return False


def parse_clearance(r: Reader, el: etree._Element) -> Callable[[Context, Entity], bool]:
    backward = r.num(el, "distanceBackward", 0.0)
    forward = r.num(el, "distanceForward", 0.0)
    if backward < 0.0 or forward < 0.0:
        raise r.error(
            el, f"distanceBackward={backward:g} and distanceForward={forward:g} must not be negative"
        )
    free_space = r.boolean(el, "freeSpace")
    opposite = r.boolean(el, "oppositeLanes")
    ranges = []
    for rr in el.iterfind("RelativeLaneRange"):
        lo, hi = r.integer(rr, "from", -1000), r.integer(rr, "to", 1000)
        if lo > hi:
            raise r.error(rr, f"from={lo} is greater than to={hi}")
        ranges.append((lo, hi))
    if not ranges:
        ranges = [(-1000, 1000)]  # no range: every lane
    only = [r.raw(ref, "entityRef") for ref in el.iterfind("EntityRef")]

    def clear(ctx: Context, e: Entity) -> bool:
        if e.road is None or not any(_lane_exists(ctx, e, lo, hi, opposite) for lo, hi in ranges):
            return False
        for name in only or ctx.entities:
            o = ctx.entity(name)
            if o is e or not o.present or o.road != e.road:
                continue
            ds = _along(e, o, free_space)
            if ds < -backward or ds > forward:
                continue
            d_lane, other_side = relative_lane(e.lane, o.lane)
            if (opposite or not other_side) and any(lo <= d_lane <= hi for lo, hi in ranges):
                return False
        return True

    return clear
