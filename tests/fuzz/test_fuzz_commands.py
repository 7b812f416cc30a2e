"""Whole commands on hostile input, as real subprocesses: each must end with its documented exit
status (0/1/2/3), never a signal, never a traceback; bad input is exit 2 with one clear line.
Counts go to ``fuzz_commands.json`` under ``$DIL_TEST_ARTIFACTS`` when set."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .harness import REPO
from .mutate import yaml_attacks

DIL = [sys.executable, "-m", "dil"]


def _tree(tmp: Path) -> Path:
    base = tmp / "scenarios"
    shutil.copytree(REPO / "scenarios", base, ignore=shutil.ignore_patterns("*.mcap", "runs"))
    return base


def _cases(tmp: Path) -> list[tuple[list[str], str, set[int]]]:
    """(arguments, what, allowed exit statuses)."""
    base = _tree(tmp)
    cat = base / "catalog"
    ccrs = (cat / "ccrs.xosc").read_text()
    files = {
        "offset_inf": ccrs.replace('laneId="-2" s="20" offset="0"', 'laneId="-2" s="20" offset="inf"'),
        "s_huge": ccrs.replace('laneId="-2" s="20" offset="0"', 'laneId="-2" s="1e300" offset="0"'),
        "speed_huge": ccrs.replace('value="${$EgoSpeed / 3.6}"', 'value="1e300"'),
        "truncated": ccrs[: len(ccrs) // 2],
    }
    for name, text in files.items():
        (cat / f"{name}.xosc").write_text(text)
    (cat / "latin1.xosc").write_bytes(ccrs.replace("Euro NCAP", "Euro NCAP \xe9").encode("latin-1"))
    road = (base / "roads" / "highway.xodr").read_text()
    far = base / "roads" / "far.xodr"
    far.write_text(road.replace('x="0" y="0" hdg="0"', 'x="2e9" y="0" hdg="0"', 1))
    (cat / "far_road.xosc").write_text(ccrs.replace("../roads/highway.xodr", "../roads/far.xodr"))
    bomb = tmp / "bomb.yaml"
    bomb.write_bytes(yaml_attacks((base / "campaigns" / "ccrs_grid.yaml").read_text())[0][0])
    reverse = base / "campaigns" / "reverse.yaml"
    reverse.write_text(
        "name: r\nscenarios: [../catalog/ccrs.xosc]\nparameters:\n"
        "  EgoSpeed: {range: {start: 50, stop: 20, step: 10}}\n"
    )
    junk = tmp / "junk.mcap"
    junk.write_bytes(bytes(range(256)) * 8)
    (tmp / "junk.csv").write_bytes(b"t_s,\xff\xfe\n1,2\n")
    run = ["run", "--no-record", "--max-time", "3", "--out", str(tmp / "runs")]
    ok = {0, 1, 3}
    return [
        ([*run, str(cat / "offset_inf.xosc")], "LanePosition offset=inf", {2}),
        ([*run, str(cat / "s_huge.xosc")], "LanePosition s=1e300", {2}),
        ([*run, str(cat / "speed_huge.xosc")], "target speed 1e300", ok | {2}),
        ([*run, str(cat / "truncated.xosc")], "truncated scenario", {2}),
        ([*run, str(cat / "latin1.xosc")], "latin-1 bytes in a UTF-8 scenario", {2}),
        ([*run, str(cat / "far_road.xosc")], "road at x = 2e9 m", {2}),
        ([*run, str(cat / "ccrs.xosc"), "--param", "EgoSpeed=${9**9**9}"], "--param ${9**9**9}", {2}),
        ([*run, str(cat / "ccrs.xosc"), "--param", "EgoSpeed=${2**(2**40)}"], "--param ${2**(2**40)}", {2}),
        (["view", str(far), "-o", str(tmp / "far.png")], "dil view of a road at 2e9 m", {2}),
        (["campaign", str(bomb), "--out", str(tmp / "c1")], "campaign alias bomb", {2}),
        (["campaign", str(reverse), "--out", str(tmp / "c2")], "campaign range stop < start", {2}),
        (["node", "check", str(bomb)], "manifest alias bomb", {2}),
        (["log", "check", str(junk)], "dil log check of a file that is not a log", {2}),
        (["replay", str(junk), "--resim"], "dil replay --resim of a file that is not a log", {2}),
        (["compare", str(junk), str(tmp / "junk.csv")], "dil compare of junk", {2}),
    ]


def test_commands_on_hostile_input_exit_cleanly(tmp_path, capsys):
    counts = {"cases": 0, "clean_errors": 0, "tracebacks": 0, "hangs": 0, "crashes": 0, "wrong_status": 0}
    problems = []
    for args, what, allowed in _cases(tmp_path):
        counts["cases"] += 1
        try:
            p = subprocess.run(
                [*DIL, *args], capture_output=True, text=True, timeout=300, cwd=tmp_path, errors="replace"
            )
        except subprocess.TimeoutExpired:
            counts["hangs"] += 1
            problems.append(f"{what}: no exit within 300 s")
            continue
        if p.returncode < 0:
            counts["crashes"] += 1
            problems.append(f"{what}: killed by signal {-p.returncode}")
        elif "Traceback" in p.stderr:
            counts["tracebacks"] += 1
            problems.append(f"{what}: traceback\n{p.stderr[-1500:]}")
        elif p.returncode not in allowed:
            counts["wrong_status"] += 1
            problems.append(f"{what}: exit {p.returncode}, expected {sorted(allowed)}\n{p.stderr[-800:]}")
        elif p.returncode == 2:
            counts["clean_errors"] += 1
            last = [ln for ln in p.stderr.splitlines() if ln.strip()][-1]
            assert last.startswith("dil "), (what, p.stderr)  # one line, naming the command
    with capsys.disabled():
        print(f"\nfuzz commands: {json.dumps(counts)}")
    if os.environ.get("DIL_TEST_ARTIFACTS"):
        out = Path(os.environ["DIL_TEST_ARTIFACTS"])
        out.mkdir(parents=True, exist_ok=True)
        (out / "fuzz_commands.json").write_text(json.dumps(counts, indent=2) + "\n")
    assert not problems, "\n\n".join(problems)
