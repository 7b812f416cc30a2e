"""The world backend interface: what the runtime asks of a world, embedded or CARLA.

The ego vehicle's physics is dil's: a backend only places the ego where dil's state says. Other
actors are moved by the scenario engine or by a backend's simple controllers.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from dil.road.network import RoadNetwork

from .actors import ActorSpec
from .events import WorldEvent

Pose = tuple[float, float, float, float]
"""x, y, z of the bounding-box centre [m], heading [rad], world frame."""


class WorldBackend(Protocol):
    network: RoadNetwork | None

    def spawn(self, spec: ActorSpec, pose: Pose, speed: float = 0.0) -> int:
        """Add an actor; returns its id (the ego vehicle is id 0)."""

    def destroy(self, actor_id: int) -> None:
        """Remove an actor; its id is not reused."""

    def set_pose(self, actor_id: int, pose: Pose, speed: float) -> None:
        """Place an actor (the ego from dil's state, others from the scenario)."""

    def follow_lane(
        self, actor_id: int, target_speed: float, route: list[tuple[str, int]] | None = None
    ) -> None:
        """Hand an actor to the backend's lane-following controller from where it stands."""

    def step(self, t_ns: int, dt: float) -> list[WorldEvent]:
        """Advance the backend's own controllers by ``dt`` [s] and report the events that began."""

    def actor_state(self) -> tuple[np.ndarray, list[str]]:
        """The actor rows (``actors.A_*``) and their names."""
