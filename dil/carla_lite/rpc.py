"""msgpack-RPC over TCP as rpclib speaks it: a thread per connection, requests answered in order.

Request ``[0, msgid, method, params]``, response ``[1, msgid, error, result]``, notification
``[2, method, params]``. The CARLA layer (the handler) wraps results in ``Response<T>`` itself.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import msgpack

log = logging.getLogger(__name__)

REQUEST = 0
RESPONSE = 1
NOTIFICATION = 2

Handler = Callable[[str, list], Any]
"""``(method, params) -> result``: the result is packed as is; an exception answers as an rpc error."""

RECV_SIZE = 1 << 16
MAX_BUFFER = 1 << 30
"""Largest request kept while it arrives [bytes]."""


class RpcServer:
    """Accepts clients on ``(host, port)`` and answers each request with ``handler``."""

    def __init__(self, host: str, port: int, handler: Handler) -> None:
        self.handler = handler
        self._sock = socket.create_server((host, port), reuse_port=False)
        self.port = self._sock.getsockname()[1]
        self._closed = threading.Event()
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="carla-lite-rpc", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._sock.close()
        with self._lock:
            for c in list(self._conns):
                _close(c)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, addr = self._sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conns.add(conn)
            log.debug("rpc client %s connected", addr)
            threading.Thread(
                target=self._serve, args=(conn,), name="carla-lite-rpc-conn", daemon=True
            ).start()

    def _serve(self, conn: socket.socket) -> None:
        """Answer one connection's requests until it closes; bytes that are not msgpack-RPC close it
        with one log line (the server goes on serving the others)."""
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=MAX_BUFFER)
        try:
            while not self._closed.is_set():
                data = conn.recv(RECV_SIZE)
                if not data:
                    return
                unpacker.feed(data)
                for msg in unpacker:
                    reply = self._answer(msg)
                    if reply is not None:
                        conn.sendall(reply)
        except OSError:
            return
        except (ValueError, msgpack.UnpackException) as exc:  # FormatError, StackError, BufferFull
            log.warning("rpc: closing a connection that sent bytes that are not msgpack-RPC (%s)", exc)
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            _close(conn)

    def _answer(self, msg: Any) -> bytes | None:
        if not isinstance(msg, list) or not msg:
            log.warning("ignoring a malformed rpc message")
            return None
        if msg[0] == NOTIFICATION and len(msg) == 3:
            try:
                self._call(msg[1], msg[2])
            except Exception as exc:  # a notification has no reply to carry the error
                log.warning("rpc notification %s failed: %s", msg[1], exc)
            return None
        if msg[0] != REQUEST or len(msg) != 4:
            log.warning("ignoring a malformed rpc message")
            return None
        _, msgid, method, params = msg
        try:
            result = self._call(method, params)
        except (ValueError, LookupError, TypeError) as exc:  # bad input: one line, no traceback
            log.warning("rpc %s refused: %s", method, exc)
            return msgpack.packb([RESPONSE, msgid, f"{method}: {exc}", None], use_bin_type=True)
        except Exception as exc:  # the client gets an rpc error, the server keeps serving
            log.exception("rpc %s failed", method)
            return msgpack.packb([RESPONSE, msgid, f"{method}: {exc}", None], use_bin_type=True)
        return msgpack.packb([RESPONSE, msgid, None, result], use_bin_type=True)

    def _call(self, method: str, params: list) -> Any:
        return self.handler(str(method), list(params) if isinstance(params, list | tuple) else [params])


def _close(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)
    conn.close()
