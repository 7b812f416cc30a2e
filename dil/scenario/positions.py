"""OpenSCENARIO positions, resolved against the road network and the entities at the moment of use."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from lxml import etree

from dil.road.routing import RouteError

from .routes import parse_route_position, route_place
from .xml import MAX_ANGLE, Reader, ScenarioError

if TYPE_CHECKING:
    from .context import Context

SUPPORTED = (
    "WorldPosition",
    "LanePosition",
    "RelativeLanePosition",
    "RelativeObjectPosition",
    "RelativeWorldPosition",
    "RoadPosition",
    "RelativeRoadPosition",
    "RoutePosition",
)


@dataclass(frozen=True)
class Place:
    x: float
    y: float
    z: float
    yaw: float
    road: str | None = None
    lane: int = 0
    s: float = 0.0
    offset: float = 0.0


@dataclass(frozen=True)
class Position:
    kind: str
    values: dict
    line: int
    source: str

    def resolve(self, ctx: Context) -> Place:
        """The world place now; an ``<Orientation type="absolute">`` sets the heading [rad] whatever
        the reference (entity, road or lane), a relative one adds to it (a route position's: to its
        direction along the route)."""
        place = self._place(ctx)
        v = self.values
        if v.get("absolute"):
            return replace(place, yaw=v["dh"])
        if self.kind == "RoutePosition" and v.get("dh"):
            return replace(place, yaw=place.yaw + v["dh"])
        return place

    def _place(self, ctx: Context) -> Place:
        v = self.values
        net = ctx.net
        try:
            if self.kind == "WorldPosition":
                return Place(v["x"], v["y"], v["z"], v["h"])
            if self.kind == "LanePosition":
                x, y, z, h = net.lane_to_world(v["road"], v["lane"], v["s"], v["offset"])
                h = v["dh"] if v.get("absolute") else h + v["dh"]
                return Place(x, y, z, h, v["road"], v["lane"], v["s"], v["offset"])
            if self.kind == "RoutePosition":
                return route_place(ctx, v)
            if self.kind == "RoadPosition":
                x, y, z, h = net.road_to_world(v["road"], v["s"], v["t"])
                return Place(x, y, z, v["dh"] if v.get("absolute") else h + v["dh"])
            e = ctx.entity(v["entity"])
            if self.kind == "RelativeWorldPosition":
                return Place(e.x + v["dx"], e.y + v["dy"], e.z + v["dz"], e.yaw + v["dh"])
            if self.kind == "RelativeObjectPosition":
                c, s = math.cos(e.yaw), math.sin(e.yaw)
                return Place(
                    e.x + c * v["dx"] - s * v["dy"],
                    e.y + s * v["dx"] + c * v["dy"],
                    e.z + v["dz"],
                    e.yaw + v["dh"],
                )
            if e.road is None:
                raise ValueError(f"entity {e.name!r} is not on a lane")
            if self.kind == "RelativeRoadPosition":
                s_new = e.s + v["ds"]
                x, y, z, h = net.road_to_world(
                    e.road, s_new, net.lane_to_road(e.road, e.lane, e.s, e.offset) + v["dt"]
                )
                return Place(x, y, z, h + v["dh"])
            # RelativeLanePosition with ds: dLane counts lanes towards +t (left of the reference line),
            # lane 0 skipped, ds runs along s and the orientation is relative to the road's s axis
            # (the standard's reference context). With dsLane all three follow the reference lane's
            # direction of travel (dLane towards its driver's left), as the reference player does.
            dlane, ds, offset = v["dlane"], v["ds"], v["offset"]
            against = v["along_lane"] and net.driving_heading(e.road, e.lane, 0.0) != 0.0
            if against:
                dlane, ds, offset = -dlane, -ds, -offset
            lane = shift_lane(e.lane, dlane)
            s_new = e.s + ds
            x, y, z, h = net.lane_to_world(e.road, lane, s_new, offset)
            if not v["along_lane"]:
                h = net.road_to_world(e.road, s_new)[3]
            return Place(x, y, z, h + v["dh"], e.road, lane, s_new, offset)
        except (KeyError, ValueError, RouteError) as err:
            why = err.args[0] if isinstance(err, KeyError) and err.args else err  # a KeyError's str is a repr
            raise ScenarioError(f"{self.source}:{self.line}: <{self.kind}>: {why}") from None


def shift_lane(lane: int, d: int) -> int:
    """The lane ``d`` lanes towards +t from ``lane`` (lane ids skip 0)."""
    new = lane + d
    if lane < 0 <= new:
        new += 1
    elif lane > 0 >= new:
        new -= 1
    return new


def parse_position(r: Reader, el: etree._Element) -> Position:
    """A ``<Position>`` element, a wrapper holding one position (``TargetPosition``,
    ``TargetPositionMaster``, ...) or a position type itself."""
    p = el if el.tag in SUPPORTED else r.one_child(el)
    tag = p.tag
    if tag not in SUPPORTED:
        raise r.unsupported(p, "position type")
    orient = p.find("Orientation")
    dh = r.num(orient, "h", 0.0, MAX_ANGLE) if orient is not None else 0.0
    absolute = (
        orient is not None and r.choice(orient, "type", ("relative", "absolute"), "relative") == "absolute"
    )
    if tag == "WorldPosition":
        v = {
            "x": r.coord(p, "x"),
            "y": r.coord(p, "y"),
            "z": r.coord(p, "z", 0.0),
            "h": r.num(p, "h", 0.0, MAX_ANGLE),
        }
    elif tag == "LanePosition":
        v = {
            "road": r.raw(p, "roadId"),
            "lane": r.integer(p, "laneId"),
            "s": r.coord(p, "s"),
            "offset": r.coord(p, "offset", 0.0),
            "dh": dh,
            "absolute": absolute,
        }
    elif tag == "RoadPosition":
        v = {"road": r.raw(p, "roadId"), "s": r.coord(p, "s"), "t": r.coord(p, "t"), "dh": dh}
        v["absolute"] = absolute
    elif tag == "RelativeLanePosition":
        along_lane = p.get("dsLane") is not None and p.get("ds") is None
        ds = r.coord(p, "dsLane") if along_lane else r.coord(p, "ds", 0.0)
        v = {
            "entity": r.raw(p, "entityRef"),
            "dlane": r.integer(p, "dLane"),
            "ds": ds,
            "offset": r.coord(p, "offset", 0.0),
            "dh": dh,
            "along_lane": along_lane,
        }
    elif tag == "RoutePosition":
        v = parse_route_position(r, p)
    elif tag == "RelativeRoadPosition":
        v = {"entity": r.raw(p, "entityRef"), "ds": r.coord(p, "ds"), "dt": r.coord(p, "dt"), "dh": dh}
    else:
        v = {
            "entity": r.raw(p, "entityRef"),
            "dx": r.coord(p, "dx"),
            "dy": r.coord(p, "dy"),
            "dz": r.coord(p, "dz", 0.0),
            "dh": dh,
        }
    if tag != "WorldPosition":
        v = {**v, "dh": dh, "absolute": absolute}
    return Position(tag, v, p.sourceline, r.source)
