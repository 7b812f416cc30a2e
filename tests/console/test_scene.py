"""The console's header, scene view and camera in headless Chromium: a real ``dil drive --console``
run of a catalog scenario, and the test's own camera frames on the real bus."""

import base64
import shutil
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from lxml import etree

from dil.bus import Encoder
from dil.bus.messages import sensor_schema
from dil.console.catalog import CATALOG
from dil.console.chromium import CHROMIUM, MISSING
from tests.console.conftest import TOKEN, make_console
from tests.console.test_browser import _artifacts, _dil, _end, _text, _wait_text, browser  # noqa: F401

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING),
    pytest.mark.browser,
    pytest.mark.subprocess,
]

SHOTS = Path("/work/helpers/shots")


def _shot(page, tmp_path: Path, name: str) -> Path:
    path = _artifacts(tmp_path) / name
    page.screenshot(path=str(path), full_page=False)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if SHOTS.parent.is_dir():  # also kept beside the notes where that folder exists
        SHOTS.mkdir(exist_ok=True)
        shutil.copy(path, SHOTS / name)
    return path


def _scene(page) -> dict:
    return page.evaluate("window.dilScene.state()")


def _wait(predicate, what: str, timeout_s: float = 30.0, page=None):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        if page is not None:
            page.wait_for_timeout(50)
        else:
            time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


def _sim_seconds(text: str) -> float:
    if text.endswith(" s"):
        return float(text[:-2])
    minutes, seconds = text.split(":")
    return 60 * int(minutes) + float(seconds)


def test_live_run_shows_header_scene_and_road(browser, base_port, tmp_path):  # noqa: F811
    console = make_console(base_port, tmp_path)
    runs = tmp_path / "runs"
    host = _dil("drive", "--console", "--headless", "--driver", "launch", "--out", str(runs), port=base_port)
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.on("dialog", lambda d: d.accept())  # the operator confirms
    try:
        page.goto(console.url + f"?token={TOKEN}")
        _wait_text(page, "#auth", ("authorised",))
        page.fill("#operator", "jane")
        page.dispatch_event("#operator", "change")
        _wait_text(page, "#hdr-state", ("idle",), 60)  # the runtime waits; no run yet
        assert page.locator("#audit-panel").is_visible()  # the actions list is above the fold at 1080p
        assert page.locator("#audit-panel").bounding_box()["y"] < 1080
        _shot(page, tmp_path, "console-idle.png")

        page.select_option("#scenario", "ccrs")
        page.fill("#params input[data-name='EgoSpeed']", "20")  # far from the target: a long run
        page.fill("#params input[data-name='StartTTC']", "40")
        page.check("#no-motion")  # no rig server here
        page.click("button[data-cmd=start]")
        seen = set()
        end = time.monotonic() + 90
        while time.monotonic() < end and "running" not in seen:
            seen.add(_text(page, "#hdr-state"))
            page.wait_for_timeout(30)
        assert "running" in seen, (seen, _text(page, "#msg"), _end(host)[-3000:])
        assert "starting" in seen, seen  # the seconds a start takes are not "stopped"
        assert _text(page, "#hdr-scenario") == "ccrs"
        run_id = _text(page, "#hdr-run")
        assert run_id.startswith("ccrs-"), run_id

        # simulated time advances in the header
        t0 = _sim_seconds(_wait(lambda: _text(page, "#hdr-time").strip("-"), "a simulated time", page=page))
        _wait(lambda: _sim_seconds(_text(page, "#hdr-time")) >= t0 + 1.0, "time to advance", page=page)

        # the road network of the scenario, served once per run from dil's road code
        road = page.evaluate(
            "fetch('/api/road?scenario=ccrs', {headers: {Authorization: 'Bearer " + TOKEN + "'}})"
            ".then(r => r.json())"
        )
        assert road["file"].endswith("highway.xodr")
        driving = [lane for lane in road["lanes"] if lane["type"] == "driving"]
        assert len(driving) >= 2 and all(len(lane["outer"]) > 200 for lane in driving)
        spacing = np.hypot(*np.diff(np.reshape(driving[0]["centre"], (-1, 2)), axis=0).T)
        assert spacing.max() <= 1.01  # sampled about every metre

        # the scene: the run's entities as actors, the road, the ego followed and inside the view
        root = etree.parse(str(CATALOG / "ccrs.xosc")).getroot()
        entities = {e.get("name") for e in root.iter("ScenarioObject")}
        state = _wait(
            lambda: (s := _scene(page))["lanes"] and s["ego"] and s["trail"] > 2 and s, "the scene", page=page
        )
        assert {a["name"] for a in state["actors"]} == entities
        assert state["ego"]["id"] == 0 and state["ego"]["name"] == "Ego"
        assert state["roadFile"].endswith("highway.xodr")
        assert state["follow"] and state["ego"]["inView"]
        x0 = state["ego"]["x"]
        _wait(lambda: (s := _scene(page))["ego"]["x"] > x0 + 5 and s, "the ego to move", page=page)
        state = _scene(page)
        assert state["follow"] and state["ego"]["inView"]
        assert abs(state["ego"]["px"] - state["width"] / 2) < 2  # followed: in the centre
        assert state["scaleBar"]["text"].endswith(" m")

        # free pan and zoom; follow-ego brings the ego back
        box = page.locator("#scene").bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        scale = state["scale"]
        page.mouse.move(cx, cy)
        page.mouse.wheel(0, -400)
        _wait(lambda: _scene(page)["scale"] > scale * 1.2, "the wheel to zoom in", page=page)
        page.mouse.down()
        page.mouse.move(cx + 300, cy, steps=5)
        page.mouse.up()
        assert not _scene(page)["follow"]
        _wait(lambda: not _scene(page)["ego"]["inView"], "the ego to leave a panned view", page=page)
        page.click("#scene-follow")
        _wait(lambda: (s := _scene(page))["follow"] and s["ego"]["inView"], "follow-ego", page=page)
        page.mouse.move(cx, cy)
        page.mouse.wheel(0, 400)
        page.wait_for_timeout(300)
        _shot(page, tmp_path, "console-live-scene.png")

        # stopped by the operator: the run ends aborted, and the header says so
        page.click("button[data-cmd=stop]")
        _wait_text(page, "#hdr-state", ("aborted",), 60)
        assert _text(page, "#hdr-run") == run_id
    finally:
        page.close()
        console.stop()
        out = _end(host)
    assert "stopped by jane" in out, out[-3000:]


