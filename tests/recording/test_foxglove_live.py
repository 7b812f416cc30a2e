"""``dil drive --foxglove``: a real real-time run serves Foxglove's WebSocket protocol
(``foxglove.websocket.v1``; ``foxglove.sdk.v1`` in foxglove-sdk 0.30) and a websocket client sees
the export's channels, the road and the ego in the scene, decoded with Foxglove's schema package."""

import json
import queue
import re
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import jsonschema
from foxglove_schemas_protobuf.SceneUpdate_pb2 import SceneUpdate
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]
CCRS = ROOT / "scenarios" / "catalog" / "ccrs.xosc"
# Foxglove's WebSocket protocol; foxglove-sdk 0.30 names it foxglove.sdk.v1 (same messages)
SUBPROTOCOLS = ["foxglove.websocket.v1", "foxglove.sdk.v1"]
MESSAGE_DATA = 0x01


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)


def _wait_for_url(proc: subprocess.Popen, lines: queue.Queue, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            assert proc.poll() is None, "".join(seen)
            continue
        seen.append(line)
        if m := re.search(r"foxglove: serving the run live at (ws://\S+)", line):
            return m.group(1)
    raise AssertionError("no foxglove announcement: " + "".join(seen))


def _session(url: str, timeout_s: float) -> tuple[dict, dict[str, dict], dict[str, list[bytes]]]:
    """Connect, subscribe to every channel as it is advertised, collect messages until the scene, the
    road, the transforms and vehicle/state have each arrived: (serverInfo, channels, payloads)."""
    channels: dict[str, dict] = {}
    payloads: dict[str, list[bytes]] = {}
    by_sub: dict[int, str] = {}
    wanted = {"foxglove/scene", "foxglove/road", "foxglove/tf", "vehicle/state"}
    deadline = time.monotonic() + timeout_s
    with connect(url, subprotocols=SUBPROTOCOLS, open_timeout=30, max_size=None) as ws:
        assert ws.subprotocol in SUBPROTOCOLS
        info = json.loads(ws.recv(timeout=30))
        while time.monotonic() < deadline and not wanted <= {t for t, p in payloads.items() if p}:
            try:
                msg = ws.recv(timeout=1)
            except TimeoutError:
                continue
            except ConnectionClosed:  # the run ended: what came is what there is
                break
            if isinstance(msg, bytes):
                assert msg[0] == MESSAGE_DATA
                sub, _t_ns = struct.unpack_from("<IQ", msg, 1)
                payloads.setdefault(by_sub[sub], []).append(msg[13:])
                continue
            doc = json.loads(msg)
            if doc["op"] == "advertise":
                subs = []
                for ch in doc["channels"]:
                    channels[ch["topic"]] = ch
                    by_sub[ch["id"]] = ch["topic"]
                    subs.append({"id": ch["id"], "channelId": ch["id"]})
                ws.send(json.dumps({"op": "subscribe", "subscriptions": subs}))
    return info, channels, payloads


def test_a_real_time_run_serves_its_scene_to_a_foxglove_client(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "dil", "drive", str(CCRS), "--headless", "--bus", "local",
         "--driver", "launch", "--foxglove", "0", "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
    )  # fmt: skip
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    try:
        url = _wait_for_url(proc, lines, 240)
        info, channels, payloads = _session(url, 120)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    output = "".join(rest)
    assert proc.returncode in (0, 1), output  # ccrs with a launch: the verdict may fail, the run ran
    assert "foxglove.websocket.server" not in output  # the server's own INFO lines stay quiet
    assert info["op"] == "serverInfo" and info["name"] == "dil"
    got = {t: len(p) for t, p in payloads.items()}
    assert {"foxglove/scene", "foxglove/road", "foxglove/tf", "vehicle/state"} <= got.keys(), got

    # the export's channels, with their encodings and schemas
    assert channels["foxglove/scene"]["encoding"] == "protobuf"
    assert channels["foxglove/scene"]["schemaName"] == "foxglove.SceneUpdate"
    assert channels["foxglove/tf"]["schemaName"] == "foxglove.FrameTransforms"
    assert channels["foxglove/road"]["schemaName"] == "foxglove.SceneUpdate"
    for topic in ("vehicle/state", "world/actors", "run/status"):
        assert channels[topic]["encoding"] == "json" and channels[topic]["schemaEncoding"] == "jsonschema"

    scene = SceneUpdate.FromString(payloads["foxglove/scene"][-1])
    entities = {e.id: e for e in scene.entities}
    ego = entities["actor/0"]
    assert ego.frame_id == "world" and len(ego.cubes) == 1 and ego.cubes[0].size.x > 3.0
    assert "km/h" in ego.texts[0].text
    assert any(k.startswith("actor/") and k != "actor/0" for k in entities)  # the ccrs target too

    road = SceneUpdate.FromString(payloads["foxglove/road"][0])
    assert road.entities[0].id == "road" and len(road.entities[0].lines) >= 3

    schema = json.loads(channels["vehicle/state"]["schema"])
    for data in payloads["vehicle/state"]:
        jsonschema.validate(json.loads(data), schema)
