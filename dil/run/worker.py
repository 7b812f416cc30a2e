"""A resident worker for ``dil run`` (``dil run-worker``): one process that has imported the run's
modules and loaded its numba kernels forks a child per run, so a run skips the ~0.6 s of CPU every
fresh process spends importing numba, building its typing context and loading kernels.

``dil run-worker`` serves at this user's socket for this installation
(:func:`dil.run.worker_client.default_socket`, mode 0600 in a 0700 folder) or at ``--socket PATH``;
``dil run`` finds it there (or at ``DIL_RUN_WORKER``) and hands it its command line, working folder,
environment and its stdin, stdout and stderr (the file descriptors themselves, over the Unix socket).
The child runs the same ``dil`` entry point as a fresh process, in the client's folder and
environment, writing to the client's terminal or pipes; the worker waits for it and sends the
client its exit status (or the signal it died of), whatever way it ended. Signals to the client go
to the child; a client that goes away takes its run with it (SIGTERM to the child).

Where the worker cannot give the same result as a fresh process it refuses and the client runs the
command itself: another user, another interpreter or dil folder, dil's variables (``DIL_*``,
``NUMBA_*``, ``PYTHON*``) unlike the worker's, or a dil version or a loaded source file changed
since the worker started; in the last case the worker then starts afresh (re-executes itself), so
the next run finds it current. It leaves after ``idle_s`` with no run.

Protocol (one connection per run): the client sends a 4-byte big-endian length and a JSON request
``{"argv", "cwd", "env", "dil", "python", "version"}`` with its fds 0, 1, 2 attached (``SCM_RIGHTS``);
the worker answers JSON lines: ``{"refused": why}``, or ``{"pid": child}`` then ``{"rc": exit
status}`` or ``{"signal": number}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dil import __version__

from .worker_client import ENV_VAR, _peer_uid, dil_folder, private_folder_problem, unix_address

SAME_ENV_PREFIXES = ("DIL_", "NUMBA_", "PYTHON")
"""Variables that must be the same in the client and the worker (they shape what modules loaded)."""
WATCHED_PACKAGES = ("dil", "vehicle_models", "hil_rigs")
MAX_REQUEST_BYTES = 16 * 2**20
REQUEST_TIMEOUT_S = 30.0
"""How long the worker waits for a connected client's request [s]."""
STALE, IDLE, STOPPED = "dil changed", "no run for the idle time", "stopped"
"""Why :func:`serve` returned: a source or the version changed (start afresh), no run for the idle
time, or SIGINT/SIGTERM or ``max_runs``."""


class WorkerError(Exception):
    """The worker could not serve (its socket taken, a bad path or folder)."""


def _loaded_sources() -> dict[str, float]:
    """Source file -> modification time [s] of every loaded module of :data:`WATCHED_PACKAGES`."""
    out: dict[str, float] = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and name.split(".")[0] in WATCHED_PACKAGES:
            with contextlib.suppress(OSError):
                out[path] = os.stat(path).st_mtime
    return out


def _same_env(env: dict[str, str]) -> str:
    """Why the client's environment would load dil differently ("" when it would not)."""
    names = {k for k in (*env, *os.environ) if k.startswith(SAME_ENV_PREFIXES) and k != ENV_VAR}
    differ = sorted(k for k in names if env.get(k) != os.environ.get(k))
    return f"the variables {', '.join(differ)} differ from the worker's" if differ else ""


def _read_request(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 65536, 3)
    fds = list(fds)
    try:
        while len(data) < 4 or len(data) < 4 + struct.unpack("!I", data[:4])[0]:
            if len(data) >= 4 and struct.unpack("!I", data[:4])[0] > MAX_REQUEST_BYTES:
                raise ValueError("request too long")
            more = conn.recv(65536)
            if not more:
                raise ValueError("request cut short")
            data += more
        return json.loads(data[4:]), fds
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


