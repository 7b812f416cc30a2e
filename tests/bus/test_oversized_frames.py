"""Oversized frames sent to running processes: the rig server and the drive loop keep their pace and
their memory, and the link comes back after each (real processes, real sockets)."""

import itertools
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import msgpack
import zmq

from dil.bus import Endpoints

ROOT = Path(__file__).resolve().parents[2]
STALL_SLACK_S = 0.5
SIZES = (10_000_000, 100_000_000)


def _big_frame(topic: str, n: int) -> bytes:
    """A msgpack array of ``n`` zeros (``n`` bytes) on ``topic``."""
    return topic.encode() + b"\0" + b"\xdd" + n.to_bytes(4, "big") + bytes(n)


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class Heartbeat:
    """Arrival times of a topic's frames, read in a thread."""

    def __init__(self, ctx: zmq.Context, address: str, topic: str) -> None:
        self.times: list[float] = []
        self.frames: list[bytes] = []
        self._sock = ctx.socket(zmq.SUB)
        self._sock.setsockopt(zmq.SUBSCRIBE, topic.encode() + b"\0")
        self._sock.connect(address)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._sock.poll(20):
                self.frames.append(self._sock.recv())
                self.times.append(time.monotonic())

    def wait_first(self, timeout_s: float) -> None:
        end = time.monotonic() + timeout_s
        while not self.times and time.monotonic() < end:
            time.sleep(0.05)
        assert self.times, "no heartbeat"

    def max_gap(self, t0: float, t1: float) -> float:
        ts = [t for t in self.times if t0 <= t <= t1]
        assert len(ts) >= 2, "no heartbeat in the window"
        return max(b - a for a, b in itertools.pairwise(ts))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close(0)


def _wait_subscribed(xpub: zmq.Socket, timeout_s: float) -> None:
    """Until the process under test (re)subscribes to our topic (proves its link is up)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if xpub.poll(100) and xpub.recv()[:1] == b"\x01":
            return
    raise AssertionError("the process never subscribed")


def _attack(proc, xpub, topic, heartbeat):
    """Baseline heartbeat gap, then two frames of each size: the worst gap and RSS growth.

    The baseline window is as long as the attack's windows together, so a loaded machine's
    scheduling hiccups have the same chance to show in both."""
    frames = [_big_frame(topic, n) for n in SIZES]  # built before: the test's own work stays out
    _wait_subscribed(xpub, 60)
    t0 = time.monotonic()
    time.sleep(0.3 * 2 * len(SIZES))  # the window whose normal gaps we compare with (not synchronisation)
    baseline = heartbeat.max_gap(t0, time.monotonic())
    rss0 = _rss_bytes(proc.pid)
    worst = 0.0
    for frame in frames:
        for _ in range(2):
            t0 = time.monotonic()
            xpub.send(frame, copy=False)
            _wait_subscribed(xpub, 30)  # it refused the frame and connected again
            time.sleep(0.3)
            worst = max(worst, heartbeat.max_gap(t0, time.monotonic()))
    return baseline, worst, _rss_bytes(proc.pid) - rss0


def _xpub(ctx, address):
    x = ctx.socket(zmq.XPUB)
    x.setsockopt(zmq.LINGER, 0)
    x.setsockopt(zmq.SNDHWM, 10)
    x.bind(address)
    return x


def test_oversized_rig_commands_neither_stall_nor_swell_the_rig_server(base_port):
    ep = Endpoints.default("tcp", port=base_port)
    ctx = zmq.Context()
    xpub = _xpub(ctx, ep["rig/command"])  # where the runtime would publish
    rig = subprocess.Popen(
        [sys.executable, "-m", "dil", "rig", "serve", "--sim", "--bus", "tcp", "--port", str(base_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    heartbeat = Heartbeat(ctx, ep["rig/feedback"], "rig/feedback")
    try:
        heartbeat.wait_first(60)
        baseline, worst, grew = _attack(rig, xpub, "rig/command", heartbeat)
        # the frames add no stall of the watchdog's length to the normal gaps (generous: the machine
        # may be loaded; before the size limits a 10 MB frame stalled the server for ~1 s here)
        # a 100 MB frame copied by this test's own process competes for the cores too: 0.5 s is far
        # below the stall the limits removed (~1 s per 10 MB frame) and above a busy machine's hiccups
        assert worst < 2 * baseline + 0.5, (baseline, worst)
        assert grew < 50_000_000, f"the rig server's memory grew {grew / 1e6:.0f} MB"
        last = msgpack.unpackb(heartbeat.frames[-1].partition(b"\0")[2])
        assert last["state"] == "parked"
    finally:
        heartbeat.close()
        rig.send_signal(signal.SIGTERM)
        _out, _ = rig.communicate(timeout=20)
        xpub.close(0)
        ctx.term()
    assert rig.returncode == 0


def test_oversized_driver_input_neither_stalls_nor_swells_the_drive_loop(base_port):
    ep = Endpoints.default("tcp", port=base_port)
    ctx = zmq.Context()
    xpub = _xpub(ctx, ep["driver/input"])  # where a wheel would publish
    drive = subprocess.Popen(
        [
            *(sys.executable, "-m", "dil", "drive", "--headless", "--duration", "120"),
            *("--wheel", "", "--bus", "tcp", "--port", str(base_port)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    heartbeat = Heartbeat(ctx, ep["run/status"], "run/status")
    frames = [_big_frame("driver/input", n) for n in SIZES]
    try:
        heartbeat.wait_first(60)
        _wait_subscribed(xpub, 60)
        time.sleep(1.0)  # a normal window (not synchronisation)
        n0 = len(heartbeat.frames)
        rss0 = _rss_bytes(drive.pid)
        for frame in frames:
            for _ in range(2):
                xpub.send(frame, copy=False)
                _wait_subscribed(xpub, 30)
        time.sleep(0.5)
        grew = _rss_bytes(drive.pid) - rss0
        status = [msgpack.unpackb(f.partition(b"\0")[2]) for f in heartbeat.frames]
        normal = max(s["lateness_max_us"] for s in status[max(n0 - 10, 0) : n0])
        attacked = max(s["lateness_max_us"] for s in status[n0:])
        # the loop's own lateness: no stall of the size the limits removed (about 1 s per 10 MB frame);
        # 0.5 s is above what a busy machine adds while this process copies 100 MB frames (the normal
        # window is the 10 statuses before, about 1 s, and cannot hold every hiccup of the attack's)
        assert attacked < 2 * normal + STALL_SLACK_S * 1e6, (normal, attacked)
        assert grew < 50_000_000, f"the drive loop's memory grew {grew / 1e6:.0f} MB"
        assert status[-1]["state"] == "running"
    finally:
        heartbeat.close()
        drive.send_signal(signal.SIGTERM)
        drive.communicate(timeout=30)
        xpub.close(0)
        ctx.term()
