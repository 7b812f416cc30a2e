"""The OpenDRIVE text served to CARLA's client: the map's own text, with what the client cannot take
rewritten (the same geometry and lanes; :func:`client_xodr` says what it changed).

CARLA 0.9.16's client parses the served ``.xodr`` itself (libcarla's MapBuilder) and departs from
the standard in ways that fail the parse or lose lanes:

- a direct junction's connections name their road ``linkedRoad``; the client reads only
  ``connectingRoad`` and fails with ``IndexError: _Map_base::at``. Such a connection is served
  with ``connectingRoad``, and as a road link with lane links as well (the linked road's end
  linked to the incoming road, or else the incoming road's end to the linked road): the client
  joins lanes through roads' own links only, never through a junction's connections to a road
  outside it;
- a road links to a junction by id, and the client takes an id that a road has for that road: a
  junction whose id a road also has is renumbered;
- the client finds a lane's last waypoint at ``float32(s_end - 1e-14)`` and refuses an s at or past
  the road's length (or in the next lane section), so a driving lane ending where nothing follows,
  at an s that float32 does not round down, is left out of ``Map.get_topology()``: that road's
  length (and its last geometry's), or that lane section's start, grows by a quarter of float32's
  spacing there (under 0.1 mm for any road under 2 km).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from lxml import etree

CLIENT_EPSILON = 1e-14
"""What the client subtracts from a lane's end s before rounding it to float32 [m]."""


@dataclass(frozen=True)
class ClientMap:
    xodr: str
    """The text to serve."""
    changes: tuple[str, ...]
    """One line per kind of rewrite made, saying what and why (empty: the file is served as is)."""


def float32_keeps(length: float) -> bool:
    """True when the client's last waypoint on a road of ``length`` [m] lies inside the road."""
    return float(np.float32(length - CLIENT_EPSILON)) < length


def padded_length(length: float) -> float:
    """``length`` [m] grown by a quarter of float32's spacing there (rounded to the micrometre, so
    the text stays short) until float32 rounds it down."""
    pad = max(round(0.25 * float(np.spacing(np.float32(length))), 6), 1e-6)
    out = length + pad
    while not float32_keeps(out):  # only for lengths float32's rounding of the micrometre hits
        out += pad
    return out


