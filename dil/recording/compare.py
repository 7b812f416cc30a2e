"""Comparing two logs message by message: the first divergence, named by topic, time and field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgpack

from .fast import fast_records

IGNORED = frozenset(("t_wall_ns", "source"))
"""Header fields that describe the host, not the simulation."""


@dataclass(frozen=True)
class Divergence:
    topic: str
    index: int
    """Position of the message within its topic."""
    t_ns: int
    field: str
    recorded: object
    replayed: object

    def __str__(self) -> str:
        return (
            f"first divergence: {self.topic} message {self.index} at t = {self.t_ns / 1e9:.3f} s, field "
            f"{self.field}: recorded {self.recorded!r}, re-simulated {self.replayed!r}"
        )


def first_divergence(
    recorded: Path, replayed: Path, topics: tuple[str, ...], *, cut: bool = False
) -> tuple[Divergence | None, int]:
    """The first message of ``topics`` that differs (bit for bit in every field but the host's), and how
    many messages were compared. ``cut``: the recorded log was cut short, so only the messages both
    logs hold are compared (a shorter topic is not a divergence)."""

    def stream(path: Path) -> dict[str, list]:
        out: dict[str, list] = {t: [] for t in topics}
        for topic, log_time, data in fast_records(path):
            if topic in out:
                out[topic].append((log_time, bytes(data)))
        return out

    a, b = stream(recorded), stream(replayed)
    compared = 0
    first: Divergence | None = None
    for topic in topics:
        for i, ((ta, da), (tb, db)) in enumerate(zip(a[topic], b[topic], strict=False)):
            compared += 1
            if da == db and ta == tb:
                continue
            ma, mb = msgpack.unpackb(da), msgpack.unpackb(db)
            for key in ma:
                if key in IGNORED:
                    continue
                if repr(ma.get(key)) != repr(mb.get(key)):  # repr tells every float apart, -0.0 too
                    d = Divergence(topic, i, ta, key, ma.get(key), mb.get(key))
                    if first is None or d.t_ns < first.t_ns:
                        first = d
                    break
            else:
                if ta != tb:
                    d = Divergence(topic, i, ta, "log_time", ta, tb)
                    if first is None or d.t_ns < first.t_ns:
                        first = d
                continue
            break
        if len(a[topic]) != len(b[topic]) and first is None and not cut:
            n = min(len(a[topic]), len(b[topic]))
            longer = a[topic] if len(a[topic]) > len(b[topic]) else b[topic]
            first = Divergence(topic, n, longer[n][0], "message count", len(a[topic]), len(b[topic]))
    return first, compared
