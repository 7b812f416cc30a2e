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
from tests.joining import joined

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
    return Inbox(joined(bus.subscriber("console/command")), Drops())


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
        r = post(console, {"command": "park", "operator": "mallory"}, headers)
        assert r.status_code == 401
    assert received(commands, 300) is None
    refused = [e for e in audit_lines(console) if e["result"] == "refused"]
    assert len(refused) == 2 and refused[0]["operator"] == "mallory" and refused[0]["status"] == 401
    assert refused[0]["time"].endswith("Z") and refused[0]["client"].startswith("127.0.0.1:")


@pytest.mark.parametrize(
    ("path", "body", "headers", "operator", "token"),
    [
        ("api/command", {"command": "estop"}, {}, None, "none"),
        ("api/command", {"command": "estop", "operator": "jane doe", "colour": "red"}, {}, None, "none"),
        (
            "api/command",
            {"command": "estop", "argument": "now", "operator": "mallory"},
            {},
            "mallory",
            "none",
        ),
        (
            "api/command",
            {"command": "estop", "operator": "amy"},
            {"Authorization": "Bearer wrong-1234567890abcdef"},
            "amy",
            "refused",
        ),
        ("api/estop", None, {}, None, "none"),
        ("api/estop", {"operator": "jane"}, AUTH, "jane", "valid"),
        ("api/estop", "not even an object", {"Origin": "http://elsewhere.example"}, None, "none"),
    ],
)
def test_the_estop_is_honoured_with_no_token_name_confirmation_or_clean_body_and_audited(
    console, commands, path, body, headers, operator, token
):
    kw = {"json": body} if body is not None else {"content": b""}
    r = httpx.post(console.url + path, headers=headers, timeout=5, **kw)
    assert r.status_code == 200, r.text
    msg = received(commands)
    assert msg["command"] == "estop" and msg["operator"] == (operator or "") and msg["argument"] == ""
    (entry,) = audit_lines(console)
    assert entry["command"] == "estop" and entry["result"] == "sent" and entry["operator"] == operator
    assert entry["token"] == token and entry["client"].startswith("127.0.0.1:") and entry["via"] == "http"
    if isinstance(body, dict) and body.get("operator") == "jane doe":
        assert entry["operator_given"] == "jane doe"  # recorded as given, sent without it


def test_the_estop_over_the_feed_needs_no_token_and_is_answered(console, commands):
    ws_url = console.url.replace("http", "ws") + "ws"
    with connect(ws_url, subprotocols=["dil-console"]) as ws:
        assert json.loads(ws.recv(5))["authorised"] is False
        ws.send(json.dumps({"type": "estop", "operator": "viewer"}))
        for _ in range(100):
            answer = json.loads(ws.recv(5))
            if answer["type"] == "estop":
                break
        assert answer["result"] == "sent"
    msg = received(commands)
    assert msg["command"] == "estop" and msg["operator"] == "viewer"
    (entry,) = audit_lines(console)
    assert entry["via"] == "websocket" and entry["token"] == "none" and entry["operator"] == "viewer"


def test_a_foreign_origin_is_refused_at_the_handshake_and_for_controls_and_audited(console, commands):
    ws_url = console.url.replace("http", "ws") + "ws"
    port = console.port
    for own in (f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"):
        with connect(ws_url, subprotocols=["dil-console"], origin=own) as ws:
            assert json.loads(ws.recv(5))["type"] == "hello"
    for forged in (
        "http://evil.example",
        f"http://evil.example:{port}",
        f"http://127.0.0.1:{port + 1}",
        "null",
    ):
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url, subprotocols=["dil-console", f"token.{TOKEN}"], origin=forged)
        assert refused.value.response.status_code == 403
    # a control from a foreign page: refused even with the token
    r = post(console, {"command": "park", "operator": "jane"}, {**AUTH, "Origin": "http://evil.example"})
    assert r.status_code == 403 and "origin" in r.json()["error"]
    assert received(commands, 200) is None
    auth = [e for e in audit_lines(console) if e["kind"] == "auth"]
    assert [e["origin"] for e in auth] == [
        "http://evil.example",
        f"http://evil.example:{port}",
        f"http://127.0.0.1:{port + 1}",
        "null",
    ]
    assert all(e["result"] == "refused" and "foreign origin" in e["reason"] for e in auth)
    (action,) = [e for e in audit_lines(console) if e["kind"] == "action"]
    assert action["status"] == 403 and action["origin"] == "http://evil.example"


