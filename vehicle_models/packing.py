"""Parameters packed once into a flat float64 array for the numba kernels.

The ``P_*`` constants are the array layout; kernels index ``p[P_MASS]`` and never see the
dataclasses. Derived quantities (wheelbase, static loads, peak slips) are computed here, once.
"""

from __future__ import annotations

import math

import numpy as np

from .parameters import MAX_CURVE_POINTS, MAX_GEARS, Tyre, VehicleParameters

GRAVITY = 9.81
"""Standard gravity [m/s^2]."""
AIR_DENSITY = 1.2
"""Air density at sea level, 20 degC [kg/m^3]."""

# Chassis
P_MASS = 0
P_IZ = 1
P_IX = 2
P_IY = 3
P_A = 4
P_B = 5
P_L = 6
P_H = 7
P_TRACK_F = 8
P_TRACK_R = 9
P_DRAG = 10  # 0.5 * rho * cd * A [kg/m]
P_ROLL_RES = 11
# Suspension
P_K_F = 12
P_K_R = 13
P_C_F = 14
P_C_R = 15
P_ARB_F = 16
P_ARB_R = 17
P_TAU_LT = 18
# Wheels
P_RADIUS = 19
P_IW = 20
# Tyres: a block of TYRE_SIZE per axle starting at P_TYRE_F / P_TYRE_R
TYRE_SIZE = 11
T_BX = 0
T_CX = 1
T_MUX = 2
T_EX = 3
T_BY = 4
T_CY = 5
T_MUY = 6
T_EY = 7
T_SX_PEAK = 8  # slip ratio of peak longitudinal force [-]
T_SY_PEAK = 9  # tan(slip angle) of peak lateral force [-]
T_TRAIL = 10
P_TYRE_F = 21
P_TYRE_R = P_TYRE_F + TYRE_SIZE
# Powertrain
P_PT_KIND = P_TYRE_R + TYRE_SIZE  # 0 engine, 1 motor
P_IDLE = P_PT_KIND + 1  # [rad/s]
P_MAX_SPEED = P_IDLE + 1  # [rad/s]
P_DRAG_TORQUE = P_MAX_SPEED + 1
P_DRIVE_F = P_DRAG_TORQUE + 1  # share of drive torque on the front axle
P_EFF = P_DRIVE_F + 1
P_CURVE_N = P_EFF + 1
P_CURVE_W = P_CURVE_N + 1  # MAX_CURVE_POINTS speeds [rad/s]
P_CURVE_T = P_CURVE_W + MAX_CURVE_POINTS  # MAX_CURVE_POINTS torques [N m]
# Transmission
P_TR_KIND = P_CURVE_T + MAX_CURVE_POINTS  # 0 manual, 1 automatic, 2 single
P_N_GEARS = P_TR_KIND + 1
P_GEARS = P_N_GEARS + 1  # MAX_GEARS forward ratios
P_REVERSE = P_GEARS + MAX_GEARS
P_FINAL = P_REVERSE + 1
P_UPSHIFT = P_FINAL + 1  # [rad/s]
P_DOWNSHIFT = P_UPSHIFT + 1  # [rad/s]
# Brakes
P_BRAKE_MAX = P_DOWNSHIFT + 1
P_BRAKE_F = P_BRAKE_MAX + 1
P_ABS = P_BRAKE_F + 1
P_BRAKE_TAU = P_ABS + 1
# Steering
P_STEER_RATIO = P_BRAKE_TAU + 1
P_STEER_MAX = P_STEER_RATIO + 1
P_STEER_RATE = P_STEER_MAX + 1
P_STEER_TAU = P_STEER_RATE + 1
P_CASTER_TRAIL = P_STEER_TAU + 1
N_PARAMS = P_CASTER_TRAIL + 1

PT_ENGINE = 0.0
PT_MOTOR = 1.0
TR_MANUAL = 0.0
TR_AUTOMATIC = 1.0
TR_SINGLE = 2.0

RPM = 2.0 * math.pi / 60.0
"""One revolution per minute in rad/s."""


def _magic_formula_b(stiffness: float, shape: float, peak: float) -> float:
    return stiffness / (shape * peak)


def _peak_slip(b: float, c: float, e: float) -> float:
    """Slip of the Magic Formula's peak: where C*atan(B s - E(B s - atan(B s))) = pi/2."""
    target = math.tan(math.pi / (2.0 * c))
    lo, hi = 0.0, 10.0 / b
    for _ in range(80):  # bisection: phi(s) is monotonic for E < 1
        s = 0.5 * (lo + hi)
        bs = b * s
        phi = bs - e * (bs - math.atan(bs))
        if phi < target:
            lo = s
        else:
            hi = s
    return 0.5 * (lo + hi)