def client_xodr(text: str) -> ClientMap:
    """The form of the OpenDRIVE ``text`` CARLA's client accepts, and what was changed."""
    root = etree.fromstring(text.encode())
    changes = [
        *_renumber_junctions(root),
        *_direct_junctions(root),
        *_pad_lengths(root),
    ]
    if not changes:
        return ClientMap(text, ())
    body = etree.tostring(root, encoding="unicode")
    return ClientMap('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n", tuple(changes))


def _renumber_junctions(root: etree._Element) -> list[str]:
    road_ids = {r.get("id") for r in root.iterfind("road")}
    junctions = list(root.iterfind("junction"))
    clash = [j for j in junctions if j.get("id") in road_ids]
    if not clash:
        return []
    taken = road_ids | {j.get("id") for j in junctions}
    numbers = [int(i) for i in taken if i is not None and i.lstrip("-").isdigit()]
    next_id = max(numbers, default=0) + 1
    new: dict[str, str] = {}
    for j in clash:
        while str(next_id) in taken:
            next_id += 1
        new[j.get("id")] = str(next_id)
        taken.add(str(next_id))
        j.set("id", str(next_id))
    for road in root.iterfind("road"):
        if road.get("junction") in new:
            road.set("junction", new[road.get("junction")])
        for end in road.iterfind("link/*"):
            if end.get("elementType") == "junction" and end.get("elementId") in new:
                end.set("elementId", new[end.get("elementId")])
    pairs = ", ".join(f"{old} -> {nid}" for old, nid in new.items())
    return [
        f"junctions renumbered ({pairs}): a road has the same id, and CARLA's client takes the id "
        "a road links to for that road's"
    ]


def _road_end_towards(road: etree._Element | None, junction: str) -> str | None:
    """``start`` or ``end``: the end of ``road`` that links to ``junction``."""
    if road is None:
        return None
    for tag, contact in (("predecessor", "start"), ("successor", "end")):
        e = road.find(f"link/{tag}")
        if e is not None and e.get("elementType") == "junction" and e.get("elementId") == junction:
            return contact
    return None


def _end_sections(road: etree._Element, end: str) -> etree._Element | None:
    sections = road.findall("lanes/laneSection")
    if not sections:
        return None
    return sections[0] if end == "start" else sections[-1]


def _link_end(road: etree._Element, end: str, other: str, other_end: str, lanes: dict[str, str]) -> None:
    """Make ``road``'s ``end`` a road link to ``other``'s ``other_end``, its lanes (keys) continuing
    into ``other``'s lanes (values)."""
    link = road.find("link")
    if link is None:
        link = etree.Element("link")
        road.insert(0, link)
    tag = "predecessor" if end == "start" else "successor"
    old = link.find(tag)
    if old is not None:
        link.remove(old)
    etree.SubElement(link, tag, {"elementType": "road", "elementId": other, "contactPoint": other_end})
    section = _end_sections(road, end)
    for lane in section.iterfind("*/lane") if section is not None else ():
        if lane.get("id") not in lanes:
            continue
        lane_link = lane.find("link")
        if lane_link is None:
            lane_link = etree.Element("link")
            lane.insert(0, lane_link)
        for e in lane_link.findall(tag):
            lane_link.remove(e)
        etree.SubElement(lane_link, tag, {"id": lanes[lane.get("id")]})


def _direct_junctions(root: etree._Element) -> list[str]:
    roads = {r.get("id"): r for r in root.iterfind("road")}
    joins = 0
    left: list[str] = []
    taken: set[tuple[str, str]] = set()
    """Road ends already given a road link here."""
    for junction in root.iterfind("junction"):
        conns = [c for c in junction.iterfind("connection") if c.get("linkedRoad") is not None]
        jid = junction.get("id")
        for c in conns:
            linked = c.attrib.pop("linkedRoad")
            c.set("connectingRoad", c.get("connectingRoad", linked))
            incoming = c.get("incomingRoad")
            i_end = _road_end_towards(roads.get(incoming), jid)
            l_end = c.get("contactPoint", "start")
            pairs = {ll.get("from"): ll.get("to") for ll in c.iterfind("laneLink")}
            if i_end is None or linked not in roads or not pairs:
                left.append(f"{incoming}->{linked}")
            elif (linked, l_end) not in taken:
                _link_end(roads[linked], l_end, incoming, i_end, {v: k for k, v in pairs.items()})
                taken.add((linked, l_end))
                joins += 1
            elif (incoming, i_end) not in taken:
                _link_end(roads[incoming], i_end, linked, l_end, pairs)
                taken.add((incoming, i_end))
                joins += 1
            else:
                left.append(f"{incoming}->{linked}")
    if not joins and not left:
        return []
    out = [
        f"direct junctions: {joins} connections served as road links with lane links as well "
        "(CARLA's client reads no linkedRoad, failing with IndexError '_Map_base::at', and joins "
        "lanes only through a road's own links)"
    ]
    if left:
        out.append(
            f"direct junction connections {', '.join(left)} not served as road links (both road ends "
            "already link elsewhere): CARLA's client sees no way across them"
        )
    return out


def _open_lanes(section: etree._Element, followed: set[str] | None = None) -> bool:
    """True when a driving lane of ``section`` running along s (a negative id, as the client reads
    it) has no successor, so that the client finds that lane's end by its s alone. ``followed``: the
    lane ids a junction continues (at a road's end into a junction; None: the lanes' own links)."""
    for lane in section.iterfind("right/lane"):
        if lane.get("type") != "driving":
            continue
        if followed is None and lane.find("link/successor") is None:
            return True
        if followed is not None and lane.get("id") not in followed:
            return True
    return False


def _end_open(road: etree._Element, last: etree._Element, junctions: dict[str, etree._Element]) -> bool:
    succ = road.find("link/successor")
    if succ is None:
        return True
    if succ.get("elementType") != "junction":
        return _open_lanes(last)
    junction = junctions.get(succ.get("elementId"))
    if junction is None or junction.get("type") == "direct":
        return True  # the 0.9.16 client finds no successor across a direct junction
    followed = {
        link.get("from")
        for c in junction.iterfind("connection")
        if c.get("incomingRoad") == road.get("id")
        for link in c.iterfind("laneLink")
    }
    return _open_lanes(last, followed)


def _pad_lengths(root: etree._Element) -> list[str]:
    padded = []
    junctions = {j.get("id"): j for j in root.iterfind("junction")}
    for road in root.iterfind("road"):
        sections = road.findall("lanes/laneSection")
        moved = False
        for before, section in itertools.pairwise(sections):
            s = float(section.get("s"))
            if _open_lanes(before) and not float32_keeps(s):
                section.set("s", repr(padded_length(s)))
                moved = True
        length = float(road.get("length"))
        if sections and _end_open(road, sections[-1], junctions) and not float32_keeps(length):
            new = padded_length(length)
            road.set("length", repr(new))
            geoms = road.findall("planView/geometry")
            if geoms:
                last = geoms[-1]
                last.set("length", repr(float(last.get("length")) + new - length))
            moved = True
        if moved:
            padded.append(road.get("id"))
    if not padded:
        return []
    return [
        f"lane ends moved by under 0.1 mm along {len(padded)} roads ({', '.join(padded[:8])}"
        f"{', ...' if len(padded) > 8 else ''}): CARLA's client drops a lane ending where nothing "
        "follows at an s that float32 does not round down (a road's length, a lane section's start)"
    ]
