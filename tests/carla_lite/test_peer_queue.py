"""What a local peer has received but not read, from Linux's socket diagnostics, over real loopback
connections; and the synchronous tick's flush, which waits for it."""

from __future__ import annotations

import socket
import struct
import sys
import time

import pytest

from dil.carla_lite import stream
from dil.carla_lite.layouts import FRAME_SIZE, STREAM_ID
from dil.carla_lite.peer_queue import unread_by_peer
from dil.carla_lite.stream import StreamServer

WAIT_S = 20.0
"""Generous: the machine may be loaded [s]."""

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="socket diagnostics are Linux's")


def _pair(family: int, host: str) -> tuple[socket.socket, socket.socket]:
    with socket.create_server((host, 0), family=family) as listener:
        client = socket.create_connection(listener.getsockname()[:2], timeout=WAIT_S)
        server, _ = listener.accept()
    return server, client


def _acknowledged(conn: socket.socket) -> None:
    deadline = time.monotonic() + WAIT_S
    while stream._unacknowledged(conn) > 0:
        assert time.monotonic() < deadline, "the peer's kernel never took the data"
        time.sleep(0.001)


@pytest.mark.parametrize(("family", "host"), [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")])
def test_bytes_the_peer_has_not_read_are_counted_down_as_it_reads(family, host):
    if family == socket.AF_INET6 and not socket.has_ipv6:
        pytest.skip("no IPv6 on this host")
    try:
        server, client = _pair(family, host)
    except OSError as exc:
        pytest.skip(f"no {host} here: {exc}")
    with server, client:
        assert unread_by_peer(server) == 0
        server.sendall(bytes(50_000))
        _acknowledged(server)  # all in the peer's kernel: the sender alone would call it delivered
        assert unread_by_peer(server) == 50_000
        taken = 0
        while taken < 20_000:
            taken += len(client.recv(20_000 - taken))
        assert unread_by_peer(server) == 30_000
        while taken < 50_000:
            taken += len(client.recv(50_000 - taken))
        assert unread_by_peer(server) == 0
        assert unread_by_peer(client) == 0  # and the other way round


def test_no_answer_for_a_socket_without_a_peer():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as lone:
        assert unread_by_peer(lone) is None
    server, client = _pair(socket.AF_INET, "127.0.0.1")
    client.close()
    server.close()
    assert unread_by_peer(server) is None  # closed: no address to look up


def test_a_tick_flush_waits_until_the_local_client_has_read_its_data_not_only_received_it():
    """The client's kernel acknowledges a message long before its program reads it; a state sent in
    between can be taken before that data's callbacks are even queued (the client reads each stream
    on whichever of its threads is free)."""
    server = StreamServer("127.0.0.1")
    server.start()
    try:
        s = server.new_stream()
        server.await_reader(s)
        conn = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_S)
        conn.sendall(STREAM_ID.pack(s))
        deadline = time.monotonic() + WAIT_S
        while not server.has_readers(s):
            assert time.monotonic() < deadline, "the reader never joined"
            time.sleep(0.001)
        body = struct.pack("<QQ", 5, 7) + bytes(10_000)
        server.publish(s, body)
        _acknowledged(server._readers[s][0])
        assert unread_by_peer(server._readers[s][0]) == FRAME_SIZE.size + len(body)
        assert not server.flush_all([s], 0.05)  # received, not read: not flushed
        (size,) = FRAME_SIZE.unpack(conn.recv(FRAME_SIZE.size, socket.MSG_WAITALL))
        assert len(conn.recv(size, socket.MSG_WAITALL)) == size
        assert server.flush_all([s], WAIT_S)
        conn.close()
    finally:
        server.close()
