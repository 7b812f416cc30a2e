"""Road networks written in the tests with another tool (the ``scenariogeneration`` package), each
with a feature CARLA's client cannot take as written: a direct junction, a lane ending inside a road,
a dead end at a length float32 holds exactly, a junction whose id a connecting road also has."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def direct_exit(path: Path) -> None:
    """Road 1 (right lanes -1 to -3) splits at direct junction 100: lanes -1 and -2
    go on into road 2, lane -3 into the exit road 3 (an arc)."""
    from scenariogeneration import xodr  # here: a worker collecting this module need not load it

    jid = 100
    junction = xodr.DirectJunctionCreator(id=jid, name="exit")
    main = xodr.create_road([xodr.Line(150)], id=1, left_lanes=1, right_lanes=3)
    main.add_successor(xodr.ElementType.junction, jid)
    ahead = xodr.create_road([xodr.Line(120)], id=2, left_lanes=1, right_lanes=2)
    ahead.add_predecessor(xodr.ElementType.junction, jid)
    exit_road = xodr.create_road([xodr.Arc(-0.01, 80)], id=3, left_lanes=0, right_lanes=1)
    exit_road.add_predecessor(xodr.ElementType.junction, jid)
    junction.add_connection(incoming_road=main, linked_road=ahead)
    junction.add_connection(
        incoming_road=main, linked_road=exit_road, incoming_lane_ids=-3, linked_lane_ids=-1
    )
    odr = xodr.OpenDrive("direct_exit")
    for road in (main, ahead, exit_road):
        odr.add_road(road)
    odr.add_junction_creator(junction)
    odr.adjust_roads_and_lanes()
    odr.write_xml(str(path))


def lane_drop_dead_end(path: Path) -> None:
    """Road 1 (50 m) leads into road 2, exactly 100 m long, whose lane -2 narrows away between s = 30
    and 60 m; road 2 ends in a dead end."""
    from scenariogeneration import xodr  # here: a worker collecting this module need not load it

    before = xodr.create_road([xodr.Line(50)], id=1, left_lanes=1, right_lanes=2)
    last = xodr.create_road(
        [xodr.Line(100)], id=2, left_lanes=1, right_lanes=[xodr.LaneDef(30, 60, 2, 1, -2)]
    )
    before.add_successor(xodr.ElementType.road, 2, xodr.ContactPoint.start)
    last.add_predecessor(xodr.ElementType.road, 1, xodr.ContactPoint.end)
    odr = xodr.OpenDrive("lane_drop_dead_end")
    odr.add_road(before)
    odr.add_road(last)
    odr.adjust_roads_and_lanes()
    odr.write_xml(str(path))


def crossing(path: Path) -> None:
    """Three 100 m roads meet at junction 100, whose first connecting road has id 100 too."""
    from scenariogeneration import xodr  # here: a worker collecting this module need not load it

    jid = 100
    junction = xodr.CommonJunctionCreator(id=jid, name="crossing", startnum=jid)
    odr = xodr.OpenDrive("crossing")
    for i, angle in enumerate((0.0, 2.0, 4.0)):
        road = xodr.create_road([xodr.Line(100)], id=i + 1, left_lanes=1, right_lanes=1)
        junction.add_incoming_road_circular_geometry(road, 15, angle, "successor")
        odr.add_road(road)
    for a, b in ((1, 2), (2, 3), (3, 1)):
        junction.add_connection(a, b)
    odr.add_junction_creator(junction)
    odr.adjust_roads_and_lanes()
    odr.write_xml(str(path))


WRITERS: dict[str, Callable[[Path], None]] = {
    "direct_exit": direct_exit,
    "lane_drop_dead_end": lane_drop_dead_end,
    "crossing": crossing,
}
