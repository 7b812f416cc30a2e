"""Scenario files for the traffic signal, appearance and qualified-name tests (written here; the
golden values in the tests came from the reference player on exactly these files)."""

from __future__ import annotations

from pathlib import Path

from .helpers import HIGHWAY, action, event, scenario, sim_time

SIGNAL = (
    '<signal s="400.0" t="-8.0" id="{id}" name="light{id}" dynamic="yes" orientation="+" zOffset="3.4" '
    'type="1000001" country="OpenDRIVE" subtype="-1" hOffset="0.0" pitch="0.0" roll="0.0" height="0.8" '
    'width="0.4"/>'
)


def road_with_signals(tmp: Path, ids: tuple[str, ...] = ("1", "2")) -> Path:
    """The shipped highway with dynamic traffic lights ``ids`` at s = 400."""
    text = HIGHWAY.read_text()
    signals = "<signals>" + "".join(SIGNAL.format(id=i) for i in ids) + "</signals>"
    path = tmp / "signals.xodr"
    path.write_text(text.replace("</road>", signals + "</road>", 1))
    return path


def global_action(inner: str) -> str:
    return (
        "<GlobalAction><InfrastructureAction><TrafficSignalAction>"
        f"{inner}</TrafficSignalAction></InfrastructureAction></GlobalAction>"
    )


def signal_state(name: str, state: str) -> str:
    return global_action(f'<TrafficSignalStateAction name="{name}" state="{state}"/>')


def ramp(v: str, seconds: str) -> str:
    return (
        '<PrivateAction><LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="linear" '
        f'value="{seconds}" dynamicsDimension="time"/><SpeedActionTarget><AbsoluteTargetSpeed value="{v}"/>'
        "</SpeedActionTarget></SpeedAction></LongitudinalAction></PrivateAction>"
    )


def signal_condition(name: str, state: str, delay: str = "0") -> str:
    return (
        f'<Condition name="sig" delay="{delay}" conditionEdge="none"><ByValueCondition>'
        f'<TrafficSignalCondition name="{name}" state="{state}"/></ByValueCondition></Condition>'
    )


def element_state(ref: str, kind: str = "action", state: str = "endTransition") -> str:
    return (
        '<Condition name="el" delay="0" conditionEdge="none"><ByValueCondition>'
        "<StoryboardElementStateCondition "
        f'storyboardElementType="{kind}" storyboardElementRef="{ref}" state="{state}"/></ByValueCondition>'
        "</Condition>"
    )


def light(kind: str, mode: str, extra: str = "", transition: str = "") -> str:
    tt = f' transitionTime="{transition}"' if transition else ""
    return (
        f"<PrivateAction><AppearanceAction><LightStateAction{tt}><LightType>"
        f'<VehicleLight vehicleLightType="{kind}"/></LightType><LightState mode="{mode}"{extra}/>'
        "</LightStateAction></AppearanceAction></PrivateAction>"
    )


VISIBILITY = (
    '<PrivateAction><VisibilityAction graphics="true" sensors="false" traffic="false"/></PrivateAction>'
)
ANIMATION = (
    '<PrivateAction><AppearanceAction><AnimationAction animationDuration="2" loop="false"><AnimationType>'
    '<ComponentAnimation><VehicleComponent vehicleComponentType="doorFrontLeft"/></ComponentAnimation>'
    '</AnimationType><AnimationState state="1"/></AnimationAction></AppearanceAction></PrivateAction>'
)


def signals_and_appearance(tmp: Path) -> Path:
    """Car at 10 m/s: signal 1, set green in Init, speeds it up 3 s later; signal 2, set red at 1 s,
    is never green; a lamp's 1.5 s transition ending (named ``B::Action``, another action is also
    ``Action``) slows it."""
    events = (
        event("set", action("red", signal_state("2", "on;off;off")), sim_time("1"), "parallel")
        + event("go", action("fast", ramp("20", "2")), signal_condition("1", "off;off;on", "3"), "parallel")
        + event("never", action("stop", ramp("0", "1")), signal_condition("2", "off;off;on"), "parallel")
        + event("A", action("Action", VISIBILITY), sim_time("0.5"), "parallel")
        + event(
            "B",
            action("Action", light("lowBeam", "on", ' luminousIntensity="1200"', "1.5")),
            sim_time("5"),
            "parallel",
        )
        + event(
            "C",
            action("flash", light("warningLights", "flashing")) + action("door", ANIMATION),
            sim_time("6"),
            "parallel",
        )
        + event("slow", action("slower", ramp("5", "1")), element_state("B::Action"), "parallel")
    )
    path = scenario(
        tmp,
        events,
        extra_init=ramp("10", "0").replace('dynamicsShape="linear"', 'dynamicsShape="step"'),
        stop=sim_time("10", "end"),
    )
    road = road_with_signals(tmp)
    text = path.read_text().replace("<Init><Actions>", "<Init><Actions>" + signal_state("1", "off;off;on"))
    path.write_text(text.replace(str(HIGHWAY), str(road)))
    return path


CONTROLLER = """<TrafficSignals>
  <TrafficSignalController name="main">
    <Phase name="green" duration="4"><TrafficSignalState trafficSignalId="1" state="off;off;on"/></Phase>
    <Phase name="yellow" duration="1"><TrafficSignalState trafficSignalId="1" state="off;on;off"/></Phase>
    <Phase name="red" duration="3"><TrafficSignalState trafficSignalId="1" state="on;off;off"/></Phase>
  </TrafficSignalController>
  <TrafficSignalController name="walk" delay="1" reference="main">
    <Phase name="dont" duration="5"><TrafficSignalState trafficSignalId="2" state="on;off"/></Phase>
    <Phase name="walk" duration="3"><TrafficSignalState trafficSignalId="2" state="off;on"/></Phase>
  </TrafficSignalController>
</TrafficSignals>"""


def controller_condition(ref: str, phase: str) -> str:
    return (
        '<Condition name="ph" delay="0" conditionEdge="rising"><ByValueCondition>'
        "<TrafficSignalControllerCondition "
        f'trafficSignalControllerRef="{ref}" phase="{phase}"/></ByValueCondition></Condition>'
    )


def signal_controllers(tmp: Path) -> Path:
    """Two controllers cycling (8 s cycles, ``walk`` 1 s behind ``main``); each red phase of
    ``main`` slows the car, the pedestrian light's walk phase speeds it up; at 12 s ``main`` is
    sent back to the start of its green phase."""
    jump = global_action('<TrafficSignalControllerAction trafficSignalControllerRef="main" phase="green"/>')
    walk = signal_condition("2", "off;on").replace('conditionEdge="none"', 'conditionEdge="rising"')
    events = (
        event(
            "red", action("brake", ramp("5", "1")), controller_condition("main", "red"), "parallel", count=2
        )
        + event("walk", action("gas", ramp("15", "1")), walk, "parallel")
        + event("jump", action("toGreen", jump), sim_time("12"), "parallel")
    )
    init = ramp("10", "0").replace('dynamicsShape="linear"', 'dynamicsShape="step"')
    path = scenario(tmp, events, extra_init=init, stop=sim_time("20", "end"))
    text = path.read_text().replace("</RoadNetwork>", CONTROLLER + "</RoadNetwork>")
    path.write_text(text.replace(str(HIGHWAY), str(road_with_signals(tmp))))
    return path
