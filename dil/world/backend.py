"""The world backend interface: what the runtime asks of a world, embedded or CARLA.

The ego vehicle's physics is dil's: a backend only places the ego where dil's state says. Other
actors are moved by the scenario engine or by a backend's simple controllers. Every backend keeps
dil's own actor table and event detector (the CARLA backend composes the embedded world and mirrors
it into the server), so the scenario engine, sensors and KPIs read the same arrays whichever renders.
The run builder (:mod:`dil.run.build`) talks to a world only through this protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from dil.road.network import RoadNetwork

from .actors import ActorSpec, ActorTable
from .events import EventDetector, WorldEvent

if TYPE_CHECKING:
    from .camera import CameraSpec

Pose = tuple[float, float, float, float]
"""x, y, z of the bounding-box centre [m], heading [rad], world frame."""


class WorldBackend(Protocol):
    network: RoadNetwork | None

    @property
    def actors(self) -> ActorTable:
        """dil's actor rows (``actors.A_*``): what the scenario engine and the sensors read."""

    @property
    def events(self) -> EventDetector:
        """dil's collision and lane event detector (``touching`` pairs for the scenario's conditions)."""

    def spawn(self, spec: ActorSpec, pose: Pose, speed: float = 0.0) -> int:
        """Add an actor; returns its id (the ego vehicle is id 0)."""

    def destroy(self, actor_id: int) -> None:
        """Remove an actor; its id is not reused."""

    def set_pose(self, actor_id: int, pose: Pose, speed: float) -> None:
        """Place an actor (the ego from dil's state, others from the scenario)."""

    def set_poses(self, ids: np.ndarray, poses: np.ndarray) -> None:
        """Place the actors ``ids`` ((n,) int64) at ``poses`` ((n, 5) or more rows: box-centre x, y,
        z [m], heading [rad], speed [m/s]) in one call, as :meth:`set_pose` each; KeyError naming the
        first id that is no live actor (the rows before it are placed)."""

    def follow_lane(
        self, actor_id: int, target_speed: float, route: list[tuple[str, int]] | None = None
    ) -> None:
        """Hand an actor to the backend's lane-following controller from where it stands."""

    def step(self, t_ns: int, dt: float) -> list[WorldEvent]:
        """Advance the backend's own controllers by ``dt`` [s] and report the events that began."""

    def actor_state(self) -> tuple[np.ndarray, list[str]]:
        """The actor rows (``actors.A_*``) and their names."""

    def camera(self, name: str, spec: CameraSpec, rate_hz: float) -> Any:
        """A camera on the ego publishing ``sensor/<name>`` at ``rate_hz`` [Hz] (a world-node sensor):
        rendered in dil (embedded) or by the server (CARLA). Add before the first step."""

    def display_sensors(self) -> list[Any]:
        """The sensors for the driver's displays this backend was asked for (none when headless)."""

    def kpis(self) -> dict[str, Any]:
        """The backend's own figures for a run's result (empty for the embedded world)."""

    def close(self) -> None:
        """Release what the backend holds (a server's settings back, its actors destroyed)."""
