"""The control API against a real console (uvicorn, ZeroMQ on loopback): every action, the ones
refused and why, the audit trail, and who may look and act."""

import json
import time

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from dil.bus import Drops, Inbox
from dil.console.auth import Access
from tests.console.conftest import TOKEN, make_console
from tests.console.peers import Peer, rig_feedback, run_status

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def post(console, body, headers=AUTH):
    return httpx.post(console.url + "api/command", json=body, headers=headers, timeout=5)


def wait_for(predicate, timeout_s=5.0):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def commands(bus):
    """What the console publishes, as the runtime and the rig server receive it."""
    box = Inbox(bus.subscriber("console/command"), Drops())
    time.sleep(0.2)  # the subscription reaches the console's publisher
    return box


def received(box, timeout_ms=2000):
    return box.next(timeout_ms)


def audit_lines(console):
    return [json.loads(line) for line in console.options.audit.read_text().splitlines()]


def test_the_page_and_the_session_say_whether_the_caller_is_authorised(console):
    page = httpx.get(console.url, timeout=5)
    assert page.status_code == 200 and "<title>" in page.text
    assert httpx.get(console.url + "api/session", timeout=5).json()["authorised"] is False
    assert httpx.get(console.url + "api/session", headers=AUTH, timeout=5).json()["authorised"] is True


def test_a_control_without_the_token_is_refused_and_logged_and_nothing_is_sent(console, commands):
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}):
        r = post(console, {"command": "estop", "operator": "mallory"}, headers)
        assert r.status_code == 401
    assert received(commands, 300) is None
    refused = [e for e in audit_lines(console) if e["result"] == "refused"]
    assert len(refused) == 2 and refused[0]["operator"] == "mallory" and refused[0]["status"] == 401
    assert refused[0]["time"].endswith("Z") and refused[0]["client"].startswith("127.0.0.1:")


def test_the_estop_is_published_with_its_operator_and_audited_even_with_nothing_running(console, commands):
    r = post(console, {"command": "estop", "operator": "jane"})
    assert r.status_code == 200, r.text
    msg = received(commands)
    assert msg["command"] == "estop" and msg["operator"] == "jane" and msg["argument"] == ""
    assert abs(msg["t_wall_ns"] - time.time_ns()) < 5e9
    (entry,) = audit_lines(console)
    assert entry["kind"] == "action" and entry["command"] == "estop" and entry["result"] == "sent"
    assert entry["operator"] == "jane" and entry["t_wall_ns"] > 0


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"command": "launch", "operator": "jane"}, 400, "must be one of"),
        ({"command": "estop"}, 400, "operator"),
        ({"command": "estop", "operator": "jane doe"}, 400, "no spaces"),
        ({"command": "estop", "operator": "jane", "argument": "now"}, 400, "takes no argument"),
        ({"command": "estop", "operator": "jane", "colour": "red"}, 400, "unknown field"),
        (
            {"command": "handover", "operator": "jane", "argument": "robot", "confirmed": True},
            400,
            "'driver' or 'ai'",
        ),
        (
            {"command": "start", "operator": "jane", "scenario": "nope", "confirmed": True},
            400,
            "not in the catalog",
        ),
        (
            {
                "command": "start",
                "operator": "jane",
                "scenario": "ccrm",
                "params": {"Colour": "1"},
                "confirmed": True,
            },
            400,
            "declares no parameter 'Colour'",
        ),
        (
            {
                "command": "start",
                "operator": "jane",
                "scenario": "ccrm",
                "params": {"EgoSpeed": "1; rm"},
                "confirmed": True,
            },
            400,
            "not a plain value",
        ),
        ({"command": "start", "operator": "jane", "scenario": "ccrm"}, 428, "must be confirmed"),
        ({"command": "engage", "operator": "jane"}, 428, "must be confirmed"),
        ({"command": "pause", "operator": "jane"}, 409, "dil drive --console"),
        ({"command": "engage", "operator": "jane", "confirmed": True}, 409, "no rig server answers"),
        ({"command": "park", "operator": "jane"}, 409, "no rig server answers"),
    ],
)
def test_malformed_or_impossible_actions_are_refused_with_the_reason(console, commands, body, status, words):
    r = post(console, body)
    assert r.status_code == status, r.text
    assert words in r.json()["error"]
    assert received(commands, 100) is None
    (entry,) = audit_lines(console)
    assert entry["result"] == "refused" and entry["status"] == status and words in entry["reason"]


def test_malformed_json_is_refused(console):
    r = httpx.post(console.url + "api/command", content=b"{not json", headers=AUTH, timeout=5)
    assert r.status_code == 400 and "JSON" in r.json()["error"]


