"""The per-tick fast paths of a run's nodes (the world's tick inline, the vehicle's compiled tick, the
built-in stack's one-call tick) give the run of their general paths bit for bit: the same
trace, KPIs, verdict and, with a recorder's tap on the bus, the same frames, on catalog scenarios
with each stack."""

import logging
import math
import types

import pytest

from dil.bus.transport import LocalBus
from dil.paths import catalog_dir
from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice
from dil.stack.builtin import BuiltinStack, apply_overrides
from dil.vehicle.node import VehicleNode
from dil.world.node import WorldNode


def _stack_by_parts(self, t_sim_ns):
    cmd = self.command()
    if cmd is not None:
        if self.overrides:
            cmd = apply_overrides(cmd, self.overrides, self.max_wheel)
        self.publish(t_sim_ns, *cmd)


GENERAL = {
    WorldNode: WorldNode.tick,
    VehicleNode: VehicleNode.tick,
    BuiltinStack: _stack_by_parts,
}
"""Each node type's general tick (the class's own, as any node without a fast path runs)."""


def _general(loop):
    swapped = 0
    for node in loop.nodes:
        tick = GENERAL.get(type(node))
        if tick is not None:
            node.tick = types.MethodType(tick, node)
            swapped += 1
    assert swapped >= 1


def _run(name, stack, general, tapped):
    logging.getLogger("dil.road").setLevel(logging.ERROR)
    bus, frames = LocalBus(), []
    if tapped:
        bus.tap(frames.append)
    spec = RunSpec(ScenarioChoice(catalog_dir() / f"{name}.xosc"), DriverChoice(stack))
    r = run(spec, bus=bus, on_loop=_general if general else None)
    kpis = {k: v for k, v in r.kpis.items() if not (isinstance(v, float) and math.isnan(v))}
    return r.trace, kpis, r.verdict, frames


@pytest.mark.parametrize(
    ("name", "stack"),
    [("alks_cutout", "builtin"), ("ccrs", "aeb"), ("alks_cutin", "none"), ("lane_change_highway", "builtin")],
)
@pytest.mark.parametrize("tapped", [False, True], ids=["values", "frames"])
def test_fast_ticks_give_the_general_run(name, stack, tapped):
    fast = _run(name, stack, False, tapped)
    general = _run(name, stack, True, tapped)
    assert len(fast[0]) > 100
    assert fast[0] == general[0]  # the trace, bit for bit
    assert fast[1] == general[1] and fast[2] == general[2]
    if tapped:
        assert len(fast[3]) > 500
        assert fast[3] == general[3]
