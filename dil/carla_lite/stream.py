"""The streaming server: one TCP port, many streams told apart by id.

A client connects, writes the stream id (u32), then reads ``[u32 size][payload]`` messages for as long
as it stays connected. Several clients may read the same stream.
"""

from __future__ import annotations

import itertools
import logging
import socket
import threading

from .layouts import FRAME_SIZE, STREAM_ID, STREAM_ID_SIZE

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 5.0
"""A reader that takes longer than this to accept a message is dropped."""


class StreamServer:
    def __init__(self, host: str, port: int = 0) -> None:
        self._sock = socket.create_server((host, port))
        self.port: int = self._sock.getsockname()[1]
        self._ids = itertools.count(2)  # 1 is the world-state stream
        self._readers: dict[int, list[socket.socket]] = {}
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        """Messages to one reader must not interleave: one sender at a time."""
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

    def drop(self, stream_id: int) -> None:
        """Close a stream's readers (the stream's actor is gone)."""
        with self._lock:
            readers = self._readers.pop(stream_id, [])
        for r in readers:
            r.close()

    def publish(self, stream_id: int, payload: bytes) -> None:
        """Send one message to every reader of ``stream_id``; readers that fail are dropped."""
        if not payload:
            return  # a zero size makes the client reconnect
        with self._lock:
            readers = list(self._readers.get(stream_id, ()))
        if not readers:
            return
        frame = FRAME_SIZE.pack(len(payload))
        with self._send_lock:
            for r in readers:
                try:
                    r.sendall(frame + payload)
                except OSError as exc:
                    log.info("stream %d: dropping a reader (%s)", stream_id, exc)
                    with self._lock:
                        if r in self._readers.get(stream_id, ()):
                            self._readers[stream_id].remove(r)
                    r.close()

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
        with self._lock:
            self._readers.setdefault(stream_id, []).append(conn)
        log.info("stream %d: reader joined", stream_id)
        for callback in self.on_subscribe:
            callback(stream_id)
