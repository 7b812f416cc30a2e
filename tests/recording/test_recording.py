import json
import signal
import subprocess
import sys
import time

import msgpack
import pytest
from mcap.reader import make_reader

from dil.bus import Drops, Endpoints, Inbox, ZmqBus
from dil.bus.messages import with_sensors
from dil.recording.reader import check, records
from dil.run.runner import run
from dil.run.spec import DriverChoice, Outputs, RunSpec, ScenarioChoice, Timing

from ..inproc import dil_here
from ..ports import port_block
from ..scenario.helpers import CATALOG


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    path = tmp_path_factory.mktemp("log") / "run.mcap"
    result = run(RunSpec(ScenarioChoice(CATALOG / "ccrb.xosc"), outputs=Outputs(record=path)))
    return path, result


def _dil(*args):
    """``dil ARGS`` as a process: for the exit statuses of ``replay --resim``, ``log export``, ``log check``
    and ``log score`` that no other test of the suite sees from a process."""
    return subprocess.run([sys.executable, "-m", "dil", *args], capture_output=True, text=True, timeout=600)


def test_the_mcap_reader_sees_every_channel_with_its_schema(recorded):
    path, result = recorded
    counts: dict[str, int] = {}
    schemas = with_sensors({"objects": "objects", "lanes": "lanes"})
    with path.open("rb") as f:
        reader = make_reader(f)
        summary = reader.get_summary()
        for schema, channel, message in reader.iter_messages():
            counts[channel.topic] = counts.get(channel.topic, 0) + 1
            assert channel.message_encoding == "msgpack" and schema.encoding == "jsonschema"
            assert json.loads(schema.data)["title"] == channel.topic
            msg = msgpack.unpackb(message.data)
            schemas[channel.topic].check(msg)  # the bytes are the bus messages, valid as sent
            assert message.log_time == msg["t_sim_ns"] or channel.topic == "vehicle/state"
        meta = {m.name: m for m in reader.iter_metadata()}
        attachments = {a.name for a in reader.iter_attachments()}
    ticks = round(result.simulated_s * 100)  # 100 Hz loop ticks, about 20 s
    assert 1900 < ticks < 2100
    assert counts["vehicle/state"] == ticks + 1  # the initial state, then one per tick
    # 50 Hz, from the first tick on: the stack answers the world's first frame
    assert counts["ai/command"] == counts["world/actors"] == (ticks - 1) // 2 + 1
    assert set(counts) == {
        "vehicle/state",
        "ai/command",
        "world/actors",
        "sensor/objects",
        "sensor/lanes",
        "scenario/events",
        "run/status",
    }
    assert sum(counts.values()) == summary.statistics.message_count
    assert (
        meta["dil.run"].metadata["stack"] == "builtin"
        and len(meta["dil.run"].metadata["scenario_sha256"]) == 64
    )
    assert json.loads(meta["dil.recording"].metadata["verdict"])["passed"] is True
    assert attachments == {"scenario.xosc", "road.xodr", "vehicle.yaml"}
    report = check(path)
    assert report.complete and report.per_topic == counts


def test_re_simulation_reproduces_the_run_and_finds_a_changed_vehicle(recorded):
    path, result = recorded
    same = dil_here("replay", str(path), "--resim")
    assert same.returncode == 0, same.stderr
    n = round(result.simulated_s * 100) + 1
    assert f"reproduces all {n} vehicle/state messages bit for bit" in same.stdout
    other = _dil("replay", str(path), "--resim", "--vehicle", "compact_ev")
    assert other.returncode == 1
    assert other.stdout.startswith("first divergence: vehicle/state message 0 at t = 0.000 s, field ")


