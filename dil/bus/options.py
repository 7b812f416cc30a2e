"""Where a process joins the bus: the transport, its addresses and CURVE keys, as typed options.

The command line's ``--bus``, ``--host``, ``--port``, ``--ipc-dir`` and ``--curve-*`` options are read
into :class:`BusOptions` by :mod:`dil.arguments`; the bus package itself parses no arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .curve import Curve
from .transport import Bus, LocalBus
from .zmq_bus import Endpoints, ZmqBus

Transport = Literal["tcp", "ipc", "local"]


@dataclass(frozen=True)
class BusOptions:
    """The bus a process joins: ZeroMQ over tcp or ipc, or ``local`` (in-process, this process only)."""

    transport: Transport = "tcp"
    host: str = "127.0.0.1"
    """The tcp host of every topic."""
    port: int = 5600
    """The first tcp port; topics take consecutive ports."""
    ipc_dir: Path = Path("/tmp/dil")
    """The directory of the ipc sockets."""
    curve_secret: Path | None = None
    """CURVE: this process's ``.key_secret`` file; None: no encryption."""
    curve_server_keys: tuple[tuple[str | None, Path], ...] = ()
    """CURVE: (topic or service, public key file) of the servers to connect to; topic None: every one."""
    curve_authorized: Path | None = None
    """CURVE: the directory of client public keys allowed in."""

    def open(self, io_priority: int | None = None) -> Bus:
        """The bus these options describe (``io_priority``: see :class:`ZmqBus`)."""
        if self.transport == "local":
            return LocalBus()
        curve = None
        if self.curve_secret is not None:
            defaults = [path for topic, path in self.curve_server_keys if topic is None]
            default = defaults[-1] if defaults else None  # the last one given counts
            per_topic = tuple((topic, path) for topic, path in self.curve_server_keys if topic is not None)
            curve = Curve(self.curve_secret, default, self.curve_authorized, per_topic)
        endpoints = Endpoints.default(self.transport, host=self.host, port=self.port, directory=self.ipc_dir)
        return ZmqBus(endpoints, curve=curve, io_priority=io_priority)
