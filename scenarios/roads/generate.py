"""Regenerate the shipped road networks (a development tool; needs the ``dev`` extra).

    python scenarios/roads/generate.py

Writes ``highway.xodr``, ``rural.xodr`` and ``junction.xodr`` beside this file with the
``scenariogeneration`` package. The files are committed; ``tests/road`` checks that they load
and that their geometry is continuous.
"""

from __future__ import annotations

import math
from pathlib import Path

from scenariogeneration import xodr

HERE = Path(__file__).resolve().parent
LANE = 3.5


def _write(odr: xodr.OpenDrive, name: str) -> None:
    for road in odr.roads.values():
        if not road.elevationprofile.elevations:
            road.add_elevation(0, 0, 0, 0, 0)
    odr.write_xml(str(HERE / name))


def highway() -> None:
    """A straight 1.2 km motorway, three 3.5 m lanes each way."""
    road = xodr.create_road(xodr.Line(1200.0), id=1, left_lanes=3, right_lanes=3, lane_width=LANE)
    odr = xodr.OpenDrive("dil_highway")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    _write(odr, "highway.xodr")


def rural() -> None:
    """A two-lane rural road: clothoid transitions into a left bend, a reverse bend, a right bend,
    on a 1.5 % grade."""
    geometry = [
        xodr.Line(100.0),
        xodr.Spiral(0.0, 1 / 150, length=50.0),
        xodr.Arc(1 / 150, length=120.0),
        xodr.Spiral(1 / 150, -1 / 200, length=80.0),
        xodr.Arc(-1 / 200, length=100.0),
        xodr.Spiral(-1 / 200, 0.0, length=45.0),
        xodr.Line(150.0),
    ]
    road = xodr.create_road(geometry, id=1, left_lanes=1, right_lanes=1, lane_width=3.25)
    road.add_elevation(0, 0, 0.015, 0, 0)
    odr = xodr.OpenDrive("dil_rural")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    _write(odr, "rural.xodr")


def junction() -> None:
    """A four-way junction: four 150 m arms with two lanes each way, every turn connected."""
    arms = [
        xodr.create_road(xodr.Line(150.0), id=i, left_lanes=2, right_lanes=2, lane_width=LANE)
        for i in range(1, 5)
    ]
    creator = xodr.CommonJunctionCreator(id=100, name="crossing", startnum=100)
    for i, arm in enumerate(arms):
        creator.add_incoming_road_circular_geometry(
            arm, radius=22.0, angle=i * math.pi / 2, road_connection="successor"
        )
    for a in range(1, 5):
        for b in range(a + 1, 5):
            creator.add_connection(road_one_id=a, road_two_id=b)
    odr = xodr.OpenDrive("dil_junction")
    for arm in arms:
        odr.add_road(arm)
    odr.add_junction_creator(creator)
    odr.adjust_roads_and_lanes()
    _write(odr, "junction.xodr")


if __name__ == "__main__":
    highway()
    rural()
    junction()
    print("wrote", ", ".join(p.name for p in sorted(HERE.glob("*.xodr"))))
