"""The pose trace: the rows it makes from its samples are, value for value, the rows made at each tick
from the entities themselves, over whole catalog runs, and read in the middle of a run they hold
every sample so far."""

from pathlib import Path

import pytest

from dil.bus.graph import NodeSpec
from dil.run.build import build
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "scenarios" / "catalog"


class _EagerTrace:
    """An observer that makes each row at its tick, from the entities' attributes."""

    def __init__(self, scenario, rate_hz: float) -> None:
        self.scenario = scenario
        self.trace = None
        """The run's trace node: at 3 s its rows so far are compared with these."""
        self.same_at_3s: bool | None = None
        self.rate_hz = rate_hz
        self.rows: list[tuple] = []
        self.spec = NodeSpec("eager trace")

    def start(self, t_sim_ns: int) -> None:
        pass

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        t = t_sim_ns * 1e-9
        for e in self.scenario.entities.values():
            self.rows.append((round(t, 6), e.name, e.x, e.y, e.yaw, e.speed, e.road or "", e.lane, e.s))
        if t_sim_ns == 3_000_000_000 and self.trace is not None:
            self.same_at_3s = _same(self.trace.rows, self.rows)


def _same(a: list[tuple], b: list[tuple]) -> bool:
    """Row for row, value for value, with the values' types (NaN equal to NaN)."""
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b, strict=True):
        for va, vb in zip(ra, rb, strict=True):
            if type(va) is not type(vb):
                return False
            if va != vb and not (va != va and vb != vb):
                return False
    return True


@pytest.mark.parametrize(
    ("name", "stack"),
    [("alks_cutout", "builtin"), ("cpna", "aeb"), ("lane_change_highway", "none"), ("ccrs", "none")],
)
def test_trace_rows_are_the_rows_made_at_each_tick(name, stack):
    spec = RunSpec(
        ScenarioChoice(CATALOG / f"{name}.xosc"), DriverChoice(stack), timing=Timing(max_time=12.0)
    )
    eager: list[_EagerTrace] = []

    def observer(ctx):
        eager.append(_EagerTrace(ctx.scenario, spec.outputs.trace_rate_hz))
        return eager[-1]

    with build(spec, observers=[observer]) as built:
        eager[0].trace = built.trace
        built.loop.run(round(built.max_time * 1000))
        assert eager[0].same_at_3s is True
        assert len(eager[0].rows) > 3 * len(built.scenario.entities) * 10
        assert _same(built.trace.rows, eager[0].rows)
        assert built.trace.rows is built.trace.rows  # made once: a second read adds nothing
