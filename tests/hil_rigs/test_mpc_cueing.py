"""Model-predictive cueing: its QP solver, the cue it gives against classical washout with the same
limits, its bounds, and its choice by the rig file."""

import math

import numpy as np
import pytest

from dil.bus import Drops, LocalBus
from dil.realtime.clock import SimClock
from hil_rigs.config import RIGS, RigConfigError, cueing_node, load_rig
from hil_rigs.cueing import G, MotionCueing
from hil_rigs.mpc_cueing import MpcCueing, MpcParameters, fista_box

DT = 1e-3


def test_the_box_qp_solver_finds_the_constrained_minimum():
    # min 1/2 u'Hu + g'u, |u| <= 1: the unconstrained minimum (3, -0.5) has u0 outside the box, so
    # the solution is u0 = 1 and u1 minimises over the line: H10*1 + H11*u1 + g1 = 0
    H = np.array([[2.0, 0.5], [0.5, 1.0]])
    g = -H @ np.array([3.0, -0.5])
    u, work = np.zeros(2), np.zeros((3, 2))
    lo, hi = -np.ones(2), np.ones(2)
    fista_box(H, g, lo, hi, u, work[0], work[1], work[2], 1.0 / np.linalg.eigvalsh(H).max(), 500)
    assert u[0] == pytest.approx(1.0, abs=1e-9)
    assert u[1] == pytest.approx(-(H[1, 0] * 1.0 + g[1]) / H[1, 1], abs=1e-6)


def _drive(cueing, fx_of_t, seconds):
    n = int(seconds / DT)
    poses = np.zeros((n, 6))
    ref = np.zeros(n)
    for k in range(n):
        fx = fx_of_t(k * DT)
        poses[k] = cueing.step(fx, 0.0, 0.0, 0.0, 0.0, 0.0)
        ref[k] = 4.0 * math.tanh(0.5 * fx / 4.0)  # the scaled, soft-limited reference (scale 0.5)
    # the specific force the driver feels: the platform's acceleration and gravity through the pitch
    felt = np.gradient(np.gradient(poses[:, 0], DT), DT) - G * np.sin(poses[:, 4])
    return poses, ref, felt


def braking(t):
    return -4.0 if 1.0 <= t < 5.0 else 0.0


def test_a_braking_pulse_is_cued_closer_with_less_stroke_than_classical_washout():
    mpc_pose, ref, mpc_felt = _drive(MpcCueing(), braking, 12.0)
    cls_pose, _, cls_felt = _drive(MotionCueing(), braking, 12.0)
    rms = lambda e: float(np.sqrt(np.mean(e**2)))  # noqa: E731
    assert rms(mpc_felt - ref) < rms(cls_felt - ref)
    assert np.abs(mpc_pose[:, 0]).max() < 0.6 * np.abs(cls_pose[:, 0]).max()
    # the onset: half a second into the pulse the MPC already gives more of the deceleration
    k = int(1.5 / DT)
    assert mpc_felt[k] < cls_felt[k] < 0.0


def test_the_tilt_rate_and_the_platform_acceleration_stay_within_their_bounds():
    cue = MpcCueing()
    poses, _, _ = _drive(cue, lambda t: -6.0 if t >= 0.5 else 6.0, 8.0)
    pitch_rate = np.abs(np.diff(poses[:, 4])) / DT
    assert pitch_rate.max() <= cue.params.tilt_rate_limit * (1 + 1e-9)
    assert np.abs(poses[:, 4]).max() <= cue.params.tilt_max + 1e-12
    assert np.abs(cue.u[:, 0::2]).max() <= cue.mpc.max_accel + 1e-12


def test_a_sustained_acceleration_ends_as_tilt_with_the_platform_back_at_neutral():
    cue = MpcCueing()
    poses, ref, felt = _drive(cue, lambda t: 3.0, 30.0)
    assert abs(poses[-1, 0]) < 0.02  # the surge washed out
    assert felt[-1] == pytest.approx(ref[-1], rel=0.05)  # the cue is now gravity through the pitch
    assert poses[-1, 4] < 0.0  # nose up for a forward force


def test_the_rig_file_chooses_the_algorithm():
    bus = LocalBus()
    node = cueing_node(bus, Drops(), SimClock(), "sim_hexapod_mpc")
    assert isinstance(node.cueing, MpcCueing) and node.cueing.mpc == load_rig("sim_hexapod_mpc").mpc
    assert isinstance(cueing_node(bus, Drops(), SimClock(), "sim_hexapod").cueing, MotionCueing)


def test_an_unknown_algorithm_or_a_step_off_the_loop_step_is_refused(tmp_path):
    text = (RIGS / "sim_hexapod_mpc.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("cueing_algorithm: mpc", "cueing_algorithm: fuzzy"))
    with pytest.raises(
        RigConfigError, match=r"bad\.yaml: cueing_algorithm 'fuzzy': must be one of classical, mpc"
    ):
        load_rig(bad)
    with pytest.raises(ValueError, match=r"step_s 0\.0305 s must be a whole number"):
        MpcCueing(mpc=MpcParameters(step_s=0.0305))
