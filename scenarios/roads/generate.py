"""Regenerate the shipped road networks (a development tool; needs the ``dev`` extra).

    python scenarios/roads/generate.py

Writes ``highway.xodr``, ``rural.xodr`` and ``junction.xodr`` beside this file with the
``scenariogeneration`` package. The files are committed; ``tests/road`` checks that they load
and that their geometry is continuous.

Two rules keep CARLA's client (which parses the same files for waypoints, topology and routing)
seeing every lane:

- ids are unique across roads and junctions: the client looks a junction up by the id a road
  links to, so a connecting road with the junction's id hides the way into the junction;
- a road that ends in a dead end has a length that float32 rounds down: the client finds a lane's
  last waypoint at ``float32(length - 1e-14)`` and refuses an s at or past the road's length, so
  with a length float32 holds exactly, the lanes driving towards that end (negative ids) are left
  out of ``Map.get_topology()``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
from scenariogeneration import xodr

HERE = Path(__file__).resolve().parent
LANE = 3.5


def dead_end_pad(length: float) -> float:
    """What to add to a dead-end road of ``length`` [m] so that float32 rounds its length down
    (a quarter of float32's spacing there, rounded to the micrometre; below 0.1 mm for any road
    under 2 km)."""
    pad = round(0.25 * float(np.spacing(np.float32(length))), 6)
    padded = length + pad
    assert float(np.float32(padded)) < padded, (length, pad)
    return pad


def _write(odr: xodr.OpenDrive, name: str) -> None:
    for road in odr.roads.values():
        if not road.elevationprofile.elevations:
            road.add_elevation(0, 0, 0, 0, 0)
    odr.write_xml(str(HERE / name))
    _for_carla_client(HERE / name)


def _for_carla_client(path: Path) -> None:
    """Solid marks forbid a lane change, broken ones allow both ways (``laneChange``): CARLA's client
    takes a mark without it as "both", and its BehaviorAgent then looks for a lane beyond the road's
    outer solid line. A spiral of constant curvature is written as the arc it is: CARLA's client
    divides by the curvature's change and places its waypoints at NaN."""
    text = path.read_text()
    for kind, rule in (("solid", "none"), ("broken", "both")):
        text = text.replace(
            f'<roadMark sOffset="0" type="{kind}"', f'<roadMark sOffset="0" type="{kind}" laneChange="{rule}"'
        )
    text = re.sub(r'<spiral curvStart="([^"]+)" curvEnd="\1"/>', r'<arc curvature="\1"/>', text)
    path.write_text(text)


def highway() -> None:
    """A straight 1.2 km motorway, three 3.5 m lanes each way."""
    road = xodr.create_road(
        xodr.Line(1200.0 + dead_end_pad(1200.0)), id=1, left_lanes=3, right_lanes=3, lane_width=LANE
    )
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
        xodr.Line(150.0 + dead_end_pad(645.0)),
    ]
    road = xodr.create_road(geometry, id=1, left_lanes=1, right_lanes=1, lane_width=3.25)
    road.add_elevation(0, 0, 0.015, 0, 0)
    odr = xodr.OpenDrive("dil_rural")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    _write(odr, "rural.xodr")


def junction() -> None:
    """A four-way junction: four 150 m arms with two lanes each way, every turn connected; the far
    ends of arms 1 and 2 and of arms 3 and 4 are joined by a loop (a 3/4 circle of 172 m radius,
    810 m), so every lane leads on and a route through the crossing can be as long as one likes."""
    arms = [
        xodr.create_road(xodr.Line(150.0), id=i, left_lanes=2, right_lanes=2, lane_width=LANE)
        for i in range(1, 5)
    ]
    creator = xodr.CommonJunctionCreator(id=100, name="crossing", startnum=101)  # roads 101-106
    for i, arm in enumerate(arms):
        creator.add_incoming_road_circular_geometry(
            arm, radius=22.0, angle=i * math.pi / 2, road_connection="successor"
        )
    for a in range(1, 5):
        for b in range(a + 1, 5):
            creator.add_connection(road_one_id=a, road_two_id=b)
    loops = [_loop(5, arms[0], arms[1]), _loop(6, arms[2], arms[3])]
    odr = xodr.OpenDrive("dil_junction")
    for road in arms + loops:
        odr.add_road(road)
    odr.add_junction_creator(creator)
    odr.adjust_roads_and_lanes()
    _write(odr, "junction.xodr")


def _loop(road_id: int, first: xodr.Road, second: xodr.Road) -> xodr.Road:
    """A road from the far end (s 0) of ``first`` turning left through 270 degrees to the far end of
    ``second``: with the arms 22 + 150 m from the crossing's centre, an arc of that radius [m]."""
    radius = 22.0 + 150.0
    loop = xodr.create_road(
        xodr.Arc(1.0 / radius, angle=1.5 * math.pi), id=road_id, left_lanes=2, right_lanes=2, lane_width=LANE
    )
    loop.add_predecessor(xodr.ElementType.road, first.id, xodr.ContactPoint.start)
    loop.add_successor(xodr.ElementType.road, second.id, xodr.ContactPoint.start)
    first.add_predecessor(xodr.ElementType.road, road_id, xodr.ContactPoint.start)
    second.add_predecessor(xodr.ElementType.road, road_id, xodr.ContactPoint.end)
    return loop


if __name__ == "__main__":
    highway()
    rural()
    junction()
    print("wrote", ", ".join(p.name for p in sorted(HERE.glob("*.xodr"))))
