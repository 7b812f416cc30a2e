"""carla-lite's simulated world: the actor table, its step, collisions and the world-state records.

Actor ids are CARLA ids: row + 1 (0 means "no actor" on the wire); rows are never reused. Poses are
kept in the OpenDRIVE frame (see ``layouts``) and converted to CARLA's at the boundary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from dil.road.network import RoadNetwork
from dil.world.collision import overlapping_pairs

from .blueprints import SPECTATOR, ActorClass, Blueprint, attribute_values
from .contact import remember_positions, respond
from .dynamics import (
    DRAG,
    K_ALIVE,
    K_AX,
    K_AY,
    K_AZ,
    K_BRAKE,
    K_CLASS,
    K_DRAG,
    K_GEAR,
    K_GROUND,
    K_HAND_BRAKE,
    K_HEIGHT,
    K_LENGTH,
    K_MANUAL_GEAR,
    K_MASS,
    K_MAX_ACCEL,
    K_MAX_BRAKE,
    K_MAX_STEER,
    K_PARENT,
    K_PHYSICS,
    K_PITCH,
    K_PITCH_RATE,
    K_REL_PITCH,
    K_REL_ROLL,
    K_REL_X,
    K_REL_Y,
    K_REL_YAW,
    K_REL_Z,
    K_REVERSE,
    K_ROLL,
    K_ROLL_RATE,
    K_SIZE,
    K_SPEED,
    K_STEER,
    K_THROTTLE,
    K_VX,
    K_VY,
    K_VZ,
    K_WHEELBASE,
    K_WIDTH,
    K_X,
    K_Y,
    K_YAW,
    K_YAW_RATE,
    K_Z,
    MAX_ACCEL,
    MAX_BRAKE,
    MAX_STEER,
    WHEELBASE_RATIO,
    follow_parents,
    step_vehicles,
)
from .ground import Ground, attitude_rates, remember_attitude
from .layouts import ACTOR_RECORD, ActorState, TrafficLightState, from_carla
from .walkers import step_walkers, walker_control, write_walker_controls

PHYSICAL = (ActorClass.VEHICLE, ActorClass.PROP, ActorClass.WALKER)
"""Classes with a body: they collide and cameras see them."""
DEFAULT_SPEED_LIMIT_KMH = 30.0
"""Reported where the road network sets no limit (CARLA's default)."""
GROUNDED = (ActorClass.VEHICLE, ActorClass.WALKER)
"""Classes that follow the road surface and move by their controls."""
MAX_PAIRS = 4096
FAR = 1e12


@dataclass
class ActorInfo:
    """What the table does not hold: the blueprint and the attributes it was spawned with."""

    id: int
    blueprint: Blueprint
    attributes: list[list]
    """``[id, type, value]`` as the client sent them (the description's attributes)."""
    stream_id: int = 0
    """Sensors: the stream their data goes out on."""
    children: list[int] = field(default_factory=list)

    @property
    def values(self) -> dict[str, str]:
        return {**self.blueprint.defaults(), **attribute_values(self.attributes)}


@dataclass(frozen=True)
class Contact:
    """Two bodies started to overlap in a step: ids and the impulse on ``a`` [N s] (CARLA frame)."""

    a: int
    b: int
    impulse: tuple[float, float, float]


class LiteWorld:
    """Actors as rows of a float table (``dynamics.K_*``), stepped with numba kernels."""

    def __init__(self, network: RoadNetwork | None, capacity: int = 256) -> None:
        self.network = network
        self.state = np.zeros((capacity, K_SIZE))
        self.actors: dict[int, ActorInfo] = {}
        """Live actors by id."""
        self.count = 0
        self._k = 0
        self._touching: set[tuple[int, int]] = set()
        self._pairs = np.zeros((MAX_PAIRS, 2), dtype=np.int64)
        self.ground = Ground(network)
        self.stopped = 0
        """Bodies the contact response has stopped (a count over the world's life)."""
        self.spectator = self.spawn(SPECTATOR, [], (0.0, 0.0, 50.0, -30.0, 0.0, 0.0))

    # --- lifecycle -------------------------------------------------------------------------------

    def spawn(
        self,
        blueprint: Blueprint,
        attributes: list[list],
        transform: tuple[float, ...],
        parent: int = 0,
    ) -> int:
        """A new actor at a CARLA transform (relative to ``parent`` when given); its id."""
        if parent and parent not in self.actors:
            raise LookupError(f"no parent actor with id {parent}")
        row = self.count
        if row == self.state.shape[0]:
            grown = np.zeros((2 * row, K_SIZE))
            grown[:row] = self.state
            self.state = grown
        self.count += 1
        r = self.state[row]
        r[:] = 0.0
        length, width, height = blueprint.size
        r[K_LENGTH], r[K_WIDTH], r[K_HEIGHT] = length, width, height
        r[K_WHEELBASE] = max(WHEELBASE_RATIO * length, 0.5)
        r[K_MASS], r[K_MAX_ACCEL], r[K_MAX_BRAKE] = NOMINAL_MASS, MAX_ACCEL, MAX_BRAKE
        r[K_MAX_STEER], r[K_DRAG] = MAX_STEER, DRAG
        r[K_CLASS] = int(blueprint.actor_class)
        r[K_ALIVE] = 1.0
        grounded = 1.0 if blueprint.actor_class in GROUNDED else 0.0
        r[K_PHYSICS] = r[K_GROUND] = grounded
        r[K_PARENT] = -1.0
        actor_id = row + 1
        self.actors[actor_id] = ActorInfo(actor_id, blueprint, attributes)
        if parent:
            r[K_PARENT] = parent - 1
            self.actors[parent].children.append(actor_id)
            self._set_relative(r, transform)
            follow_parents(self.state, self.count)
        else:
            self._set_pose(r, transform)
        remember_positions(self.state, self.count)
        return actor_id

    def destroy(self, actor_id: int) -> ActorInfo:
        """Remove an actor; its attached actors stay where they are, detached."""
        info = self.info(actor_id)
        if info.blueprint.actor_class == ActorClass.SPECTATOR:
            raise ValueError("the spectator cannot be destroyed")
        r = self.state[actor_id - 1]
        r[K_ALIVE] = 0.0
        for child in info.children:
            if child in self.actors:
                self.state[child - 1, K_PARENT] = -1.0
        parent = int(r[K_PARENT])
        if parent >= 0 and parent + 1 in self.actors:
            self.actors[parent + 1].children.remove(actor_id)
        self._touching = {p for p in self._touching if actor_id - 1 not in p}
        return self.actors.pop(actor_id)

    def info(self, actor_id: int) -> ActorInfo:
        try:
            return self.actors[actor_id]
        except KeyError:
            raise LookupError(f"no live actor with id {actor_id}") from None

    def parent_of(self, actor_id: int) -> int:
        """The parent's id, 0 for none."""
        return int(self.state[actor_id - 1, K_PARENT]) + 1

    # --- setters (CARLA frame in) ---------------------------------------------------------------

    def set_transform(self, actor_id: int, transform: tuple[float, ...]) -> None:
        """Teleport; the speed is kept (as CARLA does), attached actors follow."""
        self.info(actor_id)
        r = self.state[actor_id - 1]
        if r[K_PARENT] >= 0:
            self._set_relative(r, self._relative_to_parent(r, transform))
        else:
            self._set_pose(r, transform)
        follow_parents(self.state, self.count)
        remember_positions(self.state, self.count)  # a teleport is no motion into another body

    def set_velocity(self, actor_id: int, v: tuple[float, float, float]) -> None:
        """World velocity [m/s] in CARLA's frame; a vehicle's speed becomes its part along the heading."""
        self.info(actor_id)
        r = self.state[actor_id - 1]
        r[K_VX], r[K_VY], r[K_VZ] = v[0], -v[1], v[2]
        r[K_SPEED] = r[K_VX] * math.cos(r[K_YAW]) + r[K_VY] * math.sin(r[K_YAW])

    def set_angular_velocity(self, actor_id: int, w: tuple[float, float, float]) -> None:
        """[deg/s] in CARLA's frame; only the yaw rate is kept."""
        self.info(actor_id)
        self.state[actor_id - 1, K_YAW_RATE] = -math.radians(w[2])

    def apply_control(self, actor_id: int, control: list) -> None:
        """A VehicleControl ``[throttle, steer, brake, hand_brake, reverse, manual_gear_shift, gear]``."""
        info = self.info(actor_id)
        if info.blueprint.actor_class != ActorClass.VEHICLE:
            raise ValueError(f"actor {actor_id} ({info.blueprint.id}) is not a vehicle")
        r = self.state[actor_id - 1]
        throttle, steer, brake, hand_brake, reverse, manual, gear = control[:7]
        r[K_THROTTLE], r[K_STEER], r[K_BRAKE] = throttle, steer, brake
        r[K_HAND_BRAKE], r[K_REVERSE], r[K_MANUAL_GEAR] = bool(hand_brake), bool(reverse), bool(manual)
        r[K_GEAR] = gear

    def apply_walker_control(self, actor_id: int, control: list) -> None:
        """A WalkerControl ``[direction [x, y, z], speed [m/s], jump]`` (CARLA frame)."""
        info = self.info(actor_id)
        if info.blueprint.actor_class != ActorClass.WALKER:
            raise ValueError(f"actor {actor_id} ({info.blueprint.id}) is not a walker")
        walker_control(self.state[actor_id - 1], list(control))

    def set_walker_state(self, actor_id: int, transform: tuple[float, ...], speed: float) -> None:
        """A walker placed by CARLA's client-side AI controller: its pose (CARLA frame) and its
        speed [m/s] along the new heading."""
        info = self.info(actor_id)
        if info.blueprint.actor_class != ActorClass.WALKER:
            raise ValueError(f"actor {actor_id} ({info.blueprint.id}) is not a walker")
        r = self.state[actor_id - 1]
        self._set_pose(r, transform)
        r[K_VX], r[K_VY] = speed * math.cos(r[K_YAW]), speed * math.sin(r[K_YAW])
        r[K_SPEED] = speed
        follow_parents(self.state, self.count)

    def set_physics(self, actor_id: int, enabled: bool) -> None:
        info = self.info(actor_id)
        r = self.state[actor_id - 1]
        r[K_PHYSICS] = 1.0 if enabled else 0.0
        r[K_GROUND] = 1.0 if enabled and info.blueprint.actor_class in GROUNDED else 0.0
        if not enabled:
            r[K_VX] = r[K_VY] = r[K_VZ] = r[K_YAW_RATE] = r[K_SPEED] = 0.0
            r[K_PITCH_RATE] = r[K_ROLL_RATE] = 0.0
            r[K_AX] = r[K_AY] = r[K_AZ] = 0.0

    # --- step ------------------------------------------------------------------------------------

    def step(self, dt: float) -> list[Contact]:
        """Move the vehicles by ``dt`` [s], carry attachments, and return the contacts that began."""
        remember_attitude(self.state, self.count)
        step_vehicles(self.state, self.count, dt)
        step_walkers(self.state, self.count, dt)
        self.ground.apply(self.state, self.count)
        follow_parents(self.state, self.count)
        began = self.contacts()
        if self._k:
            self.stopped += respond(self.state, self._pairs, self._k)
            follow_parents(self.state, self.count)
        remember_positions(self.state, self.count)
        attitude_rates(self.state, self.count, dt)
        return began

    def contacts(self) -> list[Contact]:
        """The contacts that began since the last call; the overlapping pairs stay in ``_pairs[:_k]``."""
        n = self.count
        s = self.state[:n]
        boxes = np.empty((n, 5))
        body = np.isin(s[:, K_CLASS], [int(c) for c in PHYSICAL]) & (s[:, K_ALIVE] > 0.5)
        boxes[:, 0] = np.where(body, s[:, K_X], FAR + 1e6 * np.arange(n))
        boxes[:, 1] = s[:, K_Y]
        boxes[:, 2] = s[:, K_YAW]
        boxes[:, 3] = s[:, K_LENGTH]
        boxes[:, 4] = s[:, K_WIDTH]
        k = overlapping_pairs(boxes, n, self._pairs)
        self._k = k
        now = {(int(i), int(j)) for i, j in self._pairs[:k]}
        began = sorted(now - self._touching)
        self._touching = now
        return [self._contact(i, j) for i, j in began]

    def _contact(self, i: int, j: int) -> Contact:
        """The impulse on i: the relative velocity along the centre line times i's mass."""
        a, b = self.state[i], self.state[j]
        nx, ny = a[K_X] - b[K_X], a[K_Y] - b[K_Y]
        norm = math.hypot(nx, ny) or 1.0
        nx, ny = nx / norm, ny / norm
        closing = (b[K_VX] - a[K_VX]) * nx + (b[K_VY] - a[K_VY]) * ny
        magnitude = a[K_MASS] * max(abs(closing), MIN_IMPULSE_SPEED)
        return Contact(i + 1, j + 1, (magnitude * nx, -magnitude * ny, 0.0))

    # --- views (CARLA frame out) -----------------------------------------------------------------

    def transform(self, actor_id: int) -> tuple[float, float, float, float, float, float]:
        """CARLA ``(x, y, z, pitch, yaw, roll)`` [m, deg] of a row (id - 1)."""
        r = self.state[actor_id - 1]
        return (
            float(r[K_X]),
            -float(r[K_Y]),
            float(r[K_Z]),
            float(r[K_PITCH]),
            -math.degrees(float(r[K_YAW])),
            -float(r[K_ROLL]),
        )

    def records(self) -> np.ndarray:
        """The world-state records of the live actors (``layouts.ACTOR_RECORD``), in id order."""
        ids = np.array(sorted(self.actors), dtype=np.int64)
        s = self.state[ids - 1]
        out = np.zeros(len(ids), ACTOR_RECORD)
        out["id"] = ids
        out["state"] = int(ActorState.ACTIVE)
        t = out["transform"]
        t[:, 0], t[:, 1], t[:, 2] = s[:, K_X], -s[:, K_Y], s[:, K_Z]
        t[:, 3], t[:, 4], t[:, 5] = s[:, K_PITCH], -np.degrees(s[:, K_YAW]), -s[:, K_ROLL]
        v = out["velocity"]
        v[:, 0], v[:, 1], v[:, 2] = s[:, K_VX], -s[:, K_VY], s[:, K_VZ]
        w = out["angular_velocity"]  # [deg/s], CARLA's world frame: the body rates turned by the yaw
        roll_rate, pitch_rate = np.degrees(s[:, K_ROLL_RATE]), -np.degrees(s[:, K_PITCH_RATE])
        cy, sy = np.cos(s[:, K_YAW]), -np.sin(s[:, K_YAW])
        w[:, 0], w[:, 1] = roll_rate * cy - pitch_rate * sy, roll_rate * sy + pitch_rate * cy
        w[:, 2] = -np.degrees(s[:, K_YAW_RATE])
        a = out["acceleration"]
        a[:, 0], a[:, 1], a[:, 2] = s[:, K_AX], -s[:, K_AY], s[:, K_AZ]
        u = out["union"]
        vehicle = s[:, K_CLASS] == int(ActorClass.VEHICLE)
        u["throttle"] = np.where(vehicle, s[:, K_THROTTLE], 0.0)
        u["steer"] = np.where(vehicle, s[:, K_STEER], 0.0)
        u["brake"] = np.where(vehicle, s[:, K_BRAKE], 0.0)
        u["hand_brake"] = np.where(vehicle, s[:, K_HAND_BRAKE], 0)
        u["reverse"] = np.where(vehicle, s[:, K_REVERSE], 0)
        u["manual_gear_shift"] = np.where(vehicle, s[:, K_MANUAL_GEAR], 0)
        u["gear"] = np.where(vehicle, s[:, K_GEAR], 0)
        u["traffic_light_state"] = int(TrafficLightState.UNKNOWN)
        for k in np.nonzero(vehicle)[0]:
            u["speed_limit"][k] = self.speed_limit_kmh(s[k, K_X], s[k, K_Y])
        write_walker_controls(out, s)
        return out

    def speed_limit_kmh(self, x: float, y: float) -> float:
        if self.network is None:
            return DEFAULT_SPEED_LIMIT_KMH
        pos = self.network.locate(x, y)
        if pos is None or pos.lane == 0:
            return DEFAULT_SPEED_LIMIT_KMH
        limit = self.network.speed_limit(pos.road, pos.lane, pos.s)
        if limit is None or not math.isfinite(limit):
            return DEFAULT_SPEED_LIMIT_KMH
        return 3.6 * limit

    # --- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _set_pose(r: np.ndarray, t: tuple[float, ...]) -> None:
        x, y, z, yaw = from_carla(t[0], t[1], t[2], t[4])
        r[K_X], r[K_Y], r[K_Z], r[K_YAW] = x, y, z, _wrap(yaw)
        r[K_PITCH], r[K_ROLL] = t[3], -t[5]

    @staticmethod
    def _set_relative(r: np.ndarray, t: tuple[float, ...]) -> None:
        r[K_REL_X], r[K_REL_Y], r[K_REL_Z] = t[0], -t[1], t[2]
        r[K_REL_YAW] = -math.radians(t[4])
        r[K_REL_PITCH], r[K_REL_ROLL] = t[3], -t[5]

    def _relative_to_parent(self, r: np.ndarray, t: tuple[float, ...]) -> tuple[float, ...]:
        """A world CARLA transform as one relative to the row's parent (CARLA frame)."""
        p = self.state[int(r[K_PARENT])]
        x, y, z, yaw = from_carla(t[0], t[1], t[2], t[4])
        c, s = math.cos(p[K_YAW]), math.sin(p[K_YAW])
        dx, dy = x - p[K_X], y - p[K_Y]
        rel_yaw = _wrap(yaw - p[K_YAW])
        return (
            c * dx + s * dy,
            -(-s * dx + c * dy),
            z - p[K_Z],
            t[3] - p[K_PITCH],
            -math.degrees(rel_yaw),
            t[5] + p[K_ROLL],
        )


NOMINAL_MASS = 1500.0
"""[kg]: every body's mass until a physics control sets a vehicle's."""
MIN_IMPULSE_SPEED = 0.1
"""[m/s]: a contact at no closing speed (a teleport) still reports a small impulse."""


def _wrap(a: float) -> float:
    return (a + math.pi) % (2.0 * math.pi) - math.pi
