"""KPIs of a run, measured by an observer of the bus: collisions, time to collision and headway,
distances, deceleration and jerk, lane departures, speeds, completion.

The observer reads only messages (``world/actors`` for every actor's box, ``vehicle/state`` for
the ego's acceleration, ``world/events``), so the same code scores a live run and a recording:
:func:`score_log` feeds a log's messages through it in their recorded order.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import VEHICLE_STATE, WORLD_ACTORS, WORLD_EVENTS
from dil.bus.schema import HEADER
from dil.bus.transport import Bus, LocalBus
from dil.world.actor_set import ActorSet
from dil.world.actors import A_SIZE, A_SPEED

from .kpi_kernels import (
    K_SIZE,
    KS_COLLISION,
    KS_DURATION,
    KS_FINAL_SPEED,
    KS_INITIAL_SPEED,
    KS_MAX_DECEL,
    KS_MAX_JERK,
    KS_MIN_DISTANCE,
    KS_MIN_HEADWAY,
    KS_MIN_SPEED,
    KS_MIN_TTC,
    KS_N,
    KS_SPEED_REDUCTION,
    KS_STARTED,
    W_ID,
    W_NEAR,
    W_ROW,
    W_SIZE,
    kpi_tick,
    new_running,
)


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
    """Scores the ego (actor 0 of ``world/actors``) at ``rate_hz``; changes nothing. Each tick is one
    compiled call (:func:`dil.run.kpi_kernels.kpi_tick`) over the world's table as handed over in this
    process (a message's records otherwise); :attr:`kpis` reads the running values."""

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
        self._kpis = Kpis()
        self._actors = Inbox(bus.subscriber(WORLD_ACTORS.topic, conflate=True), drops)
        # without vehicle/state (the storyboard moves the ego) the acceleration comes from the speeds
        self._state = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops) if with_state else None
        keys = [f.name for f in HEADER + VEHICLE_STATE.fields]
        self._ax_at, self._speed_at = keys.index("ax"), keys.index("speed")
        """Where a values tuple of ``vehicle/state`` holds the acceleration and the speed."""
        self._events = Inbox(bus.subscriber(WORLD_EVENTS.topic), drops)
        inputs = [Port("actors", WORLD_ACTORS.topic), Port("events", WORLD_EVENTS.topic)]
        if with_state:
            inputs.append(Port("state", VEHICLE_STATE.topic))
        self.spec = NodeSpec(name, inputs=tuple(inputs))
        self._acc = new_running(rate_hz, path_half_width)
        """The running values (``KS_*`` of :mod:`dil.run.kpi_kernels`)."""
        self._work = np.zeros((0, W_SIZE))
        """The newest actors as rows of numbers, their gaps (``W_*``)."""
        self._table = _NO_TABLE
        """The newest actor table (a message's records: an empty table, the rows made from them)."""
        self._last_actors: ActorSet | list[dict] | None = None
        """The newest actors: the world's table, or a message's records."""
        self._ax = math.nan
        self._speed = math.nan
        self._dirty = False

    @property
    def kpis(self) -> Kpis:
        """The KPIs as of the last tick."""
        if self._dirty:
            self._dirty = False
            k = self._kpis
            a = self._acc.tolist()
            if a[KS_STARTED]:
                k.initial_speed = a[KS_INITIAL_SPEED]
                k.duration = a[KS_DURATION]
                k.min_speed = a[KS_MIN_SPEED]
                k.final_speed = a[KS_FINAL_SPEED]
                k.max_decel = a[KS_MAX_DECEL]
                k.max_jerk = a[KS_MAX_JERK]
                k.min_ttc = a[KS_MIN_TTC]
                k.min_headway = a[KS_MIN_HEADWAY]
                k.speed_reduction = a[KS_SPEED_REDUCTION]
        return self._kpis

    def start(self, t_sim_ns: int) -> None:
        """Load (or compile) the tick's kernel before the loop, on copies: nothing changes."""
        kpi_tick(_NO_TABLE, False, self._work.copy(), self._acc.copy(), math.nan, math.nan, t_sim_ns)

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        msg = self._actors.latest_value()
        table, fresh = _NO_TABLE, False
        if type(msg) is ActorSet:  # the world's table, handed over in this process: no records made
            self._last_actors = msg
            table, fresh = msg.state, True
            if len(self._work) < len(table):
                self._work = np.zeros((2 * len(table), W_SIZE))
        elif msg is not None:  # a message's records (a recording): the rows made here
            self._last_actors = msg["actors"]
            self._rows(self._last_actors)
        st = self._state.latest_value() if self._state is not None else None  # values tuple or map
        if st is not None:
            if type(st) is tuple:  # read by position (no call)
                self._ax, self._speed = st[self._ax_at], st[self._speed_at]
            else:
                self._ax, self._speed = st["ax"], st["speed"]
        while (ev := self._events.next()) is not None:
            self._event(ev)
        near = kpi_tick(table, fresh, self._work, self._acc, self._speed, self._ax, t_sim_ns)
        self._dirty = True
        if near > 0:  # Python's hypot, as the KPI always was (libm's may differ in the last bit)
            acc, work = self._acc, self._work
            least = acc.item(KS_MIN_DISTANCE)
            if near == 1:  # the common case: one actor may be nearer (min(least, d) as a comparison)
                d = math.hypot(work.item(0, W_NEAR), work.item(0, W_NEAR + 1))
                if d < least:
                    acc[KS_MIN_DISTANCE] = self._kpis.min_distance = d
                return
            for lon, lat in work[:near, W_NEAR : W_NEAR + 2].tolist():
                least = min(least, math.hypot(lon, lat))
            acc[KS_MIN_DISTANCE] = self._kpis.min_distance = least

    def _rows(self, actors: list[dict]) -> None:
        """A message's records as the work array's rows."""
        n = len(actors)
        if len(self._work) < n:
            self._work = np.zeros((2 * n, W_SIZE))
        w = self._work
        for i, a in enumerate(actors):
            w[i, W_ROW : W_ROW + K_SIZE] = (a["x"], a["y"], a["yaw"], a["speed"], a["length"], a["width"])
            w[i, W_ID] = a["id"]
        self._acc[KS_N] = n

    def _event(self, e: dict) -> None:
        k = self.kpis
        k.events.append({"t": e["t_sim_ns"] * 1e-9, "kind": e["kind"], "detail": e["detail"]})
        if e["kind"] == "collision" and 0 in (e["actor_id"], e["other_id"]) and not k.collision:
            other = e["other_id"] if e["actor_id"] == 0 else e["actor_id"]
            k.collision = True
            names, ego = self._names_and_first_speed()  # of the newest actors
            k.collision_with = names.get(other, str(other))
            k.collision_speed = e["relative_speed"]
            k.collision_time = e["t_sim_ns"] * 1e-9
            acc = self._acc
            k.speed_reduction = acc[KS_SPEED_REDUCTION] = acc[KS_INITIAL_SPEED].item() - ego
            acc[KS_COLLISION] = 1.0
        elif e["kind"] == "lane_invasion" and e["actor_id"] == 0:
            k.lane_invasions += 1
        elif e["kind"] == "off_road" and e["actor_id"] == 0:
            k.off_road += 1

    def _names_and_first_speed(self) -> tuple[dict[int, str], float]:
        """The newest actors' names by id and the first live one's speed [m/s] (0 for none)."""
        actors = self._last_actors
        if isinstance(actors, ActorSet):
            live = actors.live().tolist()
            names = {i: actors.names[i] for i in live}
            return names, float(actors.state[live[0], A_SPEED]) if live else 0.0
        if not actors:
            return {}, 0.0
        return {a["id"]: a["name"] for a in actors}, actors[0]["speed"]


_NO_TABLE = np.zeros((0, A_SIZE))
"""No new actor table this tick."""


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
