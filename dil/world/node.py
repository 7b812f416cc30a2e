"""The world as a loop node: the ego pose in from ``vehicle/state``, the world stepped at its rate,
``world/actors``, ``world/events`` and ``sensor/<name>`` out."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dil.bus.codec import Encoder
from dil.bus.fixed import field_reader, position_reader
from dil.bus.graph import NodeSpec, Port
from dil.bus.handoff import Outlet
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import VEHICLE_STATE, WORLD_ACTORS, WORLD_EVENTS, sensor_schema
from dil.bus.transport import Bus
from dil.realtime.clock import Clock, SimClock
from dil.realtime.entry_points import entry_point

from .actor_set import ActorSet, actor_records
from .actors import A_Z
from .embedded import EmbeddedWorld
from .sensor_kernels import O_SIZE, actor_rows_valid
from .sensor_thread import SensorThread
from .sensors import ObjectList, Sensor
from .step_kernel import world_tick


class WorldNode:
    """Steps ``world`` every ``1 / rate_hz`` s. ``ego_offset`` is how far the ego's bounding-box
    centre lies ahead of the reference point that ``vehicle/state`` reports [m]."""

    def __init__(
        self,
        bus: Bus,
        drops: Drops,
        world: EmbeddedWorld,
        clock: Clock,
        *,
        rate_hz: float = 50.0,
        ego_offset: float = 0.0,
        sensors: list[Sensor] | tuple[Sensor, ...] = (),
        ego_from_state: bool = True,
        name: str = "world",
        sensor_thread: bool = False,
        ego_start: Callable[[], tuple[float, float, float, float]] | None = None,
    ) -> None:
        """``sensor_thread``: measure and publish the sensors in a thread of their own (real-time
        runs: a camera frame must not hold up the 1 kHz loop); see :mod:`dil.world.sensor_thread`.
        ``ego_start``: the ego's box centre x, y [m], heading [rad] and speed [m/s] when the loop
        starts (nodes that start before this one have placed it): the world holds it before its
        first step, so that no message ever shows the ego at the origin."""
        self.world = world
        self._ego_start = ego_start
        self._net = getattr(world, "network", None)
        # the embedded world stands the ego on the road in its step (one pass over the actors)
        self._ground_in_step = self._net is not None and getattr(world, "grounds_ego", False)
        self.rate_hz = rate_hz
        self.clock = clock
        self.ego_offset = ego_offset
        self.sensors = list(sensors)
        self._dt = 1.0 / rate_hz
        self._inbox = (
            Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops) if ego_from_state else None
        )
        self._ego_pose = field_reader(VEHICLE_STATE, ("x", "y", "z", "yaw", "speed"))
        self._ego_pose_at = position_reader(VEHICLE_STATE, ("x", "y", "z", "yaw", "speed"))
        self.listeners: list = []
        """Callables given each step's events (observers such as KPIs)."""
        self._actors_out = Outlet(bus.publisher(WORLD_ACTORS.topic), Encoder(WORLD_ACTORS, name, check=False))
        self._events_out = Outlet(bus.publisher(WORLD_EVENTS.topic), Encoder(WORLD_EVENTS, name))
        self._sensor_pubs = []
        outputs = [Port("actors", WORLD_ACTORS.topic, rate_hz), Port("events", WORLD_EVENTS.topic)]
        for s in self.sensors:
            every = rate_hz / s.rate_hz
            if abs(every - round(every)) > 1e-9 or every < 1:
                raise ValueError(
                    f"sensor {s.name!r}: rate {s.rate_hz:g} Hz must divide the world rate {rate_hz:g} Hz"
                )
            schema = sensor_schema(s.name, s.kind)
            self._sensor_pubs.append(
                (s, round(every), bus.publisher(schema.topic), Encoder(schema, name, check=False))
            )
            outputs.append(Port(s.name, schema.topic, s.rate_hz))
        self._sensor_outs = [Outlet(pub, enc) for _, _, pub, enc in self._sensor_pubs]
        # a sensor with measure_value hands its measurement over as a typed value (dil.bus.values)
        self._measures = [
            (s, every, out, getattr(s, "measure_value", None), _fields_of(s))
            for (s, every, _, _), out in zip(self._sensor_pubs, self._sensor_outs, strict=True)
        ]
        self._use_thread = sensor_thread and bool(self._sensor_pubs)
        self._thread: SensorThread | None = None
        self._dropped = 0
        inputs = (Port("ego", VEHICLE_STATE.topic),) if ego_from_state else ()
        self.spec = NodeSpec(name, inputs=inputs, outputs=tuple(outputs))
        self.schemas = {
            p.topic: sensor_schema(s.name, s.kind) for s, p in zip(self.sensors, outputs[2:], strict=True)
        }
        """The sensor topics' schemas (for graph checks and readers)."""
        self.events: list = []
        """Every event so far."""
        self._tick = 0
        self._names: tuple[str, ...] = ()
        # the embedded world's step, checks and object sensor in one kernel call per tick
        self._one_call = type(world) is EmbeddedWorld and not self._use_thread
        self._objects: tuple[ObjectList, int, Outlet] | None = None
        self._followers = world.followers if getattr(world, "followers", None) is not None else _NO_FOLLOWERS
        if self._one_call:
            self._checks = world.events.checks
            self._packed = self._checks.net.packed
            for k, (s, every, out, _, _) in enumerate(self._measures):
                if type(s) is ObjectList:  # measured in the kernel; its value made from its rows
                    self._objects = (s, every, out)
                    del self._measures[k]
                    break
        self._plan = _sensor_plan(self._objects, self._measures)
        # a simulated clock's wall time is its epoch plus the simulated time: added here, no call
        self._epoch: int | None = clock.epoch_ns if type(clock) is SimClock else None
        self._actors_value = self._actors_out.publish_value
        self._world_tick = world_tick
        """The one-call tick's kernel as called each tick (its entry point from :meth:`start` on)."""

    def start(self, t_sim_ns: int) -> None:
        if self._ego_start is not None:
            x, y, yaw, speed = self._ego_start()
            z = 0.0 if self._net is None else self._net.surface_z(x, y)
            self.world.set_pose(0, (x, y, z, yaw), speed)
        self.world.step(t_sim_ns, 0.0)  # compile the kernels; no time passes
        if self._one_call:  # load (or compile) the tick's kernel now, on copies: nothing changes
            actors, checks = self.world.actors, self._checks
            n = actors.count
            checks.room(n)
            world_tick(*self._packed, actors.state.copy(), actors.boxes.copy(), checks.fwork.copy(),
                       checks.iwork.copy(), np.zeros((max(n, 1), O_SIZE)), n, self._net is not None, False,
                       0.0, 0.0, 0.0, 0.0, 0.0, 0.0, False, 0.0)  # fmt: skip
            # the same array types every tick (the tables', the buffers' and the object rows' dtypes and
            # ranks never change): called through the entry point, without dispatch on argument types
            self._world_tick = entry_point(
                world_tick, *self._packed, actors.state, actors.boxes, checks.fwork, checks.iwork, _NO_ROWS,
                n, self._net is not None, False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, False, 0.0,
            )  # fmt: skip
        table, _ = self.world.actor_state()
        for s in self.sensors:  # sensors with kernels of their own load them now (nothing measured)
            warm_up = getattr(s, "warm_up", None)
            if warm_up is not None and len(table):
                warm_up(table)
        if self._use_thread and self._thread is None:
            state, _ = self.world.actor_state()
            self._thread = SensorThread(
                [(s, pub, enc) for s, _, pub, enc in self._sensor_pubs],
                max(64, 2 * len(state)),
                state.shape[1],
            )

    @property
    def sensor_frames_dropped(self) -> int:
        """Real-time runs: sensor measurements a newer one replaced before it was made."""
        return self._thread.dropped if self._thread is not None else self._dropped

    def tick(self, t_sim_ns: int) -> None:
        # in-process the vehicle's values tuple, read by position: no message made
        inbox = self._inbox
        msg = inbox.latest_value() if inbox is not None else None
        if msg is not None:
            # x, y, z, yaw, speed
            msg = self._ego_pose_at(msg) if type(msg) is tuple else self._ego_pose(msg)
        if self._one_call and not self._followers.n:
            self._tick_one_call(t_sim_ns, msg)
            return
        self._tick_pose(t_sim_ns, msg)

    def _tick_pose(self, t_sim_ns: int, msg: tuple[float, float, float, float, float] | None) -> None:
        """:meth:`tick` after the ego's pose was read (``msg``: x, y, z, yaw, speed, or None), with the
        world's own step and the sensors measured one by one."""
        heave = None
        if msg is not None:
            x, y, z, yaw, speed = msg
            d = self.ego_offset
            x, y = x + d * math.cos(yaw), y + d * math.sin(yaw)
            # the vehicle models are planar: the ego stands on the road surface (as other actors
            # do), its own z (heave) on top, so cameras see a sloping road from the driver's eyes
            if self._ground_in_step:  # z set by the world's step, in its pass over the actors
                heave, z = z, self.world.actors.state[0, A_Z]
            elif self._net is not None:  # off every road: the surface height it last stood on
                z = self._net.surface_z(x, y, self.world.actors.state[0, A_Z] - z) + z
            self.world.set_pose(0, (x, y, z, yaw), speed)
        events = (
            self.world.step(t_sim_ns, self._dt)
            if heave is None
            else self.world.step(t_sim_ns, self._dt, heave)
        )
        wall = self.clock.wall_ns(t_sim_ns)
        state, names = self.world.actor_state()
        n = len(state)
        self._publish_step(t_sim_ns, wall, events, state, names, n, actor_rows_valid(state, n))
        if self._thread is not None:
            due = tuple(k for k, (_, every, _, _) in enumerate(self._sensor_pubs) if self._tick % every == 0)
            if due:
                self._thread.post(t_sim_ns, wall, state, due)
        else:
            self._measure(t_sim_ns, wall, state, n)
        self._tick += 1

    def _publish_step(
        self, t_sim_ns: int, wall: int, events: list, state: np.ndarray, names: Any, n: int, valid: bool
    ) -> None:
        """A step's events to ``world/events`` and the listeners, and the actor rows ``state[:n]``
        (named ``names``; ``valid``: their numbers pass the schema's checks) to ``world/actors``."""
        if events:
            for e in events:
                self._events_out.publish(t_sim_ns, wall, e.fields())
            self.events += events
        for listener in self.listeners:
            listener(events)
        if len(self._names) != n:  # actors added: their names taken again (names never change)
            self._names = tuple(names[:n])
        # handed over as the table (readers in this process take it); records made only on need
        self._actors_out.publish_value(
            t_sim_ns, wall, ActorSet(state[:n].copy(), self._names), ActorSet.fields, valid
        )

    def _measure(self, t_sim_ns: int, wall: int, table: np.ndarray, n: int) -> None:
        """The sensors due this tick measure the actor rows ``table`` (``n`` of them) and publish."""
        for sensor, every, out, value_of, fields_of in self._measures:
            if self._tick % every == 0:
                if value_of is not None:  # in-process readers take the value, fields made on need
                    out.publish_value(t_sim_ns, wall, value_of(table, n), fields_of, sensor.checked)
                else:
                    out.publish(t_sim_ns, wall, sensor.measure(table, n), getattr(sensor, "checked", False))

    def _tick_one_call(self, t_sim_ns: int, msg: tuple[float, float, float, float, float] | None) -> None:
        """:meth:`tick` for the embedded world with no lane followers: the ego placed, the world's
        checks, the actor rows' check and the object sensor in one kernel call (the same arithmetic
        as the world's ``set_pose`` and ``step`` and the sensor's ``measure_value``). ``msg``: the ego's
        x, y, z [m], yaw [rad] and speed [m/s] from ``vehicle/state``, or None."""
        world = self.world
        actors = world.actors
        names = actors.names
        n = len(names)  # actors.count
        checks = self._checks
        if checks.capacity < n:
            checks.room(n)
        state = actors.state
        plan = self._plan
        tick = self._tick
        objects_due, measures_due = (
            plan[tick % len(plan)] if plan is not None else _due_at(self._objects, self._measures, tick)
        )
        if objects_due:
            obj = self._objects[0]  # type: ignore[index]
            rows, range_m = obj.rows_for(n), obj.range_m
        else:
            rows, range_m = _NO_ROWS, -1.0
        has_net = self._net is not None
        if msg is None:
            k, check_ego, valid, m, centre_on, invading = self._world_tick(
                *self._packed, state, actors.boxes, checks.fwork, checks.iwork, rows, n, has_net,
                False, 0.0, 0.0, 0.0, 0.0, 0.0, self.ego_offset, False, range_m,
            )  # fmt: skip
        else:
            x, y, z, yaw, speed = msg
            k, check_ego, valid, m, centre_on, invading = self._world_tick(
                *self._packed, state, actors.boxes, checks.fwork, checks.iwork, rows, n, has_net,
                True, x, y, z, yaw, speed, self.ego_offset, has_net, range_m,
            )  # fmt: skip
        detector = world.events
        epoch = self._epoch
        wall = t_sim_ns + epoch if epoch is not None else self.clock.wall_ns(t_sim_ns)
        if not detector.quiet(k, check_ego, centre_on, invading):
            events = detector.events_after(t_sim_ns, actors, k, check_ego)
            if events:
                for e in events:
                    self._events_out.publish(t_sim_ns, wall, e.fields())
                self.events += events
        else:
            events = _NO_EVENTS
        if self.listeners:
            events = events if events is not _NO_EVENTS else []
            for listener in self.listeners:
                listener(events)
        if len(self._names) != n:  # actors added: their names taken again (names never change)
            self._names = tuple(names[:n])
        # handed over as the table (readers in this process take it); records made only on need
        self._actors_value(t_sim_ns, wall, ActorSet(state[:n].copy(), self._names), ActorSet.fields, valid)
        if objects_due:
            self._objects[2].publish_value(t_sim_ns, wall, obj.value_of(m), _object_fields, obj.checked)  # type: ignore[index]
        if measures_due:
            table = state[:n]
            for sensor, out, value_of, fields_of in measures_due:
                if value_of is not None:  # in-process readers take the value, fields made on need
                    out.publish_value(t_sim_ns, wall, value_of(table, n), fields_of, sensor.checked)
                else:
                    out.publish(t_sim_ns, wall, sensor.measure(table, n), getattr(sensor, "checked", False))
        self._tick = tick + 1

    def stop(self, t_sim_ns: int) -> None:
        if self._thread is not None:
            self._thread.close()
            self._dropped = self._thread.dropped
            self._thread = None


