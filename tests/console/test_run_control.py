"""The runtime and the rig obey the console's messages: pause holds simulation time while the
rig's stream goes on, resume and stop, the e-stop ends a run; the rig server parks on an e-stop and
stays parked until it is armed again."""

import threading
import time

import numpy as np

from dil.bus import SCHEMAS, Drops, Encoder, Endpoints, Inbox, LocalBus, NodeSpec, ZmqBus
from dil.console.run_control import install
from dil.realtime.clock import SimClock, WallClock
from dil.realtime.loop import Loop
from hil_rigs.server import ENGAGED, ENGAGING, PARKED, PARKING, RigServer
from tests.joining import joined

MS = 1_000_000


class Counter:
    """A node that counts its ticks and remembers the times it was given."""

    def __init__(self, name, while_paused=False):
        self.spec = NodeSpec(name)
        self.rate_hz = 1000.0
        self.runs_while_paused = while_paused
        self.ticks = 0
        self.last_t = -1

    def start(self, t):
        pass

    def stop(self, t):
        pass

    def tick(self, t):
        self.ticks += 1
        self.last_t = t


def _console(bus):
    pub = bus.publisher("console/command")
    enc = Encoder(SCHEMAS["console/command"], "console")

    def send(command, argument=""):
        pub.send(
            enc.encode(0, time.time_ns(), {"command": command, "argument": argument, "operator": "jane"})
        )

    return send


def _wait(predicate, timeout_s=30.0):
    end = time.monotonic() + timeout_s
    while not predicate() and time.monotonic() < end:
        time.sleep(0.005)
    assert predicate()


def test_pause_holds_simulation_time_resume_goes_on_stop_ends_with_the_operators_reason(base_port):
    bus = ZmqBus(Endpoints.default("tcp", port=base_port))
    send = _console(bus)
    sim, rig_link = Counter("simulation"), Counter("rig link", while_paused=True)
    status = Inbox(bus.subscriber("run/status", conflate=True), Drops())
    loop = Loop([sim, rig_link], WallClock(), bus, Drops())
    reasons = []
    install(loop, Inbox(joined(bus.subscriber("console/command")), Drops()), reasons.append)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        _wait(lambda: sim.ticks > 200)
        send("pause")
        _wait(lambda: loop.state == "paused")
        frozen_ticks, frozen_t, link_before = sim.ticks, sim.last_t, rig_link.ticks
        _wait(lambda: rig_link.ticks > link_before + 100)  # the loop goes on ticking the rig link...
        assert sim.ticks == frozen_ticks and loop.tick * MS == frozen_t + MS  # ...simulation time stands
        assert rig_link.last_t == frozen_t + MS  # the rig link ticks at the frozen time
        seen = []
        _wait(lambda: seen.append(status.latest()) or any(m and m["state"] == "paused" for m in seen))
        send("resume")
        _wait(lambda: sim.ticks > frozen_ticks + 100)
        assert loop.state == "running"
        send("stop")
        thread.join(60)
        assert not thread.is_alive() and reasons == ["stopped by jane"]
    finally:
        loop.stop_requested = True
        thread.join(5)
        bus.close()


def test_an_estop_ends_a_paused_run(base_port):
    bus = ZmqBus(Endpoints.default("tcp", port=base_port))
    send = _console(bus)
    loop = Loop([Counter("simulation")], WallClock(), bus, Drops())
    reasons = []
    install(loop, Inbox(joined(bus.subscriber("console/command")), Drops()), reasons.append)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        _wait(lambda: loop.tick > 100)
        send("pause")
        _wait(lambda: loop.state == "paused")
        send("estop")
        thread.join(60)
        assert not thread.is_alive() and reasons == ["emergency stop by jane"]
    finally:
        loop.stop_requested = True
        thread.join(5)
        bus.close()


class Rig:
    """A rig server stepped by hand, with a runtime asking it to engage every tick."""

    def __init__(self, **kw):
        self.bus = LocalBus()
        self.clock = SimClock(epoch_ns=time.time_ns())
        self.server = RigServer(self.bus, Drops(), self.clock, **kw)
        self.cmd = self.bus.publisher("rig/command")
        self.enc = Encoder(SCHEMAS["rig/command"], "runtime")
        self.console = self.bus.publisher("console/command")
        self.cenc = Encoder(SCHEMAS["console/command"], "console")
        self.feedback = Inbox(self.bus.subscriber("rig/feedback", conflate=True), Drops())
        self.t = 0
        self.server.start(0)
        self.lengths = [float(v) for v in self.server.platform.neutral]

    def operator(self, command):
        self.console.send(
            self.cenc.encode(  # dated by the rig's clock, which runs ahead of the wall here
                0, self.clock.wall_ns(self.t), {"command": command, "argument": "", "operator": "jane"}
            )
        )

    def run(self, ms):
        for _ in range(ms):
            fields = dict.fromkeys(("surge", "sway", "heave", "roll", "pitch", "yaw"), 0.0)
            wall = self.clock.wall_ns(self.t)
            self.cmd.send(
                self.enc.encode(self.t, wall, {"mode": "engage", **fields, "actuator_lengths": self.lengths})
            )
            self.server.tick(self.t)
            self.t += MS


def test_the_estop_parks_the_rig_and_holds_it_until_armed_again():
    rig = Rig()
    rig.run(3000)
    assert rig.server.state == ENGAGED
    rig.operator("estop")
    rig.run(20)
    assert rig.server.state == PARKING and rig.server.reason == "emergency stop by jane"
    rig.run(4000)  # the runtime keeps asking to engage: refused
    assert rig.server.state == PARKED
    assert np.allclose(rig.server.driver.lengths, rig.server.driver.parked, atol=1e-3)
    assert rig.feedback.latest()["fault"] == "emergency stop by jane"
    rig.operator("engage")
    rig.run(20)
    assert rig.server.state == ENGAGING and rig.server.held == ""
    rig.run(3000)
    assert rig.server.state == ENGAGED and rig.feedback.latest()["fault"] == ""


def test_park_from_the_console_holds_and_a_rig_started_unarmed_waits_for_the_console():
    rig = Rig(armed=False)
    rig.run(500)
    assert rig.server.state == PARKED and "armed" in rig.feedback.latest()["fault"]
    rig.operator("engage")
    rig.run(3000)
    assert rig.server.state == ENGAGED
    rig.operator("park")
    rig.run(3000)
    assert rig.server.state == PARKED and rig.server.held == "parked by jane"
