"""``dil compare``: a run against itself, against a run with another parameter (the first divergence
found in the logs by hand), against its own OSI trace and an esmini-format CSV of it, and bad input."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import msgpack
import pytest

from dil.cli import main
from dil.recording.fast import fast_records
from dil.scenario.loader import load

ROOT = Path(__file__).resolve().parents[2]
CUTIN = ROOT / "scenarios" / "catalog" / "alks_cutin.xosc"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """alks_cutin (with its OSI trace) and with a 2 s instead of a 3 s cut-in; the cut-in comes sooner
    (a faster target: at about 5 s, not 11 s) and the runs end at 12 s, after the ego's reaction."""
    d = tmp_path_factory.mktemp("runs")
    short = ["--param", "SpeedDiff=40", "--max-time", "12"]
    main(["run", str(CUTIN), *short, "--out", str(d / "a"), "--osi-trace", str(d / "a_gt.mcap")])
    main(["run", str(CUTIN), *short, "--out", str(d / "b"), "--param", "CutInTime=2"])
    return {
        "a": d / "a" / "alks_cutin" / "run.mcap",
        "a_csv": d / "a" / "alks_cutin" / "trace.csv",
        "a_result": d / "a" / "alks_cutin" / "result.json",
        "a_gt": d / "a_gt.mcap",
        "b": d / "b" / "alks_cutin" / "run.mcap",
        "b_result": d / "b" / "alks_cutin" / "result.json",
        "dir": d,
    }


