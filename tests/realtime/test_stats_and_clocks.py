import time

import numpy as np
import pytest

from dil.realtime.clock import Overrun, SimClock, WallClock
from dil.realtime.scheduling import RealtimeRequest, apply
from dil.realtime.stats import S_MAX, S_P50, S_P99, S_P999, Ring, summary_us


@pytest.mark.parametrize("n", [1000, 2000, 5000])
def test_percentiles_are_nearest_rank(n):
    values = np.random.default_rng(n).permutation(np.arange(1, n + 1))  # rank r has value r
    ring = Ring(n)
    for v in values:
        ring.add(int(v))
    s = ring.compute()
    assert (s[S_P50], s[S_P99], s[S_P999], s[S_MAX]) == (n // 2, n * 99 // 100, n * 999 // 1000, n)
    assert summary_us(values)["p99.9_us"] == n * 999 // 1000 / 1e3


def test_ring_keeps_only_the_last_samples():
    ring = Ring(10)
    for v in range(100):
        ring.add(v)
    assert ring.n == 10
    assert ring.compute()[S_MAX] == 99
    assert sorted(ring.samples) == list(range(90, 100))


def test_simulated_clock_never_waits_and_dates_messages_from_its_epoch():
    clock = SimClock(epoch_ns=5)
    clock.start()
    assert clock.wait() == 0
    assert clock.wall_ns(2_000_000) == 2_000_005


def test_wall_clock_paces_ticks_one_step_apart():
    clock = WallClock(step_ns=2_000_000)
    clock.start()
    for i in range(20):
        clock.wait()
        assert time.perf_counter_ns() >= clock.start_perf_ns + i * 2_000_000  # never early


@pytest.mark.parametrize("overrun", list(Overrun))
def test_wall_clock_counts_passed_deadlines(overrun):
    clock = WallClock(step_ns=1_000_000, overrun=overrun)
    clock.start()
    clock.wait()
    time.sleep(0.0035)  # the next deadline was 1 ms away: 2 whole periods pass beyond it (or more)
    before = time.perf_counter_ns()  # the late tick starts after this instant
    late = clock.wait()
    if overrun is Overrun.SKIP:
        assert clock.missed >= 2
        assert late < 1_000_000  # the tick runs in the latest slot, not a stale one
        slot_not_before = before - late  # the slot taken: its start minus its lateness
    else:
        assert clock.missed == 1
        assert late >= 2_000_000
        slot_not_before = before  # stretched: the late tick's start is the new time base
    # the next deadline is one step after the slot just taken: no burst of catch-up ticks. Bounds
    # from instants taken on this thread hold however long the machine keeps it from running.
    clock.wait()
    assert time.perf_counter_ns() >= slot_not_before + 1_000_000


def test_refused_realtime_settings_are_reported_not_raised():
    res = apply(RealtimeRequest(fifo_priority=150, cpus=(4096,), timer_slack_ns=None, switch_interval_s=None))
    assert any("SCHED_FIFO priority 150" in r for r in res.refused)
    assert any("CPU affinity [4096]" in r for r in res.refused)
    assert res.summary() == "normal scheduling"


def test_the_thread_switch_interval_is_shortened_for_the_loop():
    import sys

    before = sys.getswitchinterval()
    try:
        res = apply(RealtimeRequest(timer_slack_ns=None))
        assert sys.getswitchinterval() == pytest.approx(0.0002)
        assert res.applied == ["thread switch interval 200 us"]
    finally:
        sys.setswitchinterval(before)
