"""Lane connectivity and routes: which lane follows which across sections, road links and junctions.

A node is ``(road id, section index, lane id)``. Each node has two ends, at its section's start
and end; links join ends. A car travels a right lane (right-hand traffic) from its start to its
end and a left lane the other way, so a driving edge goes from a node's exit end to the node
whose entry end is joined to it. Lane changes to a neighbouring lane of the same direction are
edges too, with a cost, so a route can leave one lane for another.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from typing import TYPE_CHECKING

from .tables import DRIVABLE

if TYPE_CHECKING:
    from .network import RoadNetwork

Node = tuple[str, int, int]
End = tuple[Node, str]

LANE_CHANGE_COST = 25.0
"""Route cost of one lane change [m of driving]."""


class RouteError(ValueError):
    """No route exists between two lane positions."""


class LaneGraph:
    def __init__(self, net: RoadNetwork) -> None:
        self.net = net
        self.length: dict[Node, float] = {}
        self.forward: dict[Node, bool] = {}
        """True when traffic on the node runs along increasing s."""
        # ends joined to each end, in the order the file declares them (a dict, not a set: a set of
        # strings iterates in a per-process hash order, and the first successor is the default turn)
        joins: dict[End, dict[End, None]] = defaultdict(dict)
        roads = {r.id: r for r in net.roads}

        def join(a: End, b: End) -> None:
            if a[0] in self.length and b[0] in self.length:
                joins[a][b] = None
                joins[b][a] = None

        for road in net.roads:
            for k, sec in enumerate(road.lane_sections):
                s_end = road.lane_sections[k + 1].s if k + 1 < len(road.lane_sections) else road.length
                for lane in sec.lanes:
                    if lane.id != 0 and lane.type in DRIVABLE:
                        node = (road.id, k, lane.id)
                        self.length[node] = s_end - sec.s
                        against = (lane.id > 0) if road.rule == "RHT" else (lane.id < 0)
                        self.forward[node] = not against

        def section_at_end(road_id: str, contact: str) -> int:
            return 0 if contact == "start" else len(roads[road_id].lane_sections) - 1

        for road in net.roads:
            n_sec = len(road.lane_sections)
            for k, sec in enumerate(road.lane_sections):
                for lane in sec.lanes:
                    if lane.id == 0:
                        continue
                    here = (road.id, k, lane.id)
                    for target, end, k_next, link, default in (
                        (lane.successor, "end", k + 1, road.successor, "start"),
                        (lane.predecessor, "start", k - 1, road.predecessor, "end"),
                    ):
                        if target is None:
                            continue
                        if 0 <= k_next < n_sec:  # the next lane section of this road
                            join(
                                (here, end), ((road.id, k_next, target), "end" if end == "start" else "start")
                            )
                        elif link is not None and link.element_type == "road" and link.element_id in roads:
                            contact = link.contact_point or default
                            kk = section_at_end(link.element_id, contact)
                            join((here, end), ((link.element_id, kk, target), contact))
        for junction in net.odr.junctions:
            for c in junction.connections:
                incoming = roads.get(c.incoming_road)
                connecting = roads.get(c.connecting_road)
                if incoming is None or connecting is None:
                    continue
                if (
                    incoming.successor is not None
                    and incoming.successor.element_id == junction.id
                    and incoming.successor.element_type == "junction"
                ):
                    inc_end = "end"
                else:
                    inc_end = "start"
                k_in = section_at_end(incoming.id, inc_end)
                k_conn = section_at_end(connecting.id, c.contact_point)
                for ll in c.lane_links:
                    join(
                        ((incoming.id, k_in, ll.from_lane), inc_end),
                        ((connecting.id, k_conn, ll.to_lane), c.contact_point),
                    )

        self.successors: dict[Node, list[tuple[Node, float]]] = defaultdict(list)
        for node, fwd in self.forward.items():
            exit_end = (node, "end" if fwd else "start")
            for other, other_end in joins.get(exit_end, ()):
                entry = "start" if self.forward[other] else "end"
                if other_end == entry:
                    self.successors[node].append((other, self.length[other]))
            road_id, k, lane_id = node
            for side in (-1, 1):
                neighbour = (road_id, k, lane_id + side)
                if neighbour[2] != 0 and self.forward.get(neighbour) == fwd:
                    self.successors[node].append((neighbour, LANE_CHANGE_COST))

    def next_lanes(self, road: str, lane: int, s: float) -> list[tuple[str, int]]:
        """The lanes a car in ``(road, lane)`` at ``s`` can continue into without changing lane."""
        node = self._node(road, lane, s)
        return [
            (n[0], n[2])
            for n, cost in self.successors.get(node, [])
            if cost != LANE_CHANGE_COST or (n[0], n[1]) != (node[0], node[1])
        ]

    def route(self, start: tuple[str, int, float], goal: tuple[str, int, float]) -> list[tuple[str, int]]:
        """Lanes ``(road, lane)`` from ``start`` to ``goal`` (each ``(road, lane, s)``), shortest by
        driven length plus lane-change costs; raises :class:`RouteError` when there is none."""
        a = self._node(*start)
        b = self._node(*goal)
        dist = {a: 0.0}
        prev: dict[Node, Node] = {}
        heap = [(0.0, a)]
        while heap:
            d, node = heapq.heappop(heap)
            if node == b:
                break
            if d > dist.get(node, float("inf")):
                continue
            for nxt, cost in self.successors.get(node, []):
                nd = d + cost
                if nd < dist.get(nxt, float("inf")):
                    dist[nxt] = nd
                    prev[nxt] = node
                    heapq.heappush(heap, (nd, nxt))
        if b not in dist:
            raise RouteError(
                f"{self.net.source}: no route from road {start[0]} lane {start[1]} to road "
                f"{goal[0]} lane {goal[1]}"
            )
        path = [b]
        while path[-1] != a:
            path.append(prev[path[-1]])
        return [(n[0], n[2]) for n in reversed(path)]

    def _node(self, road: str, lane: int, s: float) -> Node:
        r = self.net.road_index(road)
        sections = self.net.roads[r].lane_sections
        k = max(i for i, sec in enumerate(sections) if sec.s <= s + 1e-9) if s > 0 else 0
        node = (str(road), k, int(lane))
        if node not in self.length:
            raise RouteError(f"{self.net.source}: road {road} has no drivable lane {lane} at s = {s:g}")
        return node
