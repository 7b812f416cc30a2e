"""A camera rendered in a process of its own: the display cameras of real-time runs.

Behind a real-time loop the sensors are measured in a thread (:mod:`dil.world.sensor_thread`), but a
thread shares the interpreter lock with the 1 kHz loop: drawing a 640x360 frame holds it for
milliseconds, and ticks that fall due meanwhile start late. Here the drawing happens in a child
process; the sensor thread sends it the actor rows (a few hundred bytes), waits for the frame with
the lock released, and only encodes and publishes it. The child runs at a lower CPU priority
(:data:`NICE`), so on a busy machine the loop's process gets the cores first.

The frame is the same as the one drawn in the loop's process (:class:`dil.world.sensors.CameraSensor`):
the same camera, the same actor rows.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from dil.road.network import RoadNetwork

    from .camera import CameraSpec

log = logging.getLogger("dil.world")

NICE = 5
"""How much lower the render process's CPU priority is than the runtime's (``nice`` increment)."""
CLOSE_WAIT_S = 5.0
"""How long closing waits for the render process to end before it is killed [s]."""


class ProcessCamera:
    """A camera sensor (``sensor/<name>``, kind camera) whose frames a child process draws
    (``python -m dil.world.render_process``, on a socket pair: whatever this process's main module).

    Same fields as :class:`dil.world.sensors.CameraSensor`; :meth:`measure` blocks until the frame is
    drawn (call it from the sensor thread, not the loop). :meth:`close` ends the child."""

    kind = "camera"

    def __init__(self, network: RoadNetwork | None, name: str, spec: CameraSpec, rate_hz: float) -> None:
        self.name, self.spec, self.rate_hz = name, spec, rate_hz
        self.frame_id = 0
        mine, theirs = socket.socketpair()
        with theirs:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        self._conn = Connection(mine.detach())
        self._closed = False
        self._conn.send((network, spec))  # drawn from the same road network and camera

    def measure(self, actors: np.ndarray, n: int) -> dict[str, Any]:
        s = self.spec
        try:
            self._conn.send(np.ascontiguousarray(actors[:n]))
            data = self._conn.recv_bytes()  # the interpreter lock is free while the child draws
        except (EOFError, OSError) as e:  # the child has gone: its end of the socket closed
            raise RuntimeError(
                f"camera {self.name!r}: the render process ended (exit code {self._proc.poll()}): "
                f"{type(e).__name__} {e}"
            ) from None
        fields = {
            "frame_id": self.frame_id,
            "width": s.width,
            "height": s.height,
            "encoding": "bgr8",
            "data": data,
            "fov_deg": s.fov_deg,
            "mount": list(s.mount),
            "pitch_deg": s.pitch_deg,
            "yaw_deg": s.yaw_deg,
        }
        self.frame_id += 1
        return fields

    @property
    def pid(self) -> int:
        """The render process's id."""
        return self._proc.pid

    def close(self) -> None:
        """End the render process (it also ends by itself when this process goes)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self._conn.close()
        try:
            self._proc.wait(CLOSE_WAIT_S)
        except subprocess.TimeoutExpired:
            log.warning("camera %r: the render process did not end; killing it", self.name)
            self._proc.kill()
            self._proc.wait(CLOSE_WAIT_S)


def _serve(conn: Connection) -> None:
    """The child: draw a frame for each actor array received, until ``None`` or the socket closes."""
    from .camera import Camera

    try:
        network, spec = conn.recv()
        camera = Camera(network, spec)
        while (actors := conn.recv()) is not None:
            # flat: a flat byte array's length is its size in bytes, which send_bytes sends
            conn.send_bytes(camera.render(actors, len(actors)).reshape(-1))
    except (EOFError, OSError):  # the runtime has gone
        return


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runtime's: it closes this process
    with contextlib.suppress(OSError):
        os.nice(NICE)
    _serve(Connection(int(sys.argv[1])))


__all__ = ["NICE", "ProcessCamera"]