def compare(capsys: pytest.CaptureFixture, *args: object) -> tuple[int, dict | str, str]:
    """Exit code, the JSON result (or the stdout text without --json), stderr."""
    rc = main(["compare", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, (json.loads(out) if "--json" in args and rc != 2 else out), err


def by_entity(doc: dict) -> dict[str, dict]:
    return {e["entity"]: e for e in doc["entities"]}


def actors(log: Path) -> dict[int, dict[str, tuple[float, float]]]:
    """t_ns -> entity -> box centre, straight from the log's world/actors."""
    out = {}
    for topic, t_ns, data in fast_records(log):
        if topic == "world/actors":
            out[t_ns] = {a["name"]: (a["x"], a["y"]) for a in msgpack.unpackb(data)["actors"]}
    return out


def test_a_run_against_itself_is_exactly_zero(runs, capsys) -> None:
    zero = ("--tolerance-m", "0", "--tolerance-speed", "0", "--tolerance-heading-deg", "0")
    rc, doc, _ = compare(capsys, runs["a"], runs["a"], "--json", *zero)
    assert rc == 0 and doc["within_tolerance"]
    assert set(by_entity(doc)) == {"Ego", "Target"}
    for e in doc["entities"]:
        assert e["max_position_m"] == 0.0 and e["max_speed_mps"] == 0.0 and e["max_heading_deg"] == 0.0
        assert e["first_divergence_s"] is None
        assert e["samples"] >= 599  # 12 s at 50 Hz
    assert doc["overlap_s"] == [0.0, pytest.approx(12.0, abs=0.021)]  # the last 50 Hz frame before 12 s
    assert doc["only_in_a"] == [] and doc["only_in_b"] == []


def test_a_changed_cut_in_time_diverges_after_the_cut_in_starts(runs, capsys) -> None:
    tol = 0.1
    rc, doc, _ = compare(capsys, runs["a"], runs["b"], "--json", "--tolerance-m", tol)
    assert rc == 1 and not doc["within_tolerance"]
    ents = by_entity(doc)
    # the cut-in event starts at the same time in both runs (the gap that triggers it is the same)
    starts = []
    for result in (runs["a_result"], runs["b_result"]):
        sb = json.loads(result.read_text())["storyboard"]
        starts.append(next(s["t"] for s in sb if s["type"] == "event" and s["transition"] == "start"))
    assert starts[0] == starts[1]
    t_event = starts[0]
    # by hand from the two logs: both tick at the same times, so no interpolation is involved
    la, lb = actors(runs["a"]), actors(runs["b"])
    expected = {}
    worst = {}
    for name in ("Ego", "Target"):
        first = None
        for t_ns in sorted(la):
            if t_ns == 0:
                continue  # the world's first frame precedes the ego's first state (left out by the reader)
            (xa, ya), (xb, yb) = la[t_ns][name], lb[t_ns][name]
            d = math.hypot(xa - xb, ya - yb)
            worst[name] = max(worst.get(name, 0.0), d)
            if t_ns * 1e-9 < t_event:
                assert d == 0.0, f"{name} differs at {t_ns * 1e-9} s, before the cut-in"
            if first is None and d > tol:
                first = t_ns * 1e-9
        expected[name] = first
    target = ents["Target"]
    assert target["first_beyond_s"]["position"] == pytest.approx(expected["Target"], abs=1e-9)
    assert t_event < target["first_divergence_s"] < t_event + 1.0
    assert ents["Ego"]["first_divergence_s"] == pytest.approx(expected["Ego"], abs=1e-9)
    assert ents["Ego"]["first_divergence_s"] > target["first_divergence_s"]  # the ego reacts to the target
    for name in ("Ego", "Target"):
        assert ents[name]["max_position_m"] == pytest.approx(worst[name], abs=1e-9)
    # a tolerance above the largest difference: within, exit 0
    rc, doc2, _ = compare(capsys, runs["a"], runs["b"], "--json", "--tolerance-m", max(worst.values()) + 0.01)
    assert rc == 0 and doc2["within_tolerance"]


def test_a_log_and_the_osi_trace_of_the_same_run_agree(runs, capsys) -> None:
    rc, doc, _ = compare(capsys, runs["a"], runs["a_gt"], "--json", "--tolerance-m", "1e-6",
                         "--tolerance-heading-deg", "1e-6")  # fmt: skip
    assert rc == 0, doc
    assert doc["b"]["format"] == "OSI trace"
    ents = by_entity(doc)
    assert {e["entity_b"] for e in doc["entities"]} == {"osi-1", "osi-2"}
    assert ents["Ego"]["entity_b"] == "osi-1"
    for e in doc["entities"]:
        assert e["max_position_m"] < 1e-9
        assert e["max_speed_mps"] < 0.01  # OSI: the box centre's velocity, world/actors: the model's speed
    assert any("matched by id" in n for n in doc["notes"])


def _esmini_csv(path: Path, rows: list[tuple[float, list[dict]]], *, with_bb: bool = True) -> None:
    """The layout esmini's csv_logger writes: key: value lines, a header of Index, TimeStamp and one
    block of columns per entity, one line per frame with a trailing separator."""
    n = len(rows[0][1])
    fields = ["Entity_Name [-]", "Entity_ID [-]", "Current_Speed [m/s]", "Wheel_Angle [deg]",
              "Wheel_Rotation [-]"]  # fmt: skip
    if with_bb:
        fields += ["bb_x [m]", "bb_y [m]", "bb_z [m]", "bb_length [m]", "bb_width [m]", "bb_height [m]"]
    fields += ["World_Position_X [m]", "World_Position_Y [m]", "World_Position_Z [m]",
               "Distance_Travelled_Along_Road_Segment [m]", "Lateral_Distance_Lanem [m]",
               "World_Heading_Angle [rad]", "Heading_Angle_Rate [rad/s]"]  # fmt: skip
    if not with_bb:  # older esmini: a misspelt name column
        fields[0] = "Entitity_Name [-]"
    lines = [f"esmini {k}: test" for k in ("GIT REV", "GIT TAG", "GIT BRANCH", "BUILD VERSION")]
    lines += ["Scenario File Name: alks_cutin.xosc", f"Number of Vehicles: {n}"]
    lines.append(
        "Index [-], TimeStamp [s], " + "".join(f"#{k} {f}, " for k in range(1, n + 1) for f in fields)
    )
    for i, (t, ents) in enumerate(rows):
        vals = [str(i), f"{t:f}"]
        for k, e in enumerate(ents):
            block = [e["name"], str(k), f"{e['speed']:f}", "0.000000", "0.000000"]
            if with_bb:
                block += [f"{e['bb_x']:f}", "0.000000", "0.700000", "4.5", "1.8", "1.4"]
            yaw = e["yaw"] % (2 * math.pi)  # esmini's headings are in [0, 2 pi)
            block += [f"{e['x']:f}", f"{e['y']:f}", "0.000000", "0.0", "0.0", f"{yaw:f}", "0.000000"]
            vals += block
        lines.append(", ".join(vals) + ", ")
    path.write_text("\n".join(lines) + "\n")


def test_an_esmini_csv_of_the_run_is_read_and_moved_to_the_box_centre(runs, capsys) -> None:
    scen = load(CUTIN)
    frames: dict[float, list[dict]] = {}
    with runs["a_csv"].open() as f:
        for r in csv.DictReader(f):
            frames.setdefault(float(r["t_s"]), []).append(
                {"name": r["entity"], "x": float(r["x_m"]), "y": float(r["y_m"]), "yaw": float(r["yaw_rad"]),
                 "speed": float(r["speed_mps"]), "bb_x": scen.entities[r["entity"]].centre_x}
            )  # fmt: skip
    assert any(e["bb_x"] > 1.0 for e in next(iter(frames.values())))  # reference point and box centre differ
    path = runs["dir"] / "esmini.csv"
    _esmini_csv(path, sorted(frames.items()))
    rc, doc, _ = compare(capsys, runs["a"], path, "--json", "--tolerance-m", "0.05")
    assert rc == 0, doc
    assert doc["b"]["format"] == "esmini CSV" and doc["b"]["positions_of"] == "box centre"
    assert doc["b"]["t_s"] == [0.0, pytest.approx(12.0, abs=0.11)]  # the last 10 Hz row before 12 s
    for e in doc["entities"]:
        assert e["max_position_m"] < 0.05  # the 10 Hz file interpolated onto 50 Hz
    # the reference points as given against the log's box centres: refused, not compared silently
    rc, _, err = compare(capsys, runs["a"], path, "--json", "--reference", "as-given")
    assert rc == 2 and "reference point" in err and "box centre" in err


def _line(x0: float, dx_after: float, t_from: float, yaw: float = 0.0) -> list[tuple[float, list[dict]]]:
    return [
        (
            k * 0.1,
            [
                {
                    "name": "Car",
                    "x": x0 + 10.0 * k * 0.1 + (dx_after if k * 0.1 >= t_from - 1e-9 else 0.0),
                    "y": 0.0,
                    "yaw": yaw,
                    "speed": 10.0,
                    "bb_x": 1.4,
                }
            ],
        )
        for k in range(51)
    ]


def test_known_differences_between_two_esmini_csv_files(tmp_path, capsys) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    _esmini_csv(a, _line(0.0, 0.0, 99.0, yaw=math.pi - 0.01))
    rows = _line(0.0, 0.0, 99.0, yaw=-math.pi + 0.01)  # 0.02 rad apart across the +-pi seam
    for t, ents in rows:
        if t >= 2.0 - 1e-9:
            ents[0]["y"] += 0.5
    _esmini_csv(b, rows)
    rc, doc, _ = compare(capsys, a, b, "--json", "--tolerance-m", "0.1", "--tolerance-heading-deg", "5")
    assert rc == 1
    car = by_entity(doc)["Car"]
    assert car["first_beyond_s"] == {"position": pytest.approx(2.0), "heading": None}
    # box centres 1.4 m ahead of reference points whose headings differ by 0.02 rad: 2 * 1.4 * sin(0.01) apart
    assert car["max_position_m"] == pytest.approx(0.5 - 2 * 1.4 * math.sin(0.01), abs=1e-5)
    assert car["max_heading_deg"] == pytest.approx(math.degrees(0.02), abs=1e-3)
    # the same through the text table and the HTML page
    html = tmp_path / "cmp.html"
    rc = main(["compare", str(a), str(b), "--tolerance-m", "0.1", "--html", str(html)])
    out = capsys.readouterr().out
    assert rc == 1 and "BEYOND TOLERANCE" in out and "2.000 (position)" in out
    page = html.read_text()
    assert page.count("data:image/png;base64,") == 2 and "Car" in page


def test_an_older_esmini_csv_without_boxes(tmp_path, capsys) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    _esmini_csv(a, _line(0.0, 0.0, 99.0), with_bb=False)
    _esmini_csv(b, _line(0.0, 0.3, 1.0), with_bb=False)
    rc, _, err = compare(capsys, a, b)
    assert rc == 2 and str(a) in err and "bb_x" in err and "--reference as-given" in err
    rc, doc, _ = compare(capsys, a, b, "--json", "--reference", "as-given")
    assert rc == 1 and doc["reference"] == "reference point"
    assert by_entity(doc)["Car"]["first_divergence_s"] == pytest.approx(1.0)


def test_bad_input(runs, tmp_path, capsys) -> None:
    missing = tmp_path / "nope.mcap"
    rc, _, err = compare(capsys, missing, runs["a"])
    assert rc == 2 and str(missing) in err and "cannot read" in err

    text = tmp_path / "notes.txt"
    text.write_text("hello,world\n1,2\n")
    rc, _, err = compare(capsys, runs["a"], text)
    assert rc == 2 and str(text) in err and "unknown trace format" in err

    other = tmp_path / "other.csv"
    rows = _line(0.0, 0.0, 99.0)
    for _, ents in rows:
        ents[0]["name"] = "Bus"
    _esmini_csv(other, rows)
    rc, _, err = compare(capsys, runs["a"], other)
    assert rc == 2 and "no common entity" in err and "Ego" in err and "Bus" in err and str(other) in err

    late = tmp_path / "late.csv"
    rows = [(t + 100.0, [dict(e, name="Ego", bb_x=1.4) for e in ents]) for t, ents in _line(0.0, 0.0, 99.0)]
    _esmini_csv(late, rows)
    rc, _, err = compare(capsys, runs["a"], late)
    assert rc == 2 and "no overlapping time" in err and "100.000 .. 105.000" in err

    broken = tmp_path / "broken.csv"
    _esmini_csv(broken, _line(0.0, 0.0, 99.0))
    lines = broken.read_text().splitlines()
    cells = lines[9].split(", ")
    cells[2 + 11] = "abc"  # #1 World_Position_X on the third frame
    lines[9] = ", ".join(cells)
    broken.write_text("\n".join(lines) + "\n")
    rc, _, err = compare(capsys, broken, broken)
    assert rc == 2 and f"{broken}: line 10" in err and "x" in err and "'Car'" in err

    no_x = tmp_path / "no_x.csv"
    _esmini_csv(no_x, _line(0.0, 0.0, 99.0))
    no_x.write_text(no_x.read_text().replace("World_Position_X", "World_Pos_X"))
    rc, _, err = compare(capsys, no_x, no_x)
    assert rc == 2 and "column #1 World_Position_X missing" in err

    trace = tmp_path / "trace.csv"
    trace.write_text("t_s,entity,x_m,y_m,yaw_rad,speed_mps\n0.0,Ego,1.0,oops,0,0\n")
    rc, _, err = compare(capsys, trace, trace, "--reference", "as-given")
    assert rc == 2 and f"{trace}: line 2: field y_m = 'oops'" in err

    rc, _, err = compare(capsys, runs["a"], runs["a"], "--map", "Nobody=Ego")
    assert rc == 2 and "no entity 'Nobody'" in err
