"""``dil run-worker``: a resident process runs ``dil run`` for clients that find it at this user's
socket (or at ``DIL_RUN_WORKER``), with the same results as a run in a fresh process; where it could
differ it refuses and the client runs the command itself."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKER_SOURCE = ROOT / "dil" / "run" / "worker.py"
RUN = ("run", "ccrs", "--stack", "none", "--no-record")
WALL_FIELDS = ("wall_s", "realtime_factor")
SAME_FIVE = ("ccrs", "ccrb", "cpna", "alks_cutin", "lane_change_highway")
"""Catalog scenarios run fresh and through the worker, with the built-in stack driving."""


def _env(**changes: str) -> dict[str, str]:
    """This process's environment with ``changes``, never naming a user's own worker."""
    env = {k: v for k, v in os.environ.items() if k not in ("DIL_RUN_WORKER", "XDG_RUNTIME_DIR")}
    return {**env, **changes}


def _dil(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dil", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )


def _through_worker(*args: str, cwd: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, bool]:
    """``dil ARGS`` with the interpreter's import log on; whether a worker ran it (the client then
    imports no numpy: the worker's child has it already), and the process without the import log."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dil", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )
    imports = [ln for ln in done.stderr.splitlines(keepends=True) if ln.startswith("import time:")]
    done.stderr = "".join(ln for ln in done.stderr.splitlines(keepends=True) if ln not in imports)
    return done, not any(ln.split("|")[-1].strip() == "numpy" for ln in imports)


def _summary(stdout: str) -> list[str]:
    """The run's summary without the line of its real-time factor."""
    return [ln for ln in stdout.splitlines() if not ln.startswith("end ")]


