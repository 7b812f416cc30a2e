"""``world/actors`` as a typed value: the world's actor table handed over in this process as arrays
(:meth:`dil.bus.handoff.Outlet.publish_value`); the message's records are made only for a reader of
messages, a recorder or another process, and are then exactly :func:`actor_records` of the table."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from .actors import A_ALIVE, A_HEIGHT, A_KIND, A_LENGTH, A_SPEED, A_WIDTH, A_X, A_Y, A_YAW, A_Z, ActorKind

_LABELS = {int(k): k.label for k in ActorKind}


class ActorSet:
    """The actor table at one world step: ``state`` (n, ``A_SIZE``) rows in the columns of
    :mod:`dil.world.actors` (world frame [m, rad, m/s]; destroyed actors' rows included, not alive),
    ``names`` each row's actor name. Row ``i`` is the actor with id ``i``; row 0 the ego."""

    __slots__ = ("names", "state")

    def __init__(self, state: np.ndarray, names: tuple[str, ...]) -> None:
        self.state = state
        self.names = names

    def live(self) -> np.ndarray:
        """The ids of the live actors, in row order."""
        return np.flatnonzero(self.state[:, A_ALIVE] > 0.5)

    def gather(self, columns: np.ndarray, rows: np.ndarray, ids: np.ndarray) -> int:
        """The live actors' ``columns`` into ``rows`` and their ids into ``ids`` (each at least as long
        as the table), in row order; returns how many (one compiled call, for readers at 50 Hz)."""
        return _gather_live(self.state, columns, rows, ids)

    def fields(self) -> dict[str, Any]:
        """The message's fields: ``{"actors": actor_records(state, names)}``."""
        return {"actors": actor_records(self.state, self.names)}


@njit(cache=True)
def _gather_live(state: np.ndarray, columns: np.ndarray, rows: np.ndarray, ids: np.ndarray) -> int:
    m = 0
    for i in range(state.shape[0]):
        if state[i, A_ALIVE] > 0.5:
            for j in range(columns.size):
                rows[m, j] = state[i, columns[j]]
            ids[m] = i
            m += 1
    return m


def actor_records(state: np.ndarray, names: list[str] | tuple[str, ...]) -> list[dict]:
    """The ``world/actors`` records of the live rows of ``state`` (the table turned into Python
    numbers at once, not value by value)."""
    return [
        {
            "id": i,
            "kind": _LABELS[int(a[A_KIND])],
            "name": names[i],
            "x": a[A_X],
            "y": a[A_Y],
            "z": a[A_Z],
            "yaw": a[A_YAW],
            "speed": a[A_SPEED],
            "length": a[A_LENGTH],
            "width": a[A_WIDTH],
            "height": a[A_HEIGHT],
        }
        for i, a in enumerate(state.tolist())
        if a[A_ALIVE] > 0.5
    ]
