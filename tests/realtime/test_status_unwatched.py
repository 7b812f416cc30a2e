"""run/status nobody in the process would see is not made, but its sequence goes on: a reader that
subscribes mid-run gets the numbers it would have had, the same messages as a reader from the start."""

from dil.bus import Drops, Inbox, LocalBus, NodeSpec
from dil.bus.messages import RUN_STATUS
from dil.realtime.clock import SimClock
from dil.realtime.loop import Loop


class _LateReader:
    """Subscribes to run/status at ``at_ns`` [ns] and collects what arrives after."""

    def __init__(self, bus: LocalBus, at_ns: int) -> None:
        self.spec = NodeSpec("late-reader")
        self.rate_hz = 100.0
        self.bus, self.at_ns = bus, at_ns
        self.inbox: Inbox | None = None
        self.got: list[dict] = []

    def start(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        if self.inbox is None and t_sim_ns >= self.at_ns:
            self.inbox = Inbox(self.bus.subscriber(RUN_STATUS.topic), Drops())
        while self.inbox is not None and (m := self.inbox.next()) is not None:
            self.got.append(m)

    def stop(self, t_sim_ns: int) -> None:
        self.tick(t_sim_ns)


def _statuses(at_ns: int) -> list[dict]:
    bus = LocalBus()
    reader = _LateReader(bus, at_ns)
    Loop([reader], SimClock(), bus, Drops()).run(max_ticks=2000)
    return reader.got


def test_a_reader_joining_mid_run_sees_the_numbers_it_would_have():
    everything = _statuses(0)
    late = _statuses(1_000_000_000)
    assert [m["seq"] for m in everything] == list(range(len(everything)))
    assert len(everything) >= 20 and 5 < len(late) < len(everything)
    assert late == everything[-len(late) :]


def test_unwatched_status_of_a_simulated_run_is_neither_made_nor_measured(monkeypatch):
    bus = LocalBus()
    loop = Loop([_LateReader(bus, 10**12)], SimClock(), bus, Drops())
    made: list[int] = []
    monkeypatch.setattr(loop._status, "encode", lambda *a: made.append(1) or b"")
    monkeypatch.setattr(loop._window, "compute", lambda: made.append(2))
    loop.run(max_ticks=1000)
    assert made == []  # the last one, after the loop, neither
    assert loop._status.seq >= 10
