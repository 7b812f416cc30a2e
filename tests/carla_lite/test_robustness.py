"""Bytes that are not msgpack-RPC on the world port: that connection is closed with one log line,
and the server goes on serving real clients."""

from __future__ import annotations

import random
import socket
import time

from .conftest import synchronous

WAIT_S = 60.0


def _wait_for_line(server, text: str) -> list[str]:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        lines = [line for line in server.log if text in line]
        if lines:
            return lines
        time.sleep(0.02)
    raise TimeoutError(f"no log line with {text!r}:\n" + "".join(server.log))


def test_garbage_on_the_rpc_port_closes_that_connection_only(server):
    rng = random.Random(21)
    garbage = bytes([0xC1]) + bytes(rng.randrange(256) for _ in range(4096))  # 0xc1: never msgpack
    with socket.create_connection((server.host, server.port), timeout=WAIT_S) as s:
        s.sendall(garbage)
        assert s.recv(1) == b""  # the server closed it
    lines = _wait_for_line(server, "not msgpack-RPC")
    assert len(lines) == 1
    world = server.client().get_world()
    with synchronous(world):
        before = world.get_snapshot().frame
        assert world.tick() > before
    assert not any("Traceback" in line for line in server.log), "".join(server.log)
