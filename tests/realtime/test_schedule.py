"""The loop's schedule: nodes of several rates tick at exactly their times and in the order given,
whether the due nodes come from the schedule laid out over the hyperperiod or are found tick by tick
(a hyperperiod too long to lay out), with the simulated clock's stride or the wall clock's every tick."""

import pytest

from dil.bus import Drops, LocalBus, NodeSpec
from dil.realtime import loop as loop_module
from dil.realtime.clock import SimClock
from dil.realtime.loop import Loop


class _Counter:
    def __init__(self, name: str, rate_hz: float, log: list[tuple[int, str]]) -> None:
        self.spec = NodeSpec(name)
        self.rate_hz = rate_hz
        self._log = log

    def start(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        self._log.append((t_sim_ns, self.spec.name))

    def stop(self, t_sim_ns: int) -> None:
        pass


RATES = {"fast": 250.0, "mid": 100.0, "slow": 40.0, "rare": 8.0}
"""Periods of 4, 10, 25 and 125 steps: every step is looked at (stride 1)."""
STRIDED = {"a": 100.0, "b": 50.0, "c": 20.0}
"""Periods of 10, 20 and 50 steps: the simulated clock steps 10 at a time."""


def _run(rates: dict[str, float], ticks: int) -> list[tuple[int, str]]:
    log: list[tuple[int, str]] = []
    nodes = [_Counter(name, rate, log) for name, rate in rates.items()]
    bus = LocalBus()
    report = Loop(nodes, SimClock(), bus, Drops(), publish_status=False).run(ticks)
    assert report.ticks >= ticks and not report.error
    return log


def _expected(rates: dict[str, float], ticks: int) -> list[tuple[int, str]]:
    out = []
    for k in range(ticks):
        for name, rate in rates.items():
            if k % round(1000 / rate) == 0:
                out.append((k * 1_000_000, name))
    return out


@pytest.mark.parametrize("rates", [RATES, STRIDED])
@pytest.mark.parametrize("plan_slots", [loop_module.PLAN_SLOTS, 1])
def test_nodes_tick_at_their_times_in_order(monkeypatch, plan_slots, rates):
    monkeypatch.setattr(loop_module, "PLAN_SLOTS", plan_slots)
    log = _run(rates, 1000)
    assert log == _expected(rates, 1000)
    slowest = min(rates, key=rates.__getitem__)
    assert sum(1 for _, n in log if n == slowest) == rates[slowest]
