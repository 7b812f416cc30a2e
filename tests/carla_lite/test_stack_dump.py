"""``kill -USR1`` makes a running server print every thread's stack and go on serving (where a
client's call waits, when one hangs)."""

import os
import signal
import time

WAIT_S = 30.0
"""Generous: the machine may be loaded [s]."""


def test_sigusr1_prints_every_threads_stack_and_the_server_serves_on(server, client):
    os.kill(server.process.pid, signal.SIGUSR1)
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and not any("Thread 0x" in line for line in server.log):
        time.sleep(0.05)
    dump = [line for line in server.log if "Thread 0x" in line]
    assert len(dump) >= 2, "".join(server.log[-20:])  # the RPC and stream threads beside the main one
    assert any("dil/carla_lite" in line for line in server.log)
    assert server.process.poll() is None
    assert client.get_world().get_map().name  # still answering
