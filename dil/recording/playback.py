"""Playing a log back on the bus: every message republished on its own topic, at the recorded pace
(or faster), the bytes exactly as recorded."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from dil.bus.transport import Bus, Publisher

from .reader import records

JOIN_S = 0.2
"""How long a new publisher waits for subscribers to join before its first message [s], unless it
is told how many to wait for."""
JOIN_TIMEOUT_S = 60.0
"""How long a publisher waits for the subscribers it was told of [s]."""
DRAIN_S = 30.0
"""How long the end of a log may still take to reach the connected subscribers once it is played
(:meth:`dil.bus.transport.Bus.close`) [s]: a subscriber on a busy machine can be thousands of
messages behind when the player is done, and closing at once would drop them."""


class JoinError(RuntimeError):
    """Fewer subscribers joined a topic than the player was told to wait for."""


@dataclass(frozen=True)
class Playback:
    """What a playback did: how many messages it sent, in how long, and whether it was stopped."""

    messages: int
    wall_s: float
    """Wall time from the first message to the end [s]."""
    interrupted: bool = False


def play_back(
    log: Path,
    bus: Bus,
    *,
    speed: float = 1.0,
    topics: Collection[str] | None = None,
    subscribers: int = 0,
    join_timeout_s: float = JOIN_TIMEOUT_S,
) -> Playback:
    """Republish ``log``'s messages on ``bus`` (only ``topics``, when given). ``speed``: the pace
    relative to the recorded one (2.0 twice as fast; 0 as fast as possible), kept from each topic's
    first message on (a publisher's wait for its subscribers is not played). ``subscribers``: how
    many subscribers each topic waits for before its first message (a :class:`dil.bus.ZmqBus`; 0:
    :data:`JOIN_S` of grace instead), at most ``join_timeout_s``, else :class:`JoinError`. Ctrl-C
    stops it early (``interrupted``). Raises :class:`dil.recording.reader.LogError` for a log that
    cannot be read."""
    pubs: dict[str, Publisher] = {}
    n = 0
    t0_wall = time.perf_counter()
    t0_log: int | None = None
    interrupted = False
    try:
        for topic, m in records(log):
            if topics and topic not in topics:
                continue
            if t0_log is None:
                t0_log = m.log_time
            if speed > 0:
                delay = t0_wall + (m.log_time - t0_log) * 1e-9 / speed - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)  # pacing against the wall clock, not synchronisation
            pub = pubs.get(topic)
            if pub is None:
                waited = time.perf_counter()
                pub = pubs[topic] = _joined_publisher(bus, topic, subscribers, join_timeout_s)
                t0_wall += time.perf_counter() - waited  # the pace goes on from here
            pub.send(topic.encode() + b"\0" + bytes(m.data))
            n += 1
    except KeyboardInterrupt:
        interrupted = True
    return Playback(n, time.perf_counter() - t0_wall, interrupted)


def _joined_publisher(bus: Bus, topic: str, subscribers: int, timeout_s: float) -> Publisher:
    """``topic``'s publisher once its subscribers joined: ZeroMQ drops what a publisher sends before
    a subscriber has joined."""
    if subscribers <= 0:
        pub = bus.publisher(topic)
        time.sleep(JOIN_S)  # a grace for subscribers not counted
        return pub
    announced = getattr(bus, "announced_publisher", None)
    if announced is None:
        raise ValueError(f"{type(bus).__name__} cannot count the subscribers of {topic}")
    pub = announced(topic)
    joined = pub.wait_subscribers(subscribers, timeout_s)
    if joined < subscribers:
        raise JoinError(f"{topic}: {joined} of {subscribers} subscribers joined in {timeout_s:g} s")
    return pub
