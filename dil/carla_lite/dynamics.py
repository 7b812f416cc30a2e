"""Motion of carla-lite's actors: a kinematic single track driven by CARLA vehicle controls, and rigid
attachments. Numba kernels over the actor table (columns ``K_*``, OpenDRIVE frame: m, rad, m/s).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# --- actor table columns ------------------------------------------------------------------------

K_X = 0
K_Y = 1
K_Z = 2
K_YAW = 3
"""Heading [rad], counter-clockwise from x (OpenDRIVE frame)."""
K_PITCH = 4
"""[deg], CARLA's sign (nose up positive)."""
K_ROLL = 5
"""[deg], OpenDRIVE's sign (CARLA's is the opposite)."""
K_VX = 6
K_VY = 7
K_VZ = 8
K_YAW_RATE = 9
"""[rad/s], counter-clockwise."""
K_AX = 10
K_AY = 11
K_AZ = 12
K_SPEED = 13
"""Signed speed along the heading [m/s] (negative when reversing)."""
K_LENGTH = 14
K_WIDTH = 15
K_HEIGHT = 16
K_CLASS = 17
"""``blueprints.ActorClass``."""
K_ALIVE = 18
K_PHYSICS = 19
"""1 when the actor moves by its controls; 0 when only teleports move it."""
K_THROTTLE = 20
K_STEER = 21
K_BRAKE = 22
K_HAND_BRAKE = 23
K_REVERSE = 24
K_MANUAL_GEAR = 25
K_GEAR = 26
K_PARENT = 27
"""Row of the parent actor, -1 for none."""
K_REL_X = 28
"""Attached actors: pose relative to the parent (x forward, y left, z up [m]; yaw [rad] left)."""
K_REL_Y = 29
K_REL_Z = 30
K_REL_YAW = 31
K_REL_PITCH = 32
K_REL_ROLL = 33
K_WHEELBASE = 34
K_MASS = 35
"""[kg]: impulses, forces and collision impulses (``physics.py`` sets it from a physics control)."""
K_MAX_ACCEL = 36
"""Drive acceleration at full throttle from standstill [m/s^2]."""
K_MAX_BRAKE = 37
"""Deceleration at full brake [m/s^2]; the hand brake adds as much."""
K_MAX_STEER = 38
"""Front wheel angle at steer = 1 [rad]."""
K_DRAG = 39
"""Aerodynamic drag coefficient [1/m]: deceleration K_DRAG * v^2."""
K_GROUND = 40
"""1 when the actor follows the road surface (z, pitch, roll; ``ground.py``): vehicles and walkers
until ``set_simulate_physics(False)``."""
K_WALK_X = 41
"""Walkers: the applied WalkerControl's direction, unit, OpenDRIVE frame."""
K_WALK_Y = 42
K_WALK_SPEED = 43
"""Walkers: the applied WalkerControl's speed [m/s]."""
K_PRE_X = 44
"""Position before the last step [m] (the contact response puts a body back there)."""
K_PRE_Y = 45
K_PRE_PITCH = 46
"""Pitch [deg] and roll [deg] before the last step (``ground.attitude_rates``)."""
K_PRE_ROLL = 47
K_PITCH_RATE = 48
"""[rad/s] over the last step, CARLA's pitch sign (nose up positive)."""
K_ROLL_RATE = 49
"""[rad/s] over the last step, OpenDRIVE's roll sign (as ``K_ROLL``)."""
K_SIZE = 50

CLASS_VEHICLE = 1.0
"""``blueprints.ActorClass.VEHICLE`` (a float in the table)."""

# --- vehicle model ------------------------------------------------------------------------------

MAX_ACCEL = 4.0
"""Drive acceleration at full throttle from standstill [m/s^2] (a new vehicle's ``K_MAX_ACCEL``)."""
MAX_SPEED = 60.0
"""Speed at which the drive force fades out [m/s]."""
MAX_BRAKE = 9.0
"""Deceleration at full brake [m/s^2]; the hand brake adds as much."""
ROLLING = 0.15
"""Rolling resistance [m/s^2]."""
DRAG = 0.0004
"""Aerodynamic drag coefficient [1/m]: deceleration DRAG * v^2."""
MAX_STEER = math.radians(70.0)
"""Front wheel angle at steer = 1 [rad] (CARLA's cars: 70 degrees)."""
WHEELBASE_RATIO = 0.6
"""Wheelbase as a fraction of the body length."""


