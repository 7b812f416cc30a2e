"""KPIs of a run, measured by an observer of the bus: collisions, time to collision and headway,
distances, deceleration and jerk, lane departures, speeds, completion.

The observer reads only messages (``world/actors`` for every actor's box, ``vehicle/state`` for
the ego's acceleration, ``world/events``), so the same code scores a live run and a recording:
:func:`score_log` feeds a log's messages through it in their recorded order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import VEHICLE_STATE, WORLD_ACTORS, WORLD_EVENTS
from dil.bus.transport import Bus, LocalBus
from dil.world.actor_set import ActorSet
from dil.world.actors import A_LENGTH, A_SPEED, A_WIDTH, A_X, A_Y, A_YAW

from .kpi_kernels import K_SIZE, K_SPEED, ego_gaps


@dataclass
class Kpis:
    collision: bool = False
    collision_with: str = ""
    collision_speed: float = 0.0
    """Closing speed at the first collision [m/s]."""
    collision_time: float | None = None
    min_ttc: float = math.inf
    """To actors in the ego's path [s]."""
    min_headway: float = math.inf
    min_distance: float = math.inf
    """Free space to the nearest actor [m]."""
    max_decel: float = 0.0
    max_jerk: float = 0.0
    lane_invasions: int = 0
    off_road: int = 0
    initial_speed: float = 0.0
    min_speed: float = math.inf
    final_speed: float = 0.0
    speed_reduction: float = 0.0
    """Initial speed minus the speed at the first collision, or minus the lowest speed [m/s]."""
    duration: float = 0.0
    driver_seat: bool = False
    """A person (or a stand-in) drives at the wheel (``dil drive``): time without them counts."""
    no_driver_s: float = 0.0
    """Time with nobody in control [s]: no valid driver input for longer than the input timeout
    (the fallback brake holds the car); from ``stack/events`` with control ``none``."""
    end: str = ""
    events: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        return {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in d.items()}


SCALAR_KPIS = (
    "collision",
    "collision_with",
    "collision_speed",
    "min_ttc",
    "min_headway",
    "min_distance",
    "max_decel",
    "max_jerk",
    "lane_invasions",
    "off_road",
    "initial_speed",
    "min_speed",
    "final_speed",
    "speed_reduction",
    "duration",
    "no_driver_s",
)
"""The KPIs that are single values, in reporting order."""


class KpiNode:
    """Scores the ego (actor 0 of ``world/actors``) at ``rate_hz``; changes nothing."""

    def __init__(
        self,
        bus: Bus,
        drops: Drops,
        *,
        rate_hz: float = 50.0,
        path_half_width: float = 1.2,
        with_state: bool = True,
        name: str = "kpi",
    ) -> None:
        self.rate_hz = rate_hz
        self.kpis = Kpis()
        self._half = path_half_width
        self._actors = Inbox(bus.subscriber(WORLD_ACTORS.topic, conflate=True), drops)
        # without vehicle/state (the storyboard moves the ego) the acceleration comes from the speeds
        self._state = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops) if with_state else None
        self._events = Inbox(bus.subscriber(WORLD_EVENTS.topic), drops)
        inputs = [Port("actors", WORLD_ACTORS.topic), Port("events", WORLD_EVENTS.topic)]
        if with_state:
            inputs.append(Port("state", VEHICLE_STATE.topic))
        self.spec = NodeSpec(name, inputs=tuple(inputs))
        self._last_actors: list[dict] | _Actors = []
        self._rows = np.zeros((0, K_SIZE))
        """The last actors message as rows of numbers (see :mod:`dil.run.kpi_kernels`)."""
        self._buf, self._ids = np.zeros((0, K_SIZE)), np.zeros(0, dtype=np.int64)
        self._gaps = np.zeros((0, 2))
        self._least = np.zeros(2)
        self._ax: float | None = None
        self._speed: float | None = None
        self._last_ax: float | None = None
        self._last_speed: float | None = None
        self._started = False

    def start(self, t_sim_ns: int) -> None:
        pass

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        k = self.kpis
        msg = self._actors.latest_value()
        if type(msg) is ActorSet:  # the world's table, handed over in this process: no records made
            n = len(msg.state)
            if len(self._ids) < n:
                self._buf, self._ids = np.zeros((2 * n, K_SIZE)), np.zeros(2 * n, dtype=np.int64)
            m = msg.gather(_K_COLUMNS, self._buf, self._ids)
            self._rows = self._buf[:m]
            self._last_actors = _Actors(msg, self._ids[:m])
        elif msg is not None:
            actors = self._last_actors = msg["actors"]
            self._rows = np.array(
                [v for a in actors for v in (a["x"], a["y"], a["yaw"], a["speed"], a["length"], a["width"])],
                dtype=np.float64,
            ).reshape(-1, K_SIZE)
        if msg is not None and len(self._gaps) < len(self._rows):
            self._gaps = np.zeros((len(self._rows), 2))
        st = self._state.latest_value() if self._state is not None else None  # read by field name
        if st is not None:
            self._ax = st["ax"]
            self._speed = st["speed"]
        while (ev := self._events.next()) is not None:
            self._event(ev)
        if not self._last_actors or self._last_actors[0]["id"] != 0:
            return
        rows = self._rows
        # the vehicle's own state is newer than the world's copy of it
        speed = self._last_actors[0]["speed"] if self._speed is None else self._speed
        rows[0, K_SPEED] = speed
        if not self._started:
            k.initial_speed = speed
            self._started = True
        dt = 1.0 / self.rate_hz
        ax = (
            self._ax
            if self._ax is not None
            else (0.0 if self._last_speed is None else (speed - self._last_speed) / dt)
        )
        self._last_speed = speed
        k.duration = t_sim_ns * 1e-9
        k.min_speed = min(k.min_speed, speed)
        k.final_speed = speed
        k.max_decel = max(k.max_decel, -ax)
        if self._last_ax is not None:
            k.max_jerk = max(k.max_jerk, abs(ax - self._last_ax) * self.rate_hz)
        self._last_ax = ax
        n = len(rows)
        if n > 1:
            least = self._least
            least[0], least[1] = k.min_ttc, k.min_headway
            ego_gaps(rows, n, self._half, self._gaps, least)
            for lon, lat in self._gaps[1:n].tolist():
                k.min_distance = min(k.min_distance, math.hypot(abs(lon), abs(lat)))
            k.min_ttc, k.min_headway = least.tolist()
        if not k.collision:
            k.speed_reduction = k.initial_speed - k.min_speed

    def _event(self, e: dict) -> None:
        k = self.kpis
        k.events.append({"t": e["t_sim_ns"] * 1e-9, "kind": e["kind"], "detail": e["detail"]})
        if e["kind"] == "collision" and 0 in (e["actor_id"], e["other_id"]) and not k.collision:
            other = e["other_id"] if e["actor_id"] == 0 else e["actor_id"]
            k.collision = True
            names = {a["id"]: a["name"] for a in self._last_actors}  # of the newest actors message
            k.collision_with = names.get(other, str(other))
            k.collision_speed = e["relative_speed"]
            k.collision_time = e["t_sim_ns"] * 1e-9
            ego = self._last_actors[0]["speed"] if self._last_actors else 0.0
            k.speed_reduction = k.initial_speed - ego
        elif e["kind"] == "lane_invasion" and e["actor_id"] == 0:
            k.lane_invasions += 1
        elif e["kind"] == "off_road" and e["actor_id"] == 0:
            k.off_road += 1


