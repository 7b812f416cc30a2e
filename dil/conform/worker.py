"""A ``dil run-worker`` that the conformance harness starts for its dil runs (``dil conform --worker``),
so that the table's whole-process time of dil is that of a ``dil run`` handed to a resident worker."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def run_worker(log: Path, idle_s: float) -> Iterator[dict[str, str]]:
    """A worker serving at a socket in a private temporary folder, its stderr in ``log``, stopped
    (SIGTERM) at the end; yields the environment of the ``dil run`` processes it serves. It leaves by
    itself after ``idle_s`` [s] with no run (a harness killed before it could stop it)."""
    with tempfile.TemporaryDirectory(prefix="dil-conform-") as folder:
        sock = Path(folder) / "run.sock"
        env = {k: v for k, v in os.environ.items() if k != "DIL_RUN_WORKER"}
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as err:
            cmd = [sys.executable, "-m", "dil", "run-worker", "--socket", str(sock), "--idle", f"{idle_s:g}"]
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
            try:
                line = p.stdout.readline()  # once its kernels are loaded, or it died
                if not line.startswith("serving dil run at"):
                    raise RuntimeError(f"dil run-worker did not start (exit {p.wait()}; see {log})")
                yield {**env, "DIL_RUN_WORKER": str(sock)}
            finally:
                p.terminate()
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                p.stdout.close()
