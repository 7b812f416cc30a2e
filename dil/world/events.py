"""World events: collisions between any two actors, and the ego vehicle's lane invasions and road
departures. Each is reported once when it begins (edge-triggered), time-stamped."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dil.road.lookup import MAX_CANDIDATES, R_INSIDE, R_LANE, R_ROAD, R_SIZE, R_TYPE, locate_many
from dil.road.network import RoadNetwork
from dil.road.tables import LANE_TYPES

from .actors import A_ALIVE, A_SPEED, A_YAW, EGO, ActorTable
from .collision import overlapping_pairs


@dataclass(frozen=True)
class WorldEvent:
    t_ns: int
    kind: str
    """collision, lane_invasion or off_road (the ``world/events`` kinds)."""
    actor_id: int
    other_id: int
    x: float
    y: float
    relative_speed: float = 0.0
    detail: str = ""

    def fields(self) -> dict[str, object]:
        """The ``world/events`` message fields."""
        return {
            "kind": self.kind,
            "actor_id": self.actor_id,
            "other_id": self.other_id,
            "x": self.x,
            "y": self.y,
            "relative_speed": self.relative_speed,
            "detail": self.detail,
        }


class EventDetector:
    def __init__(self, net: RoadNetwork | None, max_pairs: int = 1024) -> None:
        self.net = net
        self._pairs = np.zeros((max_pairs, 2), dtype=np.int64)
        self._touching: set[tuple[int, int]] = set()
        self._points = np.zeros((5, 2))
        self._where = np.zeros((5, R_SIZE))
        self._found = np.zeros(5, dtype=np.int64)
        self._borders = np.zeros(64)
        self._cand = np.zeros((MAX_CANDIDATES, 3))
        self._best = np.zeros(R_SIZE)
        self._invading = False
        self._off_road = False

    @property
    def touching(self) -> set[tuple[int, int]]:
        """Pairs of actor ids ``(i, j)``, ``i < j``, whose boxes overlap now."""
        return self._touching

    @property
    def ego_off_road(self) -> bool:
        return self._off_road

    def detect(self, t_ns: int, actors: ActorTable) -> list[WorldEvent]:
        events = self._collisions(t_ns, actors)
        if self.net is not None and actors.count and actors.state[EGO, A_ALIVE] > 0.5:
            events += self._ego_on_road(t_ns, actors)
        return events

    def _collisions(self, t_ns: int, actors: ActorTable) -> list[WorldEvent]:
        boxes = actors.update_boxes()
        k = overlapping_pairs(boxes, actors.count, self._pairs)
        now = {(int(self._pairs[i, 0]), int(self._pairs[i, 1])) for i in range(k)}
        events = []
        st = actors.state
        for i, j in sorted(now - self._touching):
            vi = st[i, A_SPEED] * np.array([math.cos(st[i, A_YAW]), math.sin(st[i, A_YAW])])
            vj = st[j, A_SPEED] * np.array([math.cos(st[j, A_YAW]), math.sin(st[j, A_YAW])])
            x = 0.5 * (boxes[i, 0] + boxes[j, 0])
            y = 0.5 * (boxes[i, 1] + boxes[j, 1])
            events.append(
                WorldEvent(
                    t_ns,
                    "collision",
                    i,
                    j,
                    x,
                    y,
                    float(np.linalg.norm(vi - vj)),
                    f"{actors.names[i]} and {actors.names[j]}",
                )
            )
        self._touching = now
        return events

    def _ego_on_road(self, t_ns: int, actors: ActorTable) -> list[WorldEvent]:
        x, y, yaw, length, width = actors.boxes[EGO]
        c, s = math.cos(yaw), math.sin(yaw)
        p = self._points
        p[0] = (x, y)
        for k, (a, b) in enumerate(((1, 1), (1, -1), (-1, 1), (-1, -1)), start=1):
            p[k] = (
                x + a * 0.5 * length * c - b * 0.5 * width * s,
                y + a * 0.5 * length * s + b * 0.5 * width * c,
            )
        net = self.net
        assert net is not None
        locate_many(net.tables, net.grid, p, self._borders, self._cand, self._best, self._where, self._found)
        w = self._where
        events: list[WorldEvent] = []
        centre_on = (
            bool(self._found[0])
            and w[0, R_INSIDE] > 0.5
            and net.tables.drivable[int(w[0, R_TYPE])] == 1
            and w[0, R_LANE] != 0
        )
        if not centre_on and not self._off_road:
            what = LANE_TYPES[int(w[0, R_TYPE])] if self._found[0] and w[0, R_INSIDE] > 0.5 else "no road"
            events.append(WorldEvent(t_ns, "off_road", EGO, -1, x, y, 0.0, f"centre on {what}"))
        self._off_road = not centre_on
        invading = False
        detail = ""
        if centre_on:
            road, lane = int(w[0, R_ROAD]), int(w[0, R_LANE])
            for k in range(1, 5):
                if (
                    self._found[k]
                    and w[k, R_INSIDE] > 0.5
                    and int(w[k, R_ROAD]) == road
                    and int(w[k, R_LANE]) != lane
                ):
                    invading = True
                    other = int(w[k, R_LANE])
                    detail = (
                        f"road {net.roads[road].id}: lane {lane} into lane {other} "
                        f"({LANE_TYPES[int(w[k, R_TYPE])]})"
                    )
                    break
        if invading and not self._invading:
            events.append(WorldEvent(t_ns, "lane_invasion", EGO, -1, x, y, 0.0, detail))
        self._invading = invading
        return events
