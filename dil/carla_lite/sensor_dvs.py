"""The dynamic vision sensor (``sensor.camera.dvs``): events where the log intensity of a pixel changed
by a threshold since its last event, from the RGB renderer's frame-to-frame change.

Body layout (``DVSEventArraySerializer``): ``u32 width, u32 height, f32 fov`` then packed 13-byte events
``u16 x, u16 y, i64 t [ns of simulation time], bool pol`` (``DVS_EVENT``), sorted by time.

Model: the grey level ``L = 0.299 R + 0.587 G + 0.114 B`` (0-255) of every pixel is compared as
``log(L + log_eps)`` (``use_log``, CARLA's default; ``L`` itself otherwise) with the value it had at its
last event (the first capture only sets it). A change of ``n`` thresholds (``positive_threshold``,
``negative_threshold``) gives ``n`` events of its sign, spread evenly in time between the two captures,
and moves the reference by ``n`` thresholds. A scene that does not move gives no event.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .layouts import IMAGE_HEADER

DVS_EVENT = np.dtype([("x", "<u2"), ("y", "<u2"), ("t", "<i8"), ("pol", "?")])
"""CARLA's packed ``DVSEvent`` (13 bytes)."""
MAX_EVENTS_PER_PIXEL = 16
"""Events one pixel gives in one capture at most (a jump from black to white is about 19 at 0.3)."""


@njit(cache=True)
def dvs_count(level, ref, pos_thr, neg_thr, counts):
    """Signed event count per pixel (``counts``, int32, the shape of ``level``) and the moved
    reference; returns the total number of events."""
    h, w = level.shape
    total = 0
    for y in range(h):
        for x in range(w):
            d = level[y, x] - ref[y, x]
            n = 0
            if d >= pos_thr:
                n = min(int(d / pos_thr), MAX_EVENTS_PER_PIXEL)
                ref[y, x] += n * pos_thr
            elif d <= -neg_thr:
                n = -min(int(-d / neg_thr), MAX_EVENTS_PER_PIXEL)
                ref[y, x] += n * neg_thr
            counts[y, x] = n
            total += abs(n)
    return total


@njit(cache=True)
def dvs_fill(counts, t0_ns, dt_ns, xs, ys, ts, pols):
    """The events of ``counts``: the k-th of n events of a pixel at ``t0 + dt * k / (n + 1)``."""
    h, w = counts.shape
    i = 0
    for y in range(h):
        for x in range(w):
            n = counts[y, x]
            m = abs(n)
            for k in range(1, m + 1):
                xs[i] = x
                ys[i] = y
                ts[i] = t0_ns + (dt_ns * k) // (m + 1)
                pols[i] = n > 0
                i += 1
    return i


class DvsState:
    """A DVS camera's thresholds and the reference log intensity of every pixel."""

    def __init__(self, values: dict[str, str]) -> None:
        def num(key: str, default: float) -> float:
            try:
                return float(values.get(key) or default)
            except ValueError:
                return default

        self.pos_thr = max(num("positive_threshold", 0.3), 1e-6)
        self.neg_thr = max(num("negative_threshold", 0.3), 1e-6)
        self.use_log = str(values.get("use_log", "true")).lower() in ("true", "1")
        self.log_eps = max(num("log_eps", 0.001), 1e-12)
        self.ref: np.ndarray | None = None
        self.last_ns = 0

    def level(self, bgr: np.ndarray) -> np.ndarray:
        """The compared level of every pixel of a BGR8 image."""
        grey = bgr[..., 2] * np.float32(0.299) + bgr[..., 1] * np.float32(0.587)
        grey += bgr[..., 0] * np.float32(0.114)
        return np.log(grey + np.float32(self.log_eps)) if self.use_log else grey

    def body(self, bgr: np.ndarray, time_ns: int, fov_deg: float) -> bytes:
        """The capture's body: the events since the previous capture (none at the first)."""
        h, w = bgr.shape[:2]
        level = self.level(bgr).astype(np.float64)
        events = np.zeros(0, DVS_EVENT)
        if self.ref is None or self.ref.shape != level.shape:
            self.ref = level
        else:
            counts = np.empty((h, w), np.int32)
            n = dvs_count(level, self.ref, self.pos_thr, self.neg_thr, counts)
            xs, ys = np.empty(n, np.uint16), np.empty(n, np.uint16)
            ts, pols = np.empty(n, np.int64), np.empty(n, np.bool_)
            dvs_fill(counts, self.last_ns, max(time_ns - self.last_ns, 0), xs, ys, ts, pols)
            order = np.argsort(ts, kind="stable")
            events = np.empty(n, DVS_EVENT)
            events["x"], events["y"] = xs[order], ys[order]
            events["t"], events["pol"] = ts[order], pols[order]
        self.last_ns = time_ns
        return IMAGE_HEADER.pack(w, h, fov_deg) + events.tobytes()
