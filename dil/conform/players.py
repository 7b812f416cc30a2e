"""Running one file with each player in a subprocess with a time limit: a crash or a hang is a
result, never the harness's end."""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

LOADED, REFUSED, CRASHED, TIMEOUT, FAILED = "loaded", "refused", "crashed", "timeout", "failed"

MAX_CSV_BYTES = 200 * 1024 * 1024
"""An esmini log past this size is cut (a scenario without an end at a 0.01 s step)."""

_ELEMENT = re.compile(r"<([A-Za-z_][\w.-]*)>")


@dataclass
class PlayerRun:
    status: str
    """loaded (ran and left a trace), refused (bad or unsupported input), crashed, timeout, failed (the
    run stopped on an error in its loop: its trace is kept, its entities are not compared)."""
    message: str = ""
    element: str = ""
    """The element an error names (``<EnvironmentAction>``), where it names one."""
    trace: Path | None = None
    wall_s: float = 0.0
    """The player's whole process, start to exit, wall clock [s]."""
    cpu_s: float | None = None
    """The same process's CPU time, user and system [s] (what a loaded machine's other work leaves
    out of its wall time)."""
    end: str = ""
    """How dil's run ended (result.json's ``end``), or esmini's note on a cut log."""
    simulated_s: float | None = None

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "message": self.message,
            "element": self.element,
            "trace": str(self.trace) if self.trace else None,
            "wall_s": round(self.wall_s, 3),
            "cpu_s": None if self.cpu_s is None else round(self.cpu_s, 3),
            "end": self.end,
            "simulated_s": self.simulated_s,
        }


