"""The console in a real browser (Debian's headless Chromium through Playwright) against a real
runtime (``dil drive --console``) and a real rig server (``dil rig serve --sim``) on loopback."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from dil.bus import Drops, Endpoints, Inbox, ZmqBus
from dil.console.chromium import ARGS, CHROMIUM, MISSING
from tests.console.conftest import TOKEN, make_console
from tests.joining import joined

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING)

SLACK = ("--watchdog-ms", "10000")
"""The rig's watchdog for these tests, the longest it takes: two browsers, a runtime and a rig server
share two loaded cores here, and a watchdog trip latches the rig parked (not what these tests are
about; a runtime starved for 500 ms tripped it). tests/hil_rigs keep the watchdog's own tests strict."""
UI_WAIT_S = 60.0
"""How long a page or the bus may take to show what a step caused: generous, for a loaded machine
(Chromium, the console, a run and the rig share two cores with other tests); no test here is about
how fast (``dil bench console`` measures that) [s]."""
UI_WAIT_MS = round(UI_WAIT_S * 1000)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield _PatientBrowser(b)
        b.close()


class _PatientBrowser:
    """Chromium whose pages wait up to :data:`UI_WAIT_S` for an element, an action or a condition
    (Playwright's own default is 30 s: a click under two suites side by side on 2 cores took longer)."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_page(self, **kwargs):
        page = self._browser.new_page(**kwargs)
        page.set_default_timeout(UI_WAIT_S * 1000)
        return page

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


def _dil(*args, port):
    # output into a file, never a pipe nobody reads while the process runs (a full pipe would stall it)
    out = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed with the process in _end)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dil", *args, "--bus", "tcp", "--port", str(port)],
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
    )
    proc.output_file = out
    return proc


def _end(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    proc.output_file.seek(0)
    return proc.output_file.read()


def _start_run(page, host, tries: int = 3) -> None:
    """Press start until the runtime obeys. A start that finds the rig's feedback stale (a rig process
    starved on a loaded machine) or the rig not ready is refused, as it must be, and the page says
    why; the operator presses again. Anything else that keeps the run from starting fails with the
    page's and the runtime's own words."""
    said = ""
    for _ in range(tries):
        page.click("button[data-cmd=start]")
        end = time.monotonic() + 40
        while time.monotonic() < end:
            if _text(page, "#run-state") == "running":
                return
            page.wait_for_timeout(50)
        said = _text(page, "#scheduling")
        if "refused" not in said:
            break
    raise AssertionError(
        f"the run did not start: #run-state {_text(page, '#run-state')!r}, #scheduling {said!r}, "
        f"#msg {_text(page, '#msg')!r}; the runtime said: {_end(host)[-3000:]}"
    )


def _text(page, selector):
    return page.locator(selector).inner_text()


def _wait_text(page, selector, wanted, timeout_s=UI_WAIT_S):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if _text(page, selector) in wanted:
            return
        page.wait_for_timeout(50)
    said = _text(page, "#msg")
    raise AssertionError(
        f"{selector} shows {_text(page, selector)!r}, not one of {wanted} (page says {said!r})"
    )


def _artifacts(tmp_path: Path) -> Path:
    d = Path(os.environ.get("DIL_TEST_ARTIFACTS", tmp_path))
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_live_view_survives_a_console_restart_and_the_estop_parks_the_rig(browser, base_port, tmp_path):
    console = make_console(base_port, tmp_path)
    runs = tmp_path / "runs"
    rig = _dil("rig", "serve", "--sim", *SLACK, port=base_port)
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
        page.fill("#params input[data-name='EgoSpeed']", "20")  # far from the target: a long run (its 30 s)
        page.fill("#params input[data-name='StartTTC']", "100")
        _start_run(page, host)
        _wait_text(page, "#rig-state", ("engaged",))

        speeds = set()
        end = time.monotonic() + UI_WAIT_S
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
        _wait_text(page, "#conn", ("reconnecting", "stale"))
        page.wait_for_selector("#stale", state="visible", timeout=UI_WAIT_S * 1000)
        assert "no data" in _text(page, "#stale")
        time.sleep(0.5)
        fb = feedback.latest()
        assert fb is not None and fb["state"] == "engaged", (fb, _end(host)[-2000:])
        console = make_console(base_port, tmp_path, http_port=port)
        _wait_text(page, "#conn", ("live",))  # it reconnected by itself
        _wait_text(page, "#rig-state", ("engaged",))

        page.keyboard.press("Space")  # the e-stop's key
        _wait_text(page, "#rig-state", ("parking", "parked"))
        end = time.monotonic() + 5
        while time.monotonic() < end:
            fb = feedback.latest() or fb
            if fb["state"] in ("parking", "parked"):
                break
            time.sleep(0.01)
        assert fb["state"] in ("parking", "parked") and fb["fault"] == "emergency stop by jane"
        _wait_text(page, "#run-state", ("stopped",), 30)  # the run ended; the runtime waits again
        end = time.monotonic() + 30  # its log is closed and its result written just after
        while not list(runs.glob("ccrs-*/result.json")) and time.monotonic() < end:
            time.sleep(0.05)
        (result,) = runs.glob("ccrs-*/result.json")
        doc = json.loads(result.read_text())
        assert doc["end"] == "emergency stop by jane" and doc["parameters"]["StartTTC"] == "100"
        assert doc["verdict"]["outcome"] == "aborted" and doc["verdict"]["passed"] is False
        page.wait_for_selector(f"#runs td:text-is('{result.parent.name}')", timeout=UI_WAIT_S * 1000)
        lines = [json.loads(x) for x in console.options.audit.read_text().splitlines()]
        assert [(e["operator"], e["command"], e["result"]) for e in lines if e["kind"] == "action"] == [
            ("jane", "start", "sent"),
            ("jane", "estop", "sent"),
        ]
        assert lines[0]["argument"] == "ccrs EgoSpeed=20 StartTTC=100"
    finally:
        page.close()
        console.stop()
        bus.close()
        out_host, out_rig = _end(host), _end(rig)
    assert "emergency stop by jane" in out_host, out_host[-3000:]
    assert "rig server stopped" in out_rig


def test_a_page_without_the_token_shows_live_data_estops_but_cannot_send_other_controls(
    browser, base_port, tmp_path, bus
):
    from tests.console.peers import Peer, rig_feedback, run_status

    console = make_console(base_port, tmp_path)
    commands = Inbox(joined(bus.subscriber("console/command")), Drops())
    fallback = {"kind": "fallback", "control": "fallback", "node": "", "frame_id": -1, "latency_ms": 0.0}
    link = "rig/command tcp://127.0.0.1:5555: handshake failed (no CURVE)"
    rig = {**rig_feedback("parked"), "link_failures": 2, "link_error": link}
    peer = Peer(
        bus,
        {
            "run/status": run_status("running"),
            "stack/events": {**fallback, "detail": "test"},
            "rig/feedback": rig,
        },
    )
    page = browser.new_page()
    try:
        page.goto(console.url)
        _wait_text(page, "#auth", ("view only (no token): controls disabled",))
        _wait_text(page, "#run-state", ("running",))
        assert page.locator("button[data-cmd=stop]").is_disabled()
        _wait_text(page, "#control", ("fallback",))
        assert page.locator("#control").get_attribute("class") == "alarm"  # nobody but the fallback: red
        peer.set("stack/events", {**fallback, "control": "none", "detail": "no driver input"})
        _wait_text(page, "#control", ("none",))
        assert page.locator("#control").get_attribute("class") == "alarm"  # nobody at all: red
        peer.set("stack/events", {**fallback, "kind": "takeover", "control": "driver", "detail": ""})
        _wait_text(page, "#control", ("driver",))
        assert page.locator("#control").get_attribute("class") == ""
        assert page.locator("#estop").is_enabled()
        _wait_text(page, "#rig-links", (f"2: {link}",))  # failed link handshakes are reported

        # typing in a text field never fires the space bar's e-stop
        page.wait_for_selector("#params input[data-name='EgoSpeed']")
        box = page.locator("#params input[data-name='EgoSpeed']")
        box.fill("")
        box.press_sequentially("7 0")
        page.locator("#operator").press_sequentially("no one")
        page.locator("#scenario").focus()
        page.keyboard.press("Space")
        assert box.input_value() == "7 0" and page.locator("#operator").input_value() == "no one"
        assert commands.next(500) is None
        # ...and the button still works with the focus in a field (no token, an unusable name)
        box.focus()
        page.click("#estop")
        msg = commands.next(UI_WAIT_MS)
        assert msg is not None and msg["command"] == "estop" and msg["operator"] == ""
        page.wait_for_function("document.getElementById('msg').textContent.startsWith('E-STOP sent')")
        # the space bar with the focus outside text fields
        page.locator("#operator").fill("mallory")
        page.locator("#estop").focus()
        page.keyboard.press("Space")
        msg = commands.next(UI_WAIT_MS)
        assert msg is not None and msg["command"] == "estop" and msg["operator"] == "mallory"

        # a forged request from the page, buttons bypassed: refused for anything but the e-stop
        status = page.evaluate(
            "fetch('/api/command', {method: 'POST', headers: {'Content-Type': 'application/json'},"
            " body: JSON.stringify({command: 'stop', operator: 'mallory', confirmed: true})})"
            ".then(r => r.status)"
        )
        assert status == 401
        assert commands.next(300) is None
        # a wrong token is refused at the handshake and the page says so (not "no token")
        page.goto(console.url + "?token=wrong-token-wrong-token")
        _wait_text(page, "#auth", ("token refused: view only, controls disabled",))
        page.wait_for_timeout(500)
        assert _text(page, "#auth") == "token refused: view only, controls disabled"
        page.click("#estop")  # the e-stop all the same
        msg = commands.next(UI_WAIT_MS)
        assert msg is not None and msg["command"] == "estop"
    finally:
        page.close()
        peer.stop()
        console.stop()
    lines = [json.loads(x) for x in console.options.audit.read_text().splitlines()]
    acts = [(e["command"], e["result"], e.get("token")) for e in lines if e["kind"] == "action"]
    assert acts == [
        ("estop", "sent", "none"),
        ("estop", "sent", "none"),
        ("stop", "refused", None),
        ("estop", "sent", "none"),
    ], acts
    first = next(e for e in lines if e["kind"] == "action")
    assert first["operator"] is None and first["operator_given"] == "no one"
    assert any(e["kind"] == "auth" and e["reason"] == "wrong token" for e in lines)
    shutil.rmtree(tmp_path / "runs", ignore_errors=True)


def _wait_bus(inbox, predicate, timeout_s=UI_WAIT_S):
    """The newest message of ``inbox`` once it satisfies ``predicate`` (AssertionError if never)."""
    end = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < end:
        m = inbox.latest()
        if m is not None:
            last = m
            if predicate(m):
                return m
        time.sleep(0.01)
    raise AssertionError(f"not seen within {timeout_s} s; last: {last}")


def test_a_view_only_second_tab_estops_a_live_run_and_start_then_needs_a_rearm_or_no_motion(
    browser, base_port, tmp_path
):
    console = make_console(base_port, tmp_path)
    runs = tmp_path / "runs"
    rig = _dil("rig", "serve", "--sim", *SLACK, port=base_port)
    drive = ["drive", "--console", "--headless", "--rig", "sim", "--driver", "launch"]
    host = _dil(*drive, "--out", str(runs), port=base_port)
    bus = ZmqBus(Endpoints.default("tcp", port=base_port))
    feedback = Inbox(bus.subscriber("rig/feedback", conflate=True), Drops())
    status = Inbox(bus.subscriber("run/status", conflate=True), Drops())
    operator = browser.new_page(viewport={"width": 1400, "height": 1000})
    operator.on("dialog", lambda d: d.accept())
    viewer = browser.new_page(viewport={"width": 1400, "height": 1000})  # a second tab, no token, no name
    try:
        operator.goto(console.url + f"?token={TOKEN}")
        _wait_text(operator, "#auth", ("authorised",))
        operator.fill("#operator", "jane")
        _wait_text(operator, "#run-state", ("stopped",), 60)
        _wait_text(operator, "#rig-state", ("parked",))
        operator.select_option("#scenario", "ccrs")
        operator.fill("#params input[data-name='EgoSpeed']", "20")
        operator.fill("#params input[data-name='StartTTC']", "100")
        viewer.goto(console.url)
        _wait_text(viewer, "#auth", ("view only (no token): controls disabled",))
        assert viewer.locator("#operator").input_value() == ""
        _start_run(operator, host)  # pressed again only if the runtime refused it (a starved rig)
        _wait_text(viewer, "#run-state", ("running",), 60)
        # the run moves the rig (engaging or engaged): the e-stop comes at once, well before the run's
        # own end (its 30 s time-out; a loaded machine has taken more than 17 s to engage the rig)
        _wait_bus(feedback, lambda m: m["state"] in ("engaging", "engaged"), 60)

        viewer.click("#estop")  # no token, no operator name, nothing to confirm
        # (on a loaded machine the watchdog may have parked it a moment before: the e-stop's hold wins)
        fb = _wait_bus(feedback, lambda m: "emergency stop by the console" in m["fault"])
        assert fb["state"] in ("parking", "parked") and fb["rearm_required"] is True
        _wait_bus(status, lambda m: m["state"] == "stopped", 30)  # the run ended
        viewer.wait_for_function("document.getElementById('msg').textContent.startsWith('E-STOP sent')")
        # the operator's page says why the rig parked and that it needs a re-arm, in a banner
        operator.wait_for_selector("#rig-banner", state="visible", timeout=UI_WAIT_S * 1000)
        banner = _text(operator, "#rig-banner")
        assert "emergency stop" in banner and "re-arm" in banner, banner
        assert _text(operator, "#rig-rearm").startswith("NEEDED")
        result = _wait_result(runs)
        verdict = json.loads(result.read_text())["verdict"]
        assert verdict["passed"] is False and verdict["outcome"] == "aborted", verdict
        operator.wait_for_selector(f"#runs td:text-is('{result.parent.name}')", timeout=UI_WAIT_S * 1000)
        cell = operator.locator(f"#runs tr:has(td:text-is('{result.parent.name}')) td").nth(1)
        assert cell.inner_text().startswith("ABORTED") and "amber" in cell.get_attribute("class")
        assert "emergency stop" in cell.inner_text()

        # a start with the rig held is refused, with the reason
        _wait_bus(feedback, lambda m: m["state"] == "parked")
        operator.click("button[data-cmd=start]")
        operator.wait_for_function("document.getElementById('msg').textContent.includes('refused')")
        msg = _text(operator, "#msg")
        assert "rig is parked: emergency stop" in msg and "re-arm it or choose run without motion" in msg, msg
        # ...unless the operator chooses to run without motion: the banner says so all run long
        operator.check("#no-motion")
        operator.click("button[data-cmd=start]")
        _wait_bus(status, lambda m: m["state"] == "running", 60)
        operator.wait_for_selector("#no-motion-banner", state="visible", timeout=UI_WAIT_S * 1000)
        viewer.wait_for_selector("#no-motion-banner", state="visible", timeout=UI_WAIT_S * 1000)
        for _ in range(10):  # the rig stays parked while the run goes on
            assert feedback.next(UI_WAIT_MS)["state"] == "parked" and operator.is_visible("#no-motion-banner")
        viewer.click("#estop")
        _wait_bus(status, lambda m: m["state"] == "stopped", 30)
        operator.wait_for_selector("#no-motion-banner", state="hidden", timeout=UI_WAIT_S * 1000)
    finally:
        operator.close()
        viewer.close()
        console.stop()
        bus.close()
        out_host = _end(host)
        _end(rig)
    lines = [json.loads(x) for x in console.options.audit.read_text().splitlines()]
    acts = [(e["operator"], e["command"], e["result"]) for e in lines if e["kind"] == "action"]
    while acts[:2] == [("jane", "start", "sent")] * 2:  # a first start the runtime refused, pressed again
        acts.pop(0)
    assert acts == [
        ("jane", "start", "sent"),
        (None, "estop", "sent"),
        ("jane", "start", "refused"),
        ("jane", "start", "sent"),
        (None, "estop", "sent"),
    ], acts
    estop = next(e for e in lines if e.get("command") == "estop")
    assert estop["token"] == "none" and estop["client"].startswith("127.0.0.1:")
    assert "(no motion)" in out_host, out_host[-3000:]


def _wait_result(runs: Path, timeout_s: float = 30.0) -> Path:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        found = sorted(runs.glob("ccrs-*/result.json"))
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no result.json under {runs}")
