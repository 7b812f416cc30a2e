"""A CURVE rig server survives a runtime without CURVE: the failed handshakes are counted and the
rig engages as soon as the real (CURVE) runtime starts (libzmq alone never connects again)."""

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from dil.bus import Drops, Endpoints, Inbox, ZmqBus
from dil.bus.curve import Curve

from ..ports import port_block

ROOT = Path(__file__).resolve().parents[2]


def _dil(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dil", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **kw,
    )


def _stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _until(feedback: Inbox, condition, timeout_s: float) -> dict | None:
    """The first rig/feedback message meeting ``condition`` within ``timeout_s``, else None."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        m = feedback.next(timeout_ms=100)
        if m is not None and condition(m):
            return m
    return None


def test_the_curve_runtime_engages_the_rig_after_a_runtime_without_curve(tmp_path):
    base_port = port_block()
    keys, rig_allows, runtime_allows = tmp_path / "keys", tmp_path / "rig-allows", tmp_path / "runtime-allows"
    for name in ("runtime", "rig"):
        subprocess.run([sys.executable, "-m", "dil", "keys", name, "--dir", str(keys)], check=True, cwd=ROOT)
    for d, who in ((rig_allows, "runtime"), (runtime_allows, "rig")):
        d.mkdir()
        shutil.copy(keys / f"{who}.key", d / f"{who}.key")
    bus_args = ("--bus", "tcp", "--port", str(base_port))
    rig = _dil(
        *("rig", "serve", "--sim", *bus_args),
        *("--curve-secret", str(keys / "rig.key_secret")),
        *("--curve-server-key", str(keys / "runtime.key")),
        *("--curve-authorized", str(rig_allows)),
    )
    # the console's view of rig/feedback: a CURVE client holding a key the rig allows
    watcher = ZmqBus(
        Endpoints.default("tcp", port=base_port),
        curve=Curve(
            keys / "runtime.key_secret", keys / "runtime.key", None, (("rig/feedback", keys / "rig.key"),)
        ),
    )
    feedback = Inbox(watcher.subscriber("rig/feedback", conflate=True), Drops())
    plain = curved = None
    try:
        first = _until(feedback, lambda m: True, 60)
        assert first is not None and first["state"] == "parked" and first["link_failures"] == 0
        # a runtime without CURVE binds rig/command: the rig's handshakes with it fail
        plain = _dil("drive", "--headless", "--rig", "sim", "--wheel", "", *bus_args)
        failed = _until(feedback, lambda m: m["link_failures"] > 0, 60)
        assert failed is not None, "no failed handshake reported"
        assert "rig/command" in failed["link_error"] and "handshake failed" in failed["link_error"]
        time.sleep(4.0)  # the plain runtime runs for a while, as in the field (not synchronisation)
        _stop(plain)
        assert _until(feedback, lambda m: m["state"] != "parked", 2.0) is None  # nobody moved the rig
        curved = _dil(
            *("drive", "--headless", "--rig", "sim", "--wheel", "", *bus_args),
            *("--curve-secret", str(keys / "runtime.key_secret")),
            *("--curve-server-key", str(keys / "runtime.key")),
            *("--curve-server-key", f"rig/feedback={keys / 'rig.key'}"),
            *("--curve-authorized", str(runtime_allows)),
        )
        engaged = _until(feedback, lambda m: m["state"] in ("engaging", "engaged"), 90)
        assert engaged is not None, "the CURVE runtime never engaged the rig"
        assert engaged["link_failures"] >= failed["link_failures"]
    finally:
        for p in (plain, curved):
            if p is not None:
                _stop(p)
        watcher.close()
        _stop(rig)