@njit(cache=True)
def _clamp(v: float, lo: float, hi: float) -> float:
    return lo if v < lo else hi if v > hi else v


@njit(cache=True)
def step_vehicles(state: np.ndarray, n: int, dt: float) -> None:
    """Advance every live, free vehicle with physics on by ``dt`` [s] from its last control."""
    for i in range(n):
        row = state[i]
        if row[K_ALIVE] < 0.5 or row[K_CLASS] != CLASS_VEHICLE or row[K_PARENT] >= 0.0:
            continue
        if row[K_PHYSICS] < 0.5:
            continue
        v = row[K_SPEED]
        direction = -1.0 if row[K_REVERSE] > 0.5 else 1.0
        throttle = _clamp(row[K_THROTTLE], 0.0, 1.0)
        drive = direction * throttle * row[K_MAX_ACCEL] * max(0.0, 1.0 - abs(v) / MAX_SPEED)
        resist = _clamp(row[K_BRAKE], 0.0, 1.0) * row[K_MAX_BRAKE] + ROLLING + row[K_DRAG] * v * v
        if row[K_HAND_BRAKE] > 0.5:
            resist += row[K_MAX_BRAKE]
        v_new = v + drive * dt
        dv = resist * dt
        if v_new > 0.0:
            v_new = max(0.0, v_new - dv)
        elif v_new < 0.0:
            v_new = min(0.0, v_new + dv)
        # CARLA's positive steer turns right: clockwise, a falling OpenDRIVE heading
        delta = -_clamp(row[K_STEER], -1.0, 1.0) * row[K_MAX_STEER]
        beta = math.atan(0.5 * math.tan(delta))
        v_mid = 0.5 * (v + v_new)
        yaw_rate = v_mid * math.cos(beta) * math.tan(delta) / row[K_WHEELBASE]
        course = row[K_YAW] + 0.5 * yaw_rate * dt + beta
        vx = v_mid * math.cos(course)
        vy = v_mid * math.sin(course)
        row[K_AX] = (vx - row[K_VX]) / dt
        row[K_AY] = (vy - row[K_VY]) / dt
        row[K_AZ] = 0.0
        row[K_X] += vx * dt
        row[K_Y] += vy * dt
        row[K_YAW] = (row[K_YAW] + yaw_rate * dt + math.pi) % (2.0 * math.pi) - math.pi
        row[K_VX] = vx
        row[K_VY] = vy
        row[K_VZ] = 0.0
        row[K_YAW_RATE] = yaw_rate
        row[K_SPEED] = v_new


@njit(cache=True)
def follow_parents(state: np.ndarray, n: int) -> None:
    """Place attached actors rigidly on their parents (parents come before children)."""
    for i in range(n):
        row = state[i]
        p = int(row[K_PARENT])
        if row[K_ALIVE] < 0.5 or p < 0:
            continue
        parent = state[p]
        c = math.cos(parent[K_YAW])
        s = math.sin(parent[K_YAW])
        row[K_X] = parent[K_X] + c * row[K_REL_X] - s * row[K_REL_Y]
        row[K_Y] = parent[K_Y] + s * row[K_REL_X] + c * row[K_REL_Y]
        row[K_Z] = parent[K_Z] + row[K_REL_Z]
        row[K_YAW] = parent[K_YAW] + row[K_REL_YAW]
        row[K_PITCH] = parent[K_PITCH] + row[K_REL_PITCH]
        row[K_ROLL] = parent[K_ROLL] + row[K_REL_ROLL]
        row[K_VX] = parent[K_VX]
        row[K_VY] = parent[K_VY]
        row[K_VZ] = parent[K_VZ]
        row[K_YAW_RATE] = parent[K_YAW_RATE]
