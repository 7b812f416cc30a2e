"""Trailers (OpenSCENARIO 1.3): a trailer entity connected to a vehicle's TrailerHitch follows it.

A vehicle's ``TrailerHitch dx`` is where a trailer hangs on, ``TrailerCoupler dx`` where a trailer
holds on to its tractor, both [m] ahead of the vehicle's reference point (the rear axle). A
connected trailer's coupler is held at its tractor's hitch and the trailer turns towards it without
sliding sideways (its reference point moves along its heading, a tractrix): each step the trailer
aims from where its reference point was at the hitch's new place. A released trailer goes on at its
speed like any storyboard-driven entity. Trailers of trailers form a
chain, moved from the tractor back. A trailer connected in the file (``Trailer/TrailerRef``) starts
straight behind its tractor, as the reference player places it; one connected by a
ConnectTrailerAction keeps its heading and is pulled to the hitch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from .actions import Action
from .xml import Reader

if TYPE_CHECKING:
    from dil.road.network import RoadNetwork

    from .context import Context
    from .entities import Entity


@dataclass(frozen=True)
class TrailerParts:
    hitch: float | None
    """TrailerHitch dx [m] ahead of the reference point, or None: it cannot tow."""
    coupler: float | None
    """TrailerCoupler dx [m] ahead of the reference point, or None: it cannot be towed."""
    trailer: str | None
    """The trailer entity connected at the start (Trailer/TrailerRef), or None."""


def read_parts(r: Reader, name: str, vehicle: etree._Element) -> TrailerParts:
    """A Vehicle's TrailerHitch, TrailerCoupler and Trailer elements."""
    hitch_el, coupler_el = vehicle.find("TrailerHitch"), vehicle.find("TrailerCoupler")
    hitch = r.coord(hitch_el, "dx") if hitch_el is not None else None
    coupler = r.coord(coupler_el, "dx") if coupler_el is not None else None
    trailer = None
    t = vehicle.find("Trailer")
    if t is not None:
        ref = t.find("TrailerRef")
        if ref is not None:
            trailer = r.raw(ref, "entityRef") or None  # an empty reference (a catalog default): none
        else:
            r.warn(
                t,
                f"of {name!r}: a trailer defined in its tractor is not simulated (declare it as an entity)",
            )
        if trailer is not None and hitch is None:
            raise r.error(t, f"of {name!r}: a vehicle towing a trailer needs a TrailerHitch")
    return TrailerParts(hitch, coupler, trailer)


class Towing:
    """Moves every connected trailer after its tractor has moved (once per engine step)."""

    def __init__(self, entities: dict[str, Entity]) -> None:
        self.entities = entities
        self.last: dict[str, tuple[float, float]] = {}
        """Each towed trailer's reference point at the last step [m], world frame."""
        self.started = False
        self.able = any(e.hitch_dx is not None for e in entities.values())
        """Some entity can tow (without a hitch nothing is ever towed: the step does nothing)."""
        for e in entities.values():
            if e.towing is not None:
                check_connection(e, entities)

    def step(self, net: RoadNetwork | None) -> None:
        """Put each connected trailer behind its tractor's hitch (tractors have moved)."""
        if not self.able:
            return
        ents = self.entities
        towed = {e.towing for e in ents.values() if e.towing is not None and e.present}
        if not towed and not self.last:
            self.started = True
            return
        seen: set[str] = set()
        for head in ents.values():
            if head.towing is None or head.name in towed or not head.present:
                continue
            car = head
            while car.towing is not None and car.towing not in seen:
                trl = ents[car.towing]
                seen.add(trl.name)
                self._follow(net, car, trl)
                car = trl
        for gone in set(self.last) - seen:
            del self.last[gone]
        self.started = True

    def _follow(self, net: RoadNetwork | None, car: Entity, trl: Entity) -> None:
        hitch, coupler = car.hitch_dx or 0.0, trl.coupler_dx or 0.0
        hx, hy = car.x + hitch * math.cos(car.yaw), car.y + hitch * math.sin(car.yaw)
        before = self.last.get(trl.name)
        if before is None:
            yaw = trl.yaw if self.started else car.yaw
        else:
            dx, dy = hx - before[0], hy - before[1]
            yaw = math.atan2(dy, dx) if dx * dx + dy * dy > 1e-12 else trl.yaw
        x, y = hx - coupler * math.cos(yaw), hy - coupler * math.sin(yaw)
        self.last[trl.name] = (x, y)
        trl.speed_transition = trl.lateral = trl.trajectory = trl.speed_follow = None
        trl.speed, trl.accel = car.speed, car.accel
        # off the lanes for its own motion: the hitch, not lane following, moves it
        trl.x, trl.y, trl.z, trl.yaw, trl.road = x, y, car.z, yaw, None


