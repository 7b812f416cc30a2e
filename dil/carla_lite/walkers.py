"""Walkers: CARLA's pedestrian blueprints, the AI walker controller's blueprint, and the walker motion
(a WalkerControl: a direction and a speed, held until the next one). Walkers are boxes in the world:
they collide and cameras see them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .blueprints import ActorClass, Attribute, Blueprint
from .dynamics import (
    K_ALIVE,
    K_AX,
    K_AY,
    K_CLASS,
    K_PARENT,
    K_PHYSICS,
    K_SPEED,
    K_VX,
    K_VY,
    K_WALK_SPEED,
    K_WALK_X,
    K_WALK_Y,
    K_X,
    K_Y,
    K_YAW,
    K_YAW_RATE,
)
from .layouts import AttributeType

WALKER_COUNT = 12
"""Pedestrian blueprints served: ``walker.pedestrian.0001`` ... ``0012``."""
WALKER_SIZE = (0.37, 0.37, 1.86)
"""Bounding box length, width, height [m] (CARLA's adult pedestrians)."""
CHILD_SIZE = (0.3, 0.3, 1.2)
SPEEDS = ("0.0", "1.4", "2.8")
"""The ``speed`` attribute's recommended values [m/s]: standing, walking, running (scripts pick
``recommended_values[1]`` to walk and ``[2]`` to run)."""
MAX_WALK_SPEED = 10.0
"""A WalkerControl's speed is clamped to this [m/s]."""
CLASS_WALKER = 4.0
"""``blueprints.ActorClass.WALKER`` (a float in the table)."""


def _walker(number: int) -> Blueprint:
    child = number % 6 == 0
    gender = "female" if number % 2 else "male"
    return Blueprint(
        f"walker.pedestrian.{number:04d}",
        ActorClass.WALKER,
        (
            Attribute("role_name", AttributeType.STRING, "pedestrian", modifiable=True),
            Attribute("age", AttributeType.STRING, "child" if child else "adult"),
            Attribute("gender", AttributeType.STRING, gender),
            Attribute("generation", AttributeType.INT, "2" if number > 6 else "1"),
            Attribute("is_invincible", AttributeType.BOOL, "true", modifiable=True),
            Attribute("can_use_wheelchair", AttributeType.BOOL, "false"),
            Attribute("use_wheelchair", AttributeType.BOOL, "false", modifiable=True),
            Attribute("speed", AttributeType.FLOAT, SPEEDS[1], SPEEDS, modifiable=True),
        ),
        CHILD_SIZE if child else WALKER_SIZE,
    )


def walker_blueprints() -> tuple[Blueprint, ...]:
    """The pedestrians, then ``controller.ai.walker``."""
    controller = Blueprint(
        "controller.ai.walker",
        ActorClass.CONTROLLER,
        (Attribute("role_name", AttributeType.STRING, "", modifiable=True),),
    )
    return (*(_walker(k) for k in range(1, WALKER_COUNT + 1)), controller)


def walker_control(row: np.ndarray, control: list) -> None:
    """Store a WalkerControl ``[direction [x, y, z] (CARLA frame), speed [m/s], jump]`` in a row.

    The direction is normalised in the ground plane; a zero direction with a speed keeps the heading.
    """
    direction, speed = control[0], float(control[1])
    dx, dy = float(direction[0]), -float(direction[1])
    if not (math.isfinite(dx) and math.isfinite(dy) and math.isfinite(speed)):
        raise ValueError(f"walker control: not finite: {control}")
    norm = math.hypot(dx, dy)
    if norm > 1e-9:
        dx, dy = dx / norm, dy / norm
    else:
        dx, dy = math.cos(row[K_YAW]), math.sin(row[K_YAW])
    row[K_WALK_X], row[K_WALK_Y] = dx, dy
    row[K_WALK_SPEED] = min(max(speed, 0.0), MAX_WALK_SPEED)


@njit(cache=True)
def step_walkers(state: np.ndarray, n: int, dt: float) -> None:
    """Move every live, free walker with physics on by ``dt`` [s] along its control's direction."""
    for i in range(n):
        row = state[i]
        if row[K_ALIVE] < 0.5 or row[K_CLASS] != CLASS_WALKER or row[K_PARENT] >= 0.0:
            continue
        if row[K_PHYSICS] < 0.5:
            continue
        v = row[K_WALK_SPEED]
        vx = v * row[K_WALK_X]
        vy = v * row[K_WALK_Y]
        row[K_AX] = (vx - row[K_VX]) / dt
        row[K_AY] = (vy - row[K_VY]) / dt
        row[K_X] += vx * dt
        row[K_Y] += vy * dt
        row[K_VX] = vx
        row[K_VY] = vy
        row[K_SPEED] = v
        row[K_YAW_RATE] = 0.0
        if v > 0.0:
            row[K_YAW] = math.atan2(row[K_WALK_Y], row[K_WALK_X])


def write_walker_controls(out: np.ndarray, state: np.ndarray) -> None:
    """Write the walkers' last WalkerControl into their world-state records' union, where the client
    reads ``walker.get_control()``: direction (3 x f32, CARLA frame), speed (f32), jump (u8).

    ``out`` holds ``layouts.ACTOR_RECORD`` rows and ``state`` the matching table rows."""
    walkers = np.nonzero(state[:, K_CLASS] == CLASS_WALKER)[0]
    if walkers.size == 0:
        return
    raw = out.view(np.uint8).reshape(len(out), out.dtype.itemsize)
    start = out.dtype.fields["union"][1]
    control = np.zeros((walkers.size, 4), dtype="<f4")
    s = state[walkers]
    control[:, 0], control[:, 1], control[:, 3] = s[:, K_WALK_X], -s[:, K_WALK_Y], s[:, K_WALK_SPEED]
    raw[walkers, start : start + 16] = control.view(np.uint8).reshape(walkers.size, 16)
    raw[walkers, start + 16] = 0
