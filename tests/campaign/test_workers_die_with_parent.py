"""A campaign killed with SIGKILL takes its pool workers with it (no orphans left running)."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .procs import running

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> set[int]:
    """Live child processes of ``pid`` (from /proc)."""
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out.update(int(c) for c in (task / "children").read_text().split())
    return {c for c in out if running(c)}


def _wait_for(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_sigkill_of_a_campaign_ends_its_workers(tmp_path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dil",
            "campaign",
            str(ROOT / "scenarios" / "campaigns" / "ccrs_grid.yaml"),
            "--workers",
            "2",
            "--out",
            str(tmp_path / "out"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(lambda: len(_children(proc.pid)) >= 2, 120), "the campaign started no workers"
        workers = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        assert _wait_for(lambda: not any(running(w) for w in workers), 30), (
            f"workers {sorted(w for w in workers if running(w))} outlived their campaign"
        )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
