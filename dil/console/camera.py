"""Camera images for the page: the newest ``sensor/<name>`` camera frame, at most ``rate_hz`` a
second, as a JPEG the page shows in an ``<img>`` (base64 in the frame's ``camera`` field)."""

from __future__ import annotations

import base64
import logging
import threading
import time
from typing import Any

import numpy as np

log = logging.getLogger("dil.console")

CAMERAS = ("front", "mirror")
"""Camera sensors the console listens for (``sensor/front``, ``sensor/mirror``)."""
RATE_HZ = 10.0
"""Images per second sent to the page, per camera."""
QUALITY = 70
"""JPEG quality (0 to 100)."""


class CameraFeed:
    """Keeps each camera's newest message and turns it into a JPEG when the page is due one.

    ``offer`` is called by the bus thread with every message read (cheap: it only keeps it);
    ``due`` encodes at most one image per camera per ``1 / rate_hz`` seconds.
    """

    def __init__(self, rate_hz: float = RATE_HZ) -> None:
        self.period_s = 1.0 / rate_hz
        self._pending: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()  # offered by the bus thread, encoded by the web server's
        self._last: dict[str, float] = {}
        self.sent = 0
        """Images encoded for the page so far."""

    def offer(self, name: str, msg: dict[str, Any]) -> None:
        with self._lock:
            self._pending[name] = msg

    def due(self, now: float | None = None) -> dict[str, dict[str, Any]]:
        """Camera name -> ``{"jpeg": base64 text, "width", "height" [px], "frame_id", "t_sim_ns"}`` for
        each camera with a new frame whose last image is at least a period old."""
        now = time.monotonic() if now is None else now
        out: dict[str, dict[str, Any]] = {}
        with self._lock:
            ready = [n for n in self._pending if now - self._last.get(n, -1e9) >= self.period_s]
            msgs = {n: self._pending.pop(n) for n in ready}
        for name, msg in msgs.items():
            data = _jpeg(msg)
            if data is None:
                continue
            self._last[name] = now
            self.sent += 1
            out[name] = {
                "jpeg": base64.b64encode(data).decode("ascii"),
                "width": msg["width"],
                "height": msg["height"],
                "frame_id": msg["frame_id"],
                "t_sim_ns": msg["t_sim_ns"],
            }
        return out


def _jpeg(msg: dict[str, Any]) -> bytes | None:
    """The image as JPEG bytes (a JPEG frame is passed on as it came); None if it cannot be read."""
    if msg["encoding"] == "jpeg":
        return bytes(msg["data"])
    import cv2

    w, h = msg["width"], msg["height"]
    raw = msg["data"]
    if len(raw) != w * h * 3:
        log.warning("camera frame %s: %d bytes for %dx%d bgr8", msg.get("frame_id"), len(raw), w, h)
        return None
    img = np.frombuffer(raw, np.uint8).reshape(h, w, 3)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    return buf.tobytes() if ok else None
