"""How many bytes a local peer has received on a TCP connection but not yet read.

A sent message that the peer's kernel has acknowledged may still sit in its socket's receive queue:
the client has it, but its program has not taken it. Where the peer is on this host (the usual
carla-lite set-up), Linux's socket diagnostics (``NETLINK_SOCK_DIAG``, what ``ss`` reads) say how much
of it is left: the receive queue of the peer's end, looked up by its four-tuple. Elsewhere (another
host, another network namespace, another OS) there is no answer and callers fall back to what the
sender alone can tell (``SIOCOUTQ``).

Standard library only: the request is two fixed C structs (``linux/inet_diag.h``); a netlink library
would be a dependency for forty lines.
"""

from __future__ import annotations

import socket
import struct

_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST = 1
_NO_COOKIE = 0xFFFFFFFF
_ALL_STATES = 0xFFFFFFFF
_HEADER = struct.Struct("=IHHII")
"""``struct nlmsghdr``: length, type, flags, sequence, port id."""
_REQUEST = struct.Struct("=BBBxI")
"""``struct inet_diag_req_v2`` up to its socket id: family, protocol, extensions, states."""
_SOCKID_TAIL = struct.Struct("=III")
"""``struct inet_diag_sockid`` after the addresses: interface, cookie (two u32)."""
_QUEUES_AT = _HEADER.size + 4 + 48 + 4
"""In the reply: the header, ``inet_diag_msg``'s four bytes and socket id, then ``idiag_expires``;
``idiag_rqueue`` and ``idiag_wqueue`` follow."""
_QUEUES = struct.Struct("=II")


def _address(family: int, host: str) -> bytes:
    raw = socket.inet_pton(family, host)
    return raw + bytes(16 - len(raw))


def unread_by_peer(conn: socket.socket) -> int | None:
    """Bytes in the receive queue of ``conn``'s other end, or None where this host cannot tell."""
    family = conn.family
    if family not in (socket.AF_INET, socket.AF_INET6) or not hasattr(socket, "AF_NETLINK"):
        return None
    try:
        here_host, here_port = conn.getsockname()[:2]
        peer_host, peer_port = conn.getpeername()[:2]
        sockid = (
            struct.pack("!HH", peer_port, here_port)
            + _address(family, peer_host)
            + _address(family, here_host)
            + _SOCKID_TAIL.pack(0, _NO_COOKIE, _NO_COOKIE)
        )
        body = _REQUEST.pack(family, socket.IPPROTO_TCP, 0, _ALL_STATES) + sockid
        message = _HEADER.pack(_HEADER.size + len(body), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, 1, 0) + body
        with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as nl:
            nl.sendto(message, (0, 0))
            reply = nl.recv(4096)
    except OSError:  # not connected any more, no netlink here, or not allowed
        return None
    if len(reply) < _HEADER.size or _HEADER.unpack_from(reply)[1] != _SOCK_DIAG_BY_FAMILY:
        return None  # an error reply: the peer is not a socket of this host
    if len(reply) < _QUEUES_AT + _QUEUES.size:
        return None
    unread, _ = _QUEUES.unpack_from(reply, _QUEUES_AT)
    return unread
