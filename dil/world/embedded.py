"""The embedded headless world: an OpenDRIVE network, actors as arrays, collision and lane events.

Deterministic: stepping it twice from the same inputs gives the same states and events.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dil.road.network import RoadNetwork

from .actors import A_ALIVE, A_SPEED, A_X, A_Y, A_YAW, A_Z, EGO, ActorSpec, ActorTable
from .backend import Pose
from .events import EventDetector, WorldEvent
from .lane_follow import LaneFollowers
from .pose_kernels import write_poses

if TYPE_CHECKING:
    from .camera import CameraSpec
    from .render_process import ProcessCamera
    from .sensors import CameraSensor


class EmbeddedWorld:
    """A world backend with no server: the default for batch runs, campaigns and tests."""

    def __init__(
        self,
        network: RoadNetwork | str | Path | None,
        ego: ActorSpec | None = None,
        cameras: tuple[str, ...] = (),
        render_process: bool = False,
    ) -> None:
        """``cameras``: the driver's display cameras (:data:`~dil.world.display_cameras.DISPLAY_CAMERAS`
        names) that :meth:`display_sensors` renders; ``render_process``: each in a process of its own
        (behind a real-time loop: drawing never holds the loop's interpreter lock)."""
        self.cameras = cameras
        self.render_process = render_process
        self._displays: list = []
        self._camera_names: list[str] = []
        self.network = RoadNetwork.load(network) if isinstance(network, str | Path) else network
        self.actors = ActorTable()
        self.events = EventDetector(self.network)
        self.followers = LaneFollowers(self.network) if self.network is not None else None
        self.actors.add(ego or ActorSpec("ego"), 0.0, 0.0, 0.0, 0.0)

    def spawn(self, spec: ActorSpec, pose: Pose, speed: float = 0.0) -> int:
        if spec.name in self.actors.names:
            raise ValueError(f"an actor named {spec.name!r} exists already")
        x, y, z, yaw = pose
        return self.actors.add(spec, x, y, z, yaw, speed)

    def spawn_in_lane(
        self, spec: ActorSpec, road: str, lane: int, s: float, offset: float = 0.0, speed: float = 0.0
    ) -> int:
        """Spawn at a lane position, facing the lane's direction of travel."""
        if self.network is None:
            raise ValueError("this world has no road network")
        return self.spawn(spec, self.network.lane_to_world(road, lane, s, offset), speed)

    def destroy(self, actor_id: int) -> None:
        if actor_id == EGO:
            raise ValueError("the ego vehicle cannot be destroyed")
        self._check(actor_id)
        self.actors.state[actor_id, A_ALIVE] = 0.0
        if self.followers is not None:
            with contextlib.suppress(KeyError):
                self.followers.release(actor_id)

    def set_pose(self, actor_id: int, pose: Pose, speed: float) -> None:
        self._check(actor_id)
        row = self.actors.state[actor_id]
        row[A_X], row[A_Y], row[A_Z], row[A_YAW] = pose
        row[A_SPEED] = speed

    def set_poses(self, ids: np.ndarray, poses: np.ndarray) -> None:
        """Place several actors at once: ``ids`` (n,) int64 actor ids, ``poses`` (n, 5) rows of the
        box centre's x, y, z [m], heading [rad] and speed [m/s] (as :meth:`set_pose` each), in one
        kernel call."""
        actors = self.actors
        bad = write_poses(actors.state, len(actors.names), ids, poses)  # len(names): ActorTable.count
        if bad >= 0:
            raise KeyError(f"no live actor with id {int(ids[bad])}")

    def follow_lane(
        self,
        actor_id: int,
        target_speed: float,
        route: list[tuple[str, int]] | None = None,
        accel: float = 3.0,
    ) -> None:
        if self.network is None or self.followers is None:
            raise ValueError("lane following needs a road network")
        self._check(actor_id)
        row = self.actors.state[actor_id]
        pos = self.network.locate(row[A_X], row[A_Y])
        if pos is None or not pos.inside or pos.lane == 0:
            raise ValueError(
                f"actor {self.actors.names[actor_id]!r} is not in a lane at ({row[A_X]:.2f}, {row[A_Y]:.2f})"
            )
        self.followers.add(actor_id, pos.road, pos.lane, pos.s, pos.offset, target_speed, accel, route)

    grounds_ego = True
    """:meth:`step` can stand the ego on the road too (its ``ego_heave``)."""

    def step(self, t_ns: int, dt: float, ego_heave: float | None = None) -> list[WorldEvent]:
        """Advance ``dt`` [s] to ``t_ns`` and find the events that begin. ``ego_heave`` [m], not None
        (a network loaded): the ego's z becomes the road surface under it plus this, in the same pass
        that stands the other actors on the road (where no road is near: the surface it last stood
        on)."""
        if self.followers is not None:
            self.followers.step(self.actors.state, dt)
        # actors stand on the road, but the ego's height is its driver's (the surface plus heave)
        return self.events.detect(t_ns, self.actors, ground_from=EGO + 1, ego_heave=ego_heave)

    def actor_state(self) -> tuple[np.ndarray, list[str]]:
        return self.actors.state[: self.actors.count], self.actors.names

    def camera(self, name: str, spec: CameraSpec, rate_hz: float) -> CameraSensor:
        """A camera rendered in dil from the road network and the actor boxes."""
        from .sensors import CameraSensor

        self._camera_names.append(name)
        return CameraSensor(self.network, name, rate_hz=rate_hz, spec=spec)

    def display_sensors(self) -> list[CameraSensor | ProcessCamera]:
        """The display cameras of ``cameras``, rendered in dil at 25 Hz, but for those added already
        (an AI stack's front camera is the driver's view ahead too); none when ``cameras`` is empty."""
        from .display_cameras import embedded_display_sensors

        displays = embedded_display_sensors(
            self.network, self.cameras, have=self._camera_names, process=self.render_process
        )
        self._displays += displays
        return displays

    def kpis(self) -> dict:
        return {}

    def close(self) -> None:
        """End the display cameras' render processes (nothing else is held outside this process)."""
        for d in self._displays:
            if hasattr(d, "close"):
                d.close()
        self._displays.clear()

    def _check(self, actor_id: int) -> None:
        if not 0 <= actor_id < self.actors.count or self.actors.state[actor_id, A_ALIVE] < 0.5:
            raise KeyError(f"no live actor with id {actor_id}")


__all__ = ["EGO", "EmbeddedWorld"]
