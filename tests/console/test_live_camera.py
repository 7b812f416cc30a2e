"""The driver's camera in the console: a real ``dil drive --console`` run in the embedded world, whose
front camera (drawn by dil, on by default with ``--console``) reaches the page's Camera panel."""

import base64

import cv2
import numpy as np
import pytest

from dil.console.chromium import CHROMIUM, MISSING
from dil.world.camera import SKY
from dil.world.display_cameras import DISPLAY_CAMERAS
from tests.console.conftest import TOKEN, make_console
from tests.console.test_browser import _dil, _end, _text, _wait_text, browser  # noqa: F401
from tests.console.test_scene import _scene, _shot, _wait

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING),
    pytest.mark.browser,
    pytest.mark.subprocess,
]

ROAD = (90, 90, 90)
"""The driving lanes' colour in the camera's frames (BGR)."""


def _image(page) -> np.ndarray:
    src = page.get_attribute("#camera-front", "src")
    assert src.startswith("data:image/jpeg;base64,"), src[:40]
    return cv2.imdecode(np.frombuffer(base64.b64decode(src.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)


def _share(img: np.ndarray, bgr: tuple[int, int, int], tol: int = 20) -> float:
    """The share of pixels within ``tol`` of colour ``bgr`` in every channel (JPEG blurs a little)."""
    return float((np.abs(img.astype(int) - np.array(bgr)).max(axis=2) <= tol).mean())


def test_the_embedded_world_s_front_camera_is_live_in_the_console(browser, base_port, tmp_path):  # noqa: F811
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
        _wait_text(page, "#hdr-state", ("idle",), 60)
        assert page.locator("#camera-panel").is_hidden()  # no camera before a run

        page.select_option("#scenario", "ccrs")
        page.fill("#params input[data-name='EgoSpeed']", "20")  # far from the target: a long run
        page.fill("#params input[data-name='StartTTC']", "40")
        page.check("#no-motion")  # no rig server here
        page.click("button[data-cmd=start]")
        _wait_text(page, "#hdr-state", ("running",), 90)

        page.wait_for_selector("#camera-front", state="visible", timeout=60_000)
        n0 = page.evaluate("window.dilStats.cameraFrames")
        first = page.get_attribute("#camera-front", "data-frame-id")
        _wait(lambda: page.evaluate("window.dilStats.cameraFrames") >= n0 + 5, "camera frames", 60, page)
        assert page.get_attribute("#camera-front", "data-frame-id") != first  # a live stream, not one frame
        img = _image(page)
        spec = DISPLAY_CAMERAS["front"]
        assert img.shape == (spec.height, spec.width, 3)  # 640x360: the camera's own size
        assert img.reshape(-1, 3).std(axis=0).max() > 20  # not a uniform (black) frame
        top, bottom = img[: spec.height // 3], img[2 * spec.height // 3 :]
        assert _share(top, SKY) > 0.5, _share(top, SKY)  # sky above the horizon
        assert _share(bottom, ROAD) > 0.3, _share(bottom, ROAD)  # the road ahead below it
        assert "front 640x360" in _text(page, "#camera-info")

        # the scene beside it, then a screenshot of the live page with both
        _wait(lambda: (s := _scene(page))["lanes"] and s["ego"] and s, "the scene", 30, page)
        page.wait_for_timeout(500)
        _shot(page, tmp_path, "console-live-camera.png")

        page.click("button[data-cmd=stop]")
        _wait_text(page, "#hdr-state", ("aborted",), 60)
    finally:
        page.close()
        console.stop()
        out = _end(host)
    assert "stopped by jane" in out, out[-3000:]