def start_worker(runtime: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    """A worker serving at this user's default socket under ``runtime`` (as ``XDG_RUNTIME_DIR``), once
    it says so; its socket."""
    p = subprocess.Popen(
        [sys.executable, "-m", "dil", "run-worker", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=_env(XDG_RUNTIME_DIR=str(runtime)),
    )
    line = p.stdout.readline()  # blocks until it serves (its kernels loaded) or it died
    assert line.startswith("serving dil run at "), (line, p.stderr.read() if p.poll() is not None else "")
    return p, Path(line.split(" at ", 1)[1].split(" (pid")[0])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """A private runtime folder where a worker serves at the default socket, and the worker's pid;
    stopped (SIGTERM) after the module."""
    folder = tmp_path_factory.mktemp("runtime")
    folder.chmod(0o700)
    p, sock = start_worker(folder)
    with p:
        assert sock.parent == folder / "dil" and sock.name.startswith("run-worker-")
        assert (sock.stat().st_mode & 0o777, sock.parent.stat().st_mode & 0o777) == (0o600, 0o700)
        yield folder, p.pid
        p.terminate()
        assert p.wait(timeout=60) == 0
    assert not sock.exists()  # the worker removes its socket as it stops


@pytest.fixture
def runtime(served: tuple[Path, int]) -> Path:
    return served[0]


def _result(run_dir: Path) -> dict:
    doc = json.loads((run_dir / "result.json").read_text())
    return {k: v for k, v in doc.items() if k not in WALL_FIELDS}


@pytest.mark.parametrize("scenario", SAME_FIVE)
def test_a_run_through_the_worker_is_the_run_of_a_fresh_process(
    runtime: Path, tmp_path: Path, scenario: str
) -> None:
    for folder in ("fresh", "served"):
        (tmp_path / folder).mkdir()
    run = ("run", scenario, "--no-record", "--out", "out")
    fresh = _dil(*run, cwd=tmp_path / "fresh", env=_env(DIL_RUN_WORKER="off"))
    served, by_worker = _through_worker(*run, cwd=tmp_path / "served", env=_env(XDG_RUNTIME_DIR=str(runtime)))
    assert by_worker, served.stderr
    # the same exit status, output and errors on the client's own stdout and stderr, the results
    # written relative to its folder, identical but for the wall times
    assert (served.returncode, served.stderr) == (fresh.returncode, fresh.stderr)
    assert _summary(served.stdout) == _summary(fresh.stdout)
    results = [tmp_path / folder / "out" / scenario for folder in ("served", "fresh")]
    assert _result(results[0]) == _result(results[1])
    assert (results[0] / "trace.csv").read_bytes() == (results[1] / "trace.csv").read_bytes()


def test_bad_input_through_the_worker_is_said_as_by_a_fresh_process(runtime: Path, tmp_path: Path) -> None:
    bad = _dil("run", "nosuch.xosc", cwd=tmp_path, env=_env(XDG_RUNTIME_DIR=str(runtime)))
    assert bad.returncode == 2 and "dil run: nosuch.xosc: no such file" in bad.stderr
    assert "Traceback" not in bad.stderr and "worker" not in bad.stderr


def test_a_client_whose_dil_would_load_differently_runs_the_command_itself(
    runtime: Path, tmp_path: Path
) -> None:
    here = _env(XDG_RUNTIME_DIR=str(runtime))
    other = _dil(*RUN, "--out", "o", cwd=tmp_path, env={**here, "PYTHONHASHSEED": "123"})
    assert other.returncode == 1 and (tmp_path / "o" / "ccrs" / "trace.csv").exists()
    assert "did not take the run (the variables PYTHONHASHSEED differ from the worker's)" in other.stderr
    before = WORKER_SOURCE.stat()
    try:  # a source file the worker loaded, changed since it started: its code would be stale
        os.utime(WORKER_SOURCE, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
        stale = _dil(*RUN, "--out", "s", cwd=tmp_path, env=here)
    finally:
        os.utime(WORKER_SOURCE, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert stale.returncode == 1 and f"{WORKER_SOURCE} changed since the worker started" in stale.stderr
    # the worker starts afresh on the current code: a later run is served again (a worker that started
    # afresh before the file's time was put back sees that as one more change, and starts afresh again)
    for _ in range(300):
        again, by_worker = _through_worker(*RUN, "--out", "a", cwd=tmp_path, env=here)
        refused = "did not take" in again.stderr
        assert again.returncode == 1, again.stderr
        assert not refused or "changed since the worker" in again.stderr, again.stderr
        if by_worker:
            break
    assert by_worker
    off, by_worker = _through_worker(*RUN, "--out", "f", cwd=tmp_path, env={**here, "DIL_RUN_WORKER": "off"})
    assert (off.returncode, off.stderr, by_worker) == (1, "", False)


def test_with_no_worker_or_a_stale_socket_the_client_runs_the_command_itself(tmp_path: Path) -> None:
    from dil.run.worker_client import default_socket, unix_address

    runtime = tmp_path / "runtime"
    (runtime / "dil").mkdir(parents=True, mode=0o700)
    runtime.chmod(0o700)
    env = _env(XDG_RUNTIME_DIR=str(runtime))
    nobody = _dil(*RUN, "--out", "n", cwd=tmp_path, env=env)
    gone = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # the socket file of a worker that is gone
    with unix_address(default_socket({"XDG_RUNTIME_DIR": str(runtime)})) as address:
        gone.bind(address)
    gone.close()
    stale = _dil(*RUN, "--out", "s", cwd=tmp_path, env=env)
    named = _dil(*RUN, "--out", "t", cwd=tmp_path, env={**env, "DIL_RUN_WORKER": str(tmp_path / "no.sock")})
    assert [(p.returncode, p.stderr) for p in (nobody, stale, named)] == [(1, "")] * 3
    assert (tmp_path / "s" / "ccrs" / "trace.csv").exists()


def test_a_second_worker_on_a_live_socket_is_refused(runtime: Path, tmp_path: Path) -> None:
    second = _dil("run-worker", cwd=tmp_path, env=_env(XDG_RUNTIME_DIR=str(runtime)))
    assert second.returncode == 2 and "a worker already listens there" in second.stderr


def _endless(folder: Path) -> Path:
    """A catalog scenario whose ego stands still and whose stop trigger waits ~28 simulated hours."""
    text = (ROOT / "scenarios" / "catalog" / "lane_keeping_rural.xosc").read_text()
    text = text.replace('path="catalogs"', f'path="{ROOT / "scenarios" / "catalog" / "catalogs"}"')
    text = text.replace('filepath="../roads/', f'filepath="{ROOT / "scenarios" / "roads"}/')
    text = text.replace('SimulationTimeCondition value="60"', 'SimulationTimeCondition value="100000"')
    path = folder / "endless.xosc"
    path.write_text(text.replace('name="EgoSpeed" parameterType="double" value="70"', 'name="EgoSpeed" '
                                 'parameterType="double" value="0"'))  # fmt: skip
    return path


def _start_endless(runtime: Path, tmp_path: Path, stderr: int = subprocess.PIPE) -> subprocess.Popen:
    cmd = ["run", str(_endless(tmp_path)), "--stack", "none", "--no-record", "--max-time", "100000"]
    return subprocess.Popen(
        [sys.executable, "-m", "dil", *cmd],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        cwd=tmp_path,
        env=_env(XDG_RUNTIME_DIR=str(runtime)),
    )


def _read_until(fd: int, marker: bytes, within_s: float = 300.0) -> bytes:
    """What a terminal's reading end gets until ``marker`` (or its end, or ``within_s`` [s])."""
    import select
    import time

    got, deadline = b"", time.monotonic() + within_s
    while marker not in got and time.monotonic() < deadline:
        if select.select([fd], [], [], 1.0)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the terminal's last writer closed it
                break
            if not chunk:
                break
            got += chunk
    return got


def _runs_of(worker: int, *, running: bool, within_s: float = 300.0) -> list[int]:
    """The worker's children (its runs) once there are some (``running``) or none; waits for it."""
    import time

    deadline = time.monotonic() + within_s
    while True:
        children = Path(f"/proc/{worker}/task/{worker}/children").read_text().split()
        if bool(children) == running or time.monotonic() > deadline:
            return [int(c) for c in children]
        time.sleep(0.05)  # polling the process table for a condition, not timing anything


def test_ctrl_c_to_the_client_stops_the_run_as_in_a_fresh_process(
    served: tuple[Path, int], tmp_path: Path
) -> None:
    """The run writes its progress to the client's terminal; Ctrl-C then ends it as it ends a run in a
    fresh process: the verdict aborted, exit 130."""
    import pty

    runtime, worker = served
    terminal, its_end = pty.openpty()
    try:
        with _start_endless(runtime, tmp_path, stderr=its_end) as client:
            os.close(its_end)
            its_end = -1
            shown = _read_until(terminal, b"s simulated")  # the loop is running
            assert b"s simulated" in shown, shown
            client.send_signal(signal.SIGINT)
            rest = _read_until(terminal, b"the run is aborted")
            assert client.wait(timeout=300) == 130, rest
    finally:
        os.close(terminal)
        if its_end >= 0:
            os.close(its_end)
    assert b"dil run: interrupted; the run is aborted" in rest, rest
    assert _runs_of(worker, running=False) == []


def test_a_client_that_goes_away_takes_its_run_with_it(served: tuple[Path, int], tmp_path: Path) -> None:
    runtime, worker = served
    with _start_endless(runtime, tmp_path) as client:
        assert _runs_of(worker, running=True)
        client.kill()
        client.wait(timeout=60)
    assert _runs_of(worker, running=False) == []  # the worker ended the run (SIGTERM) when its client went


def test_a_run_that_dies_of_a_signal_ends_its_client_with_that_signal(
    served: tuple[Path, int], tmp_path: Path
) -> None:
    runtime, worker = served
    with _start_endless(runtime, tmp_path) as client:
        (run,) = _runs_of(worker, running=True)
        os.kill(run, signal.SIGKILL)
        assert client.wait(timeout=300) == -signal.SIGKILL, client.stderr.read()


def test_a_worker_leaves_when_idle_and_refuses_a_folder_open_to_others(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    p, sock = start_worker(runtime, "--idle", "1")
    with p:
        assert p.wait(timeout=300) == 0  # no run for a second after it served: it left
        assert "no run for" in p.stderr.read() and not sock.exists()
    sock.parent.chmod(0o755)
    opened = _dil("run-worker", cwd=tmp_path, env=_env(XDG_RUNTIME_DIR=str(runtime)))
    assert opened.returncode == 2 and f"{sock.parent}: open to other users (mode 755" in opened.stderr
    plain = _dil(*RUN, "--out", "o", cwd=tmp_path, env=_env(XDG_RUNTIME_DIR=str(runtime)))
    assert (plain.returncode, plain.stderr) == (1, "")  # a client never looks for a worker there


def test_runs_at_the_same_time_each_get_their_own_child(runtime: Path, tmp_path: Path) -> None:
    """Three clients at once: three children run side by side, each writes its own folder."""
    env = _env(XDG_RUNTIME_DIR=str(runtime))
    cmd = [sys.executable, "-X", "importtime", "-m", "dil", *RUN]
    clients = [
        subprocess.Popen(
            [*cmd, "--out", f"o{i}"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    ends = [c.communicate(timeout=600) for c in clients]
    assert [c.returncode for c in clients] == [1, 1, 1], ends
    for _, err in ends:  # each served by the worker: the client imported no numpy
        assert not any(ln.split("|")[-1].strip() == "numpy" for ln in err.splitlines()), err[-2000:]
    traces = {(tmp_path / f"o{i}" / "ccrs" / "trace.csv").read_bytes() for i in range(3)}
    assert len(traces) == 1


def test_run_worker_stop_stops_the_users_worker(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = _env(XDG_RUNTIME_DIR=str(runtime))
    p, sock = start_worker(runtime)
    with p:
        stopped = _dil("run-worker", "--stop", cwd=tmp_path, env=env)
        assert (
            stopped.returncode == 0 and stopped.stdout == f"stopped the run worker at {sock} (pid {p.pid})\n"
        )
        assert p.wait(timeout=120) == 0 and not sock.exists()
    again = _dil("run-worker", "--stop", cwd=tmp_path, env=env)
    assert (again.returncode, again.stdout) == (1, f"no run worker listens at {sock}\n")


def test_a_socket_deeper_than_the_kernels_limit_is_served_and_found(tmp_path: Path) -> None:
    from dil.run.worker import listen
    from dil.run.worker_client import SUN_PATH_MAX, unix_address

    deep = tmp_path / ("d" * 60) / ("e" * 60) / "run-worker.sock"
    deep.parent.mkdir(parents=True)
    assert len(os.fsencode(str(deep))) > SUN_PATH_MAX
    listener = listen(deep)
    try:
        assert deep.is_socket() and deep.stat().st_mode & 0o777 == 0o600
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with unix_address(deep) as address:
            client.connect(address)
        conn, _ = listener.accept()
        client.sendall(b"ok")
        assert conn.recv(2) == b"ok"
        conn.close()
        client.close()
    finally:
        listener.close()
