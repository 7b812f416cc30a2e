"""Trajectory shapes as the reference player follows them: a timed Clothoid (its startTime/stopTime
set the speed), an untimed ClothoidSpline of three segments (curvature carried over when a start
curvature is left to the previous end), a timed rational Nurbs (control point times and weights)
and a Polyline entered at an initialDistanceOffset.

Golden values from esmini 77028d83 on tests/scenario/data/trajectory_shapes.xosc:
``esmini --headless --fixed_timestep 0.01 --osc trajectory_shapes.xosc --csv_logger out.csv``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from dil.scenario.trajectories import clothoid_points, nurbs_points

from .helpers import dil_run, run_storyboard

DATA = Path(__file__).resolve().parent / "data"

# entity: {t [s]: (x [m], y [m], heading [rad], speed [m/s])}, esmini's trace while on the shape
GOLDEN = {
    # 40 m in 4 s from t = 1: 10 m/s; curvature 0 -> 0.08 1/m, heading 0.002 s^2 / 2
    "Timed": {
        2.0: (69.990, -1.427, 0.098, 10.0),
        3.0: (79.690, 0.848, 0.396, 10.0),
        4.0: (87.697, 6.664, 0.894, 10.0),
        5.0: (91.007, 15.886, 1.592, 10.0),
    },
    "Spline": {
        1.0: (111.986, -4.904, 0.118, 12.0),
        2.0: (123.621, -2.086, 0.358, 12.0),
        3.0: (134.412, 3.137, 0.500, 12.0),
        4.0: (145.191, 8.387, 0.359, 12.0),
        5.0: (156.894, 10.848, 0.088, 12.0),
    },
    "Nurbs": {
        2.0: (309.161, -5.178, 0.020, None),
        3.0: (318.166, -4.724, 0.103, None),
        4.0: (324.499, -3.542, 0.283, None),
        5.0: (332.649, -0.736, 0.325, None),
        6.0: (341.719, 2.051, 0.257, None),
        7.0: (350.097, 3.490, 0.109, None),
        8.0: (363.810, 4.630, 0.063, None),
        9.0: (375.971, 5.192, 0.025, None),
    },
    # starts 20 m along its first segment at t = 1
    "Offset": {
        1.5: (523.206, 4.051, 0.245, 8.0),
        2.0: (527.086, 5.022, 0.245, 8.0),
        3.0: (534.848, 6.962, 0.245, 8.0),
        4.0: (542.689, 8.250, 0.0, 8.0),
    },
}
TOLERANCE = {"Timed": 0.02, "Spline": 0.02, "Offset": 0.02, "Nurbs": 0.3}
"""[m]: the Nurbs' times run between the control points' basis peaks, sampled differently."""


@pytest.fixture(scope="module")
def rows():
    result = run_storyboard(DATA / "trajectory_shapes.xosc", max_time=30.0)
    return {(r[1], round(r[0], 2)): r for r in result.trace}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_shapes_are_followed_as_the_reference_player_follows_them(rows, name):
    for t, (x, y, h, v) in GOLDEN[name].items():
        row = rows[(name, t)]
        tol = TOLERANCE[name]
        assert math.hypot(row[2] - x, row[3] - y) < tol, (name, t, row[2], row[3])
        assert math.cos(row[4] - h) == pytest.approx(1.0, abs=2e-4), (name, t, row[4])
        if v is not None:
            assert row[5] == pytest.approx(v, abs=0.01), (name, t)


def test_a_timed_nurbs_sets_the_speed_from_its_control_point_times(rows):
    # control points 20 m apart in x, 2 s apart, but weights 2 and 0.5 bunch the curve: the speed
    # rises and falls between them (esmini: 14.38, 6.50, 7.38 m/s at 2, 3, 4 s)
    speeds = [rows[("Nurbs", t)][5] for t in (2.0, 3.0, 4.0)]
    assert speeds[0] > 12.0 and speeds[1] < 8.0 and speeds[2] > speeds[1]


def test_a_constant_curvature_clothoid_is_a_circular_arc():
    r = 25.0
    out = clothoid_points(1.0, 2.0, 0.3, 1.0 / r, 0.0, r * math.pi / 2.0, 0.25)
    # a quarter circle turning left: the end is r * (cos, sin) of the start heading away, rotated
    end = np.array(
        [
            1.0 + r * (math.sin(0.3 + math.pi / 2) - math.sin(0.3)),
            2.0 - r * (math.cos(0.3 + math.pi / 2) - math.cos(0.3)),
        ]
    )
    assert np.hypot(*(out[-1, :2] - end)) < 1e-9
    assert out[-1, 2] == pytest.approx(0.3 + math.pi / 2.0, abs=1e-12)
    assert out[-1, 3] == pytest.approx(r * math.pi / 2.0, abs=1e-12)


def test_a_nurbs_with_unit_weights_and_clamped_knots_passes_its_end_points():
    ctrl = np.array([[0.0, 0.0], [10.0, 10.0], [20.0, 0.0]])
    out = nurbs_points(ctrl, np.ones(3), np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0]), 3, 10)
    assert out[0, :2] == pytest.approx([0.0, 0.0]) and out[-1, :2] == pytest.approx([20.0, 0.0])
    # a quadratic Bezier's midpoint is a quarter of the way to the middle control point
    assert out[5, :2] == pytest.approx([10.0, 5.0])


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        (
            '<Nurbs order="3"><ControlPoint><Position><WorldPosition x="0" y="0"/></Position></ControlPoint>'
            '<ControlPoint><Position><WorldPosition x="9" y="0"/></Position></ControlPoint>'
            '<ControlPoint><Position><WorldPosition x="19" y="0"/></Position></ControlPoint>'
            '<Knot value="0"/><Knot value="1"/></Nurbs>',
            "<Nurbs> has 2 knots; 3 control points of order 3 need 6",
        ),
        (
            '<Clothoid curvature="0.01" curvaturePrime="0" length="-5"/>',
            "<Clothoid> attribute length=-5 must be a length above 0 m",
        ),
        ("<ClothoidSpline/>", "<ClothoidSpline> needs at least one ClothoidSplineSegment"),
    ],
)
def test_a_bad_shape_is_a_load_error_naming_file_line_and_element(tmp_path, shape, message):
    text = (DATA / "trajectory_shapes.xosc").read_text()
    start = text.index("<Shape>", text.index('name="spline"')) + len("<Shape>")
    end = text.index("</Shape>", start)
    bad = tmp_path / "bad.xosc"
    bad.write_text(text[:start] + shape + text[end:])
    # the road file is found relative to the scenario's folder
    bad.write_text(
        bad.read_text().replace("../../../scenarios/roads/", str(DATA.parents[2] / "scenarios/roads") + "/")
    )
    p = dil_run(bad, "--no-record", timeout=120)
    assert p.returncode == 2, p.stderr
    assert f"{bad}:" in p.stderr and message in p.stderr, p.stderr
    assert "Traceback" not in p.stderr


def test_timing_on_a_shape_without_times_is_ignored_with_a_warning(tmp_path):
    # as the reference player does: the entity follows the shape at its own speed
    text = (DATA / "trajectory_shapes.xosc").read_text().replace(' startTime="0" stopTime="4"', "")
    roads = DATA.parents[2] / "scenarios" / "roads"
    bad = tmp_path / "untimed.xosc"
    bad.write_text(text.replace("../../../scenarios/roads/", f"{roads}/"))
    p = dil_run(bad, "--no-record", "--out", str(tmp_path / "out"), timeout=120)
    assert p.returncode in (0, 1), p.stderr
    assert "Traceback" not in p.stderr
    warnings = json.loads((tmp_path / "out" / "untimed" / "result.json").read_text())["warnings"]
    said = "<Timing> domainAbsoluteRelative=relative but the trajectory has no times"
    assert any(f"{bad}:" in w and said in w for w in warnings)
