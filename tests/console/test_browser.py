"""The console in a real browser (Debian's headless Chromium through Playwright) against a real
runtime (``dil drive --console``) and a real rig server (``dil rig serve --sim``) on loopback."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dil.bus import Drops, Endpoints, Inbox, ZmqBus
from dil.console.chromium import ARGS, CHROMIUM, MISSING
from tests.console.conftest import TOKEN, make_console

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _dil(*args, port):
    return subprocess.Popen(
        [sys.executable, "-m", "dil", *args, "--bus", "tcp", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _end(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.stdout.read() if proc.stdout else ""


def _text(page, selector):
    return page.locator(selector).inner_text()


def _wait_text(page, selector, wanted, timeout_s=20.0):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if _text(page, selector) in wanted:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{selector} shows {_text(page, selector)!r}, not one of {wanted}")


def _artifacts(tmp_path: Path) -> Path:
    d = Path(os.environ.get("DIL_TEST_ARTIFACTS", tmp_path))
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_live_view_survives_a_console_restart_and_the_estop_parks_the_rig(browser, base_port, tmp_path):
    console = make_console(base_port, tmp_path)
    runs = tmp_path / "runs"
    rig = _dil("rig", "serve", "--sim", port=base_port)
    drive = ["drive", "--console", "--headless", "--rig", "sim", "--driver", "launch"]
    host = _dil(*drive, "--out", str(runs), port=base_port)
    bus = ZmqBus(Endpoints.default("tcp", port=base_port))
    feedback = Inbox(bus.subscriber("rig/feedback", conflate=True), Drops())
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.on("dialog", lambda d: d.accept())  # the operator confirms
    try:
        page.goto(console.url + f"?token={TOKEN}")
        assert "token=" not in page.url  # the token leaves the address bar
        _wait_text(page, "#auth", ("authorised",))
        page.fill("#operator", "jane")
        page.dispatch_event("#operator", "change")
        _wait_text(page, "#run-state", ("stopped",), 60)  # the runtime waits for a start
        _wait_text(page, "#rig-state", ("parked",))
        page.select_option("#scenario", "ccrs")
        page.fill("#params input[data-name='EgoSpeed']", "20")  # far from the target: a long run
        page.fill("#params input[data-name='StartTTC']", "40")
        page.click("button[data-cmd=start]")
        _wait_text(page, "#run-state", ("running",), 60)
        _wait_text(page, "#rig-state", ("engaged",), 20)

        speeds = set()
        end = time.monotonic() + 10
        while len(speeds) < 5 and time.monotonic() < end:
            speeds.add(_text(page, "#speed"))
            page.wait_for_timeout(100)
        assert len(speeds) >= 5, speeds  # the live values change
        shot = _artifacts(tmp_path) / "console-live.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        # the console goes away: the page says so, the run and the rig go on
        port = console.port
        console.stop()
        _wait_text(page, "#conn", ("reconnecting", "stale"), 10)
        page.wait_for_selector("#stale", state="visible", timeout=5000)
        assert "no data" in _text(page, "#stale")
        time.sleep(0.5)
        fb = feedback.latest()
        assert fb is not None and fb["state"] == "engaged", (fb, _end(host)[-2000:])
        console = make_console(base_port, tmp_path, http_port=port)
        _wait_text(page, "#conn", ("live",), 15)  # it reconnected by itself
        _wait_text(page, "#rig-state", ("engaged",))

        page.keyboard.press("Space")  # the e-stop's key
        _wait_text(page, "#rig-state", ("parking", "parked"), 5)
        end = time.monotonic() + 5
        while time.monotonic() < end:
            fb = feedback.latest() or fb
            if fb["state"] in ("parking", "parked"):
                break
            time.sleep(0.01)
        assert fb["state"] in ("parking", "parked") and fb["fault"] == "emergency stop by jane"
        _wait_text(page, "#run-state", ("stopped",), 30)  # the run ended; the runtime waits again
        (result,) = runs.glob("ccrs-*/result.json")
        doc = json.loads(result.read_text())
        assert doc["end"] == "emergency stop by jane" and doc["parameters"]["StartTTC"] == "40"
        page.wait_for_selector(f"#runs td:text-is('{result.parent.name}')", timeout=10_000)
        lines = [json.loads(x) for x in console.options.audit.read_text().splitlines()]
        assert [(e["operator"], e["command"], e["result"]) for e in lines if e["kind"] == "action"] == [
            ("jane", "start", "sent"),
            ("jane", "estop", "sent"),
        ]
        assert lines[0]["argument"] == "ccrs EgoSpeed=20 StartTTC=40"
    finally:
        page.close()
        console.stop()
        bus.close()
        out_host, out_rig = _end(host), _end(rig)
    assert "emergency stop by jane" in out_host, out_host[-3000:]
    assert "rig server stopped" in out_rig


def test_a_page_without_the_token_shows_live_data_but_cannot_send_controls(browser, base_port, tmp_path, bus):
    from tests.console.peers import Peer, run_status

    console = make_console(base_port, tmp_path)
    commands = Inbox(bus.subscriber("console/command"), Drops())
    peer = Peer(bus, {"run/status": run_status("running")})
    page = browser.new_page()
    try:
        page.goto(console.url)
        _wait_text(page, "#auth", ("view only (no token): controls disabled",))
        _wait_text(page, "#run-state", ("running",))
        assert page.locator("button[data-cmd=stop]").is_disabled()
        page.fill("#operator", "mallory")
        page.click("#estop")
        page.wait_for_function("document.getElementById('msg').textContent.includes('refused')")
        assert "not authorised" in _text(page, "#msg")
        # a forged request from the page, buttons bypassed: refused as well
        status = page.evaluate(
            "fetch('/api/command', {method: 'POST', headers: {'Content-Type': 'application/json'},"
            " body: JSON.stringify({command: 'stop', operator: 'mallory', confirmed: true})})"
            ".then(r => r.status)"
        )
        assert status == 401
        assert commands.next(300) is None
        # a wrong token is refused at the handshake and the page says so
        page.goto(console.url + "?token=wrong-token-wrong-token")
        _wait_text(page, "#auth", ("token refused", "view only (no token): controls disabled"))
    finally:
        page.close()
        peer.stop()
        console.stop()
    lines = [json.loads(x) for x in console.options.audit.read_text().splitlines()]
    assert [e["result"] for e in lines if e["kind"] == "action"] == ["refused", "refused"]
    assert any(e["kind"] == "auth" and e["reason"] == "wrong token" for e in lines)
    shutil.rmtree(tmp_path / "runs", ignore_errors=True)
