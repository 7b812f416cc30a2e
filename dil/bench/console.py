"""``dil bench console``: what the console costs and how fresh it is.

One real-time loop (``dil drive --headless --driver sine-steer``, its own process) runs through
four phases of equal length: without a console, with ``dil console`` running but no page open,
with its page open in headless Chromium, and without again. Per phase: the loop's lateness from
its ``run/status`` windows (median p50 and p99 of the 1 s windows, the highest p99.9 and max) and
the late and missed ticks. With the page open: the delay from a ``vehicle/state`` message's publication (its
``t_wall_ns``) to the page's next painted frame that shows it, measured in the page.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from dil.bench.report import format_table, write_json
from dil.console.chromium import ARGS, CHROMIUM

COLUMNS = (
    "phase",
    "windows",
    "lateness_p50_us",
    "lateness_p99_us",
    "lateness_p999_us",
    "lateness_max_us",
    "late_ticks",
    "missed_ticks",
)
DELAY_COLUMNS = ("what", "samples", "p50_ms", "p99_ms", "max_ms", "frames_per_s")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("console", help="bus-to-page delay of the console; its load on the 1 kHz loop")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each phase [s]")
    p.add_argument("--port", type=int, default=5900, help="first bus port (the bench's own bus)")
    p.add_argument(
        "--separate-cpus",
        action="store_true",
        help="pin the loop to CPU 1 and the console, the browser and this process to CPU 0",
    )
    p.add_argument("--json", default="bench-console.json", help="where to write the JSON report")
    p.set_defaults(func=run)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dil(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dil", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _end(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _collect(status, until: float, into: list) -> None:
    """``run/status`` messages until the monotonic time ``until``."""
    while (left := until - time.monotonic()) > 0:
        m = status.next(int(min(left, 0.2) * 1e3))
        if m is not None:
            into.append(m)


def _phase(name: str, msgs: list) -> tuple:
    running = [m for m in msgs if m["state"] == "running"]
    if len(running) < 2:
        return (name, len(running), None, None, None, None, None, None)
    # one window per second of the phase: statuses come at 10 Hz over a 1 s ring
    windows = running[::10]
    return (
        name,
        len(windows),
        statistics.median(m["lateness_p50_us"] for m in windows),
        statistics.median(m["lateness_p99_us"] for m in windows),
        max(m["lateness_p999_us"] for m in windows),
        max(m["lateness_max_us"] for m in windows),
        running[-1]["late_ticks"] - running[0]["late_ticks"],
        running[-1]["missed_ticks"] - running[0]["missed_ticks"],
    )


def run(args: argparse.Namespace) -> int:
    from playwright.sync_api import sync_playwright

    from dil.bus import Drops, Endpoints, Inbox, ZmqBus

    if not CHROMIUM.exists():
        print(f"dil bench console: needs {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 2
    T = args.seconds
    settle = min(3.0, max(0.5, T / 3))  # warm-up and hand-over waits between phases [s]
    bus_args = ("--bus", "tcp", "--port", str(args.port))
    bus = ZmqBus(Endpoints.default("tcp", port=args.port))
    status = Inbox(bus.subscriber("run/status"), Drops())
    pin = ("--cpu", "1") if args.separate_cpus else ()
    loop = _dil(
        "drive", "--headless", "--driver", "sine-steer", "--duration", str(3 * T + 30), *pin, *bus_args
    )
    if args.separate_cpus:
        os.sched_setaffinity(0, {0})  # inherited by the console and the browser started from here
    token = "bench-" + os.urandom(12).hex()
    phases: dict[str, list] = {
        "without console": [],
        "with console, no page": [],
        "with console and page": [],
        "without console again": [],
    }
    delays: list[float] = []
    frames = 0
    try:
        first = status.next(30_000)
        if first is None:
            print("dil bench console: the loop did not start", file=sys.stderr)
            return 2
        _collect(status, time.monotonic() + settle, [])  # warm-up
        _collect(status, time.monotonic() + T, phases["without console"])

        http = _free_port()
        console = _dil(
            "console", "--http-port", str(http), "--token", token, "--audit", os.devnull, *bus_args
        )
        try:
            _collect(status, time.monotonic() + settle, [])  # the console starts and subscribes
            _collect(status, time.monotonic() + T, phases["with console, no page"])
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                page = browser.new_page()
                deadline = time.monotonic() + 30
                while True:
                    try:
                        page.goto(f"http://127.0.0.1:{http}/?token={token}")
                        break
                    except Exception:
                        if time.monotonic() > deadline:
                            raise
                        _collect(status, time.monotonic() + 0.2, [])
                while page.evaluate("window.dilStats.delaysMs.length") < 25:
                    _collect(status, time.monotonic() + 0.2, [])
                _collect(status, time.monotonic() + 1.0, [])  # settle
                page.evaluate("window.dilStats.delaysMs.length = 0; window.dilStats.frames = 0")
                t0 = time.monotonic()
                _collect(status, t0 + T, phases["with console and page"])
                delays = page.evaluate("window.dilStats.delaysMs")
                frames = page.evaluate("window.dilStats.frames") / (time.monotonic() - t0)
                browser.close()
        finally:
            _end(console)
        _collect(status, time.monotonic() + min(2.0, settle), [])  # the console's processes are gone
        _collect(status, time.monotonic() + T, phases["without console again"])
    finally:
        _end(loop)
        bus.close()

    rows = [_phase(name, msgs) for name, msgs in phases.items()]
    where = ", loop on CPU 1, console and browser on CPU 0" if args.separate_cpus else ""
    print(
        f"1 kHz loop (dil drive --headless){where}, {T:g} s per phase, lateness from run/status windows [us]"
    )
    print(format_table(COLUMNS, rows))
    d = np.asarray(delays)
    delay_rows = [
        (
            "vehicle/state publication to painted page",
            len(d),
            float(np.percentile(d, 50)) if len(d) else None,
            float(np.percentile(d, 99)) if len(d) else None,
            float(d.max()) if len(d) else None,
            frames,
        )
    ]
    print()
    print(format_table(DELAY_COLUMNS, delay_rows))
    write_json(
        Path(args.json),
        "console",
        COLUMNS,
        rows,
        {
            "display_delay": [dict(zip(DELAY_COLUMNS, r, strict=True)) for r in delay_rows],
            "seconds": T,
            "separate_cpus": args.separate_cpus,
        },
    )
    return 0
