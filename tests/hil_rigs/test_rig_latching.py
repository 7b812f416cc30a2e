"""Faults latch and commands must be fresh, against a real ``dil rig serve --sim`` on loopback: a
watchdog trip of a stalled ``dil drive`` keeps the rig parked until the operator re-arms it, and
commands dated an hour ahead are rejected while an e-stop so dated is honoured."""

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from dil.bus import SCHEMAS, Drops, Encoder, Endpoints, Inbox, ZmqBus
from hil_rigs.cueing_node import AXES

from ..ports import port_block

HOUR_NS = 3600 * 10**9
WATCHDOG_MS = "3000"
"""The rig's watchdog here: a trip is what the first test causes (by stopping the runtime), never what
a runtime starved for a second on a loaded machine should cause in any of them."""


def _port() -> int:
    return port_block()


def _dil(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dil", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _end(proc: subprocess.Popen) -> str:
    """Stop ``proc`` (SIGTERM, then SIGKILL) and return its stdout."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGCONT)
        proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


class Watcher:
    """The test's view of ``rig/feedback`` and its console: real sockets on the bus."""

    def __init__(self, bus: ZmqBus) -> None:
        self.feedback = Inbox(bus.subscriber("rig/feedback", conflate=True), Drops())
        self.console = bus.publisher("console/command")
        self.enc = Encoder(SCHEMAS["console/command"], "console")
        self.last: dict | None = None

    def wait(self, what: Callable[[dict], bool], timeout_s: float, then: Callable[[], None] = lambda: None):
        """The first feedback for which ``what`` holds, calling ``then`` between reads."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            m = self.feedback.next(timeout_ms=50)
            if m is not None:
                self.last = m
                if what(m):
                    return m
            then()
        raise AssertionError(f"no such rig/feedback within {timeout_s} s; last: {self.last}")

    def states_for(self, seconds: float, then: Callable[[], None] = lambda: None) -> list[dict]:
        """Every feedback for ``seconds`` (the rig must keep doing what it does)."""
        seen, end = [], time.monotonic() + seconds
        while time.monotonic() < end:
            m = self.feedback.next(timeout_ms=50)
            if m is not None:
                seen.append(m)
            then()
        assert seen, "no rig/feedback"
        return seen

    def operator(self, command: str, ahead_ns: int = 0) -> None:
        fields = {"command": command, "argument": "", "operator": "jane"}
        self.console.send(self.enc.encode(0, time.time_ns() + ahead_ns, fields))


def _latched(why: str) -> Callable[[dict], bool]:
    return lambda m: (
        m["state"] in ("parking", "parked") and m["rearm_required"] and m["fault"].startswith(why)
    )


def test_a_watchdog_trip_latches_until_the_operator_rearms():
    port = _port()
    bus_args = ("--bus", "tcp", "--port", str(port))
    rig = _dil("rig", "serve", "--sim", "--watchdog-ms", WATCHDOG_MS, *bus_args)
    bus = ZmqBus(Endpoints.default("tcp", port=port))
    drive = None
    try:
        w = Watcher(bus)
        first = w.wait(lambda m: True, 60)
        assert first["state"] == "parked" and not first["rearm_required"]  # fresh: the runtime may engage
        commands = Inbox(bus.subscriber("rig/command", conflate=True), Drops())
        drive = _dil(
            "drive", "--headless", "--driver", "launch", "--rig", "sim", "--duration", "120", *bus_args
        )
        w.wait(lambda m: m["state"] == "engaged", 120)  # the run's first engage works as it always did
        drive.send_signal(signal.SIGSTOP)  # the runtime stalls: its command stream stops
        tripped = w.wait(_latched("watchdog"), 30)
        assert tripped["watchdog_trips"] == 1
        drive.send_signal(signal.SIGCONT)  # the runtime comes back and asks to engage again
        end = time.monotonic() + 30
        while (c := commands.next(timeout_ms=100)) is None or c["mode"] != "engage":
            assert time.monotonic() < end, "the resumed runtime sent no engage"
        after = w.states_for(3.0)  # longer than the 2 s engage ramp
        assert all(_latched("watchdog")(m) for m in after), [m["state"] for m in after]

        def parked_latched(m: dict) -> bool:  # the park may still be under way on a loaded machine
            assert _latched("watchdog")(m), m["state"]
            return m["state"] == "parked"

        w.wait(parked_latched, 60)
        assert drive.poll() is None  # parked while the run goes on
        w.wait(lambda m: m["state"] == "engaging", 30, then=lambda: w.operator("engage"))  # re-armed
        engaged = w.wait(lambda m: m["state"] == "engaged", 30)
        assert not engaged["rearm_required"] and engaged["fault"] == ""
    finally:
        if drive is not None:
            _end(drive)
        out = _end(rig)
        bus.close()
    assert "1 watchdog trips" in out


class Runtime:
    """A stand-in runtime streaming ``rig/command`` at about 1 kHz from a thread, dated ``ahead_ns``
    after the wall clock."""

    def __init__(self, bus: ZmqBus) -> None:
        self.mode, self.ahead_ns = "engage", 0
        self._pub = bus.publisher("rig/command")
        self._enc = Encoder(SCHEMAS["rig/command"], "runtime")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        pose = dict.fromkeys(AXES, 0.0)
        while not self._stop.is_set():
            fields = {"mode": self.mode, **pose, "actuator_lengths": [1.2] * 6}
            self._pub.send(self._enc.encode(0, time.time_ns() + self.ahead_ns, fields))
            time.sleep(0.001)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


def _rejected(out: str, what: str) -> int:
    """``N what rejected`` from the rig server's closing line."""
    words = out.split(f" {what} rejected")[0].split()
    return int(words[-1])


def test_commands_dated_an_hour_ahead_are_rejected_but_an_estop_is_honoured():
    port = _port()
    rig = _dil("rig", "serve", "--sim", "--watchdog-ms", WATCHDOG_MS, "--bus", "tcp", "--port", str(port))
    bus = ZmqBus(Endpoints.default("tcp", port=port))
    runtime = None
    try:
        w = Watcher(bus)
        w.wait(lambda m: True, 60)
        runtime = Runtime(bus)
        runtime.ahead_ns = HOUR_NS  # engage, dated an hour ahead: rejected, the rig stays down
        assert {m["state"] for m in w.states_for(2.0)} == {"parked"}
        runtime.ahead_ns = 0
        w.wait(lambda m: m["state"] == "engaged", 60)
        runtime.ahead_ns, runtime.mode = HOUR_NS, "estop"  # stopping is always honoured
        w.wait(_latched("emergency stop from runtime"), 60)
        runtime.ahead_ns, runtime.mode = 0, "engage"  # the runtime asks to engage: ignored
        # an operator's engage dated an hour ahead does not re-arm either
        latched = w.states_for(2.0, then=lambda: w.operator("engage", HOUR_NS))
        assert all(_latched("emergency stop")(m) for m in latched), latched[-1]
        w.wait(lambda m: m["state"] == "engaging", 30, then=lambda: w.operator("engage"))
    finally:
        if runtime is not None:
            runtime.stop()
        out = _end(rig)
        bus.close()
    assert _rejected(out, "commands") > 100 and _rejected(out, "console commands") > 1, out


def test_a_small_clock_offset_is_tolerated():
    port = _port()
    rig = _dil("rig", "serve", "--sim", "--watchdog-ms", WATCHDOG_MS, "--bus", "tcp", "--port", str(port))
    bus = ZmqBus(Endpoints.default("tcp", port=port))
    runtime = None
    try:
        w = Watcher(bus)
        w.wait(lambda m: True, 60)
        runtime = Runtime(bus)
        runtime.ahead_ns = 500_000_000  # within MAX_LEAD_S (1 s): a clock offset between machines
        w.wait(lambda m: m["state"] == "engaged", 60)
    finally:
        if runtime is not None:
            runtime.stop()
        out = _end(rig)
        bus.close()
    assert _rejected(out, "commands") == 0, out


def test_dil_rig_arm_rearms_a_held_rig_without_the_console():
    port = _port()
    bus_args = ("--bus", "tcp", "--port", str(port))
    rig = _dil("rig", "serve", "--sim", "--watchdog-ms", WATCHDOG_MS, "--arm-from-console", *bus_args)
    bus = ZmqBus(Endpoints.default("tcp", port=port))
    runtime = None
    try:
        feedback = Inbox(bus.subscriber("rig/feedback", conflate=True), Drops())
        first = feedback.next(timeout_ms=60_000)
        assert first is not None and first["rearm_required"] and "armed" in first["fault"]
        runtime = Runtime(bus)  # asks to engage: the rig is held
        arm = subprocess.run(
            [sys.executable, "-m", "dil", "rig", "arm", "--operator", "jo", "--timeout", "30", *bus_args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert arm.returncode == 0 and "rig re-armed by jo" in arm.stdout, arm.stdout + arm.stderr
        end = time.monotonic() + 30
        while (m := feedback.next(timeout_ms=100)) is None or m["state"] != "engaging":
            assert time.monotonic() < end, "the re-armed rig did not engage"
    finally:
        if runtime is not None:
            runtime.stop()
        _end(rig)
        bus.close()