_K_COLUMNS = np.array([A_X, A_Y, A_YAW, A_SPEED, A_LENGTH, A_WIDTH], dtype=np.int64)
"""The actor table's columns of an actor row's (:mod:`dil.run.kpi_kernels`), in order."""


class _Actors:
    """The live actors of an :class:`ActorSet` read as the records of a ``world/actors`` message are
    (``len``, truth, ``[0]["id"]``, ``[0]["speed"]``, iteration), records made only when iterated."""

    __slots__ = ("ids", "table")

    def __init__(self, table: ActorSet, ids: np.ndarray) -> None:
        """``ids``: the live actors' ids (:meth:`ActorSet.gather`)."""
        self.table = table
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, k: int) -> dict:
        i = int(self.ids[k])
        return {"id": i, "speed": float(self.table.state[i, A_SPEED])}

    def __iter__(self) -> Iterator[dict]:
        return iter(self.table.fields()["actors"])


def score_log(path: str | Path, rate_hz: float = 50.0) -> Kpis:
    """The KPIs of a recorded run: its messages fed to :class:`KpiNode` as the live loop did."""
    from dil.recording.fast import fast_records

    bus = LocalBus()
    node = KpiNode(bus, Drops(), rate_hz=rate_hz)
    pubs = {t: bus.publisher(t) for t in (WORLD_ACTORS.topic, VEHICLE_STATE.topic, WORLD_EVENTS.topic)}
    period = round(1e9 / rate_hz)
    pending: list[tuple[int, str, bytes]] = [
        (t_ns, topic, bytes(data)) for topic, t_ns, data in fast_records(path) if topic in pubs
    ]
    if not pending:
        raise ValueError(f"{path}: no world/actors, vehicle/state or world/events messages to score")
    last = pending[-1][0]
    i = 0
    end_ns = 0
    for t in range(0, last + 1, period):
        while i < len(pending) and pending[i][0] <= t:
            _, topic, data = pending[i]
            pubs[topic].send(topic.encode() + b"\0" + data)
            i += 1
        node.tick(t)
        end_ns = t
    node.kpis.duration = end_ns * 1e-9
    _no_driver(path, node.kpis, last)
    return node.kpis


def _no_driver(path: str | Path, k: Kpis, end_ns: int) -> None:
    """Time with nobody in control, from the log's ``stack/events`` (control ``none`` begins it,
    any other control ends it; still open at the end of the log, it lasts to the end)."""
    import msgpack

    from dil.recording.fast import fast_records

    since: int | None = None
    total = 0
    driver = ai = False
    for topic, t_ns, data in fast_records(path):
        driver = driver or topic == "driver/input"
        ai = ai or topic == "ai/command"
        if topic != "stack/events":
            continue
        control = msgpack.unpackb(bytes(data)).get("control")
        if control == "none":
            since = t_ns if since is None else since
        elif since is not None:
            total += t_ns - since
            since = None
    if since is not None:
        total += max(end_ns - since, 0)
    k.no_driver_s = total * 1e-9
    k.driver_seat = driver and not ai  # a person drove (an AI's run says so only when nobody was there)
