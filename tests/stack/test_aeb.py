"""The built-in stack's emergency braking: warning, partial then full braking, held until the threat is
gone, never alternating with the throttle (``dil/stack/aeb.py``)."""

import math

import pytest

from dil.stack.aeb import EmergencyBraking
from dil.stack.builtin import StackParameters
from tests.stack.golden import Case, record

RATE_HZ = 50.0
P = StackParameters(acc=False)


def _run(aeb: EmergencyBraking, ticks: list[tuple[float, tuple[float, float] | None]]) -> list[str]:
    """The stage after each (ego speed [m/s], lead) update."""
    out = []
    for v, lead in ticks:
        aeb.update(P, v, lead)
        out.append(aeb.stage)
    return out


def test_a_ttc_hovering_at_the_threshold_brakes_once_and_holds():
    """TTC alternating 1.75 / 1.85 s each tick (noisy sensing) around the 1.8 s partial threshold."""
    aeb = EmergencyBraking(RATE_HZ)
    ticks = [(10.0, (17.5 if k % 2 else 18.5, 0.0)) for k in range(100)]
    stages = _run(aeb, ticks)
    assert stages[0] == "" and set(stages[1:]) == {"partial"}
    assert aeb.warning


def test_partial_escalates_to_full_and_full_never_steps_down_while_the_car_ahead_stands():
    aeb = EmergencyBraking(RATE_HZ)
    assert _run(aeb, [(10.0, (17.0, 0.0))]) == ["partial"]
    assert _run(aeb, [(10.0, (10.5, 0.0))]) == ["full"]  # TTC 1.05 s
    # slowing down, the TTC grows far above every threshold: a standing car ahead still holds the brake
    stages = _run(aeb, [(10.0 - 0.2 * k, (10.0 - 0.05 * k, 0.0)) for k in range(49)])
    assert set(stages) == {"full"}
    assert aeb.update(P, 0.5, (7.5, 0.0)) == -P.full_decel


def test_standstill_holds_for_its_time_then_lets_go():
    aeb = EmergencyBraking(RATE_HZ)
    _run(aeb, [(10.0, (10.0, 0.0))])
    hold = round(P.standstill_hold * RATE_HZ)
    stages = _run(aeb, [(0.0, (2.5, 0.0))] * (hold + 2))
    assert set(stages[: hold - 1]) == {"full"} and stages[-1] == ""


def test_braking_for_a_car_that_drives_away_ends_after_the_minimum_time_with_hysteresis():
    aeb = EmergencyBraking(RATE_HZ)
    _run(aeb, [(20.0, (15.0, 10.0))])  # TTC 1.5 s: partial
    assert aeb.stage == "partial"
    # the car ahead speeds away at once: the threat is gone, the braking still lasts min_brake_time
    n = round(P.min_brake_time * RATE_HZ)
    stages = _run(aeb, [(19.0, (15.0, 25.0))] * (n + 1))
    assert set(stages[: n - 2]) == {"partial"} and stages[-1] == ""  # n ticks with the first
    # closing again slowly, TTC between the warning threshold and its hysteresis band: no braking, and
    # the warning, off since the threat went, stays off until the TTC falls below the threshold
    assert not aeb.warning
    assert _run(aeb, [(19.0, (28.0, 9.0))] * 10) == [""] * 10  # TTC 2.8 s
    assert not aeb.warning
    assert _run(aeb, [(19.0, (25.0, 9.0))]) == [""] and aeb.warning  # TTC 2.5 s


def test_a_lead_that_leaves_the_path_ends_the_braking_after_the_minimum_time():
    aeb = EmergencyBraking(RATE_HZ)
    _run(aeb, [(20.0, (10.0, 0.0))])
    n = round(P.min_brake_time * RATE_HZ)
    stages = _run(aeb, [(19.0, None)] * (n + 1))
    assert set(stages[: n - 2]) == {"full"} and stages[-1] == ""
    assert math.isinf(aeb.update(P, 19.0, None))


def test_the_warning_does_not_flicker_around_its_threshold():
    aeb = EmergencyBraking(RATE_HZ)
    warnings = []
    for k in range(200):
        aeb.update(P, 10.0, (25.5 if k % 2 else 26.5, 0.0))  # TTC 2.55 / 2.65 s around 2.6 s
        warnings.append(aeb.warning)
    assert warnings[0] is False and all(warnings[1:])
    assert aeb.stage == ""


PEDAL = 0.01
"""A pedal counts as applied from 1 % on: holding the cruise speed, the stack's driver trims with a brake
touch of about 1e-4 for one tick now and then (no deceleration to speak of), which is not braking."""


def _pedal_switches(commands: list[list[float]]) -> tuple[int, int]:
    """Changes between throttle and brake (a tick with neither pedal keeps the last one), and the ticks
    that brake."""
    last, switches, braking = None, 0, 0
    for _, throttle, brake in commands:
        pedal = "brake" if brake >= PEDAL else "throttle" if throttle >= PEDAL else None
        braking += pedal == "brake"
        if pedal is not None:
            switches += last is not None and pedal != last
            last = pedal
    return switches, braking


@pytest.mark.parametrize("speed", ["20", "40", "50", "70"])
def test_a_ccrs_run_switches_from_throttle_to_brake_once(speed):
    """A whole Euro NCAP CCRs run (stationary car ahead, a driver who keeps the throttle): the stack
    accelerates, then brakes to a standstill and holds, one switch from throttle to brake; before the
    braking stack was fixed it switched about a hundred times."""
    case = Case("ccrs", "scenarios/catalog/ccrs.xosc", "aeb", 12.0, params=(("EgoSpeed", speed),))
    ticks = record(case)["ticks"]
    switches, braking = _pedal_switches([t["command"] for t in ticks if t["command"] is not None])
    assert switches == 1
    assert braking > 50  # about a second or more of braking at 50 Hz
    assert ticks[-1]["inputs"].get("state", {}).get("speed", 0.0) < 0.5 or ticks[-1]["command"][2] > 0.0
