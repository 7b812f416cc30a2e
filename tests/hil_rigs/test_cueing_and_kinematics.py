import math
from pathlib import Path

import numpy as np
import pytest

from hil_rigs.cueing import CueingParameters, G, MotionCueing
from hil_rigs.stewart import Geometry, Platform

DT = 1e-3


def _run(c: MotionCueing, seconds: float, fx=lambda t: 0.0, wy=lambda t: 0.0) -> np.ndarray:
    out = np.zeros((int(seconds / DT), 6))
    for k in range(out.shape[0]):
        t = k * DT
        out[k] = c.step(fx(t), 0.0, 0.0, 0.0, wy(t), 0.0)
    return out


def test_sustained_acceleration_gives_an_onset_cue_then_tilt_holds_it_and_the_platform_returns():
    c = MotionCueing()
    poses = _run(c, 30.0, fx=lambda t: 2.0)
    surge, pitch = poses[:, 0], poses[:, 4]
    assert surge[:2000].max() > 0.05  # the onset: the platform moves forward
    assert abs(surge[-1]) < 0.005  # washed out back to neutral
    assert np.abs(surge).max() < 0.25  # within a 0.5 m stroke
    scaled = 4.0 * math.tanh(0.5 * 2.0 / 4.0)
    assert pitch[-1] == pytest.approx(-math.asin(scaled / G), abs=1e-3)  # nose up: gravity presses back
    rate = np.abs(np.diff(pitch)) / DT
    assert rate.max() <= CueingParameters().tilt_rate_limit + 1e-9


def test_a_fast_sinusoid_passes_with_the_designed_gain():
    c = MotionCueing(CueingParameters(force_limit=100.0))  # no soft limiting at this amplitude
    f, amp = 4.0, 1.0
    poses = _run(c, 6.0, fx=lambda t: amp * math.sin(2 * math.pi * f * t))
    surge = poses[3000:, 0]
    acc = np.diff(surge, 2) / DT**2  # the platform's acceleration
    assert acc.max() == pytest.approx(0.5 * amp, rel=0.08)  # scale 0.5, well above the 2 rad/s break


def test_rotation_rates_wash_out():
    c = MotionCueing()
    poses = _run(c, 20.0, wy=lambda t: 0.2)
    assert poses[:, 4].min() < 0.05 and abs(poses[-1, 4]) < 1e-3


def test_forward_of_inverse_is_the_pose():
    p = Platform()
    rng = np.random.default_rng(2)
    for _ in range(50):
        pose = rng.uniform([-0.15, -0.15, -0.1, -0.1, -0.1, -0.15], [0.15, 0.15, 0.1, 0.1, 0.1, 0.15])
        lengths = p.inverse(pose).copy()
        assert np.abs(p.forward(lengths) - pose).max() < 1e-9


def test_poses_outside_the_stroke_are_brought_inside():
    p = Platform()
    g = p.geometry
    pose = np.array([0.6, 0.0, 0.3, 0.0, 0.2, 0.0])
    scale = p.limit(pose)
    assert 0.0 < scale < 1.0
    assert p.lengths.min() >= g.min_length - 1e-9 and p.lengths.max() <= g.max_length + 1e-9
    assert max(p.lengths.max() - g.max_length, g.min_length - p.lengths.min()) > -1e-3  # on the boundary
    inside = np.array([0.05, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert p.limit(inside) == 1.0 and inside[0] == 0.05


def test_a_geometry_whose_neutral_is_outside_its_stroke_is_refused():
    with pytest.raises(ValueError, match="outside the stroke"):
        Platform(Geometry(min_length=1.3))


def test_rig_files_load_strictly(tmp_path):
    from hil_rigs.config import RigConfigError, load_rig

    cfg = load_rig("sim_hexapod")
    assert cfg.geometry == Geometry() and cfg.cueing == CueingParameters()  # the file documents the defaults
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (Path(__file__).resolve().parents[2] / "hil_rigs" / "rigs" / "sim_hexapod.yaml")
        .read_text()
        .replace("tilt_max: 0.2", "tilt_maximum: 0.2")
    )
    with pytest.raises(RigConfigError, match="tilt_maximum"):
        load_rig(bad)


def test_wheel_mapping_calibrates_axes():
    from hil_rigs.wheel import load_mapping, map_axes

    m = load_mapping(Path(__file__).resolve().parents[2] / "hil_rigs" / "wheels" / "generic.yaml")
    assert map_axes(m, [0.0, 0.0, 1.0, 1.0]) == (0.0, 0.0, 0.0)  # centred, pedals released
    steer, throttle, brake = map_axes(m, [-1.0, 0.0, -1.0, 0.0])  # full right, throttle floored, brake half
    assert steer == pytest.approx(-0.5 * 15.708) and throttle == pytest.approx(1.0)
    assert brake == pytest.approx(((0.5 - 0.02) / 0.98) ** 1.5)  # dead zone, then the pedal curve
    assert map_axes(m, [0.005, 0.0, 1.0, 1.0])[0] == 0.0  # inside the steering dead zone


def test_rate_limiting_keeps_actuators_inside_speed_and_stroke_for_any_jumps():
    from hil_rigs.stewart import rate_limit

    g = Geometry()
    rng = np.random.default_rng(3)
    mid = 0.5 * (g.min_length + g.max_length)
    lengths, speeds = np.full(6, mid), np.zeros(6)
    history = []
    for k in range(3000):
        if k % 150 == 0 and k < 2000:  # a new target anywhere in (and a little beyond) the stroke
            wanted = rng.uniform(g.min_length - 0.05, g.max_length + 0.05, 6)
        rate_limit(wanted, lengths, speeds, g.min_length, g.max_length, g.max_speed, g.max_accel, 1e-3)
        history.append(lengths.copy())
    h = np.array(history)
    assert h.min() >= g.min_length and h.max() <= g.max_length
    v = np.diff(h, axis=0) / 1e-3
    assert np.abs(v).max() <= g.max_speed + 1e-9
    # targets inside the stroke are reached: the limiter slows, it does not stall
    inside = np.clip(wanted, g.min_length, g.max_length)
    assert np.abs(h[-1] - inside).max() < 0.01


def test_rate_limiting_passes_a_slow_motion_through_untouched():
    from hil_rigs.stewart import rate_limit

    g = Geometry()
    lengths = np.full(6, 0.5 * (g.min_length + g.max_length))
    speeds = np.zeros(6)
    start = lengths.copy()
    for k in range(1, 500):
        wanted = start + 0.01 * (1.0 - np.cos(2 * np.pi * 0.5 * k * 1e-3))
        assert not rate_limit(
            wanted, lengths, speeds, g.min_length, g.max_length, g.max_speed, g.max_accel, 1e-3
        )
        assert np.array_equal(lengths, wanted)