def _last_error(stderr: str, prefix: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    mine = [ln for ln in lines if ln.startswith(prefix)]
    return (mine[-1][len(prefix) :] if mine else (lines[-1] if lines else "")).strip()


def _children_cpu_s() -> float:
    """User and system CPU time of this process's waited-for children so far [s]."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_dil(xosc: Path, out: Path, timeout_s: float, env: dict[str, str] | None = None) -> PlayerRun:
    """``dil run XOSC --stack none --no-record`` with its outputs under ``out``; trace.csv is the trace.
    ``env``: the process's environment (default: this one's, never handing the run to a worker)."""
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "dil", "run", str(xosc.resolve()), "--stack", "none", "--no-record",
           "--out", str(out.resolve())]  # fmt: skip
    cpu0, t0 = _children_cpu_s(), time.monotonic()
    try:
        env = env if env is not None else {**os.environ, "DIL_RUN_WORKER": "off"}  # a fresh process
        p = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout_s, cwd=out, check=False, env=env
        )
    except subprocess.TimeoutExpired:
        return PlayerRun(TIMEOUT, f"no result after {timeout_s:g} s", wall_s=time.monotonic() - t0)
    wall, cpu = time.monotonic() - t0, _children_cpu_s() - cpu0
    run_dir = out / xosc.stem
    result, trace = run_dir / "result.json", run_dir / "trace.csv"
    if p.returncode == 2 and "Traceback" not in p.stderr:
        msg = _last_error(p.stderr, "dil run: ")
        m = _ELEMENT.search(msg)
        return PlayerRun(REFUSED, msg, m.group(1) if m else "", wall_s=wall, cpu_s=cpu)
    if p.returncode in (0, 1, 3) and result.exists() and trace.exists():
        doc = json.loads(result.read_text())
        end = str(doc.get("end", ""))
        # a run that stopped on an error in its loop did not play the scenario: not "loaded and ran"
        status = FAILED if end.startswith("error") else LOADED
        return PlayerRun(status, end if status == FAILED else "", trace=trace, wall_s=wall, cpu_s=cpu,
                         end=end, simulated_s=doc.get("simulated_s"))  # fmt: skip
    return PlayerRun(
        CRASHED, f"exit {p.returncode}: {_last_error(p.stderr, 'dil run: ')[-300:]}", wall_s=wall, cpu_s=cpu
    )


def run_esmini(esmini: Path, xosc: Path, csv_path: Path, timeout_s: float) -> PlayerRun:
    """esmini headless at a fixed 0.01 s step with its per-entity CSV log; the log is cut (and kept)
    past ``timeout_s`` or :data:`MAX_CSV_BYTES`."""
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    csv_path.unlink(missing_ok=True)
    cmd = [str(esmini), "--headless", "--fixed_timestep", "0.01", "--osc", str(xosc.resolve()),
           "--csv_logger", str(csv_path.resolve()), "--disable_stdout", "--disable_log"]  # fmt: skip
    err_path = csv_path.with_suffix(".stderr.txt")
    cut: list[str] = []
    cpu0, t0 = _children_cpu_s(), time.monotonic()
    with (
        err_path.open("wb") as err,  # a file, not a pipe: a chatty player never blocks on it
        subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=csv_path.parent, start_new_session=True
        ) as p,
    ):
        ended = threading.Event()
        watch = threading.Thread(target=_watch, args=(p, csv_path, t0, timeout_s, ended, cut), daemon=True)
        watch.start()
        p.wait()  # a blocking wait: the wall time ends at the player's exit, not at a polling tick
        wall, cpu = time.monotonic() - t0, _children_cpu_s() - cpu0
        ended.set()
        watch.join()
    stderr = err_path.read_text(errors="replace")[-4000:]
    if cut:
        whole_lines(csv_path)
    rows = _data_rows(csv_path)
    if rows >= 2:
        return PlayerRun(LOADED, trace=csv_path, wall_s=wall, cpu_s=cpu, end=cut[0] if cut else "ended")
    if cut:
        return PlayerRun(TIMEOUT, cut[0], wall_s=wall, cpu_s=cpu)
    why = _last_error(stderr, "") or f"exit {p.returncode}, no log rows"
    return PlayerRun(REFUSED if p.returncode >= 0 else CRASHED, why[-300:], wall_s=wall, cpu_s=cpu)


def _watch(
    p: subprocess.Popen, csv_path: Path, t0: float, timeout_s: float, ended: threading.Event, cut: list[str]
) -> None:
    """Kill the player's process group past ``timeout_s`` or :data:`MAX_CSV_BYTES` of log, saying why
    in ``cut``; returns when ``ended`` is set (the player exited)."""
    while not ended.wait(0.2):
        if time.monotonic() - t0 > timeout_s:
            cut.append(f"cut after {timeout_s:g} s")
        elif csv_path.exists() and csv_path.stat().st_size > MAX_CSV_BYTES:
            cut.append(f"cut at {MAX_CSV_BYTES // 2**20} MiB of log")
        if cut:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            return


def whole_lines(csv_path: Path, tail_bytes: int = 1 << 16) -> None:
    """Cut a log its player was killed in the middle of writing back to its last whole line (a
    row cut short would read as a field that is not a number)."""
    try:
        with csv_path.open("r+b") as f:
            size = f.seek(0, os.SEEK_END)
            start = max(0, size - tail_bytes)
            f.seek(start)
            tail = f.read()
            if tail.endswith(b"\n"):
                return
            last = tail.rfind(b"\n")
            if last >= 0 or start == 0:  # (a line longer than the tail is left as it is)
                f.truncate(start + last + 1)
    except OSError:
        pass


def _data_rows(csv_path: Path) -> int:
    """Rows after the header in an esmini CSV log (counting stops at 2)."""
    if not csv_path.exists():
        return 0
    n, header = 0, False
    with csv_path.open(errors="replace") as f:
        for line in f:
            if header and line.strip():
                n += 1
                if n >= 2:
                    break
            header = header or line.lstrip().startswith("Index")
    return n


def esmini_version(esmini: Path) -> str:
    """What ``esmini --version`` prints (first lines), or why not."""
    try:
        p = subprocess.run(
            [str(esmini), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unknown ({e})"
    text = (p.stdout + p.stderr).strip()
    return " ".join(ln.strip() for ln in text.splitlines()[:4])