def test_an_origin_given_with_allow_origin_may_open_the_feed(base_port, tmp_path):
    console = make_console(base_port, tmp_path, allow_origins=("https://rig.lab",))
    try:
        ws_url = console.url.replace("http", "ws") + "ws"
        with connect(ws_url, subprotocols=["dil-console"], origin="https://rig.lab") as ws:
            assert json.loads(ws.recv(5))["type"] == "hello"
        with pytest.raises(InvalidStatus):
            connect(ws_url, subprotocols=["dil-console"], origin="https://rig.lab:8443")
    finally:
        console.stop()
    with pytest.raises(ValueError, match=r"--allow-origin 'rig\.lab'"):
        make_console(base_port, tmp_path, allow_origins=("rig.lab",))


def test_the_session_tells_a_wrong_token_from_a_missing_one(console):
    def token_state(headers):
        return httpx.get(console.url + "api/session", headers=headers, timeout=5).json()["token"]

    assert token_state({}) == "none"
    assert token_state({"Authorization": "Bearer not-the-token-1234567890"}) == "refused"
    assert token_state(AUTH) == "valid"


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
        ({"command": "pause"}, 400, "operator"),
        ({"command": "pause", "operator": "jane doe"}, 400, "no spaces"),
        ({"command": "pause", "operator": "jane", "argument": "now"}, 400, "takes no argument"),
        ({"command": "pause", "operator": "jane", "colour": "red"}, 400, "unknown field"),
        ({"command": "pause", "operator": "jane", "no_motion": True}, 400, "only with start"),
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
        # both topics are seen (each has its own subscription: one may arrive well after the other)
        seen = console.bridge.situation
        assert wait_for(lambda: (seen().run_state, seen().rig_state) == ("stopped", "parked"))
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
        assert httpx.post(url + "api/estop", timeout=5).status_code == 200  # the e-stop: never a token
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


def test_start_is_refused_while_the_rig_cannot_move_unless_the_operator_chooses_no_motion(
    console, commands, bus
):
    start = {"command": "start", "operator": "jane", "scenario": "ccrm", "confirmed": True}
    peer = Peer(bus, {"run/status": run_status("stopped")})
    rig = None
    try:
        assert wait_for(lambda: console.bridge.situation().run_state == "stopped")
        r = post(console, start)  # no rig feedback at all
        assert r.status_code == 409 and "no rig server answers" in r.json()["error"], r.text
        assert "choose run without motion" in r.json()["error"]
        held = {**rig_feedback("parked"), "fault": "emergency stop by jane", "rearm_required": True}
        cases = [
            (held, "rig is parked: emergency stop by jane; re-arm it or choose run without motion"),
            (
                {
                    **rig_feedback("parked"),
                    "fault": "watchdog: no valid command for 50 ms",
                    "rearm_required": True,
                },
                "rig is parked: watchdog: no valid command for 50 ms; re-arm it",
            ),
            (
                {**rig_feedback("fault"), "fault": "actuator 3 over travel"},
                "rig is in fault: actuator 3 over travel",
            ),
            ({**rig_feedback("engaging"), "fault": ""}, "rig is engaging; wait until it is engaged"),
        ]
        rig = Peer(bus, {"rig/feedback": rig_feedback("engaged")})
        for fb, words in cases:
            rig.set("rig/feedback", fb)
            assert wait_for(
                lambda fb=fb: (
                    console.bridge.situation().rig_state == fb["state"]
                    and console.bridge.situation().rig_reason == fb["fault"]
                )
            )
            r = post(console, start)
            assert r.status_code == 409 and words in r.json()["error"], r.text
        assert received(commands, 200) is None
        # a parked rig with a reason but that needs no re-arm may start: the run engages it
        rig.set(
            "rig/feedback", {**rig_feedback("parked"), "fault": "park commanded", "rearm_required": False}
        )
        assert wait_for(lambda: console.bridge.situation().rig_rearm_required is False)
        assert post(console, start).status_code == 200
        assert received(commands)["argument"] == "ccrm"
        # the operator's explicit choice: runs with the rig held
        rig.set("rig/feedback", held)
        assert wait_for(lambda: console.bridge.situation().rig_reason == "emergency stop by jane")
        r = post(console, {**start, "no_motion": True})
        assert r.status_code == 200, r.text
        assert received(commands)["argument"] == "ccrm +no-motion"
        assert console.bridge.snapshot(0)[0]["no_motion"] is False  # not yet running
        peer.set("run/status", run_status("running"))
        assert wait_for(lambda: console.bridge.snapshot(0)[0]["no_motion"] is True)  # the page's banner
        peer.set("run/status", run_status("stopped"))
        assert wait_for(lambda: console.bridge.snapshot(0)[0]["no_motion"] is False)
    finally:
        peer.stop()
        if rig is not None:
            rig.stop()
    entries = [e for e in audit_lines(console) if e["command"] == "start"]
    assert [e["result"] for e in entries] == ["refused"] * 5 + ["sent", "sent"]
    assert entries[-1]["argument"] == "ccrm +no-motion"


