"""The driver's display cameras: the view ahead and the rear-view mirror, the same in every world.

CARLA renders them on the server; the embedded world renders them with dil's OpenCV pinhole camera
(:mod:`dil.world.camera`). Either way they publish ``sensor/front`` and ``sensor/mirror`` (kind
camera, bgr8 frames, see ``docs/messages.md``) at :data:`DISPLAY_RATE_HZ`, measured off the 1 kHz
loop's thread in real-time runs (:mod:`dil.world.sensor_thread`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .camera import CameraSpec

if TYPE_CHECKING:
    from dil.road.network import RoadNetwork

    from .render_process import ProcessCamera
    from .sensors import CameraSensor

DISPLAY_CAMERAS = {
    "front": CameraSpec(),
    "mirror": CameraSpec(width=480, height=160, fov_deg=60.0, yaw_deg=180.0),
}
"""The driver's display cameras (``sensor/<name>``): the view ahead, 640x360 px with a 90 degree
horizontal field of view (also what an AI stack reads), and the rear-view mirror, 480x160 px, 60
degrees, looking back."""

DISPLAY_RATE_HZ = 25.0
"""Frames per second of a display camera [Hz] (a divisor of the world's 50 Hz)."""


def parse_cameras(text: str) -> tuple[str, ...]:
    """``"front,mirror"`` as ``("front", "mirror")``: names in the order given, each once; a name not
    in :data:`DISPLAY_CAMERAS` is a ``ValueError`` naming it."""
    names: list[str] = []
    for name in (c.strip() for c in text.split(",")):
        if not name or name in names:
            continue
        if name not in DISPLAY_CAMERAS:
            raise ValueError(f"camera {name!r}: must be one of {', '.join(DISPLAY_CAMERAS)}")
        names.append(name)
    return tuple(names)


def embedded_display_sensors(
    network: RoadNetwork | None, names: Iterable[str], have: Iterable[str] = (), process: bool = False
) -> list[CameraSensor | ProcessCamera]:
    """Display cameras rendered in dil for ``names`` at :data:`DISPLAY_RATE_HZ`, but for those in
    ``have`` (an AI stack's front camera already publishes ``sensor/front``: it is the view ahead).
    ``process``: each drawn in a process of its own (real-time runs, see
    :mod:`dil.world.render_process`); otherwise in the caller's (batch runs: deterministic, no start-up)."""
    from .render_process import ProcessCamera
    from .sensors import CameraSensor

    skip = set(have)
    wanted = [name for name in parse_cameras(",".join(names)) if name not in skip]
    if process:
        return [ProcessCamera(network, name, DISPLAY_CAMERAS[name], DISPLAY_RATE_HZ) for name in wanted]
    return [
        CameraSensor(network, name, rate_hz=DISPLAY_RATE_HZ, spec=DISPLAY_CAMERAS[name]) for name in wanted
    ]


__all__ = ["DISPLAY_CAMERAS", "DISPLAY_RATE_HZ", "embedded_display_sensors", "parse_cameras"]
