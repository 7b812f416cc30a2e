"""Replay in the console, in headless Chromium: a run recorded here by ``dil run`` and the same run
exported as an OSI trace by ``dil log export``, scrubbed, stepped and played; the scene, the charts and
the events checked against the log's own messages; damaged logs named on the page."""

import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import msgpack
import pytest

from dil.bus import Endpoints, ZmqBus
from dil.console.catalog import CATALOG
from dil.console.chromium import CHROMIUM, MISSING
from dil.console.server import Console, ConsoleOptions
from dil.recording.fast import fast_records
from tests.console.test_browser import _artifacts, _text, browser  # noqa: F401

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING),
    pytest.mark.browser,
    pytest.mark.subprocess,
]

SCENARIO = "lane_change_highway"
"""A short catalog run with storyboard events at 0 s and 3.01 s and a lane invasion at 3.54 s."""
FRAME_S = 1 / 25
"""The timeline's frame period [s]."""


SHOTS = Path("/work/helpers/shots")


def _shot(page, tmp_path: Path, name: str) -> Path:
    """A screenshot in the test's artifacts folder (and beside the notes where that folder exists)."""
    path = _artifacts(tmp_path) / name
    page.screenshot(path=str(path), full_page=False)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if SHOTS.parent.is_dir():
        SHOTS.mkdir(exist_ok=True)
        shutil.copy(path, SHOTS / name)
    return path


def _wait(predicate, what: str, timeout_s: float = 30.0, page=None):
    """The predicate's first true value, polled until ``timeout_s`` [s]."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


def _dil(*args: str, cwd: Path) -> str:
    p = subprocess.run(
        [sys.executable, "-m", "dil", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    return p.stdout


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """A runs folder with one recorded run and its OSI trace (``lc.osi``)."""
    runs, out = tmp_path_factory.mktemp("runs"), tmp_path_factory.mktemp("out")
    _dil("run", str(CATALOG / f"{SCENARIO}.xosc"), "--out", str(out), cwd=out)
    (recorded_log,) = out.rglob("run.mcap")  # the run's folder, wherever --out puts it
    shutil.copytree(recorded_log.parent, runs / SCENARIO)
    log = runs / SCENARIO / "run.mcap"
    _dil("log", "export", "--format", "osi", str(log), "--out", str(runs / "lc.osi"), cwd=runs)
    return runs


def _console(base_port: int, tmp_path: Path, runs: Path) -> Console:
    c = Console(
        ConsoleOptions(
            lambda: ZmqBus(Endpoints.default("tcp", port=base_port)),
            http_port=0,
            audit=tmp_path / "audit.jsonl",
            runs_dir=runs,
        )
    )
    c.start()
    return c


def _errors(page) -> list[str]:
    """The page's uncaught script errors, collected as they happen."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _replay(page) -> dict:
    return page.evaluate("window.dilReplay ? window.dilReplay.state() : {frames: 0, index: -1}")


def _scene(page) -> dict:
    return page.evaluate("window.dilScene ? window.dilScene.state() : {lanes: 0, actors: []}")


def _log_actors(log: Path) -> list[tuple[float, dict[int, dict]]]:
    out = []
    for topic, _, data in fast_records(log):
        if topic == "world/actors":
            m = msgpack.unpackb(data)
            out.append((m["t_sim_ns"] * 1e-9, {a["id"]: a for a in m["actors"]}))
    return out


def _log_at(series: list[tuple[float, dict]], t: float) -> dict:
    """The newest recorded value at or before ``t`` [s]."""
    return [v for s, v in series if s <= t + 1e-9][-1]


def _events(log: Path) -> list[tuple[float, str, dict]]:
    out = []
    for topic, _, data in fast_records(log):
        if topic in ("world/events", "scenario/events", "stack/events"):
            m = msgpack.unpackb(data)
            out.append((m["t_sim_ns"] * 1e-9, topic, m))
    return out


def _scrub(page, index: int) -> dict:
    page.fill("#timeline", str(index))  # a range input: sets the value and fires "input"
    return _wait(lambda: (s := _replay(page))["index"] == index and s, f"frame {index}", page=page)


