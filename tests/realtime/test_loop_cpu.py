"""The loop reports the CPU time its thread spent ticking: what the nodes' work cost, not the time a
waiting clock or other processes took."""

import time

from dil.bus import Drops, LocalBus, NodeSpec
from dil.realtime.clock import SimClock, WallClock
from dil.realtime.loop import Loop


class _Busy:
    """Spins ``work_s`` of thread CPU time per tick [s]."""

    def __init__(self, name: str, work_s: float) -> None:
        self.spec = NodeSpec(name)
        self.rate_hz = 100.0
        self.work_s = work_s

    def start(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        end = time.thread_time() + self.work_s
        while time.thread_time() < end:
            pass

    def stop(self, t_sim_ns: int) -> None:
        pass


def test_the_report_holds_the_cpu_time_of_the_ticks():
    loop = Loop([_Busy("busy", 0.002)], SimClock(), LocalBus(), Drops())
    report = loop.run(max_ticks=500)  # 50 ticks of the node, 2 ms of CPU each
    assert report.cpu_s == loop.cpu_s
    assert 0.1 <= report.cpu_s <= report.wall_s + 0.01


def test_a_paced_loop_waiting_for_its_clock_costs_little_cpu():
    # 0.3 s of wall clock with nodes that do almost nothing: the clock's sleeping is not the loop's cost
    loop = Loop([_Busy("idle", 0.0)], WallClock(step_ns=1_000_000, spin_ns=0), LocalBus(), Drops())
    report = loop.run(max_ticks=300)
    assert report.wall_s >= 0.29
    assert report.cpu_s < 0.5 * report.wall_s
