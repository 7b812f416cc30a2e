"""The console as a whole: the bus bridge, the web application and uvicorn, started together and
stopped together; runs in the foreground (``dil console``) or in a thread (tests, benchmarks)."""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from dil.bus.transport import Bus

from .app import ConsoleConfig, create_app
from .audit import Audit
from .auth import Access, normal_origin
from .bridge import Bridge
from .catalog import CATALOG

log = logging.getLogger("dil.console")


@dataclass
class ConsoleOptions:
    make_bus: Callable[[], Bus]
    """Makes the console's bus (called once, in the bus thread)."""
    bind: str = "127.0.0.1"
    http_port: int = 8600
    token: str | None = None
    audit: Path = Path("dil-runs/console/audit.jsonl")
    runs_dir: Path = Path("dil-runs")
    catalog_dir: Path = CATALOG
    rate_hz: float = 25.0
    rig: str = "sim_hexapod"
    allow_origins: tuple[str, ...] = ()
    """Origins besides the console's own whose pages may open its feed (``--allow-origin``)."""


class Console:
    """``start`` brings up the bus bridge and the HTTP server (raises if either cannot bind);
    ``url`` is the page's address; ``stop`` ends both."""

    def __init__(self, o: ConsoleOptions) -> None:
        if not 20.0 <= o.rate_hz <= 30.0:
            raise ValueError(f"--rate {o.rate_hz:g}: the display rate must be within 20 to 30 Hz")
        from hil_rigs.config import load_rig

        for origin in o.allow_origins:
            if normal_origin(origin) is None:
                raise ValueError(
                    f"--allow-origin {origin!r}: give scheme://host[:port], e.g. https://rig.lab"
                )
        geometry = load_rig(o.rig).geometry
        self.options = o
        self.access = Access.for_host(o.bind, o.token)
        self._sock = _listen(o.bind, o.http_port)
        self.port = self._sock.getsockname()[1]
        self.audit = Audit(o.audit)
        self.bridge = Bridge(o.make_bus)
        config = ConsoleConfig(
            self.access,
            self.audit,
            runs_dir=o.runs_dir,
            catalog_dir=o.catalog_dir,
            rate_hz=o.rate_hz,
            actuator_range=(geometry.min_length, geometry.max_length),
            bind=o.bind,
            port=self.port,
            allow_origins=tuple(o.allow_origins),
        )
        self.app = create_app(self.bridge, config)
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app, log_level="warning", access_log=False, ws="websockets-sansio", lifespan="on"
            )
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = self.options.bind if ":" not in self.options.bind else f"[{self.options.bind}]"
        return f"http://{host}:{self.port}/"

    def start(self) -> None:
        """In a thread; returns when the server answers."""
        self.bridge.start()
        self._thread = threading.Thread(target=self._serve, name="console-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10.0
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"the console's web server did not start on {self.url}")
            time.sleep(0.01)

    def _serve(self) -> None:
        self._server.run(sockets=[self._sock])

    def run(self) -> None:
        """In the foreground until SIGINT or SIGTERM, however early it comes.

        Our handlers only ask the server to stop, so a signal that lands while the bridge starts,
        before uvicorn takes the signals over, or when uvicorn hands a caught signal back after its
        shutdown, ends the loop cleanly instead of raising inside a lock somewhere.
        """
        with self.stop_on_signals():
            self.bridge.start()
            try:
                self._server.run(sockets=[self._sock])
            finally:
                self.close()

    @contextlib.contextmanager
    def stop_on_signals(self) -> Iterator[None]:
        """SIGINT and SIGTERM set the server's exit flag while inside (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def request_stop(_sig: int, _frame: object) -> None:
            self._server.should_exit = True

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10.0)
        self.close()

    def close(self) -> None:
        self.bridge.stop()
        self.audit.close()
        self._sock.close()


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
    except OSError as e:
        s.close()
        raise OSError(f"cannot serve the console on {host}:{port}: {e.strerror}") from None
    s.listen(64)
    s.set_inheritable(True)
    return s
