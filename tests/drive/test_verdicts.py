"""Verdicts of ``dil drive`` runs a validator can sign: an e-stopped run is aborted, and time with
nobody at the wheel fails the run (real ``dil drive --headless`` processes; the scores and reports of
their logs are made in the test's process)."""

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import msgpack
import pytest

from dil.bus import Drops, Encoder, Endpoints, Inbox, ZmqBus
from dil.bus.messages import CONSOLE_COMMAND
from dil.recording.fast import fast_records
from dil.recording.reader import read_metadata

from ..inproc import dil_here
from ..ports import port_block

ROOT = Path(__file__).resolve().parents[2]
CCRS = ROOT / "scenarios" / "catalog" / "ccrs.xosc"


def _dil(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dil", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def _stack_events(log: Path) -> list[dict]:
    return [msgpack.unpackb(bytes(d)) for t, _, d in fast_records(log) if t == "stack/events"]


def test_nobody_at_the_wheel_fails_the_run_and_is_announced(tmp_path):
    # ccrs with no driver input at all: the fallback brake stops the car short of the target, which
    # passed before; now the time with nobody in control is measured, announced and fails the run
    done = _dil("drive", str(CCRS), "--headless", "--bus", "local", "--out", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"driver_in_control\s+FAIL: nobody in control for \d+\.\d\d s", done.stdout)
    assert re.search(r"verdict\s+FAIL", done.stdout)
    doc = json.loads((tmp_path / "ccrs" / "result.json").read_text())
    k, v = doc["kpis"], doc["verdict"]
    assert doc["end"] == "stop trigger" and not k["collision"]  # what used to pass
    assert v["outcome"] == "fail" and v["passed"] is False
    failed = [c for c in v["checks"] if not c["passed"]]
    assert [c["criterion"] for c in failed] == ["driver_in_control"]
    # nobody from the input timeout (0.2 s) to the end
    assert abs(k["no_driver_s"] - (doc["simulated_s"] - 0.2)) < 0.05, (k["no_driver_s"], doc["simulated_s"])
    events = _stack_events(tmp_path / "ccrs" / "run.mcap")
    assert events[0]["control"] == "none" and events[0]["kind"] == "fallback"
    assert abs(events[0]["t_sim_ns"] * 1e-9 - 0.21) < 0.011 and "200 ms" in events[0]["detail"]
    assert len(events) == 1  # nobody came back
    described = read_metadata(tmp_path / "ccrs" / "run.mcap")[0]["dil.run"]
    assert described["clock"] == "wall" and described["stack"] == "driver"  # paced by the wall clock
    score = dil_here("log", "score", str(tmp_path / "ccrs" / "run.mcap"))
    assert score.returncode == 1 and re.search(r"driver_in_control FAIL: nobody in control for", score.stdout)
    assert re.search(r"no_driver_s\s+\d", score.stdout)


def test_a_driver_who_drives_is_in_control_throughout(tmp_path):
    done = _dil(
        "drive", str(CCRS), "--headless", "--bus", "local", "--clock", "simulated", "--driver", "launch",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stdout + done.stderr
    doc = json.loads((tmp_path / "ccrs" / "result.json").read_text())
    check = next(c for c in doc["verdict"]["checks"] if c["criterion"] == "driver_in_control")
    assert check == {"criterion": "driver_in_control", "passed": True, "value": "always"}
    assert doc["kpis"]["no_driver_s"] == 0.0 and _stack_events(tmp_path / "ccrs" / "run.mcap") == []


@pytest.mark.parametrize(
    ("command", "why"), [("estop", "emergency stop by jane"), ("stop", "stopped by jane")]
)
def test_an_operators_stop_aborts_the_run_everywhere_its_verdict_goes(command, why, tmp_path):
    port = port_block()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dil", "drive", str(CCRS), "--headless", "--driver", "launch",
         "--bus", "tcp", "--port", str(port), "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    bus = ZmqBus(Endpoints.default("tcp", port=port))
    try:
        console = bus.publisher(CONSOLE_COMMAND.topic)
        status = Inbox(bus.subscriber("run/status"), Drops())
        enc = Encoder(CONSOLE_COMMAND, "console")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the run is under way
            s = status.next(timeout_ms=100)
            if s is not None and s["state"] == "running" and s["t_sim_ns"] >= 500_000_000:
                break
            assert proc.poll() is None, proc.communicate()
        else:
            raise AssertionError("the run did not start")
        while proc.poll() is None and time.monotonic() < deadline:  # until heard: subscribers join late
            console.send(
                enc.encode(0, time.time_ns(), {"command": command, "argument": "", "operator": "jane"})
            )
            time.sleep(0.1)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        bus.close()
    assert proc.returncode == 3, out + err
    assert re.search(rf"verdict\s+ABORTED: {why}", out), out
    assert re.search(rf"must_complete\s+FAIL: {why}", out), out  # it said "pass: emergency stop by jane"
    doc = json.loads((tmp_path / "ccrs" / "result.json").read_text())
    v = doc["verdict"]
    assert v["outcome"] == "aborted" and v["passed"] is False and v["reason"] == why
    assert doc["outcome"] == "aborted" and doc["end"] == why
    log = tmp_path / "ccrs" / "run.mcap"
    score = dil_here("log", "score", str(log))
    assert score.returncode == 3 and f"verdict ABORTED: {why}" in score.stdout
    page = tmp_path / "report.html"
    report = dil_here("report", str(log), "-o", str(page))
    assert report.returncode == 0, report.stderr
    html = page.read_text()
    assert f'<p class="verdict">ABORTED: {why}</p>' in html
    assert f'<p class="end">end: {why}</p>' in html and "color:#d80" in html


def test_ctrl_c_of_a_scenario_drive_aborts_it_with_status_130(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "dil", "drive", str(CCRS), "--headless", "--driver", "launch",
         "--bus", "local", "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    log = tmp_path / "ccrs" / "run.mcap"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (not log.exists() or log.stat().st_size < 300_000):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, out + err
    assert re.search(r"verdict\s+ABORTED: interrupted \(SIGINT\)", out) and "Traceback" not in err
    doc = json.loads((tmp_path / "ccrs" / "result.json").read_text())
    assert doc["verdict"]["outcome"] == "aborted" and doc["end"] == "interrupted (SIGINT)"
