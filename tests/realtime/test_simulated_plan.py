"""A simulated clock's loop, its calls laid out in advance, calls the same nodes at the same times and
publishes the same ``run/status`` messages as the loop that measures each tick (taken when ticks are
recorded), and still pauses, resumes and stops between ticks."""

import pytest

from dil.bus import Drops, LocalBus, NodeSpec, decode
from dil.realtime.clock import SimClock
from dil.realtime.loop import Loop


class Probe:
    """A node that notes when it ticks; ``on_tick`` may act on the loop at a given time."""

    def __init__(self, name: str, rate_hz: float, calls: list, on_tick=None) -> None:
        self.spec = NodeSpec(name)
        self.rate_hz = rate_hz
        self._calls = calls
        self._on_tick = on_tick

    def start(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        self._calls.append((t_sim_ns, self.spec.name))
        if self._on_tick is not None:
            self._on_tick(t_sim_ns)

    def stop(self, t_sim_ns: int) -> None:
        pass


def _run(record: int, ticks: int, rates=(100.0, 50.0, 40.0, 20.0)) -> tuple[list, list, Loop]:
    bus = LocalBus()
    frames: list[bytes] = []
    bus.tap(frames.append)
    calls: list = []
    clock = SimClock()
    nodes = [Probe(f"n{i}", r, calls) for i, r in enumerate(rates)]
    loop = Loop(nodes, clock, bus, Drops(), record=record)
    report = loop.run(ticks)
    assert not report.error and report.ticks == ticks
    status = [decode(f)[1] for f in frames if f.startswith(b"run/status\0")]
    return calls, status, loop


@pytest.mark.parametrize("ticks", [1000, 2345])
def test_the_laid_out_loop_calls_and_reports_as_the_measuring_loop(ticks):
    laid_out, status_a, loop_a = _run(0, ticks)
    measured, status_b, loop_b = _run(ticks, ticks)  # ticks recorded: the loop that measures them
    assert laid_out == measured
    assert len(laid_out) == sum(-(-ticks // every) for every in (10, 20, 25, 50))  # 100, 50, 40, 20 Hz
    assert [(s["t_sim_ns"], s["tick"], s["state"]) for s in status_a] == [
        (s["t_sim_ns"], s["tick"], s["state"]) for s in status_b
    ]
    assert len(status_a) == -(-ticks // 100) + 1  # 10 Hz, and the final one
    assert loop_a.tick == loop_b.tick == ticks


def _paused_run(record: int) -> tuple[list, list, int]:
    """Two nodes that tick while paused: one pauses the loop at 300 ms and stops it at 600 ms, the
    other resumes it after five of its paused ticks."""
    calls: list = []
    paused_ticks: list = []
    loop: Loop

    def act(t_sim_ns: int) -> None:
        if t_sim_ns == 300_000_000 and not loop.paused and not paused_ticks:
            loop.pause()
        elif t_sim_ns == 600_000_000:
            loop.stop_requested = True

    def resume_later(t_sim_ns: int) -> None:
        if loop.paused:
            paused_ticks.append(t_sim_ns)
            if len(paused_ticks) == 5:
                loop.resume()

    keeper, other = Probe("keeper", 100.0, calls, act), Probe("other", 50.0, calls, resume_later)
    keeper.runs_while_paused = other.runs_while_paused = True
    loop = Loop([keeper, other], SimClock(), LocalBus(), Drops(), record=record)
    report = loop.run(10_000)
    assert not report.error
    return calls, paused_ticks, report.ticks


def test_the_laid_out_loop_pauses_resumes_and_stops_between_ticks():
    calls, paused_ticks, ticks = _paused_run(0)
    assert (calls, paused_ticks, ticks) == _paused_run(10_000)  # as the loop that measures each tick
    # paused in the tick at 300 ms: simulation time stands still at the next tick's, 310 ms
    assert paused_ticks == [300_000_000] + [310_000_000] * 4
    assert ticks == 610  # stopped after the tick at 600 ms
    assert sorted({t for t, name in calls if name == "keeper"}) == [k * 10_000_000 for k in range(61)]
