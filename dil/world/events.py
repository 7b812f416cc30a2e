"""World events: collisions between any two actors, and the ego vehicle's lane invasions and road
departures. Each is reported once when it begins (edge-triggered), time-stamped."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dil.road.lookup import R_INSIDE, R_LANE, R_ROAD, R_TYPE
from dil.road.network import RoadNetwork
from dil.road.tables import LANE_TYPES

from .actors import A_ALIVE, A_SPEED, A_YAW, EGO, ActorTable
from .step_kernel import W_CENTRE_ON, W_INVADING, StepChecks


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
    """Finds the events that begin at each step. Without a network only collisions are detected."""

    def __init__(self, net: RoadNetwork | None, max_pairs: int = 1024) -> None:
        self.net = net
        self._checks = StepChecks(net, max_pairs)
        self._touching: set[tuple[int, int]] = set()
        self._invading = False
        self._off_road = False

    @property
    def touching(self) -> set[tuple[int, int]]:
        """Pairs of actor ids ``(i, j)``, ``i < j``, whose boxes overlap now."""
        return self._touching

    @property
    def ego_off_road(self) -> bool:
        return self._off_road

    def detect(
        self, t_ns: int, actors: ActorTable, ground_from: int = -1, ego_heave: float | None = None
    ) -> list[WorldEvent]:
        """The events that begin now. ``ground_from`` >= 0: in the same pass, stand the actors on the
        road (pitch and roll of all, z of rows ``ground_from`` and on; see :mod:`dil.world.ground`):
        each actor is located on the network once per step for both; ``ego_heave`` [m], not None:
        the ego's z too, the surface under it plus this (see :func:`~dil.world.step_kernel.step_checks`)."""
        n = actors.count
        check_ego = self.net is not None and n > 0 and actors.state[EGO, A_ALIVE] > 0.5
        if self.net is None:
            ground_from = -1
        k = self._checks.run(actors.state, actors.boxes, n, ground_from, check_ego, ego_heave)
        return self.events_after(t_ns, actors, k, check_ego)

    @property
    def checks(self) -> StepChecks:
        """The step's kernel buffers (a caller that runs the checks itself, in a larger kernel, then
        calls :meth:`events_after`)."""
        return self._checks

    def quiet(self, k: int, check_ego: bool, centre_on: bool, invading: int) -> bool:
        """Whether :meth:`events_after` would find no event and change nothing after checks that
        found ``k`` overlapping pairs and (``check_ego``) the ego's flags ``centre_on`` and
        ``invading`` (:data:`~dil.world.step_kernel.W_CENTRE_ON`, ``W_INVADING``): then it need
        not be called."""
        return not (k or self._touching) and (
            not check_ego or (self._off_road is not centre_on and self._invading is (invading != 0))
        )

    def events_after(self, t_ns: int, actors: ActorTable, k: int, check_ego: bool) -> list[WorldEvent]:
        """The events that begin now, from the checks just run on ``actors`` (``k`` overlapping
        pairs; ``check_ego``: the ego's road checks were made)."""
        events = self._collisions(t_ns, actors, k) if k or self._touching else []
        if check_ego:
            flags = self._checks.flags
            centre_on = bool(flags[W_CENTRE_ON])
            invading = bool(flags[W_INVADING])
            if (not centre_on and not self._off_road) or (invading and not self._invading):
                events += self._ego_on_road(t_ns, actors, centre_on, int(flags[W_INVADING]))
            self._off_road = not centre_on
            self._invading = invading
        return events

    def _collisions(self, t_ns: int, actors: ActorTable, k: int) -> list[WorldEvent]:
        pairs = self._checks.pairs
        now = {(int(pairs[i, 0]), int(pairs[i, 1])) for i in range(k)}
        events = []
        st = actors.state
        boxes = actors.boxes
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

    def _ego_on_road(self, t_ns: int, actors: ActorTable, centre_on: bool, corner: int) -> list[WorldEvent]:
        """The ego's road events that begin now (called only when one does): leaving the road, or a
        box ``corner`` (1 to 4) in another lane of its road."""
        x, y = actors.boxes[EGO, 0], actors.boxes[EGO, 1]
        w, found = self._checks.where, self._checks.where_found
        net = self.net
        assert net is not None
        events: list[WorldEvent] = []
        if not centre_on and not self._off_road:
            what = LANE_TYPES[int(w[0, R_TYPE])] if found[0] and w[0, R_INSIDE] > 0.5 else "no road"
            events.append(WorldEvent(t_ns, "off_road", EGO, -1, x, y, 0.0, f"centre on {what}"))
        if corner and not self._invading:
            road, lane, other = int(w[0, R_ROAD]), int(w[0, R_LANE]), int(w[corner, R_LANE])
            detail = (
                f"road {net.roads[road].id}: lane {lane} into lane {other} "
                f"({LANE_TYPES[int(w[corner, R_TYPE])]})"
            )
            events.append(WorldEvent(t_ns, "lane_invasion", EGO, -1, x, y, 0.0, detail))
        return events