class _NoFollowers:
    """The lane followers of a world without any (a world with no road network)."""

    n = 0


_NO_FOLLOWERS = _NoFollowers()

_PLAN_TICKS = 10_000
"""Longest cycle of sensor ticks laid out in advance (a longer one is worked out tick by tick)."""


def _due_at(
    objects: tuple[ObjectList, int, Outlet] | None, measures: list[tuple], tick: int
) -> tuple[bool, tuple]:
    """Whether the object sensor measures at world tick ``tick`` (in the kernel), and the other
    sensors due then as ``(sensor, outlet, value_of, fields_of)``."""
    return (
        objects is not None and tick % objects[1] == 0,
        tuple(
            (s, out, value_of, fields_of)
            for s, every, out, value_of, fields_of in measures
            if tick % every == 0
        ),
    )


def _sensor_plan(
    objects: tuple[ObjectList, int, Outlet] | None, measures: list[tuple]
) -> list[tuple[bool, tuple]] | None:
    """:func:`_due_at` for each tick of the sensors' common cycle (looked up as ``tick % len(plan)``),
    None when the cycle is longer than :data:`_PLAN_TICKS`."""
    everys = ([objects[1]] if objects is not None else []) + [m[1] for m in measures]
    cycle = math.lcm(*everys) if everys else 1
    return [_due_at(objects, measures, j) for j in range(cycle)] if cycle <= _PLAN_TICKS else None


_NO_EVENTS: list = []
"""A quiet step's events (never added to)."""

_NO_ROWS = np.zeros((0, O_SIZE))
"""The object rows given to the kernel on a tick with no object measurement."""
_NO_POSE = (0.0, 0.0, 0.0, 0.0, 0.0)
"""The ego's x, y, z, yaw and speed given to the kernel on a tick with no ``vehicle/state``."""


def _object_fields(value: Any) -> dict[str, Any]:
    return value.fields()


def _fields_of(sensor: Sensor) -> Callable[[Any], dict[str, Any]] | None:
    """How the fields of ``sensor``'s typed measurement are made (None: it measures fields)."""
    if getattr(sensor, "measure_value", None) is None:
        return None
    return lambda value: value.fields()


__all__ = ["WorldNode", "actor_records"]
