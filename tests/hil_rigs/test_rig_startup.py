"""``dil rig serve`` and ``dil drive --rig`` refuse bad input with one clear line and exit 2: a bad
rig file, an address in use, rig control off loopback without CURVE."""

import contextlib
import io
import signal
import subprocess
import sys
from pathlib import Path

from dil.bus import Drops, Endpoints, Inbox, ZmqBus
from hil_rigs.startup import curve_refusal, is_loopback

from ..ports import port_block

ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    return port_block()


def _dil(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dil", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def _dil_here(*args: str) -> subprocess.CompletedProcess:
    """``dil ARGS`` run by ``dil.cli.main`` in this process, for refusals made before anything starts
    (each command also runs as a process in this file): its status and what it wrote to stderr."""
    from dil.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = main(list(args))
        except SystemExit as stop:
            rc = stop.code if isinstance(stop.code, int) else 1
    return subprocess.CompletedProcess(args, rc, "", err.getvalue())


def _refused(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr, r.stderr
    for w in words:
        assert w in r.stderr, (w, r.stderr)


def _bad_rig_files(tmp_path: Path) -> list[tuple[str, tuple[str, ...]]]:
    unknown = tmp_path / "unknown_key.yaml"
    good = (ROOT / "hil_rigs" / "rigs" / "sim_hexapod.yaml").read_text()
    unknown.write_text(good + "\nwashout_gain: 2\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [sim\ngeometry: {\n")
    return [
        (str(tmp_path / "missing.yaml"), ("missing.yaml",)),
        (str(broken), ("broken.yaml", "YAML")),
        (str(unknown), ("unknown_key.yaml", "washout_gain")),
    ]


def test_rig_serve_refuses_a_bad_rig_file(tmp_path):
    port = str(_port())
    for path, words in _bad_rig_files(tmp_path):
        _refused(_dil_here("rig", "serve", "--sim", "--rig", path, "--port", port), "dil rig serve:", *words)


def test_drive_refuses_a_bad_rig_file(tmp_path):
    port = str(_port())
    path, words = _bad_rig_files(tmp_path)[2]
    common = ("--headless", "--rig-file", path, "--duration", "1", "--port", port)
    _refused(_dil("drive", *common), "dil drive:", *words)  # --rig-file without --rig
    _refused(_dil_here("drive", "--rig", "sim", *common), "dil drive:", *words)
    _refused(_dil_here("drive", "scenarios/catalog/ccrm.xosc", "--rig", "sim", *common), "dil drive:", *words)
    path, words = _bad_rig_files(tmp_path)[0]
    _refused(_dil_here("drive", "--rig", "sim", "--headless", "--rig-file", path, "--port", port), *words)


def test_rig_serve_off_loopback_needs_curve():
    r = _dil("rig", "serve", "--sim", "--host", "0.0.0.0", "--port", str(_port()), "--duration", "1")
    _refused(r, "CURVE", "tcp://0.0.0.0:")
    assert len(r.stderr.strip().splitlines()) == 1  # the whole process says one line
    r = _dil_here("rig", "serve", "--sim", "--host", "192.0.2.7", "--port", str(_port()), "--duration", "1")
    _refused(r, "CURVE", "tcp://192.0.2.7:")


def test_rig_serve_on_loopback_starts_without_curve(tmp_path):
    r = _dil("rig", "serve", "--sim", "--host", "127.0.0.1", "--port", str(_port()), "--duration", "0.5")
    assert r.returncode == 0 and "rig server stopped" in r.stdout, r.stderr[-2000:]
    ipc = ("--bus", "ipc", "--ipc-dir", str(tmp_path / "ipc"), "--duration", "0.5")
    r = _dil("rig", "serve", "--sim", *ipc)
    assert r.returncode == 0 and "rig server stopped" in r.stdout, r.stderr[-2000:]


def test_rig_serve_off_loopback_starts_with_curve(tmp_path):
    from dil.bus.curve import generate

    keys, allowed = tmp_path / "keys", tmp_path / "allowed"
    for name in ("runtime", "rig"):
        generate(keys, name)
    allowed.mkdir()
    (allowed / "runtime.key").write_bytes((keys / "runtime.key").read_bytes())
    curve = (
        *("--curve-secret", str(keys / "rig.key_secret")),
        *("--curve-server-key", str(keys / "runtime.key")),
        *("--curve-authorized", str(allowed)),
    )
    r = _dil(
        "rig", "serve", "--sim", "--host", "0.0.0.0", "--port", str(_port()), "--duration", "0.5", *curve
    )
    assert r.returncode == 0 and "rig server stopped" in r.stdout, r.stderr[-2000:]


def test_a_second_rig_server_on_a_port_in_use_says_so():
    port = _port()
    bus_args = ("--bus", "tcp", "--port", str(port))
    first = subprocess.Popen(
        [sys.executable, "-m", "dil", "rig", "serve", "--sim", *bus_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    probe = ZmqBus(Endpoints.default("tcp", port=port))
    try:
        assert Inbox(probe.subscriber("rig/feedback"), Drops()).next(timeout_ms=60_000) is not None
        r = _dil("rig", "serve", "--sim", *bus_args)
        address = Endpoints.default("tcp", port=port)["rig/feedback"]
        _refused(r, address)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert first.poll() is None  # the first server goes on
    finally:
        probe.close()
        first.send_signal(signal.SIGTERM)
        first.wait(30)


def test_loopback_addresses():
    local = ["tcp://127.0.0.1:5600", "tcp://127.3.2.1:1", "tcp://localhost:5600", "tcp://[::1]:5600"]
    local += ["ipc:///tmp/dil/rig_feedback.sock", "inproc://dil/rig/command"]
    outside = ["tcp://0.0.0.0:5600", "tcp://*:5600", "tcp://10.0.0.2:5600", "tcp://rig.example:5600"]
    outside += ["tcp://eth0:5600", "tcp://127.0.0.1;10.0.0.2:5600", "udp://127.0.0.1:5600"]
    assert all(is_loopback(a) for a in local), [a for a in local if not is_loopback(a)]
    assert not any(is_loopback(a) for a in outside), [a for a in outside if is_loopback(a)]
    assert curve_refusal(local, curve=False) is None
    assert curve_refusal(outside, curve=True) is None
    assert "tcp://0.0.0.0:5600" in curve_refusal(outside, curve=False)


def test_rig_serve_refuses_a_bad_udp_platform_address():
    port = str(_port())
    _refused(_dil_here("rig", "serve", "--udp", "nosuch.invalid:9000", "--port", port), "nosuch.invalid:9000")
    _refused(_dil_here("rig", "serve", "--udp", "127.0.0.1:port", "--port", port), "127.0.0.1:port")
    _refused(_dil_here("rig", "serve", "--sim", "--udp", "127.0.0.1:9000", "--port", port), "exactly one")


def test_rig_commands_refuse_numbers_out_of_range():
    port = str(_port())
    _refused(_dil_here("rig", "serve", "--sim", "--watchdog-ms", "nan", "--port", port), "--watchdog-ms")
    _refused(_dil_here("rig", "serve", "--sim", "--duration", "-1", "--port", port), "--duration")
    _refused(_dil("rig", "arm", "--operator", "jo", "--timeout", "inf", "--port", port), "--timeout")


def test_dil_wheel_refuses_a_bad_mapping(tmp_path):
    mapping = tmp_path / "pedals.yaml"
    mapping.write_text("steering_axis: 0\nsteer_axis: 1\n")
    _refused(_dil("wheel", "--mapping", str(mapping), "--port", str(_port())), "pedals.yaml", "steer_axis")
