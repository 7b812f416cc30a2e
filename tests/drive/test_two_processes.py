"""``dil drive --headless`` in its own process, driven and observed over real ZeroMQ sockets."""

import itertools
import signal
import subprocess
import sys
import time

import pytest

from dil.bus import SCHEMAS, Drops, Encoder, Endpoints, Inbox, ZmqBus

from ..ports import port_block


def _endpoints(kind, tmp_path):
    if kind == "ipc":
        return Endpoints.default("ipc", directory=tmp_path), ["--bus", "ipc", "--ipc-dir", str(tmp_path)]
    port = port_block()
    return Endpoints.default("tcp", port=port), ["--bus", "tcp", "--port", str(port)]


@pytest.mark.parametrize("kind", ["tcp", "ipc"])
def test_state_arrives_in_order_without_loss_at_1khz_for_5_s(kind, tmp_path):
    endpoints, args = _endpoints(kind, tmp_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dil",
            "drive",
            "--headless",
            "--model",
            "single_track",
            "--vehicle",
            "compact_ev",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    bus = ZmqBus(endpoints, hwm=100_000)
    try:
        driver = bus.publisher("driver/input")
        states = Inbox(bus.subscriber("vehicle/state"), Drops())
        status = Inbox(bus.subscriber("run/status"), Drops())
        enc = Encoder(SCHEMAS["driver/input"], "test-wheel")
        inputs = {"steering_wheel_angle": 0.0, "throttle": 0.5, "brake": 0.0, "gear": 1}

        received = []
        deadline = time.monotonic() + 60.0
        next_input = 0.0
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_input:  # a 100 Hz wheel
                driver.send(enc.encode(0, time.time_ns(), inputs))
                next_input = now + 0.01
            msg = states.next(timeout_ms=2)
            if msg is not None:
                received.append((msg["seq"], msg["t_sim_ns"], msg["speed"]))
                if received[-1][1] - received[0][1] >= 5_000_000_000:
                    break
            assert proc.poll() is None, proc.communicate()
        assert received, "no vehicle/state arrived"
        seqs = [r[0] for r in received]
        times = [r[1] for r in received]
        assert times[-1] - times[0] >= 5_000_000_000, "did not receive 5 s of state in 60 s"
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "lost or reordered messages"
        assert all(b - a == 1_000_000 for a, b in itertools.pairwise(times))
        assert len(received) >= 5001
        assert received[-1][2] > received[0][2] + 1.0  # our throttle reached the car

        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "ticks" in out and "error" not in out
        last = None
        while (m := status.next(timeout_ms=500)) is not None:
            last = m
        assert last is not None and last["state"] == "stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        bus.close()