def check_connection(car: Entity, entities: dict[str, Entity]) -> None:
    """Raise ValueError unless ``car`` can tow the trailer it names."""
    name = car.towing
    if name not in entities:
        raise ValueError(f"{car.name!r} tows {name!r}, which is not an entity")
    trl = entities[name]  # type: ignore[index]
    if car.hitch_dx is None:
        raise ValueError(f"{car.name!r} has no TrailerHitch to tow {name!r}")
    if trl.coupler_dx is None:
        raise ValueError(f"trailer {name!r} has no TrailerCoupler")
    # a trailer tows nothing that tows it back
    seen, e = {car.name}, trl
    while e.towing is not None:
        if e.towing in seen:
            raise ValueError(f"trailers {sorted(seen)} tow each other in a circle")
        seen.add(e.name)
        e = entities[e.towing]
    for other in entities.values():
        if other is not car and other.towing == name:
            raise ValueError(f"trailer {name!r} is towed by both {other.name!r} and {car.name!r}")


def check_trailers(r: Reader, entities_el: etree._Element, entities: dict[str, Entity]) -> None:
    """Every trailer connection in the file can be made (a load-time error naming the entity)."""
    for so in entities_el.iterfind("ScenarioObject"):
        e = entities.get(r.raw(so, "name"))
        if e is not None and e.towing is not None:
            try:
                check_connection(e, entities)
            except ValueError as err:
                raise r.error(so, f"Trailer/TrailerRef: {err}") from None


@dataclass
class ConnectTrailer(Action):
    """ConnectTrailerAction: the actor tows ``trailer`` from now on."""

    trailer: str
    where: str
    name = "ConnectTrailerAction"

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        for n in actors:
            car = ctx.entity(n)
            car.towing = self.trailer
            try:
                check_connection(car, ctx.entities)
            except ValueError as e:
                car.towing = None
                raise ValueError(f"{self.where}: ConnectTrailerAction: {e}") from None

    def step(self, ctx: Context) -> bool:
        return True


@dataclass
class DisconnectTrailer(Action):
    """DisconnectTrailerAction: the actor's trailer goes on by itself at its speed along its lane,
    as the reference player moves it (it has no brakes of its own in the standard)."""

    name = "DisconnectTrailerAction"

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        for n in actors:
            car = ctx.entity(n)
            if car.towing is not None:
                trl = ctx.entity(car.towing)
                trl.place(ctx.net, trl.x, trl.y, trl.z, trl.yaw)
            car.towing = None

    def step(self, ctx: Context) -> bool:
        return True


def parse_trailer_action(r: Reader, node: etree._Element) -> ConnectTrailer | DisconnectTrailer:
    """A ``<TrailerAction>``."""
    inner = r.one_child(node, ("ConnectTrailerAction", "DisconnectTrailerAction"))
    if inner.tag == "ConnectTrailerAction":
        return ConnectTrailer(r.raw(inner, "trailerRef"), f"{r.source}:{inner.sourceline}")
    return DisconnectTrailer()
