from pathlib import Path

import pytest

from dil.bus import Endpoints, ZmqBus
from dil.console.server import Console, ConsoleOptions

from ..ports import port_block

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture
def base_port():
    """A base for the bus's consecutive tcp ports, in blocks of 32 (the bus has 17 addresses)."""
    return port_block()


def make_console(base_port: int, tmp_path: Path, **kw) -> Console:
    o = ConsoleOptions(
        lambda: ZmqBus(Endpoints.default("tcp", port=base_port)),
        http_port=kw.pop("http_port", 0),
        token=kw.pop("token", TOKEN),
        audit=tmp_path / "audit.jsonl",
        runs_dir=tmp_path / "runs",
        **kw,
    )
    c = Console(o)
    c.start()
    return c


@pytest.fixture
def console(base_port, tmp_path):
    c = make_console(base_port, tmp_path)
    yield c
    c.stop()


@pytest.fixture
def bus(base_port):
    """The test's own bus: it plays the runtime and the rig server."""
    b = ZmqBus(Endpoints.default("tcp", port=base_port))
    yield b
    b.close()