def test_run_controls_follow_the_runs_state(console, commands, bus):
    peer = Peer(bus, {"run/status": run_status("stopped"), "rig/feedback": rig_feedback("parked")})
    try:
        assert wait_for(lambda: console.bridge.situation().run_state == "stopped")
        assert post(console, {"command": "pause", "operator": "jane"}).status_code == 409
        assert post(console, {"command": "stop", "operator": "jane", "confirmed": True}).status_code == 409
        start = {"command": "start", "operator": "jane", "scenario": "ccrm", "confirmed": True}
        r = post(console, {**start, "params": {"EgoSpeed": 30, "StartTTC": "4.5"}})
        assert r.status_code == 200, r.text
        msg = received(commands)
        assert msg["command"] == "start" and msg["argument"] == "ccrm EgoSpeed=30 StartTTC=4.5"

        peer.set("run/status", run_status("running"))
        assert wait_for(lambda: console.bridge.situation().run_state == "running")
        r = post(console, start)
        assert r.status_code == 409 and "stop it first" in r.json()["error"]
        assert post(console, {"command": "resume", "operator": "jane", "confirmed": True}).status_code == 409
        assert post(console, {"command": "pause", "operator": "jane"}).status_code == 200
        assert received(commands)["command"] == "pause"
        r = post(console, {"command": "handover", "operator": "jane", "argument": "ai", "confirmed": True})
        assert r.status_code == 200
        assert received(commands)["argument"] == "ai"

        peer.set("run/status", run_status("paused"))
        assert wait_for(lambda: console.bridge.situation().run_state == "paused")
        assert post(console, {"command": "pause", "operator": "jane"}).status_code == 409
        assert post(console, {"command": "resume", "operator": "jane", "confirmed": True}).status_code == 200
        assert received(commands)["command"] == "resume"
        assert post(console, {"command": "stop", "operator": "jane", "confirmed": True}).status_code == 200
        assert received(commands)["command"] == "stop"

        r = post(console, {"command": "engage", "operator": "jane", "confirmed": True})
        assert r.status_code == 200 and received(commands)["command"] == "engage"
        peer.set("rig/feedback", rig_feedback("engaged"))
        assert wait_for(lambda: console.bridge.situation().rig_state == "engaged")
        r = post(console, {"command": "engage", "operator": "jane", "confirmed": True})
        assert r.status_code == 409 and "already engaged" in r.json()["error"]
        assert post(console, {"command": "park", "operator": "jane"}).status_code == 200
        assert received(commands)["command"] == "park"
    finally:
        peer.stop()
    # once the runtime falls silent, its state no longer counts
    assert wait_for(lambda: console.bridge.situation().run_state is None)
    r = post(console, {"command": "stop", "operator": "jane", "confirmed": True})
    assert r.status_code == 409 and "no runtime answers" in r.json()["error"]
    sent = [e["command"] for e in audit_lines(console) if e["result"] == "sent"]
    assert sent == ["start", "pause", "handover", "resume", "stop", "engage", "park"]


def test_the_feed_carries_bus_messages_and_refuses_a_wrong_token(console, bus):
    peer = Peer(bus, {"run/status": run_status("running")})
    ws_url = console.url.replace("http", "ws") + "ws"
    try:
        with connect(ws_url, subprotocols=["dil-console", f"token.{TOKEN}"]) as ws:
            hello = json.loads(ws.recv(5))
            assert hello["type"] == "hello" and hello["authorised"] is True
            for _ in range(50):
                frame = json.loads(ws.recv(5))
                if "run/status" in frame["topics"]:
                    break
            assert frame["topics"]["run/status"]["msg"]["state"] == "running"
        with connect(ws_url, subprotocols=["dil-console"]) as ws:
            assert json.loads(ws.recv(5))["authorised"] is False  # loopback: viewing needs no token
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url, subprotocols=["dil-console", "token.not-the-right-token-at-all"])
        assert refused.value.response.status_code == 403
    finally:
        peer.stop()
    auth = [e for e in audit_lines(console) if e["kind"] == "auth"]
    assert len(auth) == 1 and auth[0]["reason"] == "wrong token"


def test_beyond_loopback_everything_but_the_page_needs_the_token(base_port, tmp_path):
    with pytest.raises(ValueError, match="needs a token"):
        Access.for_host("0.0.0.0", None)
    console = make_console(base_port, tmp_path, bind="0.0.0.0")
    try:
        url = f"http://127.0.0.1:{console.port}/"
        assert httpx.get(url, timeout=5).status_code == 200
        assert httpx.get(url + "api/runs", timeout=5).status_code == 401
        assert httpx.get(url + "api/runs", headers=AUTH, timeout=5).status_code == 200
        with pytest.raises(InvalidStatus):
            connect(f"ws://127.0.0.1:{console.port}/ws", subprotocols=["dil-console"])
        with connect(
            f"ws://127.0.0.1:{console.port}/ws", subprotocols=["dil-console", f"token.{TOKEN}"]
        ) as ws:
            assert json.loads(ws.recv(5))["authorised"] is True
    finally:
        console.stop()
    reasons = [e["reason"] for e in audit_lines(console) if e["kind"] == "auth"]
    assert reasons == ["no valid token", "no token"]


def test_the_history_lists_recent_runs_with_their_verdicts(console, tmp_path):
    for name, passed in (("ccrs-1", True), ("ccrm-2", False)):
        folder = tmp_path / "runs" / name
        folder.mkdir(parents=True)
        doc = {
            "scenario": f"scenarios/catalog/{name[:4]}.xosc",
            "verdict": {"passed": passed},
            "end": "stop trigger",
        }
        (folder / "result.json").write_text(json.dumps(doc))
        time.sleep(0.02)
    runs = httpx.get(console.url + "api/runs", timeout=5).json()
    assert [(r["name"], r["scenario"], r["passed"]) for r in runs] == [
        ("ccrm-2", "ccrm", False),
        ("ccrs-1", "ccrs", True),
    ]
    assert httpx.get(console.url + "runs/ccrm-2/report", timeout=5).status_code == 404  # no log, no report
    assert httpx.get(console.url + "runs/..%2Fetc/report", timeout=5).status_code == 404
    catalog = {s["name"]: s for s in httpx.get(console.url + "api/catalog", timeout=5).json()}
    assert "EgoSpeed" in [p["name"] for p in catalog["ccrm"]["parameters"]]