def _pack_tyre(p: np.ndarray, base: int, tyre: Tyre) -> None:
    bx = _magic_formula_b(tyre.slip_stiffness, tyre.shape_x, tyre.peak_friction_x)
    by = _magic_formula_b(tyre.cornering_stiffness, tyre.shape_y, tyre.peak_friction_y)
    p[base + T_BX] = bx
    p[base + T_CX] = tyre.shape_x
    p[base + T_MUX] = tyre.peak_friction_x
    p[base + T_EX] = tyre.curvature_x
    p[base + T_BY] = by
    p[base + T_CY] = tyre.shape_y
    p[base + T_MUY] = tyre.peak_friction_y
    p[base + T_EY] = tyre.curvature_y
    p[base + T_SX_PEAK] = _peak_slip(bx, tyre.shape_x, tyre.curvature_x)
    p[base + T_SY_PEAK] = _peak_slip(by, tyre.shape_y, tyre.curvature_y)
    p[base + T_TRAIL] = tyre.pneumatic_trail


def pack(params: VehicleParameters) -> np.ndarray:
    """Flatten a validated parameter set into the kernels' float64 layout."""
    p = np.zeros(N_PARAMS)
    c, s, t = params.chassis, params.suspension, params.tyres
    p[P_MASS] = c.mass
    p[P_IZ] = c.yaw_inertia
    p[P_IX] = c.roll_inertia
    p[P_IY] = c.pitch_inertia
    p[P_A] = c.cg_to_front_axle
    p[P_B] = c.cg_to_rear_axle
    p[P_L] = params.wheelbase
    p[P_H] = c.cg_height
    p[P_TRACK_F] = c.track_front
    p[P_TRACK_R] = c.track_rear
    p[P_DRAG] = 0.5 * AIR_DENSITY * c.drag_area
    p[P_ROLL_RES] = c.rolling_resistance
    p[P_K_F] = s.spring_rate_front
    p[P_K_R] = s.spring_rate_rear
    p[P_C_F] = s.damping_front
    p[P_C_R] = s.damping_rear
    p[P_ARB_F] = s.anti_roll_front
    p[P_ARB_R] = s.anti_roll_rear
    p[P_TAU_LT] = s.load_transfer_time_constant
    p[P_RADIUS] = t.radius
    p[P_IW] = t.wheel_inertia
    _pack_tyre(p, P_TYRE_F, t.front)
    _pack_tyre(p, P_TYRE_R, t.rear)

    pt = params.powertrain
    p[P_PT_KIND] = PT_ENGINE if pt.kind == "engine" else PT_MOTOR
    p[P_IDLE] = pt.idle_rpm * RPM
    p[P_MAX_SPEED] = pt.max_rpm * RPM
    p[P_DRAG_TORQUE] = pt.drag_torque
    p[P_DRIVE_F] = {"front": 1.0, "rear": 0.0, "all": pt.front_torque_share}[pt.driven_axles]
    p[P_EFF] = pt.efficiency
    n = len(pt.full_load.speed_rpm)
    p[P_CURVE_N] = n
    p[P_CURVE_W : P_CURVE_W + n] = np.asarray(pt.full_load.speed_rpm) * RPM
    p[P_CURVE_T : P_CURVE_T + n] = pt.full_load.torque

    tr = params.transmission
    p[P_TR_KIND] = {"manual": TR_MANUAL, "automatic": TR_AUTOMATIC, "single": TR_SINGLE}[tr.kind]
    p[P_N_GEARS] = len(tr.gear_ratios)
    p[P_GEARS : P_GEARS + len(tr.gear_ratios)] = tr.gear_ratios
    p[P_REVERSE] = tr.reverse_ratio
    p[P_FINAL] = tr.final_drive
    p[P_UPSHIFT] = tr.upshift_rpm * RPM
    p[P_DOWNSHIFT] = tr.downshift_rpm * RPM

    b = params.brakes
    p[P_BRAKE_MAX] = b.max_torque
    p[P_BRAKE_F] = b.front_share
    p[P_ABS] = 1.0 if b.anti_lock else 0.0
    p[P_BRAKE_TAU] = b.response_time

    st = params.steering
    p[P_STEER_RATIO] = st.ratio
    p[P_STEER_MAX] = st.max_road_wheel_angle
    p[P_STEER_RATE] = st.max_rate
    p[P_STEER_TAU] = st.time_constant
    p[P_CASTER_TRAIL] = st.mechanical_trail
    return p
