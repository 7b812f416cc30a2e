"""The lane graph offers its successors in the same order in every process (the first one is the
default turn of an entity without a route, so a per-process order would break determinism)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROADS = Path(__file__).resolve().parents[2] / "scenarios" / "roads"

PROBE = """
import json, sys
from dil.road.network import RoadNetwork
net = RoadNetwork.load(sys.argv[1])
g = net.graph
print(json.dumps([[list(map(str, n)), [[str(a), str(b)] for a, b in g.successors[n]]]
                  for n in sorted(g.successors, key=str)]))
"""


def _successors(road: Path, hash_seed: str) -> list:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(road)], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_successors_do_not_depend_on_the_hash_seed():
    road = ROADS / "junction.xodr"
    a, b, c = (_successors(road, seed) for seed in ("1", "2", "3"))
    assert any(len(succ) > 1 for _, succ in a)  # the junction offers a choice
    assert a == b == c