def _send(conn: socket.socket, doc: dict) -> None:
    conn.sendall(json.dumps(doc).encode() + b"\n")


def listen(path: Path, *, private_folder: bool = False) -> socket.socket:
    """A Unix socket listening at ``path`` (mode 0600); a stale file of a worker that is gone is
    replaced, a live worker's socket is not (:class:`WorkerError`). ``private_folder``: make the
    folder (mode 0700) and refuse one that other users can enter or that is not this user's."""
    if private_folder:
        with contextlib.suppress(FileExistsError):
            path.parent.mkdir(mode=0o700, parents=True)
        problem = private_folder_problem(path.parent)
        if problem:
            raise WorkerError(problem)
    if path.exists() and not path.is_socket():
        raise WorkerError(f"{path}: exists and is not a socket")
    if path.is_socket():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with unix_address(path) as address:
                probe.connect(address)
        except ConnectionRefusedError:
            path.unlink(missing_ok=True)
        else:
            raise WorkerError(f"{path}: a worker already listens there")
        finally:
            probe.close()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        with unix_address(path) as address:
            listener.bind(address)
    except OSError as e:
        listener.close()
        raise WorkerError(f"{path}: cannot listen ({e.strerror or e})") from e
    finally:
        os.umask(old_umask)
    listener.listen(16)
    return listener


@dataclass
class _State:
    """What the serving loop keeps: the runs going (child pid -> the client's connection)."""

    listener: socket.socket
    handler: Callable[[list[str]], int]
    sources: dict[str, float]
    folder: str
    wake: tuple[socket.socket, socket.socket]
    selector: selectors.BaseSelector
    running: dict[int, socket.socket] = field(default_factory=dict)
    served: int = 0
    stale: bool = False


def serve(
    listener: socket.socket,
    handler: Callable[[list[str]], int],
    *,
    ready: Callable[[], None] | None = None,
    max_runs: int | None = None,
    idle_s: float | None = None,
    path: Path | None = None,
) -> str:
    """Serve runs on ``listener`` (from :func:`listen`), each in a forked child that calls
    ``handler(argv)``, until SIGINT/SIGTERM or ``max_runs`` connections (:data:`STOPPED`), ``idle_s``
    [s] with no run (:data:`IDLE`) or a refusal because dil changed (:data:`STALE`: the caller starts
    afresh); the socket file is removed at the end. The caller has imported and warmed what the runs
    need (the children inherit it). ``ready`` is called once before the first connection is taken.
    ``path``: the socket's file (default: the listener's own name; give it where that name is a
    descriptor's path, see :func:`dil.run.worker_client.unix_address`)."""
    path = path or Path(listener.getsockname())
    wake_r, wake_w = socket.socketpair()
    wake_r.setblocking(False)
    wake_w.setblocking(False)
    selector = selectors.DefaultSelector()
    owner = os.getpid()
    st = _State(listener, handler, _loaded_sources(), dil_folder(), (wake_r, wake_w), selector)
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wake_r, selectors.EVENT_READ, "wake")
    previous = signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the selector through wake_w
    old_wakeup = signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
    if ready is not None:
        ready()
    why, last = STOPPED, time.monotonic()
    try:
        while not st.stale and (max_runs is None or st.served < max_runs or st.running):
            wait = None if idle_s is None or st.running else max(0.0, last + idle_s - time.monotonic())
            events = selector.select(wait)
            if not events and not st.running and idle_s is not None and time.monotonic() >= last + idle_s:
                why = IDLE
                break
            for key, _ in events:
                if key.data == "accept" and (max_runs is None or st.served < max_runs):
                    _accept(st)
                elif key.data == "wake":
                    with contextlib.suppress(BlockingIOError):
                        wake_r.recv(4096)
                elif isinstance(key.data, int):  # a client's connection closed: its run goes too
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(key.data, signal.SIGTERM)
                    selector.unregister(key.fileobj)
            if events or st.running:  # the idle time counts from the last run's end
                last = time.monotonic()
            _reap(st)
        if st.stale:
            why = STALE
    finally:
        signal.set_wakeup_fd(old_wakeup)
        signal.signal(signal.SIGCHLD, previous)
        for conn in st.running.values():
            conn.close()
        selector.close()
        wake_r.close()
        wake_w.close()
        listener.close()
        if os.getpid() == owner:  # only the worker itself removes its socket, never a run's process
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return why


