"""The built-in stack's control-law kernels compute what the plain Python laws compute, to the bit: the
intelligent driver model, the lead search over the object list, and the whole stack over its golden
traces (``tests/stack/data``), command for command."""

import math

import numpy as np

from dil.bus.values import OBJ_LENGTH, OBJ_SIZE, OBJ_SPEED, OBJ_WIDTH, OBJ_X, OBJ_Y, OBJ_YAW
from dil.stack.builtin import StackParameters, idm_acceleration
from dil.stack.control import idm, lead_in_path
from tests.stack.golden import CASES, load, replay

P = StackParameters()
EGO_LENGTH = 4.6


def _lead_reference(objects: list[dict], v: float) -> tuple[float, float] | None:
    """The lead law read plainly, object record by record (what the stack computed before its kernel)."""
    best = None
    corridor = P.corridor_half_width - 0.5
    for o in objects:
        if o["x"] <= 0.0:
            continue
        half = 0.5 * (o["width"] * abs(math.cos(o["yaw"])) + o["length"] * abs(math.sin(o["yaw"])))
        if abs(o["y"]) - half > corridor:
            arrive = o["x"] / max(v, 0.5)
            vy = o["speed"] * math.sin(o["yaw"])
            y_then = o["y"] + vy * arrive
            crossing = (o["y"] > 0) != (y_then > 0) or abs(y_then) - half <= corridor
            if not crossing or abs(o["y"]) - half - abs(vy) * arrive > corridor:
                continue
        along = o["length"] * abs(math.cos(o["yaw"])) + o["width"] * abs(math.sin(o["yaw"]))
        gap = o["x"] - 0.5 * EGO_LENGTH - 0.5 * along
        if best is None or gap < best[0]:
            best = (max(gap, 0.0), o["speed"] * math.cos(o["yaw"]))
    return best


def test_the_idm_kernel_is_the_python_law_to_the_bit():
    rng = np.random.default_rng(5)
    for _ in range(20_000):
        v, v0, v_lead = rng.uniform(0.0, 40.0, 3)
        gap = rng.uniform(0.0, 120.0)
        args = (v, v0, gap, v_lead, P.time_gap, P.min_gap, P.max_accel, P.comfort_decel)
        assert idm(*args, 2.0) == idm_acceleration(*args)


def test_the_lead_kernel_finds_the_lead_the_python_law_finds():
    rng = np.random.default_rng(9)
    found = crossing = 0
    for _ in range(3_000):
        m = int(rng.integers(0, 8))
        rows = np.zeros((m, OBJ_SIZE))
        rows[:, OBJ_X] = rng.uniform(-20.0, 120.0, m)
        rows[:, OBJ_Y] = rng.uniform(-12.0, 12.0, m)
        rows[:, OBJ_YAW] = rng.uniform(-math.pi, math.pi, m)
        rows[:, OBJ_SPEED] = rng.uniform(0.0, 30.0, m)
        rows[:, OBJ_LENGTH], rows[:, OBJ_WIDTH] = rng.uniform(0.5, 12.0, m), rng.uniform(0.5, 2.6, m)
        v = float(rng.uniform(0.0, 35.0))
        keys = ("x", "y", "yaw", "speed", "length", "width")
        cols = (OBJ_X, OBJ_Y, OBJ_YAW, OBJ_SPEED, OBJ_LENGTH, OBJ_WIDTH)
        objects = [dict(zip(keys, (r[c] for c in cols), strict=True)) for r in rows.tolist()]
        want = _lead_reference(objects, v)
        has, gap, v_lead = lead_in_path(rows, v, P.corridor_half_width, EGO_LENGTH)
        assert (has, (gap, v_lead) if has else None) == (want is not None, want)
        found += has
        crossing += has and all(abs(o["y"]) > 2.5 for o in objects if o["x"] > 0.0)
    assert found > 500 and crossing > 10  # leads found, some of them only crossing into the path


def test_the_stack_repeats_its_golden_traces_to_the_bit():
    for case in CASES:
        trace = load(case)
        out = replay(trace)
        assert [o["command"] for o in out] == [r["command"] for r in trace["ticks"]], case.name
        assert [(o["warning"], o["aeb"]) for o in out] == [(r["warning"], r["aeb"]) for r in trace["ticks"]]
