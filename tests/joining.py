"""Waiting for a ZeroMQ subscriber to reach its publisher before anything is published.

A PUB socket drops what it sends before a subscriber has joined; a fixed sleep for the join is a
guess that a busy machine loses. :func:`joined` waits for the connection's handshake (read from the
socket's monitor), after which libzmq sends the subscription at once.
"""

import time

JOIN_WAIT_S = 60.0


def joined(sub, timeout_s: float = JOIN_WAIT_S):
    """``sub`` (a :class:`dil.bus.ZmqBus` subscriber) once it is connected to its publisher."""
    end = time.monotonic() + timeout_s
    while not sub.joined():
        assert time.monotonic() < end, f"{sub.topic}: no connection to its publisher in {timeout_s} s"
        time.sleep(0.005)
    return sub
