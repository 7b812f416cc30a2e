"""``dil rig serve --sim`` says what it serves as it starts, and sums up its ticks as it stops."""

import signal
import subprocess
import sys

from ..ports import port_block


def _port() -> int:
    return port_block()


def test_the_rig_server_says_what_it_serves_when_it_starts(tmp_path):
    port = _port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dil", "rig", "serve", "--sim", "--port", str(port), "--watchdog-ms", "80"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()  # blocks until the line is out (or the process ends)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert first.startswith("dil rig serve: simulated six-actuator platform, rig file sim_hexapod;"), first
    assert f"rig/command tcp://127.0.0.1:{port + 6}" in first  # the address a runtime publishes to
    assert "rig/feedback tcp://127.0.0.1:" in first and "console/command tcp://127.0.0.1:" in first
    assert "CURVE off" in first and "watchdog 80 ms" in first and "armed" in first
    assert "rig server stopped: state parked" in out and " late, " in out and " missed" in out
    assert "Traceback" not in err


def test_the_start_line_names_curve_and_a_held_start(tmp_path):
    keys = subprocess.run(
        [sys.executable, "-m", "dil", "keys", "rig", "--dir", str(tmp_path)], capture_output=True, text=True
    )
    assert keys.returncode == 0, keys.stderr
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "dil", "rig", "serve", "--sim", "--bus", "ipc"),
            *("--ipc-dir", str(tmp_path / "ipc"), "--arm-from-console", "--duration", "0.5"),
            *("--curve-secret", str(tmp_path / "rig.key_secret"), "--curve-authorized", str(tmp_path)),
            *("--curve-server-key", str(tmp_path / "rig.key")),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    first = out.splitlines()[0]
    assert f"rig/command ipc://{tmp_path / 'ipc'}/" in first
    assert f"CURVE on ({tmp_path / 'rig.key_secret'})" in first
    assert "held parked until an operator engages" in first


def test_free_driving_says_where_inputs_come_from_and_states_go():
    port = _port()
    done = subprocess.run(
        [sys.executable, "-m", "dil", "drive", "--headless", "--duration", "0.3", "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("dil drive: single_track sedan_bmw320i at 1 kHz, wall clock;"), first
    assert f"inputs from driver/input tcp://127.0.0.1:{port};" in first
    assert "out vehicle/state tcp://127.0.0.1:" in first
