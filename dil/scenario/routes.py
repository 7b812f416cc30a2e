"""OpenSCENARIO routes: a ``<Route>`` (inline or from a route catalog), the lanes it runs through,
and positions along it (``RoutePosition``), measured by the route's path length ``pathS`` [m]."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from .xml import Reader

if TYPE_CHECKING:
    from dil.road.network import RoadNetwork

    from .context import Context
    from .positions import Place, Position


@dataclass(frozen=True)
class Leg:
    """One road of a route: driven from ``s0`` to ``s1`` (``s1 < s0``: against s) [m]."""

    road: str
    lane: int
    s0: float
    s1: float

    @property
    def length(self) -> float:
        return abs(self.s1 - self.s0)


@dataclass(frozen=True)
class Route:
    name: str
    waypoints: tuple[Position, ...]
    closed: bool = False

    def lanes(
        self, ctx: Context, start: tuple[str | None, int, float] | None = None
    ) -> list[tuple[str, int]]:
        """The lanes ``(road, lane)`` through the waypoints (from ``start`` when given), shortest
        through the lane graph."""
        lanes: list[tuple[str, int]] = []
        here = start
        for wp in self.waypoints:
            p = wp.resolve(ctx)
            goal = _lane_of(ctx.net, p)
            if here is not None and here[0] is not None and goal is not None:
                leg = ctx.net.graph.route(here, goal)  # type: ignore[arg-type]
                lanes += leg if not lanes else leg[1:]
            elif goal is not None and not lanes:
                lanes.append((goal[0], goal[1]))
            here = goal
        return lanes

    def legs(self, ctx: Context) -> list[Leg]:
        """The roads of the route in order, each with the stretch of s driven on it."""
        places = [wp.resolve(ctx) for wp in self.waypoints]
        lanes = self.lanes(ctx)
        net = ctx.net
        legs: list[Leg] = []
        first = _lane_of(net, places[0])
        last = _lane_of(net, places[-1])
        # one leg per road: lane changes within a road do not lengthen the path
        roads: list[tuple[str, int]] = []
        for road, lane in lanes:
            if roads and roads[-1][0] == road:
                continue
            roads.append((road, lane))
        for i, (road, lane) in enumerate(roads):
            length = net.roads[net.road_index(road)].length
            forward = net.driving_heading(road, lane, 0.0) == 0.0
            s0, s1 = (0.0, length) if forward else (length, 0.0)
            if i == 0 and first is not None:
                s0 = first[2]
            if i == len(roads) - 1 and last is not None:
                s1 = last[2]
            legs.append(Leg(road, lane, s0, s1))
        return legs


def _lane_of(net: RoadNetwork, p: Place) -> tuple[str, int, float] | None:
    if p.road is not None and p.lane != 0:
        return (p.road, p.lane, p.s)
    pos = net.locate(p.x, p.y)
    if pos is None or pos.lane == 0:
        return None
    return (pos.road, pos.lane, pos.s)


def parse_route(r: Reader, el: etree._Element) -> tuple[Route, Reader]:
    """A ``<Route>``, a ``<CatalogReference>`` to one, or a ``<RouteRef>`` holding either."""
    from .positions import parse_position

    if el.tag == "RouteRef":
        el = r.one_child(el, ("Route", "CatalogReference"))
    if el.tag == "CatalogReference":
        if r.catalogs is None:
            raise r.unsupported(el, "a catalog reference here")
        el, r = r.catalogs.entry(el)
        if el.tag != "Route":
            raise r.error(el, "is not a Route (the catalog reference must name a route)")
    if el.tag != "Route":
        raise r.unsupported(el, "route (Route or CatalogReference)")
    wps = [parse_position(r, r.child(wp, "Position")) for wp in el.iterfind("Waypoint")]
    if len(wps) < 2:
        raise r.error(el, "needs at least two Waypoints")
    for wp in el.iterfind("Waypoint"):
        r.choice(wp, "routeStrategy", ("fastest", "shortest", "leastIntersections", "random"), "shortest")
    return Route(r.raw(el, "name", ""), tuple(wps), r.boolean(el, "closed", False)), r


def route_place(ctx: Context, v: dict) -> Place:
    """The world place of a RoutePosition's ``InRoutePosition``."""
    from .positions import Place

    mode = v["mode"]
    if mode == "FromCurrentEntity":
        e = ctx.entity(v["entity"])
        return Place(e.x, e.y, e.z, e.yaw, e.road, e.lane, e.s, e.offset)
    route: Route = v["route"]
    legs = route.legs(ctx)
    if not legs:
        raise ValueError(f"route {route.name!r} runs through no lane")
    left = v["path_s"]
    if left < 0.0:
        raise ValueError(f"pathS={left:g} is negative")
    leg = legs[-1]
    along = leg.length
    for leg in legs:
        if left <= leg.length:
            along = left
            break
        left -= leg.length
    else:
        raise ValueError(f"pathS={v['path_s']:g} is beyond the route's end")
    forward = leg.s1 >= leg.s0
    s = leg.s0 + (along if forward else -along)
    net = ctx.net
    if mode == "FromLaneCoordinates":
        lane, offset = v["lane"], v["offset"]
        x, y, z, _ = net.lane_to_world(leg.road, lane, s, offset)
        h = net.road_to_world(leg.road, s)[3]
        yaw = h if forward else _wrap(h + math.pi)
        return Place(x, y, z, yaw, leg.road, lane, s, offset)
    x, y, z, h = net.road_to_world(leg.road, s, v["t"])
    return Place(x, y, z, h if forward else _wrap(h + math.pi))


def parse_route_position(r: Reader, p: etree._Element) -> dict:
    """The values of a ``<RoutePosition>`` (see :func:`route_place`)."""
    route, _ = parse_route(r, r.child(p, "RouteRef"))
    inner = r.one_child(
        r.child(p, "InRoutePosition"), ("FromCurrentEntity", "FromRoadCoordinates", "FromLaneCoordinates")
    )
    v: dict = {"mode": inner.tag, "route": route}
    if inner.tag == "FromCurrentEntity":
        v["entity"] = r.raw(inner, "entityRef")
    elif inner.tag == "FromRoadCoordinates":
        v["path_s"], v["t"] = r.coord(inner, "pathS"), r.coord(inner, "t", 0.0)
    else:
        v["path_s"], v["lane"] = r.coord(inner, "pathS"), r.integer(inner, "laneId")
        v["offset"] = r.coord(inner, "laneOffset", 0.0)
    return v


def _wrap(a: float) -> float:
    return (a + math.pi) % (2.0 * math.pi) - math.pi
