"""A resident worker for repeated ``dil run`` processes (optional): one process that has imported the
run's modules and loaded its numba kernels forks a child per run, so a run skips the ~0.6 s of CPU
every fresh process spends importing numba, building its typing context and loading kernels.

``dil run-worker --socket PATH`` serves; ``dil run ...`` with ``DIL_RUN_WORKER=PATH`` in its
environment hands its command line, working folder, environment and its stdin, stdout and stderr
(the file descriptors themselves, over the Unix socket) to the worker and exits with the child's
exit status. The child runs the same ``dil`` entry point as a fresh process, in the client's folder
and environment, writing to the client's terminal or pipes; Ctrl-C or SIGTERM to the client is
passed on to the child. Where the worker cannot give the same result as a fresh process it refuses
and the client runs the command itself: dil's variables (``DIL_*``, ``NUMBA_*``, ``PYTHON*``) differ
from the worker's, the client imports dil from another folder, or a source file the worker loaded
changed since it started. No worker listening: the client runs the command itself, silently.

Protocol (one connection per run): the client sends a 4-byte big-endian length and a JSON request
``{"argv", "cwd", "env", "dil"}`` with its fds 0, 1, 2 attached (``SCM_RIGHTS``); the worker answers
JSON lines: ``{"refused": why}``, or ``{"pid": child}`` then ``{"rc": exit status}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ENV_VAR = "DIL_RUN_WORKER"
"""The client's variable naming the worker's socket."""
SAME_ENV_PREFIXES = ("DIL_", "NUMBA_", "PYTHON")
"""Variables that must be the same in the client and the worker (they shape what modules loaded)."""
WATCHED_PACKAGES = ("dil", "vehicle_models", "hil_rigs")
MAX_REQUEST_BYTES = 16 * 2**20


class WorkerError(Exception):
    """The worker could not serve (its socket taken, a bad path)."""


def _dil_folder() -> str:
    import dil

    return str(Path(dil.__file__).resolve().parent)


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
    while len(data) < 4 or len(data) < 4 + struct.unpack("!I", data[:4])[0]:
        if len(data) >= 4 and struct.unpack("!I", data[:4])[0] > MAX_REQUEST_BYTES:
            raise ValueError("request too long")
        more = conn.recv(65536)
        if not more:
            raise ValueError("request cut short")
        data += more
    return json.loads(data[4:]), list(fds)


def _send(conn: socket.socket, doc: dict) -> None:
    conn.sendall(json.dumps(doc).encode() + b"\n")


def listen(path: Path) -> socket.socket:
    """A Unix socket listening at ``path`` (mode 0600); a stale file of a killed worker is replaced,
    a live worker's socket is not (:class:`WorkerError`)."""
    if path.exists() and not path.is_socket():
        raise WorkerError(f"{path}: exists and is not a socket")
    if path.is_socket():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except ConnectionRefusedError:
            path.unlink(missing_ok=True)
        else:
            raise WorkerError(f"{path}: a worker already listens there")
        finally:
            probe.close()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(str(path))
    except OSError as e:
        listener.close()
        raise WorkerError(f"{path}: cannot listen ({e.strerror})") from e
    finally:
        os.umask(old_umask)
    listener.listen(16)
    return listener


def serve(
    listener: socket.socket,
    handler: Callable[[list[str]], int],
    *,
    ready: Callable[[], None] | None = None,
    max_runs: int | None = None,
) -> None:
    """Serve runs on ``listener`` (from :func:`listen`) until SIGINT/SIGTERM (or ``max_runs``
    connections), each in a forked child that calls ``handler(argv)``; the socket file is removed at
    the end. The caller has imported and warmed what the runs need before it calls this (the
    children inherit it). ``ready`` is called once before the first connection is taken."""
    path = Path(listener.getsockname())
    sources, folder = _loaded_sources(), _dil_folder()
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reaped by the kernel
    if ready is not None:
        ready()
    served = 0
    try:
        while max_runs is None or served < max_runs:
            conn, _ = listener.accept()
            served += 1
            with conn:
                _serve_one(conn, listener, handler, sources, folder)
    finally:
        signal.signal(signal.SIGCHLD, previous)
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _serve_one(
    conn: socket.socket,
    listener: socket.socket,
    handler: Callable[[list[str]], int],
    sources: dict[str, float],
    folder: str,
) -> None:
    fds: list[int] = []
    try:
        request, fds = _read_request(conn)
        why = _refusal(request, fds, sources, folder)
        if why:
            _send(conn, {"refused": why})
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the server's loop
            listener.close()
            os._exit(_child(conn, request, fds, handler))
    except (OSError, ValueError) as e:  # one bad client never ends the worker
        with contextlib.suppress(OSError):
            _send(conn, {"refused": f"bad request ({e})"})
    finally:
        for fd in fds:
            os.close(fd)


def _refusal(request: dict, fds: list[int], sources: dict[str, float], folder: str) -> str:
    if len(fds) != 3 or not isinstance(request.get("argv"), list):
        return "bad request (argv and three file descriptors expected)"
    if request.get("dil") != folder:
        return f"the client imports dil from {request.get('dil')}, the worker from {folder}"
    why = _same_env(request.get("env") or {})
    if why:
        return why
    for source, mtime in sources.items():
        try:
            changed = os.stat(source).st_mtime != mtime
        except OSError:
            changed = True
        if changed:
            return f"{source} changed since the worker started: restart it"
    return ""


def _child(conn: socket.socket, request: dict, fds: list[int], handler: Callable[[list[str]], int]) -> int:
    """In the forked child: take the client's folder, environment and fds, run, report the status."""
    rc = 1
    try:
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL if sig != signal.SIGPIPE else signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ.pop(ENV_VAR, None)  # the child runs the command itself, never hands it on again
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        _send(conn, {"pid": os.getpid()})
        try:
            rc = int(handler([str(a) for a in request["argv"]]) or 0)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if isinstance(e.code, str):
                print(e.code, file=sys.stderr)
        except KeyboardInterrupt:
            rc = 130
        except BaseException:
            import traceback

            traceback.print_exc()
            rc = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        with contextlib.suppress(OSError):
            _send(conn, {"rc": rc})
    return rc


def forward(path: Path, argv: Sequence[str]) -> int | None:
    """Hand ``dil ARGV`` to the worker at ``path``; its exit status, or None when no worker listens
    there or it refused (then the caller runs the command itself; a refusal is said on stderr)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
        body = json.dumps(
            {"argv": list(argv), "cwd": os.getcwd(), "env": dict(os.environ), "dil": _dil_folder()}
        )
        socket.send_fds(sock, [struct.pack("!I", len(body.encode())) + body.encode()], [0, 1, 2])
        replies = sock.makefile("rb")
        first = json.loads(replies.readline() or b"{}")
    except (OSError, ValueError):
        sock.close()
        return None
    if "pid" not in first:
        print(f"dil: the run worker at {path} did not take the run ({first.get('refused', 'no answer')}); "
              "running it here", file=sys.stderr)  # fmt: skip
        sock.close()
        return None
    child = int(first["pid"])

    def pass_on(sig: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, sig)

    handlers = {sig: signal.signal(sig, pass_on) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        last = replies.readline()
    finally:
        for sig, h in handlers.items():
            signal.signal(sig, h)
        sock.close()
    if not last:
        print("dil: the run worker's child ended without an exit status", file=sys.stderr)
        return 1
    return int(json.loads(last)["rc"])
