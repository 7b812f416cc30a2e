"""Late ticks are logged as summaries with counts, not once a second: at once when lateness gets
worse (the first late tick, the first missed deadline), otherwise at most every ``late_log_s``."""

import logging
import re
import time

from dil.bus import Drops, LocalBus, NodeSpec
from dil.realtime.clock import WallClock
from dil.realtime.loop import Loop

LINE = re.compile(r"(\d+) late ticks \(> 100 us\) and (\d+) missed deadlines in the last")
TOTALS = re.compile(
    r"(\d+) late ticks \(> 100 us\) and (\d+) missed deadlines in the last .*"
    r"\((\d+) late and (\d+) missed since the start\)"
)


class _Hiccups:
    """Sleeps ``seconds`` every ``every`` ticks, and once ``stall_s`` at tick ``stall_at``."""

    rate_hz = 1000.0

    def __init__(self, every: int, seconds: float, stall_at: int = -1, stall_s: float = 0.0) -> None:
        self.spec = NodeSpec("hiccups")
        self.every, self.seconds, self.stall_at, self.stall_s = every, seconds, stall_at, stall_s
        self.k = 0

    def start(self, t):
        pass

    def tick(self, t):
        self.k += 1
        if self.k % self.every == 0:
            time.sleep(self.seconds)
        if self.k == self.stall_at:
            time.sleep(self.stall_s)

    def stop(self, t):
        pass


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "dil.loop" and r.levelno == logging.WARNING]


def test_late_ticks_every_100_ms_for_3_s_give_at_most_two_lines(caplog):
    caplog.set_level(logging.WARNING, logger="dil.loop")
    loop = Loop([_Hiccups(100, 0.0004, 1500, 0.006)], WallClock(), LocalBus(), Drops(), publish_status=False)
    report = loop.run(3000)
    # late every 100 ms, and one stall (on a loaded machine a hiccup may miss a deadline instead)
    assert report.late_ticks + report.missed_ticks >= 10 and report.missed_ticks >= 1
    lines = _lines(caplog)
    # the first late tick and the first missed deadline; not one line a second
    assert 1 <= len(lines) <= 2, lines
    assert all(LINE.search(line) for line in lines), lines


def test_summaries_count_every_late_tick_once(caplog):
    caplog.set_level(logging.WARNING, logger="dil.loop")
    hiccups = _Hiccups(100, 0.0004)
    loop = Loop([hiccups], WallClock(), LocalBus(), Drops(), publish_status=False, late_log_s=0.5)
    report = loop.run(3000)
    lines = _lines(caplog)
    assert len(lines) >= 3, lines  # a summary every half second while ticks keep coming late
    counted = [TOTALS.search(line) for line in lines]
    assert all(counted), lines
    # each line counts the late ticks and missed deadlines since the one before: none twice, none lost
    # (on a busy machine many ticks come late; the ones after the last line are in the report only)
    late_before = missed_before = 0
    for m in counted:
        late, missed, late_total, missed_total = (int(g) for g in m.groups())
        assert (late, missed) == (late_total - late_before, missed_total - missed_before), lines
        late_before, missed_before = late_total, missed_total
    assert late_before <= report.late_ticks and missed_before <= report.missed_ticks
    assert late_before + missed_before >= 10  # the hiccups every 100 ms were counted
