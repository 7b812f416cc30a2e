"""The streaming server over real loopback sockets, with readers that behave as CARLA's client does:
connect, write the stream id, read ``[u32 size][payload]`` messages; close and connect again to
reconnect; keep retrying a stream of a server that is gone."""

from __future__ import annotations

import logging
import queue
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from dil.carla_lite import stream
from dil.carla_lite.layouts import FRAME_SIZE, STREAM_ID, WORLD_STATE_STREAM
from dil.carla_lite.stream import PENDING_MAX, StreamServer

WAIT_S = 20.0
"""Generous: the machine may be loaded [s]."""
TCP_FIN_WAIT2 = 5
"""Linux ``tcp_info.tcpi_state``: our close was acknowledged."""


class Joins:
    """Stream ids of the readers that joined, in order (the server's ``on_subscribe``)."""

    def __init__(self, server: StreamServer) -> None:
        self._q: queue.Queue[int] = queue.Queue()
        server.on_subscribe.append(self._q.put)

    def next(self) -> int:
        return self._q.get(timeout=WAIT_S)


@pytest.fixture
def server() -> Iterator[StreamServer]:
    s = StreamServer("127.0.0.1")
    s.start()
    yield s
    s.close()


def payload(frame: int) -> bytes:
    """A sensor message: u64 sensor type, u64 frame, then a body."""
    return struct.pack("<QQ", 5, frame) + bytes(64)


