"""Scenarios with no road network: entities live in an open plane and are placed by world
coordinates; anything that needs roads or lanes is a load-time error naming its element."""

from __future__ import annotations

from lxml import etree

from .xml import Reader

NEEDS_ROADS = (
    "LanePosition",
    "RoadPosition",
    "RelativeLanePosition",
    "RelativeRoadPosition",
    "RoutePosition",
    "LaneChangeAction",
    "LaneOffsetAction",
    "AssignRouteAction",
    "AcquirePositionAction",
    "OffroadCondition",
)
"""Elements that have no meaning without a road network."""
ROAD_FRAMES = ("road", "lane", "trajectory")
"""``coordinateSystem`` values measured along roads."""


def check_roadless(r: Reader, root: etree._Element) -> None:
    """Raise for the first element of the scenario (storyboard and entities) that needs a road
    network when the file names none."""
    for el in root.iter(*NEEDS_ROADS):
        raise r.error(el, "needs a road network, and the scenario names no RoadNetwork LogicFile")
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        frame = el.get("coordinateSystem")
        if frame is not None and r.raw(el, "coordinateSystem") in ROAD_FRAMES:
            raise r.error(
                el,
                f"coordinateSystem={frame!r} is measured along roads, and the scenario names no "
                "RoadNetwork LogicFile (use entity)",
            )
