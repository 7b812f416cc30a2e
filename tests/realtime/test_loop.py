import time

import pytest

import vehicle_models
from dil.bus import SCHEMAS, Drops, GraphError, LocalBus, NodeSpec, Port, decode
from dil.realtime.clock import Overrun, SimClock, WallClock
from dil.realtime.loop import Loop
from dil.vehicle.node import VehicleNode
from dil.vehicle.scripted_driver import ScriptedDriver


def _batch_run(n_ticks: int, model: str = "single_track") -> list[bytes]:
    """A scripted driver and a vehicle in a simulated-clock loop; every frame published, in order."""
    bus = LocalBus()
    frames: list[bytes] = []
    bus.tap(frames.append)
    clock = SimClock()
    drops = Drops()
    nodes = [
        ScriptedDriver(bus, clock, "sine-steer"),
        VehicleNode(bus, drops, vehicle_models.Vehicle(model, "sedan_bmw320i"), clock),
    ]
    report = Loop(nodes, clock, bus, drops).run(n_ticks)
    assert report.ticks == n_ticks and not report.error
    return frames


@pytest.mark.parametrize("model", ["single_track", "two_track"])
def test_simulated_clock_runs_the_same_tick_sequence_bit_identically(model):
    a = _batch_run(4000, model)
    b = _batch_run(4000, model)
    assert len(a) == len(b) > 4000
    assert a == b
    states = [decode(f)[1] for f in a if f.startswith(b"vehicle/state\0")]
    # the placed state at t = 0 first, then one state a tick
    assert [s["t_sim_ns"] for s in states] == [k * 1_000_000 for k in range(4001)]
    assert states[-1]["speed"] > 5.0  # the script drove it: inputs crossed the bus
    assert max(abs(s["yaw_rate"]) for s in states) > 0.05


def test_nodes_run_at_their_rates():
    bus = LocalBus()
    frames: list[bytes] = []
    bus.tap(frames.append)
    clock = SimClock()
    drops = Drops()
    nodes = [
        ScriptedDriver(bus, clock, "launch", rate_hz=50.0),
        VehicleNode(bus, drops, vehicle_models.Vehicle("kinematic", "compact_ev"), clock),
    ]
    Loop(nodes, clock, bus, drops).run(1000)
    topics = [f.split(b"\0", 1)[0] for f in frames]
    assert topics.count(b"driver/input") == 50
    assert topics.count(b"vehicle/state") == 1000 + 1  # a tick each plus the placed state at t = 0
    assert topics.count(b"run/status") == 10 + 1  # 10 Hz plus the final one


def test_the_graph_is_checked_before_the_first_tick():
    bus = LocalBus()
    clock = SimClock()
    drops = Drops()
    node = VehicleNode(bus, drops, vehicle_models.Vehicle("kinematic", "compact_ev"), clock)
    loop = Loop([node], clock, bus, drops)  # nobody produces driver/input
    with pytest.raises(GraphError, match="node 'vehicle' input 'input'"):
        loop.run(10)
    assert loop.tick == 0
    Loop([node], clock, bus, drops, external=[NodeSpec("wheel", outputs=(Port("in", "driver/input"),))]).run(
        1
    )


class _Failing:
    rate_hz = 1000.0

    def __init__(self):
        self.spec = NodeSpec("failing")
        self.stopped_at = None

    def start(self, t):
        pass

    def tick(self, t):
        if t == 5_000_000:
            raise RuntimeError("boom")

    def stop(self, t):
        self.stopped_at = t


def test_a_node_error_stops_the_loop_safely_and_is_reported():
    bus = LocalBus()
    status = bus.subscriber("run/status")
    clock = SimClock()
    node = _Failing()
    flushed = []
    loop = Loop([node], clock, bus, Drops())
    loop.on_stop.append(lambda: flushed.append(True))
    report = loop.run(100)
    assert report.error == "RuntimeError: boom"
    assert node.stopped_at == 5_000_000  # stop() ran: this is where a rig node parks
    assert flushed == [True]
    last = None
    while (f := status.recv()) is not None:
        last = decode(f)[1]
    assert last["state"] == "error" and last["tick"] == 5


class _Stall:
    rate_hz = 1000.0

    def __init__(self, at_tick: int, seconds: float):
        self.spec = NodeSpec("stall")
        self.at = at_tick * 1_000_000
        self.seconds = seconds

    def start(self, t):
        pass

    def tick(self, t):
        if t == self.at:
            time.sleep(self.seconds)

    def stop(self, t):
        pass


@pytest.mark.parametrize("overrun", list(Overrun))
def test_a_stalled_tick_is_counted_and_published_not_caught_up(overrun):
    bus = LocalBus()
    status = bus.subscriber("run/status")
    clock = WallClock(overrun=overrun)
    loop = Loop([_Stall(50, 0.0045)], clock, bus, Drops(), record=300)
    report = loop.run(300)
    assert report.ticks == 300  # every tick ran once: nothing dropped, no burst
    assert report.missed_ticks >= (3 if overrun is Overrun.SKIP else 1)
    assert report.late_ticks >= 1
    assert report.lateness_us["max_us"] > 100
    last = None
    while (f := status.recv()) is not None:
        last = decode(f)[1]
    assert last["state"] == "stopped" and last["clock"] == "wall"
    assert last["missed_ticks"] == report.missed_ticks and last["late_ticks"] == report.late_ticks
    SCHEMAS["run/status"].check(last)
