"""Kernels called through their entry points (:mod:`dil.realtime.entry_points`) give what the numba
dispatcher gives, call for call and over whole catalog runs (trace, KPIs, verdict, recorded frames)."""

import logging
import math

import numpy as np
import pytest
from numba import njit

import dil.vehicle.node
import dil.world.node
from dil.bus.transport import LocalBus
from dil.paths import catalog_dir
from dil.realtime.entry_points import entry_point
from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice
from dil.vehicle.node import VehicleNode
from dil.world.node import WorldNode


@njit
def _kernel(a, b, n, x, flag):
    for i in range(n):
        b[i] = a[i] * x if flag else a[i] - x
    return b[:n].sum(), n > 2


def test_entry_point_computes_what_the_dispatcher_computes():
    rng = np.random.default_rng(7)
    a = rng.normal(size=16)
    call = entry_point(_kernel, a, np.zeros(16), 3, 0.5, True)  # compiled here: nothing run
    assert call is not _kernel and callable(call)
    for n, x, flag in ((0, 0.1, True), (5, -2.5, False), (16, 3.0, True), (7, 1, False)):
        b1, b2 = np.zeros(16), np.zeros(16)
        assert call(a, b1, n, x, flag) == _kernel(a, b2, n, float(x), flag)
        assert np.array_equal(b1, b2)


def test_a_plain_function_is_its_own_entry_point():
    def f(a):
        return a

    assert entry_point(f, 1) is f
    assert entry_point(_kernel.py_func, np.zeros(1), np.zeros(1), 1, 1.0, True) is _kernel.py_func


def _run(name, stack, dispatched, monkeypatch):
    logging.getLogger("dil.road").setLevel(logging.ERROR)
    with monkeypatch.context() as m:
        if dispatched:  # every node calls its kernels through numba's dispatcher
            for module in (dil.vehicle.node, dil.world.node):
                m.setattr(module, "entry_point", lambda kernel, *args: kernel)
        bus, frames, loops = LocalBus(), [], []
        bus.tap(frames.append)
        spec = RunSpec(ScenarioChoice(catalog_dir() / f"{name}.xosc"), DriverChoice(stack))
        r = run(spec, bus=bus, on_loop=loops.append)
    nodes = {type(n): n for n in loops[0].nodes}
    entry = [
        getattr(nodes.get(VehicleNode), "_call", None)
        is not getattr(nodes.get(VehicleNode), "_kernel", None),
        nodes[WorldNode]._world_tick is not dil.world.node.world_tick,
    ]
    kpis = {k: v for k, v in r.kpis.items() if not (isinstance(v, float) and math.isnan(v))}
    return (r.trace, kpis, r.verdict, frames), entry


@pytest.mark.parametrize(
    ("name", "stack"),
    [("alks_cutout", "builtin"), ("ccrs", "aeb"), ("cpna", "none"), ("alks_cutin", "builtin")],
)
def test_runs_through_entry_points_are_the_dispatched_runs(name, stack, monkeypatch):
    fast, entry = _run(name, stack, False, monkeypatch)
    dispatched, no_entry = _run(name, stack, True, monkeypatch)
    assert entry[1] and not no_entry[1]
    assert entry[0] == (stack != "none") and not no_entry[0]
    assert len(fast[0]) > 100 and len(fast[3]) > 300
    assert fast[0] == dispatched[0]  # the trace, bit for bit
    assert fast[1:] == dispatched[1:]  # KPIs, verdict and every recorded frame
