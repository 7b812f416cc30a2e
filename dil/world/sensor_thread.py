"""Sensors measured off the loop thread, for real-time runs.

A camera frame takes milliseconds to draw, encode and send; in the 1 kHz loop's thread that is
several missed ticks each time. Behind a real-time loop the world node hands each due measurement
to this worker instead: a copy of the actor rows (into a buffer kept between ticks), the tick's
simulated and wall times, which sensors are due. The worker measures, encodes and publishes with
those times. One job waits at most: when the worker is still busy with the last one, a newer job
replaces the waiting one and the replaced one is counted (``dropped``); the loop never waits.
Batch runs keep measuring in the loop (deterministic).
"""

from __future__ import annotations

import logging
import threading

import numpy as np

log = logging.getLogger("dil.world")


class SensorThread:
    """``sensors``: (sensor, publisher, encoder) triples; each publisher is used by this thread only."""

    def __init__(self, sensors: list[tuple], rows: int, columns: int) -> None:
        self.sensors = sensors
        self._state = np.zeros((rows, columns))
        self._work = np.zeros((rows, columns))
        self._job: tuple[int, int, int, tuple[int, ...]] | None = None
        self._cond = threading.Condition()
        self._stop = False
        self.dropped = 0
        """Measurements replaced by newer ones before the worker reached them."""
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dil-sensors", daemon=True)
        self._thread.start()

    def post(self, t_sim_ns: int, wall_ns: int, state: np.ndarray, due: tuple[int, ...]) -> None:
        """Hand over a measurement of ``state`` (actor rows) by the sensors at indices ``due``."""
        if self.error is not None:
            raise RuntimeError(f"the sensor thread failed: {self.error}") from self.error
        n = len(state)
        with self._cond:
            if n > len(self._state):
                self._state = np.zeros((2 * n, state.shape[1]))
            self._state[:n] = state
            if self._job is not None:
                self.dropped += 1
            self._job = (t_sim_ns, wall_ns, n, due)
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(5.0)

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while self._job is None and not self._stop:
                        self._cond.wait()
                    if self._stop:
                        return
                    t_sim_ns, wall_ns, n, due = self._job
                    self._job = None
                    if len(self._work) < n:
                        self._work = np.zeros_like(self._state)
                    self._work[:n] = self._state[:n]
                state = self._work[:n]
                for k in due:
                    sensor, pub, enc = self.sensors[k]
                    pub.send(enc.encode(t_sim_ns, wall_ns, sensor.measure(state, n)))
        except BaseException as e:  # reported to the loop thread at its next post
            log.exception("the sensor thread failed")
            self.error = e
