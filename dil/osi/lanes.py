"""The lanes and lane boundaries of an OpenDRIVE network as OSI ``Lane`` and ``LaneBoundary``
messages, with stable ids.

One OSI lane per OpenDRIVE lane of each lane section (the centre lane 0 has none); one boundary per
lane's outer border plus one for the centre lane's line, so neighbouring lanes share the boundary
between them. Centre lines and boundary points run along the road's s (world frame, metres, z the
road surface); ``centerline_is_driving_direction`` says whether traffic runs that way, left and
right are as seen looking along s, and the lane pairing names the lanes at the start (antecessor)
and end (successor) of the centre line.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from osi3.osi_lane_pb2 import Lane, LaneBoundary

from dil.road.network import RoadNetwork
from dil.road.sampling import sample_lanes
from dil.road.tables import DRIVABLE

LANE_ID_BASE = 1_000_000
"""OSI ids of lanes start here (moving and stationary objects use the actor id + 1)."""
BOUNDARY_ID_BASE = 2_000_000
"""OSI ids of lane boundaries start here."""

Key = tuple[str, int, int]
"""(road id, lane-section index, OpenDRIVE lane id)."""

_SUBTYPES = {
    "driving": Lane.Classification.SUBTYPE_NORMAL,
    "bidirectional": Lane.Classification.SUBTYPE_NORMAL,
    "entry": Lane.Classification.SUBTYPE_ENTRY,
    "mwyEntry": Lane.Classification.SUBTYPE_ENTRY,
    "exit": Lane.Classification.SUBTYPE_EXIT,
    "mwyExit": Lane.Classification.SUBTYPE_EXIT,
    "onRamp": Lane.Classification.SUBTYPE_ONRAMP,
    "offRamp": Lane.Classification.SUBTYPE_OFFRAMP,
    "connectingRamp": Lane.Classification.SUBTYPE_CONNECTINGRAMP,
    "biking": Lane.Classification.SUBTYPE_BIKING,
    "sidewalk": Lane.Classification.SUBTYPE_SIDEWALK,
    "walking": Lane.Classification.SUBTYPE_SIDEWALK,
    "parking": Lane.Classification.SUBTYPE_PARKING,
    "stop": Lane.Classification.SUBTYPE_STOP,
    "restricted": Lane.Classification.SUBTYPE_RESTRICTED,
    "border": Lane.Classification.SUBTYPE_BORDER,
    "shoulder": Lane.Classification.SUBTYPE_SHOULDER,
}

_MARKS = {
    "solid": LaneBoundary.Classification.TYPE_SOLID_LINE,
    "solid solid": LaneBoundary.Classification.TYPE_SOLID_LINE,
    "broken": LaneBoundary.Classification.TYPE_DASHED_LINE,
    "broken broken": LaneBoundary.Classification.TYPE_DASHED_LINE,
    "solid broken": LaneBoundary.Classification.TYPE_SOLID_LINE,
    "broken solid": LaneBoundary.Classification.TYPE_DASHED_LINE,
    "botts dots": LaneBoundary.Classification.TYPE_BOTTS_DOTS,
    "curb": LaneBoundary.Classification.TYPE_CURB,
    "grass": LaneBoundary.Classification.TYPE_GRASS_EDGE,
    "none": LaneBoundary.Classification.TYPE_NO_LINE,
}

_COLOURS = {
    "standard": LaneBoundary.Classification.COLOR_WHITE,
    "white": LaneBoundary.Classification.COLOR_WHITE,
    "yellow": LaneBoundary.Classification.COLOR_YELLOW,
    "red": LaneBoundary.Classification.COLOR_RED,
    "blue": LaneBoundary.Classification.COLOR_BLUE,
    "green": LaneBoundary.Classification.COLOR_GREEN,
}


@dataclass
class OsiLanes:
    """The network's lanes and boundaries as OSI messages, and the id of every lane."""

    lanes: list[Lane] = field(default_factory=list)
    boundaries: list[LaneBoundary] = field(default_factory=list)
    lane_ids: dict[Key, int] = field(default_factory=dict)
    section_starts: dict[str, list[float]] = field(default_factory=dict)
    """Road id -> s at which each of its lane sections starts (to find a point's section)."""

    def lane_id(self, road: str, lane: int, s: float) -> int | None:
        """The OSI id of OpenDRIVE lane ``(road, lane)`` at ``s``, or None."""
        starts = self.section_starts.get(road)
        if not starts:
            return None
        k = max(0, bisect.bisect_right(starts, s) - 1)
        return self.lane_ids.get((road, k, lane))


