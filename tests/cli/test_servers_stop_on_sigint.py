"""A server stops on SIGINT (Ctrl-C, or ``kill -INT``) with status 0 even when it was started with
SIGINT ignored, as a shell starts a command in the background (``dil run-worker &``): Python then
leaves SIGINT ignored and the server would serve on until killed."""

from __future__ import annotations

import contextlib
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ..ports import port_block

pytestmark = pytest.mark.subprocess
ROOT = Path(__file__).resolve().parents[2]
SERVING_WAIT_S = 600.0  # a cold kernel cache compiles first (minutes on a busy 2-core machine)
STOP_WAIT_S = 120.0


def _ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("args", "serving"),
    [
        (("run-worker", "--socket", "{tmp}/run.sock", "--idle", "600"), "serving dil run at"),
        (("carla-lite", "--map", "scenarios/roads/highway.xodr", "--port", "{port}"), "carla-lite listening"),
    ],
    ids=["run-worker", "carla-lite"],
)
def test_a_server_started_with_sigint_ignored_still_stops_on_sigint(tmp_path, args, serving):
    port = port_block()
    argv = [sys.executable, "-m", "dil", *(a.format(tmp=tmp_path, port=port) for a in args)]
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_ignoring_sigint,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in iter(proc.stdout.readline, "")])
    reader.start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + SERVING_WAIT_S
        while not any(serving in x for x in seen):
            assert proc.poll() is None, f"{argv} ended ({proc.returncode}): {seen}"
            assert time.monotonic() < deadline, f"{argv}: no {serving!r}: {seen}"
            with contextlib.suppress(queue.Empty):
                seen.append(lines.get(timeout=1.0))
        proc.send_signal(signal.SIGINT)
        assert proc.wait(STOP_WAIT_S) == 0, seen
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(30)