def _reap(st: _State) -> None:
    """Send each ended run's exit status (or its signal) to its client."""
    while st.running:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            pid = 0
        if pid == 0:
            return
        conn = st.running.pop(pid, None)
        if conn is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        with contextlib.suppress(OSError):
            _send(conn, {"rc": code} if code >= 0 else {"signal": -code})
        with contextlib.suppress(KeyError, ValueError):
            st.selector.unregister(conn)
        conn.close()


def _accept(st: _State) -> None:
    conn, _ = st.listener.accept()
    st.served += 1
    fds: list[int] = []
    forked = False
    try:
        conn.settimeout(REQUEST_TIMEOUT_S)  # a client that connects and says nothing never stalls the worker
        request, fds = _read_request(conn)
        conn.settimeout(None)
        why = _refusal(conn, request, fds, st)
        if why:
            _send(conn, {"refused": why})
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the server's loop, whatever is raised in it (a
            rc = 1  # SIGTERM that comes before it has set its own handlers raises the worker's)
            try:
                rc = _child(conn, request, fds, st)
            finally:
                os._exit(rc)
        forked = True
        st.running[pid] = conn
        st.selector.register(conn, selectors.EVENT_READ, pid)
    except (OSError, ValueError) as e:  # one bad client never ends the worker
        with contextlib.suppress(OSError):
            _send(conn, {"refused": f"bad request ({e})"})
    finally:
        for fd in fds:
            os.close(fd)
        if not forked:
            conn.close()


def _refusal(conn: socket.socket, request: dict, fds: list[int], st: _State) -> str:
    if _peer_uid(conn) != os.getuid():
        return "the worker serves only its own user"
    if len(fds) != 3 or not isinstance(request.get("argv"), list):
        return "bad request (argv and three file descriptors expected)"
    if request.get("dil") != st.folder:
        return f"the client imports dil from {request.get('dil')}, the worker from {st.folder}"
    if request.get("python") != sys.executable:
        return f"the client runs {request.get('python')}, the worker {sys.executable}"
    why = _same_env(request.get("env") or {})
    if why:
        return why
    if request.get("version") != __version__:
        st.stale = True
        return f"the client is dil {request.get('version')}, the worker {__version__}: it starts afresh"
    for source, mtime in st.sources.items():
        try:
            changed = os.stat(source).st_mtime != mtime
        except OSError:
            changed = True
        if changed:
            st.stale = True
            return f"{source} changed since the worker started: it starts afresh"
    return ""


def _child(conn: socket.socket, request: dict, fds: list[int], st: _State) -> int:
    """In the forked child: leave the server's sockets, take the client's folder, environment and
    fds, run; returns the exit status (the worker tells the client)."""
    rc = 1
    try:
        signal.set_wakeup_fd(-1)
        for other in (st.listener, *st.wake, *st.running.values()):
            other.close()
        st.selector.close()
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as Python sets it in a fresh process
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ[ENV_VAR] = "off"  # the child runs the command itself, never hands it on again
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        _send(conn, {"pid": os.getpid()})
        try:
            rc = int(st.handler([str(a) for a in request["argv"]]) or 0)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if isinstance(e.code, str):
                print(e.code, file=sys.stderr)
        except KeyboardInterrupt:  # as Python ends a fresh process: the traceback, then death by SIGINT
            import traceback

            traceback.print_exc()
            sys.stdout.flush()
            sys.stderr.flush()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        except BaseException:
            import traceback

            traceback.print_exc()
            rc = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
    return rc