def test_replay_of_a_recorded_run(browser, base_port, tmp_path, recorded):  # noqa: F811
    log = recorded / SCENARIO / "run.mcap"
    actors = _log_actors(log)
    events = _events(log)
    console = _console(base_port, tmp_path, recorded)
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors = _errors(page)
    try:
        # from the history: the recent runs list links each run's replay
        page.goto(console.url)
        link = page.locator("#runs a.replay")
        link.first.wait_for(timeout=30_000)
        assert link.first.get_attribute("href") == f"/replay?log={SCENARIO}%2Frun.mcap"
        link.first.click()
        state = _wait(lambda: (s := _replay(page))["frames"] and s, "the timeline", page=page)
        assert state["kind"] == "dil log" and state["run_id"] == SCENARIO and not state["error"]
        assert _text(page, "#hdr-state") == "replay" and _text(page, "#hdr-run") == SCENARIO
        assert _text(page, "#hdr-scenario") == SCENARIO
        # decimated: frames at 25 Hz of simulated time, not the world's 100 Hz
        span = actors[-1][0] - actors[0][0]
        assert abs(state["frames"] - (span / FRAME_S + 1)) <= 2, (state["frames"], span)
        scene = _wait(lambda: (s := _scene(page))["lanes"] and s, "the road of the run", page=page)
        assert scene["roadFile"].endswith("road.xodr")
        assert page.locator("#estop").is_visible()

        # scrub: the scene's actors are the log's at the cursor, and the cursor within a frame of the target
        target = 3.3
        state = _scrub(page, round(target / FRAME_S))
        t = state["t_sim_s"]
        assert abs(t - target) <= FRAME_S + 1e-6, t
        assert _text(page, "#hdr-time") == f"{t:.2f} s"
        logged = _log_at(actors, t)
        scene = _scene(page)
        assert scene["t_sim_s"] == t and len(scene["actors"]) == len(logged)
        for a in scene["actors"]:
            want = logged[a["id"]]
            assert abs(a["x"] - want["x"]) < 0.01 and abs(a["y"] - want["y"]) < 0.01, (a, want)
            assert a["name"] == want["name"]
            at_target = _log_at(actors, target)[a["id"]]  # within a frame of the target time
            assert abs(a["x"] - at_target["x"]) <= at_target["speed"] * FRAME_S + 0.01
        assert scene["ego"]["inView"] and scene["trail"] > 10

        # the events list: the ones before the cursor highlighted, the lane invasion at 3.54 s not yet
        before = [e for e in events if e[0] <= t + 1e-9]
        assert 0 < len(before) < len(events)
        assert state["past_events"] == len(before)
        items = page.locator("#events li")
        assert items.count() == len(events)
        invasion = page.locator("#events li", has_text="lane_invasion")
        assert "past" not in (invasion.get_attribute("class") or "")
        placed = [m for _, topic, m in before if topic == "world/events" or m.get("element_type") == "event"]
        assert scene["events"] == sum(1 for m in placed if m.get("transition", "start") == "start")

        # the charts follow the cursor: the speed shown is the log's vehicle/state at the cursor
        speeds = [
            (msgpack.unpackb(d)["t_sim_ns"] * 1e-9, msgpack.unpackb(d)["speed"])
            for topic, _, d in fast_records(log)
            if topic == "vehicle/state"
        ]
        assert state["chart_cursor_s"] == t
        near = [v for s, v in speeds if t - FRAME_S - 1e-9 <= s <= t + 1e-9]
        assert min(near) * 3.6 - 0.01 <= state["speed_kmh"] <= max(near) * 3.6 + 0.01

        # step: one frame forward and back
        i = state["index"]
        page.click("#step-fwd")
        s1 = _wait(lambda: (s := _replay(page))["index"] == i + 1 and s, "a step forward", page=page)
        assert 0 < s1["t_sim_s"] - t <= FRAME_S + 1e-6
        page.click("#step-back")
        s2 = _wait(lambda: (s := _replay(page))["index"] == i and s, "a step back", page=page)
        assert s2["t_sim_s"] == t

        # play at 2x: the cursor advances past the lane invasion, which is then highlighted
        page.select_option("#speed", "2")
        page.click("#play")
        _wait(lambda: (s := _replay(page))["t_sim_s"] >= 3.7 and s, "playing to advance", page=page)
        assert _replay(page)["speed"] == 2
        page.click("#play")  # pause
        paused = _wait(lambda: (s := _replay(page))["playing"] is False and s, "a pause", page=page)
        assert "past" in invasion.get_attribute("class")
        page.wait_for_timeout(300)
        assert _replay(page)["index"] == paused["index"]  # paused: the cursor stays

        # clicking an event goes to it
        invasion.click()
        at = _wait(lambda: (s := _replay(page))["t_sim_s"] <= 3.54 and s, "the event's time", page=page)
        assert 3.54 - FRAME_S - 1e-6 <= at["t_sim_s"] <= 3.54 + 1e-6
        _shot(page, tmp_path, "console-replay.png")

        # the e-stop works on the replay page as on every page, without a token
        page.click("#estop")
        _wait(lambda: _text(page, "#msg").startswith("E-STOP sent at"), "the e-stop's answer", page=page)
        assert not errors, errors
    finally:
        page.close()
        console.stop()
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    # the e-stop is the only thing the console sent: replaying sent nothing
    assert [(a["command"], a["via"], a["result"]) for a in audit] == [("estop", "http", "sent")], audit