def test_the_history_shows_aborted_and_incomplete_runs_with_their_reason(console, tmp_path):
    verdicts = {
        "old-pass": {"passed": True},
        "old-fail": {"passed": False},
        "estopped": {"passed": False, "outcome": "aborted", "reason": "emergency stop by jane"},
        "cut": {"passed": False, "outcome": "incomplete", "reason": "time guard 120 s"},
    }
    for name, verdict in verdicts.items():
        folder = tmp_path / "runs" / name
        folder.mkdir(parents=True)
        (folder / "result.json").write_text(json.dumps({"scenario": "ccrs.xosc", "verdict": verdict}))
    runs = {r["name"]: r for r in httpx.get(console.url + "api/runs", timeout=5).json()}
    assert {n: (r["outcome"], r["reason"]) for n, r in runs.items()} == {
        "old-pass": ("pass", ""),
        "old-fail": ("fail", ""),
        "estopped": ("aborted", "emergency stop by jane"),
        "cut": ("incomplete", "time guard 120 s"),
    }


def test_a_bad_allow_origin_is_bad_input_exit_2_no_traceback():
    import subprocess
    import sys

    p = subprocess.run(
        [sys.executable, "-m", "dil", "console", "--allow-origin", "rig.lab", "--http-port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 2 and "--allow-origin 'rig.lab': give scheme://host[:port]" in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize(
    ("origin", "host", "bind", "allowed"),
    [
        (None, "127.0.0.1:8600", "127.0.0.1", True),  # not a browser: the token rules alone
        ("http://localhost:8600", "127.0.0.1:8600", "127.0.0.1", True),
        ("http://LOCALHOST:8600/", "localhost:8600", "127.0.0.1", True),
        ("http://rebound.example:8600", "rebound.example:8600", "127.0.0.1", False),  # DNS rebinding
        ("http://localhost:8601", "localhost:8600", "127.0.0.1", False),
        ("https://localhost:8600", "localhost:8600", "127.0.0.1", True),
        ("http://rig-pc.lab:8600", "rig-pc.lab:8600", "0.0.0.0", True),  # as the browser asked for it
        ("http://rig-pc.lab:8600", "other.lab:8600", "0.0.0.0", False),
        ("http://127.0.0.1:8600", "127.0.0.1:8600", "0.0.0.0", True),
        ("http://localhost:8600", "192.0.2.5:8600", "192.0.2.5", False),
        ("http://192.0.2.5:8600", "192.0.2.5:8600", "192.0.2.5", True),
        ("null", "127.0.0.1:8600", "127.0.0.1", False),
        ("file://", "127.0.0.1:8600", "127.0.0.1", False),
        ("http://a:b@127.0.0.1:99999", "127.0.0.1:8600", "127.0.0.1", False),
    ],
)
def test_which_origins_are_the_consoles_own(origin, host, bind, allowed):
    from dil.console.auth import origin_allowed

    assert origin_allowed(origin, host, bind, 8600, ()) is allowed