def reader(port: int, stream_id: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
    conn.sendall(STREAM_ID.pack(stream_id))
    return conn


def read_frame(conn: socket.socket) -> int:
    (size,) = FRAME_SIZE.unpack(_read(conn, FRAME_SIZE.size))
    return struct.unpack_from("<Q", _read(conn, size), 8)[0]


def _read(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        assert chunk, "the server closed the stream"
        data += chunk
    return data


def close(conn: socket.socket) -> None:
    """Close a reader as CARLA's client does, once the server's end has taken the close in (the
    server's kernel acknowledged our FIN: TCP_FIN_WAIT2), so that a loaded machine cannot deliver it
    after the test's next step."""
    conn.shutdown(socket.SHUT_WR)
    deadline = _deadline()
    while conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] != TCP_FIN_WAIT2:
        assert time.monotonic() < deadline, "the server never took the close in"
        time.sleep(0.001)
    conn.close()


def nothing_to_read(conn: socket.socket) -> bool:
    return not select.select([conn], [], [], 0)[0]


def test_the_first_reader_gets_the_messages_published_before_it_joined(server):
    joins = Joins(server)
    s = server.new_stream()
    server.await_reader(s)
    for frame in (1, 2):
        server.publish(s, payload(frame))
    r = reader(server.port, s)
    assert joins.next() == s
    server.publish(s, payload(3))
    assert [read_frame(r) for _ in range(3)] == [1, 2, 3]
    r.close()


def test_a_stream_stays_wanted_while_its_reader_joins(server):
    """The server renders a sensor on a step only if its stream is wanted; a step taken while the
    reader's kept messages are still being sent must not find it unwanted (that frame was never
    made: the queue-per-sensor pattern then waited for ever)."""
    joins = Joins(server)
    s = server.new_stream()
    server.await_reader(s)
    big = 4 << 20  # bytes: more than loopback's buffers take while the reader does not read
    for frame in (1, 2, 3, 4):
        server.publish(s, payload(frame) + bytes(big))
    conn = socket.socket()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    conn.settimeout(WAIT_S)
    conn.connect(("127.0.0.1", server.port))
    conn.sendall(STREAM_ID.pack(s))
    assert len(conn.recv(FRAME_SIZE.size, socket.MSG_PEEK | socket.MSG_WAITALL)) == FRAME_SIZE.size
    assert server.wanted(s)  # the join is under way: its kept messages are being sent
    frames = []
    for _ in range(4):
        (size,) = FRAME_SIZE.unpack(_read(conn, FRAME_SIZE.size))
        frames.append(struct.unpack_from("<Q", _read(conn, size), 8)[0])
    assert frames == [1, 2, 3, 4]
    assert joins.next() == s
    assert server.wanted(s)
    conn.close()


def test_a_reader_that_went_away_loses_no_message_to_its_replacement(server, caplog):
    """CARLA's client reconnects a stream by closing its socket and connecting again; messages
    published in between must reach the new connection, not the closed one."""
    joins = Joins(server)
    s = server.new_stream()
    server.await_reader(s)
    first = reader(server.port, s)
    assert joins.next() == s
    server.publish(s, payload(1))
    assert read_frame(first) == 1
    close(first)
    with caplog.at_level(logging.INFO, logger=stream.__name__):
        for frame in (2, 3):
            server.publish(s, payload(frame))
    assert server.wanted(s)  # a replacement is awaited
    second = reader(server.port, s)
    assert joins.next() == s
    server.publish(s, payload(4))
    assert [read_frame(second) for _ in range(3)] == [2, 3, 4]
    assert server.readers_lost == 1
    assert f"stream {s}: reader gone at frame 2" in caplog.text
    second.close()


def test_a_reader_reset_mid_stream_is_a_warning_and_its_replacement_gets_what_it_missed(server, caplog):
    joins = Joins(server)
    s = server.new_stream()
    server.await_reader(s)
    first = reader(server.port, s)
    assert joins.next() == s
    first.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    first.close()  # a reset, not an orderly close: the server's send fails
    frame = 0
    deadline = _deadline()
    with caplog.at_level(logging.WARNING, logger=stream.__name__):
        while not server.readers_lost:  # sent before the reset arrived: gone with the connection
            assert time.monotonic() < deadline, "the reset reader was never dropped"
            frame += 1
            server.publish(s, payload(frame))
    assert any(
        r.levelno == logging.WARNING and f"stream {s}: reader gone at frame {frame}" in r.getMessage()
        for r in caplog.records
    )
    second = reader(server.port, s)
    assert joins.next() == s
    assert read_frame(second) == frame
    second.close()


def test_a_stream_whose_reader_never_comes_back_stops_being_wanted(server, monkeypatch):
    monkeypatch.setattr(stream, "REJOIN_WAIT_S", 0.05)
    joins = Joins(server)
    s = server.new_stream()
    server.await_reader(s)
    r = reader(server.port, s)
    assert joins.next() == s
    close(r)
    server.publish(s, payload(1))
    assert server.readers_lost == 1
    wanted = server.wanted(s)
    deadline = _deadline()
    while wanted and time.monotonic() < deadline:
        wanted = server.wanted(s)
    assert not wanted  # its sensor costs nothing again


def test_a_reader_slower_than_the_kept_messages_gets_the_newest_and_the_loss_is_told(server, caplog):
    joins = Joins(server)
    s = server.new_stream()
    server.await_reader(s)
    extra = 4
    with caplog.at_level(logging.WARNING, logger=stream.__name__):
        for frame in range(1, PENDING_MAX + extra + 1):
            server.publish(s, payload(frame))
    assert server.evicted == extra
    assert caplog.text.count(f"stream {s}: no reader yet") == 1  # once per wait, not per message
    assert "frame 1 dropped" in caplog.text
    r = reader(server.port, s)
    assert joins.next() == s
    assert [read_frame(r) for _ in range(PENDING_MAX)] == list(range(extra + 1, PENDING_MAX + extra + 1))
    r.close()


def test_a_client_of_an_earlier_server_on_the_same_port_takes_nothing(caplog):
    """A client keeps reconnecting the streams of a server that is gone; a new server on that port
    must not hand it the kept messages of its own stream that happens to have the same id."""
    earlier = StreamServer("127.0.0.1")
    port, old_id = earlier.port, earlier.new_stream()
    earlier.close()
    server = StreamServer("127.0.0.1", port)
    server.start()
    try:
        joins = Joins(server)
        s = server.new_stream()
        server.await_reader(s)
        server.publish(s, payload(1))
        with caplog.at_level(logging.WARNING, logger=stream.__name__):
            stale = reader(port, old_id)
            deadline = _deadline()
            while f"stream {old_id}: not a stream of this server" not in caplog.text:
                assert time.monotonic() < deadline, "the stale connection was not turned away"
                stale.settimeout(0.01)
                with pytest.raises(TimeoutError):
                    stale.recv(1)
        r = reader(port, s)
        assert joins.next() == s
        server.publish(s, payload(2))
        assert [read_frame(r) for _ in range(2)] == [1, 2]
        assert nothing_to_read(stale)
        stale.close()
        r.close()
    finally:
        server.close()


def _deadline() -> float:
    return time.monotonic() + WAIT_S


def test_the_world_state_is_not_kept_for_a_reader_that_went_away(server):
    """A new world-state reader is sent the current state when it joins; older ones would be stale."""
    joins = Joins(server)
    r = reader(server.port, WORLD_STATE_STREAM)
    assert joins.next() == WORLD_STATE_STREAM
    close(r)
    server.publish(WORLD_STATE_STREAM, payload(1))
    assert server.readers_lost == 1
    assert not server.wanted(WORLD_STATE_STREAM)


def test_a_reader_of_a_destroyed_sensor_is_held_idle_without_a_warning(server, caplog):
    """``apply_batch([DestroyActor(sensor)])`` does not stop the client's stream: the server closes
    it and the client reconnects at once; held open, it does not retry in a loop."""
    joins = Joins(server)
    s = server.new_stream()
    server.await_reader(s)
    r = reader(server.port, s)
    assert joins.next() == s
    with caplog.at_level(logging.INFO, logger=stream.__name__):
        server.drop(s)
        assert r.recv(1) == b""  # closed by the server
        again = reader(server.port, s)
        deadline = _deadline()
        while f"stream {s}: a reader for a destroyed sensor" not in caplog.text:
            assert time.monotonic() < deadline, "the reconnect was not seen"
            again.settimeout(0.01)
            with pytest.raises(TimeoutError):
                again.recv(1)  # held open: no end of file
    assert not [rec for rec in caplog.records if rec.levelno >= logging.WARNING]
    server.publish(s, payload(1))
    assert nothing_to_read(again)
    again.close()


def test_a_tick_waits_for_sensor_data_that_a_loaded_client_takes_late(server):
    """Synchronous mode's wait for a tick's sensor data (the server's ``SENSOR_FLUSH_S``) outlasts a
    client that takes its data a second late, as one on a loaded machine does: the state would
    otherwise go out while the data still flow (a client holding the GIL for the state then never
    gets it). A reader with a small receive buffer leaves most of a large message unacknowledged."""
    from dil.carla_lite.server import SENSOR_FLUSH_S

    joins = Joins(server)
    s = server.new_stream()
    server.await_reader(s)
    conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: the window
    conn.settimeout(WAIT_S)
    conn.connect(("127.0.0.1", server.port))
    conn.sendall(STREAM_ID.pack(s))
    assert joins.next() == s
    for r in server._readers[s]:
        r.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)  # the whole message fits: sent at once
    message = struct.pack("<QQ", 5, 7) + bytes(1 << 20)
    server.publish(s, message)
    assert stream._unacknowledged(server._readers[s][0]) > 0  # the client has not taken it all
    late = 1.0
    taken: queue.Queue[int] = queue.Queue()

    def take_late() -> None:
        time.sleep(late)
        taken.put(read_frame(conn))

    threading.Thread(target=take_late, daemon=True).start()
    t0 = time.monotonic()
    assert server.flush_all([s], SENSOR_FLUSH_S), "the state would go out before the data were taken"
    assert time.monotonic() - t0 >= late * 0.9
    assert taken.get(timeout=WAIT_S) == 7
    conn.close()


