import math

import numpy as np
import pytest

from dil.bus import SCHEMAS, Drops, FixedEncoder, Inbox, LocalBus
from dil.realtime.clock import SimClock
from hil_rigs.config import load_rig
from hil_rigs.force_feedback import FeedbackParameters, ForceFeedback, force_feedback_node
from hil_rigs.head import Head
from hil_rigs.wheel import load_mapping

DT = 1e-3
R = (-0.3, 0.37, 0.6)


def test_a_head_beside_the_yaw_axis_feels_the_centripetal_acceleration():
    head, w = Head(R), 0.5
    for _ in range(200):
        f = head.step(0.0, 2.0, 0.0, 0.0, 0.0, w, DT)
    # w x (w x r) = -w^2 (rx, ry, 0) for w along z
    assert f[0] == pytest.approx(-(w**2) * R[0], abs=1e-9)
    assert f[1] == pytest.approx(2.0 - w**2 * R[1], abs=1e-9)
    assert f[2] == pytest.approx(0.0, abs=1e-12)


def test_angular_acceleration_adds_its_tangential_term():
    head, alpha = Head(R, tau=0.02), 2.0
    for k in range(500):  # yaw rate ramping at 2 rad/s^2
        f = head.step(0.0, 0.0, 0.0, 0.0, 0.0, alpha * k * DT, DT)
    w = alpha * 499 * DT
    # alpha x r = (-alpha ry, alpha rx, 0); the low-pass has settled after 25 time constants
    assert f[0] == pytest.approx(-alpha * R[1] - w**2 * R[0], rel=1e-3)
    assert f[1] == pytest.approx(alpha * R[0] - w**2 * R[1], rel=1e-3)


def test_a_head_at_the_reference_point_feels_just_its_acceleration():
    head = Head((0.0, 0.0, 0.0))
    f = head.step(1.5, -0.5, 0.2, 0.3, -0.2, 0.4, DT)
    assert list(f) == [1.5, -0.5, 0.2]


def test_the_rig_file_places_the_head():
    assert load_rig("sim_hexapod").cockpit.head == R


P = FeedbackParameters()
LOCK = math.radians(450)


def test_at_rest_the_wheel_gets_the_aligning_torque():
    ffb = ForceFeedback(P, LOCK)
    for _ in range(50):
        out = ffb.step(2.0, 0.1, DT)
    assert out[0] == pytest.approx(2.0) and out[3] == 0.0


def test_a_turning_wheel_is_damped_against_its_motion():
    ffb = ForceFeedback(P, LOCK)
    rate = 2.0  # rad/s, turning left
    for k in range(200):
        out = ffb.step(0.0, rate * k * DT, DT)
    assert out[2] == pytest.approx(-P.damping * rate - P.friction * math.tanh(rate / 0.05), rel=1e-3)
    assert out[0] < 0.0


def test_beyond_the_lock_the_end_stop_pushes_back_and_the_torque_saturates():
    ffb = ForceFeedback(P, LOCK)
    for _ in range(50):
        out = ffb.step(0.0, LOCK + 0.05, DT)
    assert out[3] == pytest.approx(-P.end_stop_stiffness * 0.05)
    for _ in range(50):
        out = ffb.step(0.0, -(LOCK + 1.0), DT)
    assert out[0] == pytest.approx(P.max_torque)  # saturated at the device's peak, pushing right back
    assert out[3] > P.max_torque


def test_the_node_publishes_driver_feedback_from_the_vehicle_state():
    bus, drops, clock = LocalBus(), Drops(), SimClock()
    node = force_feedback_node(bus, drops, clock, "generic")
    mapping = load_mapping("generic")
    assert node.ffb.p[-1] == pytest.approx(0.5 * mapping.steering_range)
    feedback = Inbox(bus.subscriber("driver/feedback"), Drops())
    state = bus.publisher("vehicle/state")
    enc = FixedEncoder(SCHEMAS["vehicle/state"], "vehicle")
    enc.floats[enc.float_names.index("steering_torque")] = 3.0
    enc.floats[enc.float_names.index("steering_wheel_angle")] = 0.2
    node.start(0)
    node.tick(0)
    assert feedback.next() is None  # nothing before the first vehicle state
    for k in range(1, 20):
        state.send(bytes(enc.encode(k * 1_000_000, clock.wall_ns(k * 1_000_000))))
        node.tick(k * 1_000_000)
    msgs = []
    while (m := feedback.next()) is not None:
        msgs.append(m)
    assert len(msgs) == 19
    assert msgs[-1]["torque"] == pytest.approx(3.0) and msgs[-1]["aligning"] == pytest.approx(3.0)
    assert msgs[-1]["level"] == pytest.approx(3.0 / mapping.force_feedback.max_torque)
    node.stop(20_000_000)
    assert feedback.next()["torque"] == 0.0  # released when the loop stops
    assert drops.total == 0
    assert np.isfinite([m["torque"] for m in msgs]).all()


def test_cueing_at_a_head_ahead_of_the_yaw_axis_feels_a_deceleration_when_turning():
    from hil_rigs.cueing import MotionCueing

    at_ref, ahead = MotionCueing(), MotionCueing(head=(1.0, 0.0, 0.0))
    for _ in range(5000):  # 5 s at a steady 1 rad/s yaw rate: -w^2 x = -1 m/s^2 along x at the head
        p_ref = at_ref.step(0.0, 0.0, 0.0, 0.0, 0.0, 1.0).copy()
        p_head = ahead.step(0.0, 0.0, 0.0, 0.0, 0.0, 1.0)
    assert abs(p_ref[4]) < 1e-9
    assert p_head[4] > 0.02  # sustained by tilt: nose down, as under braking
