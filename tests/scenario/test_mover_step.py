"""The engine's step in which the compiled mover makes every motion (no entity outside it but a stack's
ego without a controller, none in it written to since its step) against the engine's general step with
the same mover, to the bit: whole runs of the catalog and of the tests' scenarios, with the storyboard's
ego and a stack-driven one whose lane place is read every step or now and then."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from dil.scenario.entities import PLACE_FIELDS
from dil.scenario.mover import CompiledMover
from tests.scenario.engine_harness import EngineHarness
from tests.scenario.helpers import CATALOG

DATA = Path(__file__).parent / "data"
STATE = (*PLACE_FIELDS, "speed", "accel", "odometer", "standstill", "present")
"""The fields compared after every step."""
CATALOG_NAMES = sorted(p.stem for p in CATALOG.glob("*.xosc"))


def _states(h: EngineHarness) -> list[tuple]:
    return [tuple(getattr(e, f) for f in STATE) for e in h.scenario.entities.values()]


def _named(h: EngineHarness) -> set[tuple[str, str, str]]:
    """The step's transitions (``Context.transitions``) of named elements (an unnamed one's key is
    its object's)."""
    return {tr for tr in h.engine.ctx.transitions if not tr[1].startswith("#")}


def _straight_ego(h: EngineHarness):
    ego = h.scenario.entities[h.scenario.ego]
    x0, y0, yaw = ego.x + ego.centre_x * math.cos(ego.yaw), ego.y + ego.centre_x * math.sin(ego.yaw), ego.yaw

    def motion(t: float) -> tuple[float, float, float, float, float]:
        return x0 + 15.0 * t * math.cos(yaw), y0 + 15.0 * t * math.sin(yaw), yaw, 15.0, 0.0

    return motion


def _compare(path: Path, steps: int, read_every: int = 0, stack_ego: bool = False) -> int:
    """Step two engines on ``path``, one of which never takes the mover-only step; after each step
    every entity's state, the world's actor rows, the step's transitions and the log are the same.
    ``read_every``: every so many steps the ego's lane place is read after the step (0: never).
    Steps the other engine made as the mover's alone."""
    kw = {"ego": _straight_ego(EngineHarness(path))} if stack_ego else {}
    fast, general = EngineHarness(path, **kw), EngineHarness(path, **kw)
    mover = fast.engine.mover
    assert mover is not None and general.engine.mover is not None
    general.engine.mover.holds_the_rest = lambda: False  # type: ignore[method-assign]
    held = [0]

    def holds_the_rest() -> bool:
        now = CompiledMover.holds_the_rest(mover)
        held[0] += now
        return now

    mover.holds_the_rest = holds_the_rest  # type: ignore[method-assign]
    ego_f, ego_g = (h.scenario.entities[h.scenario.ego] for h in (fast, general))
    for k in range(steps):
        fast.step()
        general.step()
        if read_every and k % read_every == 0:
            assert (ego_f.road, ego_f.lane, ego_f.s) == (ego_g.road, ego_g.lane, ego_g.s)
        assert _states(fast) == _states(general)
        assert fast.world.actors.state.tolist() == general.world.actors.state.tolist()
        assert _named(fast) == _named(general)
        assert fast.ended == general.ended
    assert fast.transitions() == general.transitions()
    return held[0]


@pytest.mark.parametrize("name", CATALOG_NAMES)
def test_catalog_runs_are_the_same_to_the_bit(name: str):
    assert _compare(CATALOG / f"{name}.xosc", 1200) > 300


@pytest.mark.parametrize("read_every", [1, 10, 0])
@pytest.mark.parametrize("name", ["alks_cutout", "ccrs", "lane_change_highway"])
def test_with_a_stack_driven_ego_the_runs_are_the_same_to_the_bit(name: str, read_every: int):
    assert _compare(CATALOG / f"{name}.xosc", 800, read_every, stack_ego=True) > 300


@pytest.mark.parametrize(
    "name", ["transitions", "end_of_road", "lane_sections", "headway", "trajectory_shapes", "offroad"]
)
def test_the_tests_scenarios_are_the_same_to_the_bit(name: str):
    _compare(DATA / f"{name}.xosc", 1500)
