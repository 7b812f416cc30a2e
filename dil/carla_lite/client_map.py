"""The OpenDRIVE text served to CARLA's client: the map's own text, with what the client cannot take
rewritten (the same geometry and lanes).

CARLA 0.9.16's client parses the served ``.xodr`` itself (libcarla's MapBuilder) and differs from
the standard in three ways that lose lanes or fail the parse:

- a direct junction's connections name their road ``linkedRoad``; the client reads only
  ``connectingRoad`` and fails with ``IndexError: _Map_base::at``. Such a connection is served
  with ``connectingRoad`` and, since the client follows a connection only from its incoming road,
  with the reverse connection too (from the linked road back, its lane links swapped);
- a road links to a junction by id, and the client takes any id that is a junction's as the
  junction: a junction whose id a road also has is renumbered;
- the client places a lane's last waypoint at ``float32(s_end - 1e-14)`` and refuses an s at or
  past the road's length, so a lane ending where nothing follows, on a road whose length float32
  does not round down, is left out of ``Map.get_topology()``: such a road's length (and its last
  geometry's) grows by a quarter of float32's spacing there (under 0.1 mm for any road under 2 km).
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
        f"junctions renumbered ({pairs}): a road has the same id, and CARLA's client takes an id "
        "a road links to for the junction's"
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


def _direct_junctions(root: etree._Element) -> list[str]:
    roads = {r.get("id"): r for r in root.iterfind("road")}
    renamed = 0
    added = 0
    for junction in root.iterfind("junction"):
        conns = [c for c in junction.iterfind("connection") if c.get("linkedRoad") is not None]
        if not conns:
            continue
        jid = junction.get("id")
        for c in conns:
            if c.get("connectingRoad") is None:
                c.set("connectingRoad", c.get("linkedRoad"))
                renamed += 1
            del c.attrib["linkedRoad"]
        present = {(c.get("incomingRoad"), c.get("connectingRoad")) for c in junction.iterfind("connection")}
        ids = {c.get("id") for c in junction.iterfind("connection")}
        for c in conns:
            back = (c.get("connectingRoad"), c.get("incomingRoad"))
            contact = _road_end_towards(roads.get(back[1]), jid)
            if back in present or contact is None:
                continue
            rev = etree.SubElement(junction, "connection")
            k = len(ids)
            while str(k) in ids:
                k += 1
            ids.add(str(k))
            rev.set("id", str(k))
            rev.set("incomingRoad", back[0])
            rev.set("connectingRoad", back[1])
            rev.set("contactPoint", contact)
            for link in c.iterfind("laneLink"):
                etree.SubElement(rev, "laneLink", {"from": link.get("to"), "to": link.get("from")})
            present.add(back)
            added += 1
    if not renamed:
        return []
    return [
        f"direct junctions: {renamed} connections' linkedRoad served as connectingRoad, {added} "
        "reverse connections added (CARLA's client reads only connectingRoad and follows a "
        "connection only from its incoming road)"
    ]


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
