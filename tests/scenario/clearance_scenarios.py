"""Scenario files for the clearance and lateral distance tests (written here; the golden values in
the tests came from the reference player on exactly these files)."""

from __future__ import annotations

from pathlib import Path

from .helpers import action, event, scenario, speed

MARK = '<PrivateAction><VisibilityAction graphics="true" sensors="true" traffic="true"/></PrivateAction>'


def clearance(
    name: str,
    forward: str,
    backward: str,
    lanes: str,
    free: str = "false",
    opposite: str = "false",
    refs: str = "",
) -> str:
    return (
        f'<Condition name="{name}" delay="0" conditionEdge="rising"><ByEntityCondition><TriggeringEntities '
        'triggeringEntitiesRule="any"><EntityRef entityRef="Car"/></TriggeringEntities><EntityCondition>'
        f'<RelativeClearanceCondition distanceForward="{forward}" distanceBackward="{backward}" '
        f'freeSpace="{free}" oppositeLanes="{opposite}">{lanes}{refs}</RelativeClearanceCondition>'
        "</EntityCondition></ByEntityCondition></Condition>"
    )


def lanes(lo: str, hi: str) -> str:
    return f'<RelativeLaneRange from="{lo}" to="{hi}"/>'


def clearance_events(tmp: Path) -> Path:
    """Car in lane -2 at 10 m/s; Ego one lane to its left, 40 m behind at 20 m/s, passes it.
    Each event waits for its clearance condition to become true (rising edge)."""
    events = (
        event("centre", action("a1", MARK), clearance("c1", "10", "20", lanes("1", "1")), "parallel")
        + event(
            "free", action("a2", MARK), clearance("c2", "10", "20", lanes("1", "1"), free="true"), "parallel"
        )
        + event("right", action("a3", MARK), clearance("c3", "10", "20", lanes("-1", "-1")), "parallel")
        + event("wide", action("a4", MARK), clearance("c4", "30", "5", lanes("-1", "1")), "parallel")
    )
    path = scenario(tmp, events, extra_init=speed("10"))
    text = path.read_text()
    ego_init = '<TeleportAction><Position><LanePosition roadId="1" laneId="-1" s="10" offset="0"/>'
    assert ego_init in text
    text = text.replace(
        '<Private entityRef="Ego"><PrivateAction>',
        f'<Private entityRef="Ego">{speed("20")}<PrivateAction>',
        1,
    )
    path.write_text(text.replace("stop_placeholder", ""))
    return path


def lateral_distance(
    side: str, distance: str, freespace: str, continuous: str, limits: str = "", cs: str = "road"
) -> str:
    constraints = f"<DynamicConstraints {limits}/>" if limits else ""
    return (
        f'<PrivateAction><LateralAction><LateralDistanceAction entityRef="Ego" distance="{distance}" '
        f'freespace="{freespace}" continuous="{continuous}" coordinateSystem="{cs}" displacement="{side}">'
        f"{constraints}</LateralDistanceAction></LateralAction></PrivateAction>"
    )


def after(ref: str, delay: str) -> str:
    return (
        f'<Condition name="after" delay="{delay}" conditionEdge="none"><ByValueCondition>'
        f'<StoryboardElementStateCondition storyboardElementType="event" storyboardElementRef="{ref}" '
        'state="endTransition"/></ByValueCondition></Condition>'
    )


def lateral_distances(tmp: Path) -> Path:
    """Car 10 m ahead of Ego one lane to its right, both at 20 m/s: it closes to 1 m of free space
    at 1.5 m/s, then keeps 3 m to Ego's left with a 2 m/s^2 spring, then is put 2 m to its right."""
    from .helpers import sim_time

    events = (
        event(
            "near",
            action(
                "n", lateral_distance("rightToReferencedEntity", "1.0", "true", "false", 'maxSpeed="1.5"')
            ),
            sim_time("1"),
            "parallel",
        )
        + event(
            "left",
            action(
                "l",
                lateral_distance(
                    "leftToReferencedEntity", "3.0", "false", "true", 'maxAcceleration="2" maxSpeed="3"'
                ),
            ),
            after("near", "1"),
            "parallel",
        )
        + event(
            "snap",
            action("s", lateral_distance("rightToReferencedEntity", "2.0", "false", "false")),
            sim_time("9"),
            "parallel",
        )
    )
    path = scenario(tmp, events, extra_init=speed("20"), stop=sim_time("12", "end"))
    text = path.read_text()
    text = text.replace(
        '<Private entityRef="Ego"><PrivateAction>',
        f'<Private entityRef="Ego">{speed("20")}<PrivateAction>',
        1,
    )
    path.write_text(text.replace('laneId="-1" s="10"', 'laneId="-1" s="40"'))
    return path


def ttc(name: str, freespace: str) -> str:
    return (
        f'<Condition name="{name}" delay="0" conditionEdge="none"><ByEntityCondition><TriggeringEntities '
        'triggeringEntitiesRule="any"><EntityRef entityRef="Ego"/></TriggeringEntities><EntityCondition>'
        f'<TimeToCollisionCondition value="5" freespace="{freespace}" coordinateSystem="entity" '
        'relativeDistanceType="longitudinal" rule="lessThan"><TimeToCollisionConditionTarget>'
        '<Position><LanePosition roadId="1" laneId="-1" offset="0" s="203.3"/></Position>'
        "</TimeToCollisionConditionTarget>"
        "</TimeToCollisionCondition></EntityCondition></ByEntityCondition></Condition>"
    )


def ttc_to_position(tmp: Path) -> Path:
    """Ego at 20 m/s from s = 10 towards a position at s = 203.3: TTC below 5 s from its front (free
    space) and from its reference point."""
    from .helpers import sim_time

    events = event("front", action("f", MARK), ttc("c1", "true"), "parallel") + event(
        "rear", action("r", MARK), ttc("c2", "false"), "parallel"
    )
    path = scenario(tmp, events, extra_init=speed("0"), stop=sim_time("10", "end"))
    text = path.read_text().replace(
        '<Private entityRef="Ego"><PrivateAction>',
        f'<Private entityRef="Ego">{speed("20")}<PrivateAction>',
        1,
    )
    path.write_text(text)
    return path
