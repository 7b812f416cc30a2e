"""Vehicle calls beyond ``VehicleControl``: Ackermann control, light states, impulses and forces.

CARLA's client sends these asynchronously (it never reads the reply), so carla-lite serves them
rather than answer with an error nobody sees:

- **Ackermann control** (``[steer rad, steer_speed rad/s, speed m/s, acceleration m/s², jerk]``) is
  turned into a ``VehicleControl`` before every step: the steer angle over the model's full wheel
  angle, throttle or brake for the acceleration that closes the speed error in ``SPEED_TIME_S``
  (at most ``acceleration`` when it is given). A later ``apply_control`` ends it. Steer speed and
  jerk are not modelled; the controller settings are stored and read back only.
- **Constant velocity** holds a vehicle's speed along its heading (set before and after each step).
- **Light states** (``carla.VehicleLightState`` flags) are stored and read back.
- **Impulses and forces** change a body's speed along its heading (mass: a nominal 1500 kg; a
  force acts for one step); angular ones turn the heading once by the yaw rate they give (moment
  of inertia of a uniform box). The kinematic vehicle keeps no sideways or vertical speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .blueprints import ActorClass
from .dynamics import (
    K_BRAKE,
    K_HAND_BRAKE,
    K_LENGTH,
    K_MASS,
    K_MAX_ACCEL,
    K_MAX_BRAKE,
    K_MAX_STEER,
    K_PHYSICS,
    K_REVERSE,
    K_SPEED,
    K_STEER,
    K_THROTTLE,
    K_VX,
    K_VY,
    K_WIDTH,
    K_YAW,
)
from .world import LiteWorld

ACKERMANN_DEFAULTS = (0.15, 0.0, 0.25, 0.01, 0.0, 0.01)
"""``speed_kp, speed_ki, speed_kd, accel_kp, accel_ki, accel_kd`` (CARLA's defaults)."""
SPEED_TIME_S = 0.5
"""Ackermann control: the speed error is closed at the acceleration that takes this long [s]."""


@dataclass
class Ackermann:
    steer: float
    """[rad], positive to the right (CARLA's sign)."""
    speed: float
    """[m/s]; negative drives backwards."""
    acceleration: float
    """[m/s²]; 0: no bound beyond the vehicle's."""


class VehicleExtras:
    """The per-actor state these calls need, beside the world's table."""

    def __init__(self, world: LiteWorld) -> None:
        self.world = world
        self.lights: dict[int, int] = {}
        self.ackermann: dict[int, Ackermann] = {}
        self.settings: dict[int, list[float]] = {}
        self._forces: dict[int, tuple[float, float, float]] = {}
        """Forces [N] (CARLA frame) for the next step."""
        self._turns: dict[int, float] = {}
        """Yaw rates [deg/s] (CARLA frame) to turn by in the next step."""
        self.constant: dict[int, float] = {}
        """``enable_constant_velocity``: the speed [m/s] held along the heading."""

    # --- lights ----------------------------------------------------------------------------------

    def set_light_state(self, actor_id: int, state: list) -> None:
        self._vehicle(actor_id)
        self.lights[actor_id] = int(state[0] if isinstance(state, list | tuple) else state)

    def light_state(self, actor_id: int) -> list[int]:
        self._vehicle(actor_id)
        return [self.lights.get(actor_id, 0)]

    def light_states(self) -> list[list[int]]:
        """``[actor id, flags]`` of every live vehicle."""
        return [
            [i, self.lights.get(i, 0)]
            for i, info in sorted(self.world.actors.items())
            if info.blueprint.actor_class == ActorClass.VEHICLE
        ]

    # --- Ackermann -------------------------------------------------------------------------------

    def apply_ackermann(self, actor_id: int, control: list) -> None:
        self._vehicle(actor_id)
        steer, _steer_speed, speed, acceleration = (float(c) for c in control[:4])
        if not all(math.isfinite(c) for c in (steer, speed, acceleration)):
            raise ValueError(f"not a finite Ackermann control: {control}")
        self.ackermann[actor_id] = Ackermann(steer, speed, abs(acceleration))

    def apply_settings(self, actor_id: int, settings: list) -> None:
        self._vehicle(actor_id)
        values = [float(v) for v in settings[:6]]
        if len(values) != 6 or not all(math.isfinite(v) for v in values):
            raise ValueError(f"not six finite Ackermann controller settings: {settings}")
        self.settings[actor_id] = values

    def controller_settings(self, actor_id: int) -> list[float]:
        self._vehicle(actor_id)
        return list(self.settings.get(actor_id, ACKERMANN_DEFAULTS))

    def forget(self, actor_id: int) -> None:
        """The actor was destroyed."""
        for table in (self.lights, self.ackermann, self.settings, self._forces, self._turns, self.constant):
            table.pop(actor_id, None)

    def control_applied(self, actor_id: int) -> None:
        """A ``VehicleControl`` replaces the Ackermann control."""
        self.ackermann.pop(actor_id, None)

    # --- impulses and forces ---------------------------------------------------------------------

    def add_impulse(self, actor_id: int, impulse: tuple[float, float, float]) -> None:
        """[N s], CARLA frame."""
        self._push(actor_id, impulse, 1.0)

    def add_force(self, actor_id: int, force: tuple[float, float, float]) -> None:
        """[N], CARLA frame, for the next step."""
        self.world.info(actor_id)
        fx, fy, fz = self._forces.get(actor_id, (0.0, 0.0, 0.0))
        self._forces[actor_id] = (fx + force[0], fy + force[1], fz + force[2])

    def add_angular_impulse(self, actor_id: int, impulse: tuple[float, float, float]) -> None:
        """[deg N m s], CARLA frame: only the part about z acts."""
        self.world.info(actor_id)
        r = self.world.state[actor_id - 1]
        inertia = r[K_MASS] * (r[K_LENGTH] ** 2 + r[K_WIDTH] ** 2) / 12.0
        self._turns[actor_id] = self._turns.get(actor_id, 0.0) + impulse[2] / max(inertia, 1.0)

    # --- constant velocity -----------------------------------------------------------------------

    def enable_constant_velocity(self, actor_id: int, velocity: tuple[float, float, float]) -> None:
        """Hold the velocity (the actor's frame [m/s]) until disabled: its forward part, as the
        kinematic vehicle has no sideways speed; throttle and brake do not change it."""
        self._vehicle(actor_id)
        self.constant[actor_id] = float(velocity[0])
        self._hold(actor_id, self.constant[actor_id])

    def disable_constant_velocity(self, actor_id: int) -> None:
        self._vehicle(actor_id)
        self.constant.pop(actor_id, None)

    def _hold(self, actor_id: int, speed: float) -> None:
        r = self.world.state[actor_id - 1]
        if r[K_PHYSICS] < 0.5:
            return
        r[K_SPEED] = speed
        r[K_VX] = speed * math.cos(r[K_YAW])
        r[K_VY] = speed * math.sin(r[K_YAW])

    # --- the step --------------------------------------------------------------------------------

    def before_step(self, dt: float) -> None:
        """Apply the forces, turns and Ackermann controls of this step (``dt`` [s])."""
        for actor_id in [i for i in self.ackermann if i not in self.world.actors]:
            del self.ackermann[actor_id]
        for actor_id, force in self._forces.items():
            if actor_id in self.world.actors:
                self._push(actor_id, force, dt)
        self._forces.clear()
        for actor_id, rate_deg in self._turns.items():
            if actor_id in self.world.actors and self.world.state[actor_id - 1, K_PHYSICS] > 0.5:
                r = self.world.state[actor_id - 1]
                r[K_YAW] = math.remainder(r[K_YAW] - math.radians(rate_deg) * dt, 2.0 * math.pi)
        self._turns.clear()
        for actor_id, ack in self.ackermann.items():
            self._drive(actor_id, ack)
        for actor_id, speed in self.constant.items():
            self._hold(actor_id, speed)

    def after_step(self) -> None:
        """Constant velocities: the speed the step's model changed is set back (before the records)."""
        for actor_id in [i for i in self.constant if i not in self.world.actors]:
            del self.constant[actor_id]
        for actor_id, speed in self.constant.items():
            self._hold(actor_id, speed)

    def _drive(self, actor_id: int, ack: Ackermann) -> None:
        r = self.world.state[actor_id - 1]
        wanted = (abs(ack.speed) - abs(float(r[K_SPEED]))) / SPEED_TIME_S  # [m/s²]
        if ack.acceleration > 0.0:
            wanted = max(-ack.acceleration, min(ack.acceleration, wanted))
        r[K_STEER] = max(-1.0, min(1.0, ack.steer / r[K_MAX_STEER]))
        r[K_REVERSE] = 1.0 if ack.speed < 0.0 else 0.0
        r[K_HAND_BRAKE] = 0.0
        if wanted >= 0.0:
            r[K_THROTTLE], r[K_BRAKE] = min(1.0, wanted / r[K_MAX_ACCEL]), 0.0
        else:
            r[K_THROTTLE], r[K_BRAKE] = 0.0, min(1.0, -wanted / r[K_MAX_BRAKE])

    def _push(self, actor_id: int, vector: tuple[float, float, float], seconds: float) -> None:
        self.world.info(actor_id)
        r = self.world.state[actor_id - 1]
        if r[K_PHYSICS] < 0.5:
            return  # CARLA moves only simulated bodies
        mass = r[K_MASS]
        dvx, dvy = vector[0] * seconds / mass, -vector[1] * seconds / mass
        along = dvx * math.cos(r[K_YAW]) + dvy * math.sin(r[K_YAW])
        r[K_SPEED] += along
        r[K_VX] = r[K_SPEED] * math.cos(r[K_YAW])
        r[K_VY] = r[K_SPEED] * math.sin(r[K_YAW])

    def _vehicle(self, actor_id: int) -> None:
        info = self.world.info(actor_id)
        if info.blueprint.actor_class != ActorClass.VEHICLE:
            raise ValueError(f"actor {actor_id} ({info.blueprint.id}) is not a vehicle")
