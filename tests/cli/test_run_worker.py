"""``dil run-worker``: a resident process runs ``dil run`` for clients that find it at this user's
socket (or at ``DIL_RUN_WORKER``), with the same results as a run in a fresh process; where it could
differ it refuses and the client runs the command itself."""

from __future__ import annotations

import json
import os
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
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private runtime folder where a worker serves at the default socket; stopped (SIGTERM) after."""
    folder = tmp_path_factory.mktemp("runtime")
    folder.chmod(0o700)
    p, sock = start_worker(folder)
    with p:
        assert sock.parent == folder / "dil" and sock.name.startswith("run-worker-")
        assert (sock.stat().st_mode & 0o777, sock.parent.stat().st_mode & 0o777) == (0o600, 0o700)
        yield folder
        p.terminate()
        assert p.wait(timeout=60) == 0
    assert not sock.exists()  # the worker removes its socket as it stops


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
    # the worker starts afresh on the current code: a later run is served again
    for _ in range(300):
        again, by_worker = _through_worker(*RUN, "--out", "a", cwd=tmp_path, env=here)
        assert again.returncode == 1 and "did not take" not in again.stderr, again.stderr
        if by_worker:
            break
    assert by_worker
    off, by_worker = _through_worker(*RUN, "--out", "f", cwd=tmp_path, env={**here, "DIL_RUN_WORKER": "off"})
    assert (off.returncode, off.stderr, by_worker) == (1, "", False)


def test_with_no_worker_or_a_stale_socket_the_client_runs_the_command_itself(tmp_path: Path) -> None:
    from dil.run.worker_client import default_socket

    runtime = tmp_path / "runtime"
    (runtime / "dil").mkdir(parents=True, mode=0o700)
    runtime.chmod(0o700)
    env = _env(XDG_RUNTIME_DIR=str(runtime))
    nobody = _dil(*RUN, "--out", "n", cwd=tmp_path, env=env)
    gone = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # the socket file of a worker that is gone
    gone.bind(str(default_socket({"XDG_RUNTIME_DIR": str(runtime)})))
    gone.close()
    stale = _dil(*RUN, "--out", "s", cwd=tmp_path, env=env)
    named = _dil(*RUN, "--out", "t", cwd=tmp_path, env={**env, "DIL_RUN_WORKER": str(tmp_path / "no.sock")})
    assert [(p.returncode, p.stderr) for p in (nobody, stale, named)] == [(1, "")] * 3
    assert (tmp_path / "s" / "ccrs" / "trace.csv").exists()


def test_a_second_worker_on_a_live_socket_is_refused(runtime: Path, tmp_path: Path) -> None:
    second = _dil("run-worker", cwd=tmp_path, env=_env(XDG_RUNTIME_DIR=str(runtime)))
    assert second.returncode == 2 and "a worker already listens there" in second.stderr
