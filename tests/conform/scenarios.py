"""Small OpenSCENARIO files for the harness's tests, written into a test's folder, on this project's
highway road."""

from __future__ import annotations

from pathlib import Path

ROAD = Path(__file__).resolve().parents[2] / "scenarios" / "roads" / "highway.xodr"

VEHICLE = (
    '<Vehicle name="{name}" vehicleCategory="car"><ParameterDeclarations/>'
    '<BoundingBox><Center x="1.4" y="0" z="0.75"/>'
    '<Dimensions width="1.8" length="4.5" height="1.5"/></BoundingBox>'
    '<Performance maxSpeed="70" maxAcceleration="10" maxDeceleration="10"/>'
    '<Axles><FrontAxle maxSteering="0.5" wheelDiameter="0.6" trackWidth="1.6" positionX="2.8" '
    'positionZ="0.3"/>'
    '<RearAxle maxSteering="0" wheelDiameter="0.6" trackWidth="1.6" positionX="0" positionZ="0.3"/></Axles>'
    "<Properties/></Vehicle>"
)


def _init(name: str, s: float, lane: int, speed: float) -> str:
    return (
        f'<Private entityRef="{name}">'
        "<PrivateAction><TeleportAction><Position>"
        f'<LanePosition roadId="1" laneId="{lane}" s="{s}" offset="0"/>'
        "</Position></TeleportAction></PrivateAction>"
        '<PrivateAction><LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="step" value="0" '
        f'dynamicsDimension="time"/><SpeedActionTarget><AbsoluteTargetSpeed value="{speed}"/>'
        "</SpeedActionTarget></SpeedAction></LongitudinalAction></PrivateAction></Private>"
    )


def scenario(
    path: Path, *, extra_init: str = "", stop_s: float = 4.0, controller: str = "", lead_gap_m: float = 30.0
) -> Path:
    """Ego at 10 m/s in lane -2 and a Lead ``lead_gap_m`` ahead at 10 m/s, stopped at ``stop_s``;
    ``extra_init`` goes into Init's Actions; ``controller`` gives the Lead an ObjectController of
    that name."""
    ctl = (
        f'<ObjectController><Controller name="{controller}"><Properties/></Controller></ObjectController>'
        if controller
        else ""
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<OpenSCENARIO>\n'
        '<FileHeader revMajor="1" revMinor="1" date="2026-01-01T00:00:00" author="test" description="t"/>\n'
        "<ParameterDeclarations/>\n"
        f'<RoadNetwork><LogicFile filepath="{ROAD}"/></RoadNetwork>\n'
        "<Entities>\n"
        f'<ScenarioObject name="Ego">{VEHICLE.format(name="ego")}</ScenarioObject>\n'
        f'<ScenarioObject name="Lead">{VEHICLE.format(name="lead")}{ctl}</ScenarioObject>\n'
        "</Entities>\n<Storyboard>\n<Init><Actions>\n"
        f"{extra_init}{_init('Ego', 20.0, -2, 10.0)}{_init('Lead', 20.0 + lead_gap_m, -2, 10.0)}\n"
        "</Actions></Init>\n"
        '<StopTrigger><ConditionGroup><Condition name="end" delay="0" conditionEdge="rising">'
        "<ByValueCondition>"
        f'<SimulationTimeCondition value="{stop_s}" rule="greaterThan"/></ByValueCondition></Condition>'
        "</ConditionGroup></StopTrigger>\n</Storyboard>\n</OpenSCENARIO>\n"
    )
    return path


CATALOG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<OpenSCENARIO>\n'
    '<FileHeader revMajor="1" revMinor="1" date="2026-01-01T00:00:00" author="test" description="c"/>\n'
    f'<Catalog name="cars">{VEHICLE.format(name="car")}</Catalog>\n</OpenSCENARIO>\n'
)

REFUSED_INIT = '<GlobalAction><HoverAction height="3"/></GlobalAction>\n'
"""An element that is no part of the standard: every player refuses it."""
