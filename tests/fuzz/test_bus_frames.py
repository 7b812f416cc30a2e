"""Seeded fuzz of bus frames sent to a running rig server and a running drive loop over real
sockets: truncated frames, wrong types, huge claimed and real sizes, wrong schema versions, random
bytes, deep nesting. Every case must be refused and counted (or, beyond the size limit, refused by
the socket, which then connects again); nothing crashes or hangs; the rig stays parked."""

import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import msgpack
import zmq

from dil.bus import SCHEMAS, Drops, Encoder, Endpoints, NodeSpec, Port, ZmqBus
from dil.bus.limits import limits
from dil.realtime.clock import WallClock
from dil.realtime.loop import Loop
from hil_rigs.server import PARKED, RigServer

from ..ports import port_block

ROOT = Path(__file__).resolve().parents[2]
SEED = 18
CASE_TIMEOUT_S = 10.0


def _valid(topic: str) -> dict:
    fields = {
        "rig/command": {
            "mode": "engage",
            **dict.fromkeys(("surge", "sway", "heave", "roll", "pitch", "yaw"), 0.0),
            "actuator_lengths": [1.2] * 6,
        },
        "driver/input": {"steering_wheel_angle": 0.0, "throttle": 0.3, "brake": 0.0, "gear": 1},
    }[topic]
    frame = Encoder(SCHEMAS[topic], "fuzz").encode(0, time.time_ns(), fields)
    return msgpack.unpackb(frame.partition(b"\0")[2])


def cases(topic: str, seed: int = SEED) -> list[tuple[str, bytes]]:
    """``(name, frame)``: invalid frames of ``topic``, every one to be refused."""
    rng = random.Random(seed)
    prefix = topic.encode() + b"\0"
    valid = _valid(topic)
    body = msgpack.packb(valid)
    out: list[tuple[str, bytes]] = []
    for i in range(6):
        out.append((f"truncated {i}", prefix + body[: rng.randrange(0, len(body) - 1)]))
    odd = ["x", [1, 2], {"a": 1}, None, True, 2**63, float("nan"), float("inf"), b"\x00" * 3]
    for i in range(8):
        msg = dict(valid)
        unbounded = ("source", "seq", "t_sim_ns", "t_wall_ns")  # any integer is valid there
        msg[rng.choice([k for k in msg if k not in unbounded])] = rng.choice(odd)
        if msg != valid:
            out.append((f"wrong type {i}", prefix + msgpack.packb(msg)))
    for v in (0, 2, -1, "1", 2**63, 1.0):
        out.append((f"schema_version {v!r}", prefix + msgpack.packb({**valid, "schema_version": v})))
    for head in (
        b"\xdd\xff\xff\xff\xff",
        b"\xdf\xff\xff\xff\xff",
        b"\xdb\xff\xff\xff\xff",
        b"\xc6\xff\xff\xff\xff",
    ):
        out.append((f"claims 4 G ({head[:1].hex()})", prefix + head))  # array, map, str, bin headers
    for i in range(6):
        out.append((f"random bytes {i}", prefix + rng.randbytes(rng.randrange(0, 300))))
    for depth in (20, 1000, 30_000):
        out.append((f"nested {depth}", prefix + b"\x91" * depth + b"\x00"))
        deep = msgpack.packb({**valid, "source": 0}) + b"\x91" * depth
        out.append((f"nested {depth} after a map", prefix + deep))
    out.append(("many extra fields", prefix + msgpack.packb({**valid, **{f"k{i}": i for i in range(500)}})))
    out.append(("long string", prefix + msgpack.packb({**valid, "source": "s" * 60_000})))
    out.append(("long list", prefix + msgpack.packb({**valid, "extra": list(range(5000))})))
    big = limits(SCHEMAS[topic]).max_bytes
    out.append(
        ("1 MB beyond the socket limit", prefix + b"\xc6" + (1 << 20).to_bytes(4, "big") + bytes(1 << 20))
    )
    out.append(("just beyond the limit", prefix + b"\xc4\xff" + bytes(big)))
    return out


def _wait(condition, timeout_s: float = CASE_TIMEOUT_S) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


