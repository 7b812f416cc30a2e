"""The actors of a world as preallocated arrays: one row per actor, row 0 the ego vehicle.

Poses are of the bounding-box centre on the ground (world frame, metres, radians); sizes are the
box's length, width and height.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
from numba import njit

A_X = 0
A_Y = 1
A_Z = 2
A_YAW = 3
A_SPEED = 4
"""Speed along the heading [m/s]."""
A_LENGTH = 5
A_WIDTH = 6
A_HEIGHT = 7
A_KIND = 8
A_ALIVE = 9
A_PITCH = 10
"""[rad], nose up positive: the road surface's slope along the heading (``ground.py``)."""
A_ROLL = 11
"""[rad], left side up positive (right-handed about the heading)."""
A_SIZE = 12

EGO = 0
"""The ego vehicle's row and id."""


class ActorKind(enum.IntEnum):
    VEHICLE = 0
    PEDESTRIAN = 1
    CYCLIST = 2
    OBJECT = 3
    """A static obstacle."""

    @property
    def label(self) -> str:
        return self.name.lower()


DEFAULT_SIZE = {
    ActorKind.VEHICLE: (4.6, 1.85, 1.45),
    ActorKind.PEDESTRIAN: (0.5, 0.6, 1.75),
    ActorKind.CYCLIST: (1.8, 0.6, 1.7),
    ActorKind.OBJECT: (1.0, 1.0, 1.0),
}


@dataclass(frozen=True)
class ActorSpec:
    """What to spawn."""

    name: str
    kind: ActorKind = ActorKind.VEHICLE
    length: float | None = None
    width: float | None = None
    height: float | None = None

    def size(self) -> tuple[float, float, float]:
        d = DEFAULT_SIZE[self.kind]
        return (self.length or d[0], self.width or d[1], self.height or d[2])


class ActorTable:
    """Rows of actor state; ids are row numbers and are never reused within a run."""

    def __init__(self, capacity: int = 256) -> None:
        self.state = np.zeros((capacity, A_SIZE))
        self.names: list[str] = []
        self.boxes = np.zeros((capacity, 5))
        """(x, y, yaw, length, width) per row, for the collision kernels."""

    @property
    def count(self) -> int:
        return len(self.names)

    def add(self, spec: ActorSpec, x: float, y: float, z: float, yaw: float, speed: float = 0.0) -> int:
        i = self.count
        if i == self.state.shape[0]:
            grown = np.zeros((2 * i, A_SIZE))
            grown[:i] = self.state
            self.state = grown
            self.boxes = np.zeros((2 * i, 5))
        length, width, height = spec.size()
        if not (length > 0 and width > 0 and height > 0):
            raise ValueError(f"actor {spec.name!r}: size {length} x {width} x {height} m must be positive")
        self.state[i] = 0.0
        self.state[i, : A_ALIVE + 1] = (x, y, z, yaw, speed, length, width, height, int(spec.kind), 1.0)
        self.names.append(spec.name)
        return i

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"no actor named {name!r} (actors: {', '.join(self.names)})") from None

    def update_boxes(self) -> np.ndarray:
        """Refresh :attr:`boxes` from the state; dead actors are moved far away."""
        fill_boxes(self.state, self.count, self.boxes)
        return self.boxes


@njit(cache=True)
def fill_boxes(state: np.ndarray, n: int, boxes: np.ndarray) -> None:
    for i in range(n):
        alive = state[i, A_ALIVE] > 0.5
        boxes[i, 0] = state[i, A_X] if alive else 1e12 + 1e6 * i
        boxes[i, 1] = state[i, A_Y]
        boxes[i, 2] = state[i, A_YAW]
        boxes[i, 3] = state[i, A_LENGTH]
        boxes[i, 4] = state[i, A_WIDTH]