def test_export_to_csv_and_json_lines(recorded, tmp_path):
    path, result = recorded
    out = _dil(
        "log", "export", str(path), "--topics", "vehicle/state", "world/actors", "-o", str(tmp_path / "csv")
    )
    assert out.returncode == 0, out.stderr
    rows = (tmp_path / "csv" / "vehicle_state.csv").read_text().splitlines()
    n = round(result.simulated_s * 100) + 1  # vehicle/state messages
    assert rows[0].startswith("log_time_ns,schema_version,seq,t_sim_ns") and len(rows) == n + 1
    actors = (tmp_path / "csv" / "world_actors.csv").read_text().splitlines()
    assert '""name"": ""Target""' in actors[1]
    out = dil_here(
        "log",
        "export",
        str(path),
        "--format",
        "jsonl",
        "--topics",
        "scenario/events",
        "-o",
        str(tmp_path / "e.jsonl"),
    )
    lines = [json.loads(x) for x in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert out.returncode == 0 and all(x["topic"] == "scenario/events" for x in lines)
    assert any(x["element"] == "event" and x["transition"] == "start" and x["t_sim_ns"] > 0 for x in lines)


def test_a_killed_recording_is_readable_up_to_its_last_chunk(tmp_path):
    path = tmp_path / "killed.mcap"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dil",
            "drive",
            "--headless",
            "--driver",
            "sine-steer",
            "--bus",
            "local",
            "--record",
            str(path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not path.exists() or path.stat().st_size < 600_000):
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    report = check(path)
    assert not report.complete
    assert report.per_topic["vehicle/state"] > 500
    assert "INCOMPLETE" in report.report()
    result = _dil("log", "check", str(path))
    assert result.returncode == 1 and "INCOMPLETE" in result.stdout


def test_playback_republishes_the_log_on_the_bus(recorded):
    path, _ = recorded
    port = port_block()
    bus = ZmqBus(Endpoints.default("tcp", port=port), hwm=100_000)
    inbox = Inbox(bus.subscriber("vehicle/state"), Drops())
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dil",
            "replay",
            str(path),
            "--speed",
            "20",
            "--topics",
            "vehicle/state",
            "--subscribers",
            "1",
            "--bus",
            "tcp",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    played = [msgpack.unpackb(bytes(m.data))["seq"] for t, m in records(path) if t == "vehicle/state"]
    seqs = []
    try:
        # until the log's last message arrived (or the player ended without it and nothing more came):
        # on a busy machine this subscriber can be thousands of messages behind the player
        end = time.monotonic() + 120
        while time.monotonic() < end and not (seqs and seqs[-1] == played[-1]):
            m = inbox.next(200)
            if m is not None:
                seqs.append(m["seq"])
            elif proc.poll() is not None and inbox.next(30_000) is None:
                break
    finally:
        proc.kill()
        bus.close()
    assert seqs == played  # all of them, in order: the player waited for this subscriber to join


def test_a_player_told_of_subscribers_that_do_not_come_says_so_and_plays_nothing(recorded):
    from dil.recording.playback import JoinError, play_back

    path, _ = recorded
    bus = ZmqBus(Endpoints.default("tcp", port=port_block()))
    try:
        with pytest.raises(JoinError, match=r"^vehicle/state: 0 of 1 subscribers joined in 0.3 s$"):
            play_back(path, bus, speed=0, topics=["vehicle/state"], subscribers=1, join_timeout_s=0.3)
    finally:
        bus.close()


@pytest.mark.parametrize(
    ("name", "stack"), [("ccrb", "builtin"), ("alks_cutin", "builtin"), ("cpna", "none")]
)
def test_kpis_scored_from_a_log_equal_the_live_ones(name, stack, tmp_path):
    from dil.run.kpi import SCALAR_KPIS, score_log

    path = tmp_path / "run.mcap"
    live = run(
        RunSpec(ScenarioChoice(CATALOG / f"{name}.xosc"), DriverChoice(stack), outputs=Outputs(record=path))
    )
    scored = score_log(path).as_dict()
    for key in (*SCALAR_KPIS, "events"):
        assert scored[key] == live.kpis[key], key
    result = dil_here("log", "score", str(path))
    assert result.returncode == (0 if live.passed else 1)
    assert f"collision        {'yes' if live.kpis['collision'] else 'no'}" in result.stdout


def test_open_loop_replay_of_the_same_stack_matches_and_another_differs(recorded):
    from dil.recording.openloop import open_loop, stack_parameters

    path, result = recorded
    same = open_loop(path, stack_parameters({}))
    # every command but the first: the log cannot tell the initial state (published before the first
    # tick) from the first tick's state, both logged at t = 0, and the replay takes the later one
    assert same.commands == round(result.simulated_s * 50) - 1
    assert all(d.max_abs == 0.0 and d.rms == 0.0 for d in same.channels.values())
    other = open_loop(path, stack_parameters({"time_gap": "2.5"}))
    assert other.channels["brake"].max_abs > 0.05 or other.channels["throttle"].max_abs > 0.05
    with pytest.raises(ValueError, match="--stack-param nope: unknown"):
        stack_parameters({"nope": "1"})


def test_report_is_one_html_page_with_plots(recorded, tmp_path):
    path, _ = recorded
    out = tmp_path / "report.html"
    done = dil_here("report", str(path), "-o", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    assert page.count("data:image/png;base64,") == 6
    assert "PASS" in page and "ccrb.xosc" in page
    assert "min_ttc" in page and "event: start" in page


def test_a_run_cut_by_its_time_guard_is_incomplete_in_its_log_score_and_report(tmp_path):
    path = tmp_path / "run.mcap"
    live = run(
        RunSpec(
            ScenarioChoice(CATALOG / "ccrs.xosc"), outputs=Outputs(record=path), timing=Timing(max_time=2.0)
        )
    )
    assert live.outcome == "incomplete"
    score = _dil("log", "score", str(path))
    assert score.returncode == 3, score.stdout + score.stderr
    assert "verdict INCOMPLETE: the time guard (--max-time 2 s) ended the run" in score.stdout
    out = tmp_path / "report.html"
    assert dil_here("report", str(path), "-o", str(out)).returncode == 0
    page = out.read_text()
    assert '<p class="verdict">INCOMPLETE: the time guard (--max-time 2 s)' in page and "color:#d80" in page
    assert '<p class="end">end: time limit 2 s</p>' in page
    # the plots start where the car stands: the first frame of the ego is its Init pose, not (0, 0)
    from dil.recording.fast import fast_records

    first = next(msgpack.unpackb(bytes(d)) for t, _, d in fast_records(path) if t == "world/actors")
    assert first["actors"][0]["x"] > 10.0
