"""Junction right of way for the autopilot: one path through a junction at a time.

A car that comes within ``APPROACH`` (or its comfortable stopping distance, if longer) of a junction
asks for it: it may go when no other car holds the junction, or when all that do take the same
connecting lane (a queue drives through together). Otherwise the junction's entry is a stop line for
it. A car holds the junction from its grant until it has left the junction's roads. Cars are asked
in id order, so the same traffic gives the same grants (deterministic).
"""

from __future__ import annotations

from collections.abc import Callable

from dil.road.network import RoadNetwork

APPROACH = 25.0
"""Distance to a junction's entry from which a car asks for it [m]."""
OTHER_CLAIM = 8.0
"""A vehicle the autopilot does not drive holds a junction from this far before its entry [m] (nearer
than the autopilot's cars ask: a car queued ahead of it has its grant by then)..."""
OTHER_CLAIM_S = 8.0
"""... or from this long before it reaches the entry at its speed [s]: about the time an autopilot car
takes to cross the junction from its stop line, so that one which entered before the claim is out
when the vehicle (which does not wait for grants) comes in."""
PLAN_DECEL = 3.0
"""[m/s^2]: a faster car asks from its stopping distance at this deceleration, plus ``APPROACH``."""


class JunctionReservations:
    """Who holds which junction."""

    def __init__(self, network: RoadNetwork) -> None:
        self.network = network
        self.holders: dict[str, dict[int, tuple[int, int]]] = {}
        """Junction id to {actor id: the connecting lane (road index, lane id) it takes}."""
        self.others: dict[str, dict[int, tuple[int, int]]] = {}
        """The same for vehicles the autopilot does not drive (an ego), from :meth:`observe`."""

    def observe(self, others: list[tuple[int, int, int, int, float, float]]) -> None:
        """Vehicles the autopilot does not drive, as ``(actor id, road index, lane, direction along s,
        s [m], speed [m/s])``: inside a junction, or moving within ``OTHER_CLAIM`` of its entry, they
        hold it (they do not wait for the autopilot's grants); moving, also from ``OTHER_CLAIM_S`` before
        they reach its entry."""
        self.others = {}
        for actor_id, road, lane, direction, s, speed in others:
            reach = max(OTHER_CLAIM, speed * OTHER_CLAIM_S)
            ahead = self._ahead(road, lane, direction, s, reach)
            if ahead is not None and (ahead[2] == 0.0 or (ahead[2] < reach and speed > 0.5)):
                self.others.setdefault(ahead[0], {})[actor_id] = ahead[1]

    def _ahead(
        self, road: int, lane: int, direction: int, s: float, reach: float
    ) -> tuple[str, tuple[int, int], float] | None:
        """The junction a car is in (distance 0) or enters within ``reach`` [m]: ``(junction id,
        connecting lane, distance [m])``; None when neither."""
        net = self.network
        rd = net.roads[road]
        if rd.junction not in ("-1", ""):
            return rd.junction, (road, lane), 0.0
        left = rd.length - s if direction > 0 else s
        if left > reach:
            return None
        options = net.graph.next_lanes(rd.id, lane, rd.length if direction > 0 else 0.0)
        if not options:
            return None
        k = net.road_index(options[0][0])
        junction = net.roads[k].junction
        return None if junction in ("-1", "") else (junction, (k, options[0][1]), max(left, 0.0))

    def forget(self, actor_id: int) -> None:
        for held in self.holders.values():
            held.pop(actor_id, None)

    def stop_distance(
        self,
        actor_id: int,
        road: int,
        lane: int,
        direction: int,
        s: float,
        speed: float,
        room: Callable[[int, int, int], bool],
    ) -> float | None:
        """Where the car must stop [m ahead] because the junction ahead is held, or the lane after it
        has no ``room(road, lane, direction)`` for it; None: it may go."""
        net = self.network
        rd = net.roads[road]
        if rd.junction not in ("-1", ""):  # inside: it holds the junction until it is out
            self.holders.setdefault(rd.junction, {}).setdefault(actor_id, (road, lane))
            self._release(actor_id, keep=rd.junction)
            return None
        left = rd.length - s if direction > 0 else s
        options = net.graph.next_lanes(rd.id, lane, rd.length if direction > 0 else 0.0)
        if not options:
            self._release(actor_id, keep=None)
            return None
        nxt_road, nxt_lane = options[0]
        k = net.road_index(nxt_road)
        junction = net.roads[k].junction
        if junction in ("-1", "") or left > APPROACH + speed * speed / (2.0 * PLAN_DECEL):
            self._release(actor_id, keep=None)
            return None
        self._release(actor_id, keep=junction)
        held = self.holders.setdefault(junction, {})
        path = (k, nxt_lane)
        others = self.others.get(junction, {}).values()
        if actor_id in held:
            if all(p == path for p in others) or left < speed * speed / (2.0 * PLAN_DECEL) + 1.0:
                return None
            del held[actor_id]  # a vehicle that does not wait claims it, and there is room to stop: yield
            return max(left, 0.0)
        fwd = net.driving_heading(nxt_road, nxt_lane, 0.0) == 0.0
        free = all(p == path for p in held.values()) and all(p == path for p in others)
        if free and room(k, nxt_lane, 1 if fwd else -1):
            held[actor_id] = path
            return None
        return max(left, 0.0)

    def _release(self, actor_id: int, keep: str | None) -> None:
        """Drop the car from every junction but ``keep``."""
        for junction, held in self.holders.items():
            if junction != keep:
                held.pop(actor_id, None)
