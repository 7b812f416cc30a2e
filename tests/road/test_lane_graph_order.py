"""The lane graph offers its successors in the same order in every process (the first one is the
default turn of an entity without a route, so a per-process order would break determinism)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from dil.road.network import RoadNetwork

ROOT = Path(__file__).resolve().parents[2]
ROADS = ROOT / "scenarios" / "roads"

PROBE = (
    "import json, sys\n"
    "from tests.road.test_lane_graph_order import successors\n"
    "print(json.dumps(successors(sys.argv[1])))"
)
"""Prints :func:`successors` of a road file in a fresh interpreter."""


def successors(road: Path | str) -> list:
    """Every lane of the road file's graph with its successors as text, in the order the graph offers them."""
    g = RoadNetwork.load(road).graph
    return [
        [list(map(str, n)), [[str(a), str(b)] for a, b in g.successors[n]]]
        for n in sorted(g.successors, key=str)
    ]


def _successors_with_seed(road: Path, hash_seed: str) -> list:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(road)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_successors_do_not_depend_on_the_hash_seed():
    """This process's seed (random unless PYTHONHASHSEED is set) and two others, in fresh processes."""
    road = ROADS / "junction.xodr"
    seeds = [s for s in ("1", "2", "3") if s != os.environ.get("PYTHONHASHSEED")][:2]
    here = json.loads(json.dumps(successors(road)))
    a, b = (_successors_with_seed(road, seed) for seed in seeds)
    assert any(len(succ) > 1 for _, succ in here)  # the junction offers a choice
    assert here == a == b