def osi_lanes(net: RoadNetwork, step: float = 2.0) -> OsiLanes:
    """Lanes and boundaries of ``net``, sampled at most ``step`` metres apart."""
    out = OsiLanes()
    strips = sample_lanes(net, step)
    boundary_ids: dict[Key, int] = {}
    for st in strips:
        key = (st.road, st.section, st.lane)
        boundary_ids[key] = BOUNDARY_ID_BASE + len(boundary_ids)
        if st.lane != 0:
            out.lane_ids[key] = LANE_ID_BASE + len(out.lane_ids)
    for road in net.roads:
        out.section_starts[road.id] = [sec.s for sec in road.lane_sections]
    in_junction = {r.id for r in net.roads if str(r.junction) not in ("-1", "")}
    graph = net.graph
    successors: dict[Key, list[Key]] = {}
    for node, nexts in graph.successors.items():
        successors[node] = [n for n, _ in nexts if (n[0], n[1]) != (node[0], node[1])]
    antecessors: dict[Key, list[Key]] = {}
    for node, nexts in successors.items():
        for n in nexts:
            antecessors.setdefault(n, []).append(node)
    for st in strips:
        key = (st.road, st.section, st.lane)
        b = LaneBoundary()
        b.id.value = boundary_ids[key]
        for x, y, z in st.outer:
            p = b.boundary_line.add()
            p.position.x, p.position.y, p.position.z = float(x), float(y), float(z)
        b.classification.type = _MARKS.get(st.mark, LaneBoundary.Classification.TYPE_OTHER)
        b.classification.color = (
            LaneBoundary.Classification.COLOR_NONE
            if st.mark == "none"
            else _COLOURS.get(st.mark_color, LaneBoundary.Classification.COLOR_OTHER)
        )
        out.boundaries.append(b)
        if st.lane == 0:
            continue
        lane = Lane()
        lane.id.value = out.lane_ids[key]
        c = lane.classification
        if st.type in DRIVABLE:
            c.type = (
                Lane.Classification.TYPE_INTERSECTION
                if st.road in in_junction
                else Lane.Classification.TYPE_DRIVING
            )
        else:
            c.type = Lane.Classification.TYPE_NONDRIVING
        c.subtype = _SUBTYPES.get(st.type, Lane.Classification.SUBTYPE_OTHER)
        for x, y, z in st.centre:
            v = c.centerline.add()
            v.x, v.y, v.z = float(x), float(y), float(z)
        forward = graph.forward.get(key)
        if forward is None:  # not drivable: the direction of the side of the road it lies on
            rule = net.roads[net.road_index(st.road)].rule
            forward = (st.lane < 0) == (rule == "RHT")
        c.centerline_is_driving_direction = bool(forward)
        inner = (st.road, st.section, st.lane + 1 if st.lane < 0 else st.lane - 1)
        left, right = (inner, key) if st.lane < 0 else (key, inner)
        c.left_lane_boundary_id.add().value = boundary_ids[left]
        c.right_lane_boundary_id.add().value = boundary_ids[right]
        left_lane = (st.road, st.section, 1 if st.lane == -1 else st.lane + 1)
        right_lane = (st.road, st.section, -1 if st.lane == 1 else st.lane - 1)
        if left_lane in out.lane_ids:
            c.left_adjacent_lane_id.add().value = out.lane_ids[left_lane]
        if right_lane in out.lane_ids:
            c.right_adjacent_lane_id.add().value = out.lane_ids[right_lane]
        after = successors.get(key, [])
        before = antecessors.get(key, [])
        start, end = (before, after) if forward else (after, before)
        for a in start or [None]:
            for nxt in end or [None]:
                if a is None and nxt is None:
                    continue
                pair = c.lane_pairing.add()
                if a is not None and a in out.lane_ids:
                    pair.antecessor_lane_id.value = out.lane_ids[a]
                if nxt is not None and nxt in out.lane_ids:
                    pair.successor_lane_id.value = out.lane_ids[nxt]
        out.lanes.append(lane)
    return out