class Sender:
    """Our XPUB at a topic's address: knows when the process under test (re)subscribes."""

    def __init__(self, ctx: zmq.Context, address: str) -> None:
        self.sock = ctx.socket(zmq.XPUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(address)

    def subscribed(self, timeout_s: float) -> bool:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if self.sock.poll(50) and self.sock.recv()[:1] == b"\x01":
                return True
        return False


def _fuzz(sender: Sender, topic: str, count, alive, errors=()) -> dict:
    """Send every case; returns the tallies. ``count()``: the receiver's drop count."""
    tally = {"cases": 0, "counted": 0, "refused by the socket": 0, "hangs": 0}
    limit = limits(SCHEMAS[topic]).max_bytes
    for name, frame in cases(topic):
        tally["cases"] += 1
        before = count()
        sender.sock.send(frame)
        if len(frame) > limit:
            assert sender.subscribed(CASE_TIMEOUT_S), f"{name}: the link did not come back"
            tally["refused by the socket"] += 1
        elif _wait(lambda b=before: count() > b):
            assert count() == before + 1, f"{name}: counted {count() - before} times"
            tally["counted"] += 1
        else:
            tally["hangs"] += 1
            tally.setdefault("not counted", []).append(name)
        assert alive(), f"{name}: the receiver died ({errors})"
    return tally


def test_fuzzed_rig_commands_are_refused_and_counted_and_the_rig_stays_parked():
    port = port_block()
    ep = Endpoints.default("tcp", port=port)
    ctx = zmq.Context()
    sender = Sender(ctx, ep["rig/command"])
    bus, drops = ZmqBus(ep), Drops()
    server = RigServer(bus, drops, WallClock())
    external = [
        NodeSpec("runtime (this test)", outputs=(Port("command", "rig/command"),)),
        NodeSpec("console", outputs=(Port("command", "console/command"),)),
    ]
    loop = Loop([server], WallClock(), bus, drops, external=external, publish_status=False)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            loop.run(None)
        except BaseException as e:  # a crash of the loop is what this test looks for
            errors.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    states: set[str] = set()

    def count() -> int:
        states.add(server.state)
        return drops.of("rig/command")

    try:
        assert sender.subscribed(30)
        tally = _fuzz(sender, "rig/command", count, thread.is_alive, errors)
    finally:
        loop.stop_requested = True
        thread.join(10)
        bus.close()
        sender.sock.close(0)
        ctx.term()
    assert not errors and not thread.is_alive()
    assert tally["hangs"] == 0 and tally["counted"] + tally["refused by the socket"] == tally["cases"], tally
    assert states == {PARKED}
    print("rig server:", tally)


def test_fuzzed_driver_input_is_refused_and_counted_by_the_drive_loop():
    port = port_block()
    ep = Endpoints.default("tcp", port=port)
    ctx = zmq.Context()
    sender = Sender(ctx, ep["driver/input"])
    drive = subprocess.Popen(
        [
            *(sys.executable, "-m", "dil", "drive", "--headless", "--duration", "300"),
            *("--wheel", "", "--bus", "tcp", "--port", str(port)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    status = ctx.socket(zmq.SUB)
    status.setsockopt(zmq.CONFLATE, 1)
    status.setsockopt(zmq.SUBSCRIBE, b"run/status\0")
    status.connect(ep["run/status"])
    latest = {"dropped_messages": -1, "state": ""}

    def count() -> int:
        while status.poll(0):
            latest.update(msgpack.unpackb(status.recv().partition(b"\0")[2]))
        return latest["dropped_messages"]

    try:
        assert sender.subscribed(60)
        assert _wait(lambda: count() >= 0, 30)
        tally = _fuzz(sender, "driver/input", count, lambda: drive.poll() is None)
        assert latest["state"] == "running"
    finally:
        drive.send_signal(signal.SIGTERM)
        _, err = drive.communicate(timeout=30)
        status.close(0)
        sender.sock.close(0)
        ctx.term()
    assert b"Traceback" not in err, err.decode()[-2000:]
    assert tally["hangs"] == 0 and tally["counted"] + tally["refused by the socket"] == tally["cases"], tally
    print("drive loop:", tally)
