"""Small scenarios written in the tests, on the shipped highway."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "scenarios" / "catalog"
HIGHWAY = ROOT / "scenarios" / "roads" / "highway.xodr"

VEHICLE = (
    '<Vehicle name="car" vehicleCategory="car"><BoundingBox><Center x="1.4" y="0" z="0.7"/>'
    '<Dimensions width="1.8" length="4.5" height="1.4"/></BoundingBox><Performance maxSpeed="70" '
    'maxAcceleration="10" maxDeceleration="10"/><Axles><FrontAxle maxSteering="0.5" wheelDiameter="0.6" '
    'trackWidth="1.5" positionX="2.8" positionZ="0.3"/><RearAxle maxSteering="0" wheelDiameter="0.6" '
    'trackWidth="1.5" positionX="0" positionZ="0.3"/></Axles><Properties/></Vehicle>'
)


def speed(v: str, shape: str = "step", dim: str = "time", value: str = "0") -> str:
    return (
        f'<PrivateAction><LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="{shape}" '
        f'value="{value}" dynamicsDimension="{dim}"/><SpeedActionTarget><AbsoluteTargetSpeed value="{v}"/>'
        "</SpeedActionTarget></SpeedAction></LongitudinalAction></PrivateAction>"
    )


def teleport(lane: str, s: str) -> str:
    return (
        f'<TeleportAction><Position><LanePosition roadId="1" laneId="{lane}" s="{s}" offset="0"/>'
        "</Position></TeleportAction>"
    )


def sim_time(
    t: str, name: str = "c", edge: str = "rising", delay: str = "0", rule: str = "greaterThan"
) -> str:
    return (
        f'<Condition name="{name}" delay="{delay}" conditionEdge="{edge}"><ByValueCondition>'
        f'<SimulationTimeCondition value="{t}" rule="{rule}"/></ByValueCondition></Condition>'
    )


def event(name: str, actions: str, trigger: str | None, priority: str = "override", count: int = 1) -> str:
    start = f"<StartTrigger><ConditionGroup>{trigger}</ConditionGroup></StartTrigger>" if trigger else ""
    return (
        f'<Event name="{name}" priority="{priority}" maximumExecutionCount="{count}">{actions}{start}</Event>'
    )


def action(name: str, private: str) -> str:
    return f'<Action name="{name}">{private}</Action>'


def scenario(
    tmp: Path,
    events: str = "",
    params: str = "",
    stop: str | None = None,
    extra_init: str = "",
    revision: int = 2,
) -> Path:
    """Ego and Car on the highway, Car driven by one maneuver holding ``events``."""
    stop = stop if stop is not None else sim_time("20", "end")
    go = sim_time("0", "go", rule="greaterOrEqual", edge="none")
    doc = f'''<?xml version="1.0"?>
<OpenSCENARIO>
  <FileHeader revMajor="1" revMinor="{revision}" date="2026-01-01T00:00:00" author="test" description="t"/>
  <ParameterDeclarations>{params}</ParameterDeclarations>
  <RoadNetwork><LogicFile filepath="{HIGHWAY}"/></RoadNetwork>
  <Entities>
    <ScenarioObject name="Ego">{VEHICLE}</ScenarioObject>
    <ScenarioObject name="Car">{VEHICLE}</ScenarioObject>
  </Entities>
  <Storyboard>
    <Init><Actions>
      <Private entityRef="Ego"><PrivateAction>{teleport("-1", "10")}</PrivateAction></Private>
      <Private entityRef="Car"><PrivateAction>{teleport("-2", "50")}</PrivateAction>{extra_init}</Private>
    </Actions></Init>
    <Story name="story"><Act name="act">
      <ManeuverGroup maximumExecutionCount="1" name="group">
        <Actors selectTriggeringEntities="false"><EntityRef entityRef="Car"/></Actors>
        <Maneuver name="maneuver">{events}</Maneuver>
      </ManeuverGroup>
      <StartTrigger><ConditionGroup>{go}</ConditionGroup></StartTrigger>
    </Act></Story>
    <StopTrigger><ConditionGroup>{stop}</ConditionGroup></StopTrigger>
  </Storyboard>
</OpenSCENARIO>'''
    path = tmp / "t.xosc"
    path.write_text(doc)
    return path


def dil_run(path: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``dil run PATH --stack none ARGS...`` in a subprocess, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "dil", "run", str(path), "--stack", "none", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_storyboard(path: Path, max_time: float):
    """Run ``path`` in-process with the storyboard alone driving (no stack), traced at 100 Hz, for at
    most ``max_time`` [s] simulated: its :class:`dil.run.runner.RunResult`."""
    from dil.run.runner import run
    from dil.run.spec import DriverChoice, Outputs, RunSpec, ScenarioChoice, Timing

    return run(
        RunSpec(
            ScenarioChoice(path),
            DriverChoice("none"),
            outputs=Outputs(trace_rate_hz=100.0),
            timing=Timing(max_time=max_time),
        )
    )
