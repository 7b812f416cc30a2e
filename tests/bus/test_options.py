"""Where a process joins the bus: the command line's bus options read into typed :class:`BusOptions`,
and the buses they open meet over real sockets (CURVE keys per topic included)."""

import argparse
import time
from pathlib import Path

from dil.arguments import add_bus_arguments, bus_options
from dil.bus import SCHEMAS, Drops, Encoder, Inbox, LocalBus, ZmqBus
from dil.bus.curve import generate
from dil.bus.options import BusOptions

from .samples import sample


def _options(*argv: str, local: bool = True) -> BusOptions:
    p = argparse.ArgumentParser()
    add_bus_arguments(p, local=local)
    return bus_options(p.parse_args(list(argv)))


def test_the_defaults_and_every_option_reach_the_typed_options(tmp_path):
    assert _options() == BusOptions()
    o = _options(
        *("--bus", "ipc", "--host", "10.0.0.2", "--port", "7000", "--ipc-dir", str(tmp_path)),
        *("--curve-secret", "me.key_secret", "--curve-authorized", "allowed"),
        *("--curve-server-key", "a.key", "--curve-server-key", "rig/command=b.key"),
    )
    assert o == BusOptions(
        "ipc",
        "10.0.0.2",
        7000,
        tmp_path,
        Path("me.key_secret"),
        ((None, Path("a.key")), ("rig/command", Path("b.key"))),
        Path("allowed"),
    )


def test_local_opens_an_in_process_bus():
    bus = _options("--bus", "local").open()
    try:
        assert isinstance(bus, LocalBus)
    finally:
        bus.close()


def test_a_per_topic_server_key_wins_over_the_default_one(tmp_path, base_port):
    keys, allowed = tmp_path / "keys", tmp_path / "allowed"
    _, server_secret = generate(keys, "runtime")
    client_public, client_secret = generate(keys, "rig")
    wrong_public, _ = generate(keys, "other")
    allowed.mkdir()
    (allowed / "rig.key").write_bytes(client_public.read_bytes())
    port = ("--port", str(base_port))
    server = _options(*port, "--curve-secret", str(server_secret), "--curve-authorized", str(allowed)).open()
    # the default server key is the wrong one: only rig/command's own key lets the client in
    client = _options(
        *port,
        *("--curve-secret", str(client_secret), "--curve-server-key", str(wrong_public)),
        *("--curve-server-key", f"rig/command={keys / 'runtime.key'}"),
    ).open()
    try:
        assert isinstance(server, ZmqBus) and isinstance(client, ZmqBus)
        pub, sub = server.publisher("rig/command"), client.subscriber("rig/command")
        enc = Encoder(SCHEMAS["rig/command"], "runtime")
        inbox = Inbox(sub, Drops())
        end = time.monotonic() + 20.0  # PUB/SUB joins asynchronously: publish until one arrives
        got = None
        while got is None and time.monotonic() < end:
            pub.send(enc.encode(0, 0, sample(SCHEMAS["rig/command"])))
            got = inbox.next(50)
        assert got is not None, "the client never received rig/command over CURVE"
    finally:
        client.close()
        server.close()
