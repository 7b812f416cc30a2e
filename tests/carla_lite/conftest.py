"""Each test gets its own ``dil carla-lite`` process on free ports and talks to it with the real client.

The client blocks holding the GIL inside its calls, so the server must be another process. Each server
is a fresh process forked from a zygote that has imported the server's modules once per test worker
(``multiprocessing``'s forkserver): it runs ``dil carla-lite`` (``dil.cli.main``) as the command does,
without paying half a second of imports per test. The README and CLI tests start the command itself.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import zygote

carla = pytest.importorskip("carla")

ROADS = Path(__file__).resolve().parents[2] / "scenarios" / "roads"
READY = re.compile(r"carla-lite listening on ([\d.]+):(\d+)")
START_TIMEOUT_S = 600.0
"""How long a server may take to say it listens [s]: on a cold numba cache the worker's first server
(its zygote's preload) compiles every kernel a server calls first, some 30 s of CPU, several times
that on a loaded 2-core machine. A server that fails ends its output at once and is reported then."""
CLIENT_TIMEOUT_S = 30.0
"""The client's time-out for the tests' calls [s]: no test here is about it, and on a busy 2-core
machine a call that renders a lidar's or a camera's frame took over 5 s."""


_ZYGOTE = multiprocessing.get_context("forkserver")
_ZYGOTE.set_forkserver_preload(zygote.PRELOAD)


class ServerProcess:
    """A server process with the calls of :class:`subprocess.Popen` the tests use."""

    def __init__(self, process: multiprocessing.process.BaseProcess) -> None:
        self._p = process
        self.pid = process.pid

    def poll(self) -> int | None:
        return self._p.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._p.join(timeout)
        if self._p.exitcode is None:
            raise subprocess.TimeoutExpired("dil carla-lite", timeout or 0.0)
        return self._p.exitcode

    def terminate(self) -> None:
        self._p.terminate()

    def kill(self) -> None:
        self._p.kill()

    @property
    def returncode(self) -> int | None:
        return self._p.exitcode


@dataclass
class LiteServer:
    host: str
    port: int
    process: ServerProcess
    log: list[str]

    def client(self) -> carla.Client:
        c = carla.Client(self.host, self.port)
        c.set_timeout(CLIENT_TIMEOUT_S)
        return c

    def readers(self) -> int:
        """Stream readers that joined so far (the server logs each)."""
        return sum("reader joined" in line for line in self.log)

    def wait_for_readers(self, count: int, timeout: float = CLIENT_TIMEOUT_S) -> None:
        """Wait until ``count`` readers joined: a sensor's data flows only once its reader is connected."""
        deadline = time.monotonic() + timeout
        while self.readers() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count} stream readers expected, {self.readers()} joined")
            time.sleep(0.01)


def start_server(*args: str) -> LiteServer:
    read, write = multiprocessing.Pipe(duplex=False)
    proc = _ZYGOTE.Process(target=zygote.carla_lite, args=(write, ["--port", "0", *args]), daemon=True)
    proc.start()
    write.close()
    stream = os.fdopen(os.dup(read.fileno()), "r", errors="replace")
    read.close()
    log: list[str] = []
    found: list[re.Match] = []
    ready = threading.Event()

    def pump() -> None:  # keeps the pipe drained for the whole test
        with stream:
            for line in stream:
                log.append(line)
                m = READY.search(line)
                if m and not found:
                    found.append(m)
                    ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    server = ServerProcess(proc)
    if not ready.wait(START_TIMEOUT_S) or not found:
        server.kill()
        raise RuntimeError("dil carla-lite did not start:\n" + "".join(log))
    return LiteServer(found[0].group(1), int(found[0].group(2)), server, log)


def stop_server(server: LiteServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(5)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(5)


SERVER_LOG_LINES = 400
"""The tail of the server's log a failed test's report shows."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failed test's report holds the tail of its server's log (what the server did while the
    client waited: a time-out's other half)."""
    report = yield
    server = getattr(item, "funcargs", {}).get("server")
    if report.failed and isinstance(server, LiteServer):
        report.sections.append(("carla-lite log", "".join(server.log[-SERVER_LOG_LINES:])))
    return report


STACKS_AFTER_S = 20.0
"""A test still running this long [s] has its server print every thread's stack into its log (``kill
-USR1``; the server serves on): when a client call then times out, the report shows where the server
was. The tests take 1-10 s each on a quiet machine."""


@pytest.fixture
def server() -> Iterator[LiteServer]:
    s = start_server()
    stacks = threading.Timer(STACKS_AFTER_S, _print_stacks, args=(s,))
    stacks.daemon = True
    stacks.start()
    yield s
    stacks.cancel()
    stop_server(s)


def _print_stacks(server: LiteServer) -> None:
    with contextlib.suppress(OSError):
        os.kill(server.process.pid, signal.SIGUSR1)


@pytest.fixture
def client(server: LiteServer) -> carla.Client:
    return server.client()


@contextlib.contextmanager
def synchronous(world: carla.World, delta: float = 0.05) -> Iterator[carla.WorldSettings]:
    """Synchronous mode with a fixed step for the block; asynchronous mode restored after it."""
    settings = world.get_settings()
    settings.synchronous_mode = True
    settings.fixed_delta_seconds = delta
    world.apply_settings(settings)
    try:
        yield settings
    finally:
        settings.synchronous_mode = False
        settings.fixed_delta_seconds = None
        world.apply_settings(settings)


class Collector:
    """A thread-safe list for sensor callbacks (they run on the client's threads)."""

    def __init__(self) -> None:
        self.items: list = []
        self._cond = threading.Condition()

    def __call__(self, item: object) -> None:
        with self._cond:
            self.items.append(item)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = CLIENT_TIMEOUT_S) -> list:
        with self._cond:
            self._cond.wait_for(lambda: len(self.items) >= count, timeout)
            return list(self.items)
