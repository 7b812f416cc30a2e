"""The client side of the resident run worker (``dil run-worker``, :mod:`dil.run.worker`): where a
user's worker listens, and handing one ``dil run`` to it.

``dil run`` looks for a worker before it even parses its arguments: at ``DIL_RUN_WORKER`` when that
is set (``off`` or empty: never), else at the per-user socket of this installation
(:func:`default_socket`). Nobody listening there (no file, or a stale file of a worker that is gone):
the client runs the command itself, silently. The client imports nothing beyond the standard
library's sockets and JSON, so a run through a worker costs a few hundredths of a second of CPU.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import stat
import struct
import sys
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

ENV_VAR = "DIL_RUN_WORKER"
"""The variable naming the worker's socket; ``off`` (or empty) never uses one."""
OFF = ("", "off", "0", "no", "false")
PASSED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Signals to the client that go to the run (Ctrl-C, kill, a closed terminal)."""


def dil_folder() -> str:
    """The folder dil is imported from (the worker and its clients must import the same)."""
    import dil

    return str(Path(dil.__file__).resolve().parent)


def default_socket(environ: Mapping[str, str] = os.environ) -> Path:
    """This user's socket for this installation (interpreter and dil folder): in
    ``$XDG_RUNTIME_DIR/dil/`` where that is set, else in the user cache folder
    (``$XDG_CACHE_HOME`` or ``~/.cache``) under ``dil/``. Each installation has its own name, so two
    virtual environments each find their own worker."""
    base = environ.get("XDG_RUNTIME_DIR", "")
    if not base or not os.path.isdir(base):
        base = environ.get("XDG_CACHE_HOME", "") or os.path.join(os.path.expanduser("~"), ".cache")
    key = zlib.crc32(f"{sys.executable}\0{dil_folder()}".encode())
    return Path(base) / "dil" / f"run-worker-{key:08x}.sock"


SUN_PATH_MAX = 107
"""The longest socket path the kernel takes (bytes, without the closing NUL)."""


@contextlib.contextmanager
def unix_address(path: Path):
    """An address to bind or connect the Unix socket ``path`` at: the path itself, or where it is
    longer than :data:`SUN_PATH_MAX` bytes, the same file reached through an open descriptor of its
    folder (``/proc/self/fd/N/NAME``, Linux), so a deep runtime or cache folder still works."""
    if len(os.fsencode(str(path))) <= SUN_PATH_MAX:
        yield str(path)
        return
    try:
        fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    except (OSError, AttributeError) as e:
        raise OSError(f"{path}: socket path too long ({len(os.fsencode(str(path)))} bytes)") from e
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def private_folder_problem(folder: Path) -> str:
    """Why ``folder`` is not this user's private folder ("" when it is: a real folder, owned by
    this user, closed to the group and others)."""
    try:
        st = os.lstat(folder)
    except OSError as e:
        return f"{folder}: {e.strerror}"
    if not stat.S_ISDIR(st.st_mode):
        return f"{folder}: not a folder"
    if st.st_uid != os.getuid():
        return f"{folder}: owned by another user"
    if st.st_mode & 0o077:
        return f"{folder}: open to other users (mode {stat.S_IMODE(st.st_mode):o}, 700 expected)"
    return ""


def client_socket(environ: Mapping[str, str] = os.environ) -> Path | None:
    """Where ``dil run`` looks for a worker: ``DIL_RUN_WORKER`` when set (None for ``off``), else
    the default socket when its folder is this user's private folder."""
    named = environ.get(ENV_VAR)
    if named is not None:
        return None if named.strip().lower() in OFF else Path(named)
    path = default_socket(environ)
    return None if private_folder_problem(path.parent) else path


def _peer(sock: socket.socket) -> tuple[int, int]:
    """The process id and user id of the process at the other end of a Unix socket."""
    pid_uid_gid = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _ = struct.unpack("3i", pid_uid_gid)
    return pid, uid


def _peer_uid(sock: socket.socket) -> int:
    return _peer(sock)[1]


def stop(path: Path, within_s: float = 60.0) -> int | None:
    """Stop the worker listening at ``path`` (SIGTERM; it ends its runs' connections and removes its
    socket): its pid, or None when none of this user's listens there."""
    import time

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with unix_address(path) as address:
            sock.connect(address)
        pid, uid = _peer(sock)
    except OSError:
        return None
    finally:
        sock.close()
    if uid != os.getuid():
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + within_s
    while path.exists() and time.monotonic() < deadline:  # it removes its socket as it leaves
        time.sleep(0.02)
    return pid


def forward(path: Path, argv: Sequence[str]) -> int | None:
    """Hand ``dil ARGV`` to the worker at ``path``: the run's exit status (the client dies of the
    same signal where the run did), or None when no worker listens there or it refused (the caller
    then runs the command itself; a refusal is said on stderr). Signals of :data:`PASSED_SIGNALS`
    go to the run, also those that come before the worker has said which process runs it."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    pending: list[int] = []
    child: list[int] = []

    def pass_on(sig: int, _frame: object) -> None:
        if not child:
            pending.append(sig)
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(child[0], sig)

    handlers = {sig: signal.signal(sig, pass_on) for sig in PASSED_SIGNALS}
    try:
        return _forward(sock, path, argv, child, pending)
    finally:
        for sig, h in handlers.items():
            signal.signal(sig, h)
        sock.close()
        if not child and pending:  # nobody took the run: the signal is this process's own again
            os.kill(os.getpid(), pending[0])


def _forward(
    sock: socket.socket, path: Path, argv: Sequence[str], child: list[int], pending: list[int]
) -> int | None:
    try:
        with unix_address(path) as address:
            sock.connect(address)
        if _peer_uid(sock) != os.getuid():  # never hand the environment to another user's process
            return None
        body = json.dumps(
            {
                "argv": list(argv),
                "cwd": os.getcwd(),
                "env": dict(os.environ),
                "dil": dil_folder(),
                "python": sys.executable,
                "version": _version(),
            }
        ).encode()
        socket.send_fds(sock, [struct.pack("!I", len(body)) + body], [0, 1, 2])
        replies = sock.makefile("rb")
        first = json.loads(replies.readline() or b"{}")
    except (OSError, ValueError):
        return None
    if "refused" in first or not first:
        why = first.get("refused", "no answer")
        print(f"dil: the run worker at {path} did not take the run ({why}); running it here", file=sys.stderr)
        return None
    end = first  # a run that died before it said its pid: its end comes first
    if "pid" in first:
        child.append(int(first["pid"]))
        for sig in pending:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child[0], sig)
        last = replies.readline()
        end = json.loads(last) if last else {}
    if "signal" in end:  # the run died of a signal: so does the client, as a fresh process would
        sig = int(end["signal"])
        with contextlib.suppress(OSError, ValueError):  # SIGKILL's handler cannot be set (nor needs to)
            signal.signal(sig, signal.SIG_DFL)
        sys.stdout.flush()
        os.kill(os.getpid(), sig)
    if "rc" not in end:
        print("dil: the run worker ended without the run's exit status", file=sys.stderr)
        return 1
    return int(end["rc"])


def _version() -> str:
    from dil import __version__

    return __version__