def _camera_frames(bus, stop: threading.Event, size=(64, 48)) -> None:
    """A camera sensor's messages on ``sensor/front``: a gradient whose brightness changes per frame."""
    pub = bus.publisher("sensor/front")
    enc = Encoder(sensor_schema("front", "camera"), "test")
    w, h = size
    i = 0
    while not stop.is_set():
        img = np.zeros((h, w, 3), np.uint8)
        img[:, :, 1] = (np.arange(w)[None, :] * 255 // w).astype(np.uint8)
        img[:, :, 2] = (i * 10) % 256
        msg = {
            "frame_id": i,
            "width": w,
            "height": h,
            "encoding": "bgr8",
            "data": img.tobytes(),
            "fov_deg": 90.0,
            "mount": [1.5, 0.0, 1.4],
            "pitch_deg": 0.0,
            "yaw_deg": 0.0,
        }
        pub.send(enc.encode(i * 50_000_000, time.time_ns(), msg))
        i += 1
        time.sleep(0.05)  # a 20 Hz camera


def test_camera_frames_reach_the_page_and_nobody_in_control_is_red(browser, base_port, tmp_path, bus):  # noqa: F811
    from tests.console.peers import Peer, run_status

    console = make_console(base_port, tmp_path)
    status = {**run_status("running"), "scenario": "ccrs", "scenario_file": "", "run_id": "ccrs-test"}
    fallback = {"kind": "fallback", "control": "fallback", "node": "", "frame_id": -1, "latency_ms": 0.0}
    peer = Peer(bus, {"run/status": status, "stack/events": {**fallback, "detail": "test"}})
    stop = threading.Event()
    camera = threading.Thread(target=_camera_frames, args=(bus, stop), daemon=True)
    camera.start()
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        page.goto(console.url + f"?token={TOKEN}")
        _wait_text(page, "#hdr-state", ("running",))
        assert _text(page, "#hdr-scenario") == "ccrs" and _text(page, "#hdr-run") == "ccrs-test"
        control = page.locator("#hdr-control")
        _wait(lambda: "NOBODY" in control.inner_text(), "nobody in control", page=page)
        assert "alarm" in control.get_attribute("class")

        page.wait_for_selector("#camera-front", state="visible", timeout=20_000)
        n0 = page.evaluate("window.dilStats.cameraFrames")
        first = page.get_attribute("#camera-front", "data-frame-id")
        _wait(lambda: page.evaluate("window.dilStats.cameraFrames") >= n0 + 5, "camera frames", page=page)
        assert page.get_attribute("#camera-front", "data-frame-id") != first  # newer frames replace it
        src = page.get_attribute("#camera-front", "src")
        assert src.startswith("data:image/jpeg;base64,")
        img = cv2.imdecode(np.frombuffer(base64.b64decode(src.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
        assert img.shape == (48, 64, 3)
        assert img[:, -4:, 1].mean() > img[:, :4, 1].mean() + 100  # the gradient came through
        # decimated: at most 10 images a second of a 20 Hz camera, whatever the page's 25 frames (the
        # console's own count: what the page counts in a window depends on how busy the browser is)
        feed = console.bridge.camera
        n1, sent0, t1 = page.evaluate("window.dilStats.cameraFrames"), feed.sent, time.monotonic()
        _wait(lambda: page.evaluate("window.dilStats.cameraFrames") >= n1 + 5, "more frames", page=page)
        sent, elapsed = feed.sent - sent0, time.monotonic() - t1
        assert sent <= elapsed / feed.period_s + 1, (sent, elapsed)
        assert feed.period_s == pytest.approx(0.1)
        assert page.evaluate("window.dilScene.state()")["lanes"] > 0  # a catalog scenario's road
        _shot(page, tmp_path, "console-camera-nobody.png")
    finally:
        page.close()
        stop.set()
        camera.join(5)
        peer.stop()
        console.stop()


def test_road_of_an_unknown_scenario_is_refused_by_name(console):
    import httpx

    r = httpx.get(
        console.url + "api/road",
        params={"scenario": "no_such"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert r.status_code == 404 and "'no_such'" in r.json()["error"]
