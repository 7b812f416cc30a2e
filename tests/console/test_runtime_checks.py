"""The runtime's own checks of console commands (``dil drive --console``'s side): commands dated
ahead of its clock are not obeyed but counted (the e-stop always is), and a start is not obeyed while
the rig cannot move unless the operator chose to run without motion."""

import threading
import time

from dil.bus import SCHEMAS, Drops, Encoder, Endpoints, Inbox, ZmqBus
from dil.console.run_control import MAX_AHEAD_S, RunHost, install
from dil.realtime.clock import WallClock
from dil.realtime.loop import Loop
from tests.console.peers import Peer, rig_feedback
from tests.console.test_run_control import Counter
from tests.joining import joined

HOUR_NS = 3600 * 10**9


def _sender(bus):
    pub = bus.publisher("console/command")
    enc = Encoder(SCHEMAS["console/command"], "console")

    def send(command, argument="", ahead_ns=0):
        fields = {"command": command, "argument": argument, "operator": "jane"}
        pub.send(enc.encode(0, time.time_ns() + ahead_ns, fields))

    return send


def _wait(predicate, timeout_s=60.0):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.005)
    raise AssertionError(f"not within {timeout_s} s")


def test_commands_dated_ahead_are_counted_not_obeyed_but_the_estop_always_is(base_port):
    assert MAX_AHEAD_S == 1.0
    bus = ZmqBus(Endpoints.default("tcp", port=base_port))
    send = _sender(bus)
    drops = Drops()
    loop = Loop([Counter("simulation")], WallClock(), bus, drops)
    reasons = []
    install(loop, Inbox(joined(bus.subscriber("console/command")), Drops()), reasons.append)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        _wait(lambda: loop.tick > 100)
        send("pause", ahead_ns=HOUR_NS)  # an hour ahead: not obeyed, counted
        _wait(lambda: drops.of("console/command") == 1)
        send("stop", ahead_ns=2 * 10**9)
        _wait(lambda: drops.of("console/command") == 2)
        assert loop.state == "running" and thread.is_alive() and reasons == []
        send("pause", ahead_ns=5 * 10**8)  # within the tolerance: obeyed
        _wait(lambda: loop.state == "paused")
        send("estop", ahead_ns=HOUR_NS)  # however it is dated
        thread.join(60)
        assert not thread.is_alive() and reasons == ["emergency stop by jane"]
        assert drops.of("console/command") == 2
    finally:
        loop.stop_requested = True
        thread.join(5)
        bus.close()


def test_the_runtime_obeys_a_start_only_with_a_ready_rig_or_the_operators_no_motion(base_port):
    bus = ZmqBus(Endpoints.default("tcp", port=base_port))
    send = _sender(bus)
    host = RunHost(bus, Inbox(joined(bus.subscriber("console/command")), Drops()))
    status = Inbox(bus.subscriber("run/status", conflate=True), Drops())
    started = []

    def serve():
        while (argument := host.wait_for_start()) is not None:
            started.append((argument, host.no_motion))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    peer = None
    try:
        _wait(lambda: status.next(100) is not None)  # the host is up and heard
        send("start", "ccrs")  # no rig feedback at all
        _wait(lambda: host.refused == 1)
        peer = Peer(bus, {"rig/feedback": rig_feedback("engaging")})
        peer.set(
            "rig/feedback",
            {**rig_feedback("parked"), "fault": "emergency stop by jane", "rearm_required": True},
        )
        _wait(lambda: host.rig_refusal().startswith("rig is parked: emergency stop by jane"))
        send("start", "ccrs EgoSpeed=20")
        _wait(lambda: host.refused == 2)
        seen = []
        _wait(lambda: seen.append(status.next(100)) or any(m and "refused" in m["scheduling"] for m in seen))
        assert started == []
        send("start", "ccrs EgoSpeed=20", ahead_ns=HOUR_NS)  # dated ahead: not even considered
        _wait(lambda: host.drops.of("console/command") == 1)
        send("start", "ccrs EgoSpeed=20 +no-motion")  # the operator's explicit choice
        _wait(lambda: len(started) == 1)
        assert started[-1] == ("ccrs EgoSpeed=20 +no-motion", True)
        peer.set("rig/feedback", rig_feedback("parked"))  # armed (rearm_required false): the run engages it
        _wait(lambda: host.rig_refusal() == "")
        send("start", "ccrs")
        _wait(lambda: len(started) == 2)
        assert started[-1] == ("ccrs", False) and host.refused == 2
    finally:
        host.stop_requested = True
        thread.join(5)
        if peer is not None:
            peer.stop()
        bus.close()
