"""``dil run-worker``: a resident process runs ``dil run`` for clients that name its socket in
``DIL_RUN_WORKER``, with the same results as a run in a fresh process; where it could differ it
refuses and the client runs the command itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKER_SOURCE = ROOT / "dil" / "run" / "worker.py"
RUN = ("run", "ccrs", "--stack", "none", "--no-record")
WALL_FIELDS = ("wall_s", "realtime_factor")


def _dil(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dil", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A worker listening at a socket in a temporary folder; stopped (SIGTERM) after the module."""
    sock = tmp_path_factory.mktemp("worker") / "run.sock"
    env = {k: v for k, v in os.environ.items() if k != "DIL_RUN_WORKER"}
    with subprocess.Popen(
        [sys.executable, "-m", "dil", "run-worker", "--socket", str(sock)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    ) as p:
        line = p.stdout.readline()  # blocks until it serves (its kernels loaded) or it died
        assert line.startswith(f"serving dil run at {sock}"), (line, p.stderr.read() if p.poll() else "")
        yield sock
        p.terminate()
        assert p.wait(timeout=60) == 0
    assert not sock.exists()  # the worker removes its socket as it stops


def _result(out: Path) -> dict:
    doc = json.loads((out / "ccrs" / "result.json").read_text())
    return {k: v for k, v in doc.items() if k not in WALL_FIELDS}


def test_a_run_through_the_worker_is_the_run_of_a_fresh_process(worker: Path, tmp_path: Path) -> None:
    here = _dil(*RUN, "--out", "fresh", cwd=tmp_path, env={"DIL_RUN_WORKER": ""})
    served = _dil(*RUN, "--out", "served", cwd=tmp_path, env={"DIL_RUN_WORKER": str(worker)})
    # the same exit status (1: ccrs with nobody braking fails), the summary on the client's own stdout,
    # written relative to the client's folder
    assert (served.returncode, here.returncode) == (1, 1), served.stderr
    assert "verdict                    FAIL" in served.stdout and "did not take" not in served.stderr
    assert _result(tmp_path / "served") == _result(tmp_path / "fresh")
    trace = (tmp_path / "served" / "ccrs" / "trace.csv").read_bytes()
    assert trace == (tmp_path / "fresh" / "ccrs" / "trace.csv").read_bytes()
    bad = _dil("run", "nosuch.xosc", cwd=tmp_path, env={"DIL_RUN_WORKER": str(worker)})
    assert bad.returncode == 2 and "dil run: nosuch.xosc: no such file" in bad.stderr


def test_a_client_whose_dil_would_load_differently_runs_the_command_itself(
    worker: Path, tmp_path: Path
) -> None:
    other = _dil(
        *RUN, "--out", "o", cwd=tmp_path, env={"DIL_RUN_WORKER": str(worker), "PYTHONHASHSEED": "123"}
    )
    assert other.returncode == 1 and (tmp_path / "o" / "ccrs" / "trace.csv").exists()
    assert "did not take the run (the variables PYTHONHASHSEED differ from the worker's)" in other.stderr
    before = WORKER_SOURCE.stat()
    try:  # a source file the worker loaded, changed since it started: its code would be stale
        os.utime(WORKER_SOURCE, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
        stale = _dil(*RUN, "--out", "s", cwd=tmp_path, env={"DIL_RUN_WORKER": str(worker)})
    finally:
        os.utime(WORKER_SOURCE, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert stale.returncode == 1 and f"{WORKER_SOURCE} changed since the worker started" in stale.stderr
    nobody = _dil(*RUN, "--out", "n", cwd=tmp_path, env={"DIL_RUN_WORKER": str(tmp_path / "none.sock")})
    assert nobody.returncode == 1 and "worker" not in nobody.stderr  # no worker: a plain run


def test_a_second_worker_on_a_live_socket_is_refused(worker: Path, tmp_path: Path) -> None:
    second = _dil("run-worker", "--socket", str(worker), cwd=tmp_path)
    assert (
        second.returncode == 2
        and f"dil run-worker: {worker}: a worker already listens there" in second.stderr
    )
