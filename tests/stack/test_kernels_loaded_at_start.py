"""The nodes of a catalog run load their tick kernels in ``start``: the loop's ticks call each one
with the types it was loaded for, so no kernel compiles (or loads from the cache) inside the loop,
where its time would count against the run's real-time factor."""

from __future__ import annotations

import pytest

from dil.paths import catalog_dir
from dil.realtime.loop import Loop
from dil.run.kpi_kernels import kpi_tick
from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice
from dil.stack.control import control_step
from dil.stack.kernels import lane_path_ahead
from dil.vehicle.tick_kernel import tick_single_track, tick_single_track_inputs
from dil.world.sensor_kernels import measure_lanes
from dil.world.step_kernel import world_tick

KERNELS = (kpi_tick, control_step, lane_path_ahead, world_tick, measure_lanes, tick_single_track,
           tick_single_track_inputs)  # fmt: skip


@pytest.mark.parametrize("stack", ["builtin", "none"])
def test_no_kernel_gets_a_new_signature_inside_the_loop(stack, monkeypatch):
    seen: dict[str, tuple] = {}
    ticks = Loop._simulated_ticks

    def watched(self, k, limit, stride):  # the nodes have started: the loop's ticks begin here
        seen["before"] = tuple(len(f.signatures) for f in KERNELS)
        done = ticks(self, k, limit, stride)
        seen["after"] = tuple(len(f.signatures) for f in KERNELS)
        return done

    monkeypatch.setattr(Loop, "_simulated_ticks", watched)
    run(RunSpec(ScenarioChoice(catalog_dir() / "alks_cutout.xosc"), DriverChoice(stack)))
    assert seen["before"] == seen["after"]
