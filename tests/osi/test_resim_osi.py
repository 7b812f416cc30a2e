"""A re-simulated run writes OSI ground truth that matches the original log."""

import subprocess
import sys
from pathlib import Path

from osi_utilities import ChannelSpecification, MessageType, open_channel

from dil.run.runner import run
from dil.run.spec import Outputs, RunSpec, ScenarioChoice

from ..inproc import dil_here

CCRS = Path(__file__).resolve().parents[2] / "scenarios" / "catalog" / "ccrs.xosc"


def test_a_resimulation_writes_ground_truth_equal_to_the_original_run(tmp_path):
    log, trace = tmp_path / "run.mcap", tmp_path / "resim.osi"
    result = run(RunSpec(ScenarioChoice(CCRS), outputs=Outputs(record=log)))
    dil = [sys.executable, "-m", "dil"]
    resim = subprocess.run(
        [*dil, "replay", str(log), "--resim", "--osi-trace", str(trace)], capture_output=True, text=True
    )
    assert resim.returncode == 0, resim.stderr
    assert "bit for bit" in resim.stdout
    reader = open_channel(ChannelSpecification(path=trace, message_type=MessageType.GROUND_TRUTH))
    n = sum(1 for _ in reader)
    reader.close()
    assert n == round(result.simulated_s * 50)  # one GroundTruth per world tick
    # the original log's ground truth, exported afterwards, and the re-simulation's agree everywhere
    original = tmp_path / "original.osi"
    export = dil_here("log", "export", log, "--format", "osi", "-o", original)  # in-process: its output
    assert export.returncode == 0, export.stderr
    same = dil_here("compare", original, trace, "--tolerance-m", "1e-9")
    assert same.returncode == 0, same.stdout + same.stderr
    assert "only in" not in same.stdout
