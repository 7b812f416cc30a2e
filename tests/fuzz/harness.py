"""Drives :mod:`tests.fuzz.worker` in a child process: one case at a time with a deadline, so that a
hang (no answer by the deadline) and a crash (the child dies, e.g. SIGSEGV) are counted as such,
and the child is started afresh after either."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

WORKER = Path(__file__).with_name("worker.py")
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Counts:
    cases: int = 0
    accepted: int = 0
    clean_errors: int = 0
    tracebacks: int = 0
    hangs: int = 0
    crashes: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, status: str, what: str, detail: str) -> None:
        self.cases += 1
        if status == "ok":
            self.accepted += 1
        elif status == "clean":
            self.clean_errors += 1
        else:
            status = {"traceback": "tracebacks"}.get(status, status)
            setattr(self, status, getattr(self, status) + 1)
            self.failures.append(f"{status}: {what}\n{detail}")

    def summary(self) -> dict:
        return {
            "cases": self.cases,
            "accepted": self.accepted,
            "clean_errors": self.clean_errors,
            "tracebacks": self.tracebacks,
            "hangs": self.hangs,
            "crashes": self.crashes,
        }


class Worker:
    def __init__(self, log: Path) -> None:
        self.log = log
        self.proc: subprocess.Popen | None = None
        self.buf = b""
        self.fresh = True

    def _start(self) -> subprocess.Popen:
        self.buf = b""
        self.fresh = True
        err = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, cwd=REPO
        )
        err.close()
        return self.proc

    def run(self, case: dict, timeout: float) -> tuple[str, str]:
        """``(status, detail)``: ok, clean, traceback, hangs or crashes."""
        proc = self.proc if self.proc is not None and self.proc.poll() is None else self._start()
        if self.fresh:
            timeout += 120.0  # the first case in a new child also imports dil and loads the kernels
        try:
            proc.stdin.write((json.dumps(case) + "\n").encode())  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
        except BrokenPipeError:
            return self._died()
        line = self._line(proc, time.monotonic() + timeout)
        if line is None:
            proc.kill()
            proc.wait()
            self.proc = None
            return "hangs", f"no answer within {timeout:.0f} s"
        if line == b"":
            return self._died()
        self.fresh = False
        answer = json.loads(line)
        return answer["status"], answer["detail"]

    def _died(self) -> tuple[str, str]:
        assert self.proc is not None
        rc = self.proc.wait()
        self.proc = None
        return "crashes", f"the worker died with status {rc}"

    def _line(self, proc: subprocess.Popen, deadline: float) -> bytes | None:
        fd = proc.stdout.fileno()  # type: ignore[union-attr]
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return b""
                self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()  # type: ignore[union-attr]
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
