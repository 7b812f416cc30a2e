"""The typed run spec: a bad value is refused naming its field and value (exit 2 at the command
line, no traceback); the stacks' registry is what ``dil run --help`` offers."""

import subprocess
import sys
from pathlib import Path

import pytest

from dil.run.spec import (
    DriverChoice,
    Outputs,
    RunSpec,
    ScenarioChoice,
    SpecError,
    Timing,
    VehicleChoice,
    WorldChoice,
)
from dil.run.stacks import STACKS
from dil.run.worlds import WORLDS

ROOT = Path(__file__).resolve().parents[2]
CCRS = ROOT / "scenarios" / "catalog" / "ccrs.xosc"


@pytest.mark.parametrize(
    ("spec", "field", "value"),
    [
        (RunSpec(ScenarioChoice(CCRS), DriverChoice("autopilot")), "driver.stack", "autopilot"),
        (RunSpec(ScenarioChoice(CCRS), DriverChoice("replay")), "driver.replay_log", None),
        (RunSpec(ScenarioChoice(CCRS), world=WorldChoice("unreal")), "world.backend", "unreal"),
        (RunSpec(ScenarioChoice(CCRS), timing=Timing(max_time=float("nan"))), "timing.max_time", None),
        (RunSpec(ScenarioChoice(CCRS), timing=Timing(max_time=0.0)), "timing.max_time", 0.0),
        (RunSpec(ScenarioChoice(CCRS), vehicle=VehicleChoice(substeps=0)), "vehicle.substeps", 0),
        (RunSpec(ScenarioChoice(CCRS), outputs=Outputs(trace_rate_hz=-1.0)), "outputs.trace_rate_hz", -1.0),
    ],
)
def test_a_bad_value_is_refused_naming_field_and_value(spec, field, value):
    with pytest.raises(SpecError) as e:
        spec.validate()
    assert e.value.field == field and field in str(e.value)
    if value is not None:
        assert e.value.value == value and str(value).rstrip("0").rstrip(".") in str(e.value)


def test_a_good_spec_passes_and_is_frozen():
    spec = RunSpec(ScenarioChoice(CCRS), DriverChoice("aeb"), timing=Timing(max_time=3.0))
    assert spec.validate() is spec
    with pytest.raises(AttributeError):
        spec.driver = DriverChoice("none")  # type: ignore[misc]
    assert spec.timing.clock == "simulated" and Timing(realtime=True).clock == "wall"


def test_every_stack_and_world_has_a_one_line_description():
    assert set(STACKS) == {"builtin", "aeb", "none", "ai", "replay", "driver"}
    assert set(WORLDS) == {"embedded", "carla"}
    for entry in [*STACKS.values(), *WORLDS.values()]:
        assert entry.description and "\n" not in entry.description


def _dil(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dil", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def test_run_help_shows_each_batch_stack_with_its_description():
    shown = " ".join(_dil("run", "--help").stdout.split())
    for entry in STACKS.values():
        assert (f"{entry.name}: {entry.description}" in shown) == entry.batch, entry.name


def test_a_bad_value_at_the_command_line_exits_2_naming_it(tmp_path):
    bad = _dil("run", str(CCRS), "--max-time", "inf", "--no-record", "--out", str(tmp_path))
    assert bad.returncode == 2, bad.stderr
    assert "--max-time inf (timing.max_time)" in bad.stderr and "Traceback" not in bad.stderr
