"""The streaming server: one TCP port, many streams told apart by id.

A client connects, writes the stream id (u32), then reads ``[u32 size][payload]`` messages for as long
as it stays connected. Several clients may read the same stream.

The client asks for a stream's token (``get_sensor_token``) and connects a moment later, so messages
published in between would be lost (``sensor.listen()`` then ``world.tick()``: the first frame).
A stream whose token was asked for is *awaited*: its messages are kept (at most ``PENDING_MAX``,
the oldest dropped first) and sent to the first reader that joins, before anything newer. A stream
that still has readers is awaited too: after ``sensor.stop()`` the client's old connection may look
alive until a send to it fails, and ``listen()`` again must not lose its first frame to it.
"""

from __future__ import annotations

import fcntl
import itertools
import logging
import socket
import struct
import termios
import threading
import time
from collections import deque

from .layouts import FRAME_SIZE, STREAM_ID, STREAM_ID_SIZE

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 5.0
"""A reader that takes longer than this to accept a message is dropped."""
FLUSH_POLL_S = 0.0005
"""How often :meth:`StreamServer.flush` looks at a socket's send queue [s]."""
PENDING_MAX = 16
"""Messages kept for an awaited stream until its reader joins."""


class StreamServer:
    def __init__(self, host: str, port: int = 0) -> None:
        self._sock = socket.create_server((host, port))
        self.port: int = self._sock.getsockname()[1]
        self._ids = itertools.count(2)  # 1 is the world-state stream
        self._readers: dict[int, list[socket.socket]] = {}
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        """Messages to one reader must not interleave: one sender at a time (taken before ``_lock``)."""
        self._pending: dict[int, deque[bytes]] = {}
        """Awaited streams (a token was handed out, no reader yet): their messages so far."""
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="carla-lite-stream", daemon=True)
        self.on_subscribe: list = []
        """Callables ``(stream_id)`` run when a reader joins a stream (e.g. to send it a first message)."""

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._sock.close()
        with self._lock:
            for readers in self._readers.values():
                for r in readers:
                    r.close()
            self._readers.clear()

    def new_stream(self) -> int:
        return next(self._ids)

    def has_readers(self, stream_id: int) -> bool:
        with self._lock:
            return bool(self._readers.get(stream_id))

    def await_reader(self, stream_id: int) -> None:
        """A client was given the stream's token: keep its messages until a reader joins."""
        with self._lock:
            self._pending.setdefault(stream_id, deque(maxlen=PENDING_MAX))

    def wanted(self, stream_id: int) -> bool:
        """Someone reads the stream or is about to."""
        with self._lock:
            return bool(self._readers.get(stream_id)) or stream_id in self._pending

    def drop(self, stream_id: int) -> None:
        """Close a stream's readers (the stream's actor is gone)."""
        with self._lock:
            readers = self._readers.pop(stream_id, [])
            self._pending.pop(stream_id, None)
        for r in readers:
            r.close()

    def publish(self, stream_id: int, payload: bytes) -> None:
        """Send one message to every reader of ``stream_id``; readers that fail are dropped."""
        if not payload:
            return  # a zero size makes the client reconnect
        message = FRAME_SIZE.pack(len(payload)) + payload
        with self._send_lock:
            with self._lock:
                readers = list(self._readers.get(stream_id, ()))
                if stream_id in self._pending:
                    self._pending[stream_id].append(message)
            for r in readers:
                self._send(stream_id, r, message)

    def flush(self, stream_id: int, timeout: float) -> bool:
        """Wait until every reader of ``stream_id`` has acknowledged all it was sent (the messages are
        in the client's hands), at most ``timeout`` [s]; True when they all did."""
        with self._lock:
            readers = list(self._readers.get(stream_id, ()))
        deadline = time.monotonic() + timeout
        for r in readers:
            while _unacknowledged(r) > 0:
                if time.monotonic() > deadline:
                    return False
                time.sleep(FLUSH_POLL_S)
        return True

    def flush_all(self, stream_ids: list[int], timeout: float) -> bool:
        """:meth:`flush` for several streams within one ``timeout`` [s] in all."""
        deadline = time.monotonic() + timeout
        return all(self.flush(i, max(deadline - time.monotonic(), 0.0)) for i in stream_ids)

    def _send(self, stream_id: int, r: socket.socket, message: bytes) -> bool:
        """Send one framed message; a reader that fails is dropped (caller holds ``_send_lock``)."""
        try:
            r.sendall(message)
        except OSError as exc:
            log.info("stream %d: dropping a reader (%s)", stream_id, exc)
            with self._lock:
                if r in self._readers.get(stream_id, ()):
                    self._readers[stream_id].remove(r)
            r.close()
            return False
        return True

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._register, args=(conn,), daemon=True).start()

    def _register(self, conn: socket.socket) -> None:
        conn.settimeout(SEND_TIMEOUT_S)
        try:
            raw = b""
            while len(raw) < STREAM_ID_SIZE:
                chunk = conn.recv(STREAM_ID_SIZE - len(raw))
                if not chunk:
                    conn.close()
                    return
                raw += chunk
        except OSError:
            conn.close()
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        (stream_id,) = STREAM_ID.unpack(raw)
        with self._send_lock:  # no message can slip between the kept ones and the next
            with self._lock:
                kept = self._pending.pop(stream_id, ())
            joined = all(self._send(stream_id, conn, m) for m in kept)
            if joined:
                with self._lock:
                    self._readers.setdefault(stream_id, []).append(conn)
        if not joined:
            return
        log.info("stream %d: reader joined (%d kept messages sent)", stream_id, len(kept))
        for callback in self.on_subscribe:
            callback(stream_id)


def _unacknowledged(conn: socket.socket) -> int:
    """Bytes sent on ``conn`` that the peer has not acknowledged yet (Linux ``SIOCOUTQ``); 0 when the
    socket is gone or the platform cannot tell."""
    try:
        raw = fcntl.ioctl(conn.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (OSError, ValueError):
        return 0
    return struct.unpack("i", raw)[0]