def test_a_synchronous_tick_waits_for_the_reader_of_a_token_just_handed_out(server, monkeypatch):
    """``sensor.listen()`` asks the token, then the client connects on its own threads: a synchronous
    tick waits for that reader (the frames it renders then reach it, even if the sensor is destroyed
    right after), and does not wait where every asked stream has its reader."""
    monkeypatch.setattr(stream, "JOIN_WAIT_S", 10 * WAIT_S)  # never given up on here, however loaded
    stream_id = server.new_stream()
    server.await_reader(stream_id)
    returned = threading.Event()
    result: list[bool] = []

    def tick() -> None:
        result.append(server.wait_for_joins(WAIT_S))
        returned.set()

    ticking = threading.Thread(target=tick)
    ticking.start()
    assert not returned.wait(0.2)  # no reader yet: the tick waits
    conn = reader(server.port, stream_id)
    assert returned.wait(WAIT_S) and result == [True]
    ticking.join()
    assert server.has_readers(stream_id)
    server.publish(stream_id, payload(7))
    server.drop(stream_id)  # destroyed at once: the frame was the reader's already
    assert read_frame(conn) == 7
    assert server.wait_for_joins(0.0)  # nothing asked and not joined: no wait
    conn.close()


def test_a_token_whose_reader_never_comes_holds_ticks_up_once_for_at_most_join_wait(server, monkeypatch):
    monkeypatch.setattr(stream, "JOIN_WAIT_S", 0.3)
    stream_id = server.new_stream()
    server.await_reader(stream_id)
    t0 = time.monotonic()
    assert server.wait_for_joins(WAIT_S)  # given up on after JOIN_WAIT_S: nobody is left waited for
    assert time.monotonic() - t0 >= 0.3
    assert server.wait_for_joins(0.0)  # the next tick does not wait for it again
