"""Blocks of tcp ports for tests that start buses (a bus takes up to 32 consecutive ports).

Blocks come from below the kernel's ephemeral range (Linux: 32768-60999), where no client socket of
another test picks its source port, and each pytest-xdist worker draws from its own slice, so tests
running side by side never pick the same block. A block whose ports are taken (a process of an
earlier test still closing) is passed over. A worker also holds a lock on each of its last
:data:`HELD` blocks (``flock`` on a file per block, released when the worker ends), so a second
suite on the same machine, whose workers have the same slices, passes over the blocks this one has
just handed out and not yet bound.
"""

from __future__ import annotations

import collections
import fcntl
import itertools
import os
import random
import socket
import tempfile
from pathlib import Path
from typing import IO

LOW, HIGH = 10_000, 32_000
BLOCK = 32
HELD = 64
"""Blocks a worker keeps locked after handing them out (a slice has about 170 of them with 4 workers)."""
LOCKS = Path(tempfile.gettempdir()) / "dil-test-ports"

_worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
_slice = (HIGH - LOW) // _workers // BLOCK * BLOCK
_start = LOW + _worker * _slice
_blocks = _slice // BLOCK
_next = itertools.count(random.Random(os.getpid() ^ os.getppid()).randrange(_blocks))


def _free(base: int) -> bool:
    for port in range(base, base + BLOCK):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


_held: collections.deque[IO[str]] = collections.deque()


def _claim(base: int) -> bool:
    """Lock the block at ``base`` for this worker; False if another process holds it."""
    LOCKS.mkdir(exist_ok=True)
    f = open(LOCKS / f"{base}.lock", "w")  # noqa: SIM115 (held open: the lock lasts as long)
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return False
    _held.append(f)
    while len(_held) > min(HELD, _blocks // 3):  # a small slice (many workers) keeps fewer
        _held.popleft().close()  # the oldest block's lock is let go
    return True


def port_block(blocks: int = 1) -> int:
    """The first port of ``blocks`` consecutive free blocks of 32 in this worker's slice."""
    starts = _blocks - blocks + 1
    for _ in range(max(starts, 0)):
        base = _start + (next(_next) % starts) * BLOCK
        picked = [base + k * BLOCK for k in range(blocks)]
        if all(_free(b) for b in picked) and all(_claim(b) for b in picked):
            return base
    raise RuntimeError(f"no {blocks} free blocks of {BLOCK} ports in {_start}-{_start + _slice}")


def free_port() -> int:
    """One free port for a server a test starts (a Traffic Manager, an inference node): from this
    worker's blocks, below the ephemeral range, so no client socket takes it as its source port while
    the server starts (the kernel's pick, ``bind(0)``, lies in that range)."""
    return port_block()
