"""Sensors measured off the loop thread (real-time runs): the right state and times, newest wins,
failures reach the loop."""

import threading
import time

import numpy as np
import pytest

from dil.realtime.memory import keep_heap
from dil.world.sensor_thread import SensorThread


class SlowSensor:
    """Takes ``seconds`` per measurement and reports the ego's x it saw."""

    name, kind, rate_hz = "slow", "objects", 25.0

    def __init__(self, seconds: float, fail_at: float | None = None) -> None:
        self.seconds, self.fail_at = seconds, fail_at
        self.threads: set[str] = set()

    def measure(self, actors: np.ndarray, n: int) -> dict:
        self.threads.add(threading.current_thread().name)
        if self.fail_at is not None and actors[0, 0] >= self.fail_at:
            raise ValueError("broken sensor")
        time.sleep(self.seconds)
        return {"x": float(actors[0, 0]), "n": n}


class Sent:
    def __init__(self) -> None:
        self.frames: list = []

    def send(self, frame) -> None:
        self.frames.append(frame)


class Enc:
    def encode(self, t_sim_ns: int, wall_ns: int, fields: dict):
        return (t_sim_ns, wall_ns, fields)


def _wait(cond, timeout=5.0):
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end
        time.sleep(0.001)


def test_measurements_happen_off_the_posting_thread_with_the_posted_state_and_times():
    sensor, out = SlowSensor(0.0), Sent()
    th = SensorThread([(sensor, out, Enc())], rows=4, columns=3)
    state = np.zeros((2, 3))
    for k in range(3):
        state[0, 0] = k
        th.post(k * 20_000_000, 1000 + k, state, (0,))
        _wait(lambda k=k: len(out.frames) == k + 1)
    state[0, 0] = 99.0  # the caller's array changes after posting: the measurement kept its copy
    th.close()
    assert [f[0] for f in out.frames] == [0, 20_000_000, 40_000_000]
    assert [f[1] for f in out.frames] == [1000, 1001, 1002]
    assert [f[2]["x"] for f in out.frames] == [0.0, 1.0, 2.0]
    assert sensor.threads == {"dil-sensors"}


def test_a_busy_worker_takes_the_newest_job_and_counts_the_replaced_ones():
    out = Sent()
    th = SensorThread([(SlowSensor(0.05), out, Enc())], rows=4, columns=3)
    state = np.zeros((1, 3))
    for k in range(10):  # far faster than 50 ms a measurement
        state[0, 0] = k
        th.post(k, k, state, (0,))
    _wait(lambda: out.frames and out.frames[-1][2]["x"] == 9.0)
    th.close()
    # a post that waited for the measurement would have replaced nothing
    assert th.dropped == 10 - len(out.frames) and th.dropped >= 7
    assert out.frames[-1][2]["x"] == 9.0


def test_a_failing_sensor_is_reported_at_the_next_post():
    th = SensorThread([(SlowSensor(0.0, fail_at=1.0), Sent(), Enc())], rows=4, columns=3)
    state = np.ones((1, 3))
    th.post(0, 0, state, (0,))
    _wait(lambda: th.error is not None)
    with pytest.raises(RuntimeError, match="the sensor thread failed: broken sensor"):
        th.post(1, 1, state, (0,))
    th.close()


def test_the_heap_is_kept_on_glibc():
    assert keep_heap() is None