def test_an_osi_trace_opens_from_the_list(browser, base_port, tmp_path, recorded):  # noqa: F811
    actors = _log_actors(recorded / SCENARIO / "run.mcap")
    console = _console(base_port, tmp_path, recorded)
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    errors = _errors(page)
    try:
        listed = httpx.get(console.url + "api/replay/logs", timeout=30).json()
        assert {(x["log"], x["kind"]) for x in listed} == {
            (f"{SCENARIO}/run.mcap", "dil log"),
            ("lc.osi", "OSI trace"),
        }
        page.goto(console.url + "replay")
        page.wait_for_selector("#log-pick option[value='lc.osi']", state="attached", timeout=30_000)
        page.select_option("#log-pick", "lc.osi")
        page.click("#log-open")
        state = _wait(lambda: (s := _replay(page))["frames"] and s, "the converted trace", 120, page=page)
        assert state["kind"] == "OSI trace" and state["log"] == "lc.osi" and not state["error"]
        assert _text(page, "#hdr-run") == "lc"
        # the trace's lanes and lane boundaries drawn as the road
        _wait(lambda: _scene(page)["lanes"] > 0, "the trace's lanes", page=page)
        state = _scrub(page, round(5.0 / FRAME_S))
        logged = _log_at(actors, state["t_sim_s"])
        scene = _scene(page)
        assert len(scene["actors"]) == len(logged)
        for a in scene["actors"]:  # the box centres of the run, through OSI and back
            assert abs(a["x"] - logged[a["id"]]["x"]) < 0.05 and abs(a["y"] - logged[a["id"]]["y"]) < 0.05
        assert not errors, errors
    finally:
        page.close()
        console.stop()


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_damaged_logs_are_named_on_the_page(browser, base_port, tmp_path, recorded):  # noqa: F811
    runs = tmp_path / "runs"
    good = (recorded / SCENARIO / "run.mcap").read_bytes()
    for name, data in (
        ("junk", b"this is not a log\n" * 100),
        ("empty", good[:3000]),  # the header and no complete chunk
        ("cut", good[: len(good) * 3 // 5]),  # a run cut short: what is there replays
    ):
        (runs / name).mkdir(parents=True)
        (runs / name / "run.mcap").write_bytes(data)
    lines = _Lines()
    watched = [logging.getLogger(n) for n in ("uvicorn.error", "uvicorn", "dil.console")]
    for w in watched:
        w.addHandler(lines)
    console = _console(base_port, tmp_path, runs)
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    errors = _errors(page)
    try:
        for name, words in (("junk", "not a dil log"), ("empty", "nothing to replay")):
            page.goto(console.url + f"replay?log={name}/run.mcap")
            error = page.locator("#replay-error")
            error.wait_for(state="visible", timeout=30_000)
            text = error.inner_text()
            assert str(runs / name / "run.mcap") in text and words in text, text
            assert _replay(page)["frames"] == 0
            assert page.locator("#estop").is_visible()
            r = httpx.get(console.url + "api/replay", params={"log": f"{name}/run.mcap"}, timeout=30)
            assert r.status_code == 422 and str(runs / name / "run.mcap") in r.json()["error"]

        page.goto(console.url + "replay?log=cut/run.mcap")
        state = _wait(lambda: (s := _replay(page))["frames"] and s, "the part of a cut log", page=page)
        notice = page.locator("#replay-notice")
        assert notice.is_visible() and str(runs / "cut" / "run.mcap") in notice.inner_text()
        assert "incomplete" in state["notice"] and not state["error"]
        _scrub(page, state["frames"] - 1)

        # nothing outside the runs folder is read
        r = httpx.get(console.url + "api/replay", params={"log": "../../../etc/passwd"}, timeout=30)
        assert r.status_code == 404 and "not a file under" in r.json()["error"]
        assert not errors, errors
    finally:
        page.close()
        console.stop()
        for w in watched:
            w.removeHandler(lines)
    assert not [r for r in lines.records if r.exc_info], [r.getMessage() for r in lines.records]
