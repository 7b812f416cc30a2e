"""The dynamic vision sensor (``sensor.camera.dvs``): events where the log intensity of a pixel changed
by a threshold since its last event, from the RGB renderer's frame-to-frame change.

Body layout (``DVSEventArraySerializer``): ``u32 width, u32 height, f32 fov`` then packed 13-byte events
``u16 x, u16 y, i64 t [ns of simulation time], bool pol`` (``DVS_EVENT``), sorted by time.

Model: the grey level ``L = 0.299 R + 0.587 G + 0.114 B`` (0-255) of every pixel is compared as
``log(L + log_eps)`` (``use_log``, CARLA's default; ``L`` itself otherwise) with the value it had at its
last event (the first capture only sets it). A change of ``n`` thresholds (``positive_threshold``,
``negative_threshold``) gives ``n`` events of its sign, spread evenly in time between the two captures,
and moves the reference by ``n`` thresholds. A scene that does not move gives no event.

Noise as CARLA's attributes set it: every pixel's thresholds are drawn afresh at every capture from a
normal distribution about ``positive_threshold`` / ``negative_threshold`` with the standard deviation
``sigma_positive_threshold`` / ``sigma_negative_threshold`` (at least 0.01; 0 by default: no noise;
a generator per sensor, seeded by its actor id, so runs repeat), and an event within
``refractory_period_ns`` of the pixel's previous event is dropped (its reference moves all the same).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .layouts import IMAGE_HEADER

DVS_EVENT = np.dtype([("x", "<u2"), ("y", "<u2"), ("t", "<i8"), ("pol", "?")])
"""CARLA's packed ``DVSEvent`` (13 bytes)."""
MAX_EVENTS_PER_PIXEL = 16
"""Events one pixel gives in one capture at most (a jump from black to white is about 19 at 0.3)."""


MIN_THRESHOLD = 0.01
"""A drawn threshold is at least this (log intensity)."""


@njit(cache=True)
def dvs_count(level, ref, pos_thr, neg_thr, counts):
    """Signed event count per pixel (``counts``, int32, the shape of ``level``) for per-pixel
    thresholds (arrays of that shape) and the moved reference; returns the total number of events."""
    h, w = level.shape
    total = 0
    for y in range(h):
        for x in range(w):
            d = level[y, x] - ref[y, x]
            n = 0
            if d >= pos_thr[y, x]:
                n = min(int(d / pos_thr[y, x]), MAX_EVENTS_PER_PIXEL)
                ref[y, x] += n * pos_thr[y, x]
            elif d <= -neg_thr[y, x]:
                n = -min(int(-d / neg_thr[y, x]), MAX_EVENTS_PER_PIXEL)
                ref[y, x] += n * neg_thr[y, x]
            counts[y, x] = n
            total += abs(n)
    return total


@njit(cache=True)
def dvs_fill(counts, t0_ns, dt_ns, refractory_ns, last_ns, xs, ys, ts, pols):
    """The events of ``counts``: the k-th of n events of a pixel at ``t0 + dt * k / (n + 1)``, less
    those within ``refractory_ns`` [ns] of the pixel's previous event (``last_ns``, updated); returns
    how many were written."""
    h, w = counts.shape
    i = 0
    for y in range(h):
        for x in range(w):
            n = counts[y, x]
            m = abs(n)
            for k in range(1, m + 1):
                t = t0_ns + (dt_ns * k) // (m + 1)
                if refractory_ns > 0 and t - last_ns[y, x] < refractory_ns:
                    continue
                last_ns[y, x] = t
                xs[i] = x
                ys[i] = y
                ts[i] = t
                pols[i] = n > 0
                i += 1
    return i


class DvsState:
    """A DVS camera's thresholds and the reference log intensity of every pixel."""

    def __init__(self, values: dict[str, str], seed: int = 0) -> None:
        def num(key: str, default: float) -> float:
            try:
                return float(values.get(key) or default)
            except ValueError:
                return default

        self.pos_thr = max(num("positive_threshold", 0.3), 1e-6)
        self.neg_thr = max(num("negative_threshold", 0.3), 1e-6)
        self.use_log = str(values.get("use_log", "true")).lower() in ("true", "1")
        self.log_eps = max(num("log_eps", 0.001), 1e-12)
        self.pos_sigma = max(num("sigma_positive_threshold", 0.0), 0.0)
        self.neg_sigma = max(num("sigma_negative_threshold", 0.0), 0.0)
        self.refractory_ns = max(int(num("refractory_period_ns", 0.0)), 0)
        self._rng = np.random.default_rng(seed)
        self._last_event: np.ndarray | None = None
        """Time [ns] of every pixel's last event (the refractory period)."""
        self.ref: np.ndarray | None = None
        self.last_ns = 0

    def _thresholds(self, mean: float, sigma: float, shape: tuple[int, int]) -> np.ndarray:
        """Every pixel's threshold for this capture: ``mean``, or drawn about it when ``sigma`` > 0."""
        if sigma <= 0.0:
            return np.full(shape, mean)
        return np.maximum(self._rng.normal(mean, sigma, shape), MIN_THRESHOLD)

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
            self._last_event = np.full((h, w), np.iinfo(np.int64).min // 2, np.int64)
        else:
            counts = np.empty((h, w), np.int32)
            n = dvs_count(
                level,
                self.ref,
                self._thresholds(self.pos_thr, self.pos_sigma, (h, w)),
                self._thresholds(self.neg_thr, self.neg_sigma, (h, w)),
                counts,
            )
            xs, ys = np.empty(n, np.uint16), np.empty(n, np.uint16)
            ts, pols = np.empty(n, np.int64), np.empty(n, np.bool_)
            dt_ns = max(time_ns - self.last_ns, 0)
            n = dvs_fill(counts, self.last_ns, dt_ns, self.refractory_ns, self._last_event, xs, ys, ts, pols)
            xs, ys, ts, pols = xs[:n], ys[:n], ts[:n], pols[:n]
            order = np.argsort(ts, kind="stable")
            events = np.empty(n, DVS_EVENT)
            events["x"], events["y"] = xs[order], ys[order]
            events["t"], events["pol"] = ts[order], pols[order]
        self.last_ns = time_ns
        return IMAGE_HEADER.pack(w, h, fov_deg) + events.tobytes()
