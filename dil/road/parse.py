"""Reading ASAM OpenDRIVE 1.4 to 1.8 files into :mod:`dil.road.model`.

Errors name the file, the line, the element and the attribute. Elements this reader does not use
(objects, signals, lane heights, ...) are listed once each as warnings with their count and
first line, never dropped silently.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from dil.config.yaml_safe import short

from .model import (
    Connection,
    Geometry,
    Header,
    Junction,
    Lane,
    LaneLink,
    LaneSection,
    Link,
    MarkLine,
    OpenDrive,
    Poly3,
    Road,
    RoadMark,
)

log = logging.getLogger("dil.road")

MAX_COORD = 1e8
"""Largest world coordinate accepted (x, y, z of geometries and offsets) [m]: UTM northings reach 1e7."""
MAX_ROAD_LENGTH = 1e5
"""Longest road (and geometry, and any s) accepted [m]; the network is sampled every metre."""
MAX_NETWORK_LENGTH = 2e6
"""Longest network accepted, all roads together [m]."""
MAX_CURVATURE = 1e3
"""Sharpest curvature accepted [1/m]."""
MAX_VALUE = 1e9
"""Any other number (polynomial coefficients, headings, widths) is within +-MAX_VALUE."""

_SPEED_UNITS = {"m/s": 1.0, "km/h": 1.0 / 3.6, "mph": 0.44704}

# (parent tag, tag) pairs this reader uses; anything else is reported as unsupported
_SUPPORTED = {
    (None, "OpenDRIVE"),
    ("OpenDRIVE", "header"),
    ("header", "geoReference"),
    ("header", "offset"),
    ("OpenDRIVE", "road"),
    ("OpenDRIVE", "junction"),
    ("road", "link"),
    ("link", "predecessor"),
    ("link", "successor"),
    ("road", "type"),
    ("type", "speed"),
    ("road", "planView"),
    ("planView", "geometry"),
    ("geometry", "line"),
    ("geometry", "arc"),
    ("geometry", "spiral"),
    ("geometry", "poly3"),
    ("geometry", "paramPoly3"),
    ("road", "elevationProfile"),
    ("elevationProfile", "elevation"),
    ("road", "lateralProfile"),
    ("lateralProfile", "superelevation"),
    ("road", "lanes"),
    ("lanes", "laneOffset"),
    ("lanes", "laneSection"),
    ("laneSection", "left"),
    ("laneSection", "center"),
    ("laneSection", "right"),
    ("left", "lane"),
    ("center", "lane"),
    ("right", "lane"),
    ("lane", "link"),
    ("lane", "width"),
    ("lane", "roadMark"),
    ("roadMark", "type"),
    ("type", "line"),
    ("lane", "speed"),
    ("junction", "connection"),
    ("connection", "laneLink"),
}


class RoadNetworkError(ValueError):
    """A malformed or unsupported OpenDRIVE file; the message names file, line, element, attribute."""


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.warnings: list[str] = []

    def error(self, el: etree._Element, why: str) -> RoadNetworkError:
        return RoadNetworkError(f"{self.source}:{el.sourceline}: <{el.tag}> {why}")

    def attr(self, el: etree._Element, name: str, default: str | None = None) -> str:
        value = el.get(name)
        if value is None:
            if default is not None:
                return default
            raise self.error(el, f"is missing attribute {name!r}")
        return value

    def num(
        self, el: etree._Element, name: str, default: float | None = None, limit: float = MAX_VALUE
    ) -> float:
        """A finite number within ``[-limit, limit]``."""
        raw = el.get(name)
        if raw is None:
            if default is not None:
                return default
            raise self.error(el, f"is missing attribute {name!r}")
        try:
            value = float(raw)
        except ValueError:
            raise self.error(el, f"attribute {name}={short(raw)} is not a number") from None
        if not math.isfinite(value):
            raise self.error(el, f"attribute {name}={short(raw)} is not finite")
        if abs(value) > limit:
            raise self.error(el, f"attribute {name}={short(raw)} is outside [-{limit:g}, {limit:g}]")
        return value

    def integer(self, el: etree._Element, name: str) -> int:
        raw = self.attr(el, name)
        try:
            value = int(raw)
        except ValueError:
            raise self.error(el, f"attribute {name}={short(raw)} is not an integer") from None
        if abs(value) > 1_000_000:
            raise self.error(el, f"attribute {name}={short(raw)} is outside [-1e6, 1e6]")
        return value

    def poly(self, el: etree._Element, s_name: str = "s") -> Poly3:
        return Poly3(
            self.num(el, s_name), self.num(el, "a"), self.num(el, "b"), self.num(el, "c"), self.num(el, "d")
        )


def read(path: str | Path) -> OpenDrive:
    """Parse an ``.xodr`` file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise RoadNetworkError(f"{path}: cannot read ({e.strerror})") from None
    return parse(data, str(path))


def parse(data: bytes | str, source: str = "<string>") -> OpenDrive:
    """Parse OpenDRIVE XML text; ``source`` names it in errors."""
    if isinstance(data, str):
        data = data.encode()
    try:
        root = etree.fromstring(data, etree.XMLParser(remove_comments=True, resolve_entities=False))
    except etree.XMLSyntaxError as e:
        raise RoadNetworkError(f"{source}:{e.lineno}: not well-formed XML ({e.msg})") from None
    r = _Reader(source)
    if root.tag != "OpenDRIVE":
        raise r.error(root, "is not an OpenDRIVE document (root element must be <OpenDRIVE>)")
    warnings = _unsupported(root, source)
    header_el = root.find("header")
    if header_el is None:
        raise r.error(root, "has no <header>")
    header = _header(r, header_el)
    if header.rev_major != 1 or not 4 <= header.rev_minor <= 8:
        raise r.error(
            header_el,
            f"revision {header.rev_major}.{header.rev_minor} is not supported (OpenDRIVE 1.4 to 1.8 are)",
        )
    roads = tuple(_road(r, el) for el in root.iterfind("road"))
    ids = [rd.id for rd in roads]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise RoadNetworkError(f"{source}: road id(s) {dup} are used more than once")
    total = sum(rd.length for rd in roads)
    if total > MAX_NETWORK_LENGTH:
        raise RoadNetworkError(
            f"{source}: the roads are {total:g} m long together: more than {MAX_NETWORK_LENGTH:g} m"
        )
    junctions = tuple(_junction(r, el) for el in root.iterfind("junction"))
    warnings = warnings + tuple(r.warnings)
    for w in warnings:
        log.warning("%s", w)
    return OpenDrive(header, roads, junctions, source, warnings)


def _unsupported(root: etree._Element, source: str) -> tuple[str, ...]:
    """One line per unsupported (parent, element) pair; children of those are not listed."""
    seen: dict[tuple[str, str], list[int]] = {}

    def walk(el: etree._Element) -> None:
        for child in el:
            if not isinstance(child.tag, str):
                continue
            key = (el.tag, child.tag)
            if key in _SUPPORTED:
                walk(child)
            else:
                seen.setdefault(key, []).append(child.sourceline)

    walk(root)
    return tuple(
        f"{source}:{lines[0]}: <{tag}> in <{parent}> is not supported and ignored "
        f"({len(lines)} element{'s' if len(lines) > 1 else ''})"
        for (parent, tag), lines in sorted(seen.items(), key=lambda kv: kv[1][0])
    )


def _header(r: _Reader, el: etree._Element) -> Header:
    geo = el.find("geoReference")
    off = el.find("offset")
    offset = (0.0, 0.0, 0.0, 0.0)
    if off is not None:
        offset = (
            r.num(off, "x", 0.0, MAX_COORD),
            r.num(off, "y", 0.0, MAX_COORD),
            r.num(off, "z", 0.0, MAX_COORD),
            r.num(off, "hdg", 0.0),
        )
    return Header(
        r.integer(el, "revMajor"),
        r.integer(el, "revMinor"),
        el.get("name", ""),
        (geo.text or "").strip() if geo is not None else "",
        offset,
    )


def _link(r: _Reader, el: etree._Element | None) -> Link | None:
    if el is None:
        return None
    kind = r.attr(el, "elementType")
    if kind not in ("road", "junction"):
        raise r.error(el, f"attribute elementType={short(kind)} must be road or junction")
    contact = el.get("contactPoint")
    if contact is not None and contact not in ("start", "end"):
        raise r.error(el, f"attribute contactPoint={short(contact)} must be start or end")
    if kind == "road" and contact is None:
        raise r.error(el, "is missing attribute 'contactPoint' (required for a road link)")
    return Link(kind, r.attr(el, "elementId"), contact)


def _geometry(r: _Reader, el: etree._Element) -> Geometry:
    shapes = [c for c in el if isinstance(c.tag, str)]
    if len(shapes) != 1:
        raise r.error(el, f"must hold exactly one shape element, found {len(shapes)}")
    shape = shapes[0]
    length = r.num(el, "length", limit=MAX_ROAD_LENGTH)
    if length <= 0.0:
        raise r.error(el, f"attribute length={short(el.get('length'))} must be > 0")
    kind = shape.tag
    params: tuple[float, ...]
    if kind == "line":
        params = ()
    elif kind == "arc":
        params = (r.num(shape, "curvature", limit=MAX_CURVATURE),)
    elif kind == "spiral":
        params = tuple(r.num(shape, k, limit=MAX_CURVATURE) for k in ("curvStart", "curvEnd"))
    elif kind == "poly3":
        params = tuple(r.num(shape, k) for k in "abcd")
    elif kind == "paramPoly3":
        p_range = shape.get("pRange", "normalized")
        if p_range not in ("arcLength", "normalized"):
            raise r.error(shape, f"attribute pRange={short(p_range)} must be arcLength or normalized")
        params = (
            *(r.num(shape, k) for k in ("aU", "bU", "cU", "dU", "aV", "bV", "cV", "dV")),
            1.0 if p_range == "normalized" else 0.0,
        )
    else:
        raise r.error(shape, "is not a planView geometry (line, arc, spiral, poly3, paramPoly3)")
    return Geometry(
        r.num(el, "s", limit=MAX_ROAD_LENGTH),
        r.num(el, "x", limit=MAX_COORD),
        r.num(el, "y", limit=MAX_COORD),
        r.num(el, "hdg"),
        length,
        kind,
        params,
        el.sourceline,
    )


def _speed(r: _Reader, el: etree._Element) -> float:
    unit = el.get("unit", "m/s")
    if unit not in _SPEED_UNITS:
        raise r.error(el, f"attribute unit={short(unit)} must be one of {', '.join(_SPEED_UNITS)}")
    raw = el.get("max")
    if raw in ("no limit", "undefined"):
        return math.inf
    return r.num(el, "max") * _SPEED_UNITS[unit]


def _lane(r: _Reader, el: etree._Element) -> Lane:
    lane_id = r.integer(el, "id")
    link = el.find("link")
    pred = succ = None
    if link is not None:
        p, s = link.find("predecessor"), link.find("successor")
        pred = r.integer(p, "id") if p is not None else None
        succ = r.integer(s, "id") if s is not None else None
    widths = tuple(r.poly(w, "sOffset") for w in el.iterfind("width"))
    if lane_id != 0 and not widths and el.find("border") is None:
        raise r.error(el, f"lane {lane_id} has no <width> record")
    marks = tuple(_road_mark(r, m) for m in el.iterfind("roadMark"))
    speed_el = el.find("speed")
    return Lane(
        lane_id,
        el.get("type", "none"),
        widths,
        marks,
        pred,
        succ,
        _speed(r, speed_el) if speed_el is not None else None,
        el.get("level") in ("true", "1"),
    )


def _road_mark(r: _Reader, el: etree._Element) -> RoadMark:
    width = r.num(el, "width", 0.12)
    kind = el.find("type")
    lines = ()
    if kind is not None:
        lines = tuple(
            MarkLine(
                r.num(ln, "length", 0.0, MAX_ROAD_LENGTH),
                r.num(ln, "space", 0.0, MAX_ROAD_LENGTH),
                r.num(ln, "tOffset", 0.0, 100.0),
                r.num(ln, "sOffset", 0.0, MAX_ROAD_LENGTH),
                r.num(ln, "width", width, 100.0),
            )
            for ln in kind.iterfind("line")
        )
    return RoadMark(r.num(el, "sOffset"), el.get("type", "none"), el.get("color", "standard"), width, lines)


def _lane_section(r: _Reader, el: etree._Element) -> LaneSection:
    lanes: list[Lane] = []
    for side, sign in (("left", 1), ("center", 0), ("right", -1)):
        group = el.find(side)
        if group is None:
            continue
        for lane_el in group.iterfind("lane"):
            lane = _lane(r, lane_el)
            if (sign == 0 and lane.id != 0) or (sign != 0 and lane.id * sign <= 0):
                raise r.error(lane_el, f"attribute id={lane.id} does not belong in <{side}>")
            lanes.append(lane)
    if not any(lane.id == 0 for lane in lanes):
        raise r.error(el, "has no center lane (id 0)")
    lanes.sort(key=lambda lane: -lane.id)
    ids = [lane.id for lane in lanes]
    for side_ids in ([i for i in ids if i > 0][::-1], [-i for i in ids if i < 0]):
        if side_ids != list(range(1, len(side_ids) + 1)):
            raise r.error(el, f"lane ids {sorted(ids)} are not consecutive from the center lane")
    return LaneSection(r.num(el, "s"), tuple(lanes), el.get("singleSide") in ("true", "1"))


def _sorted(r: _Reader, items: list, key: Callable, where: etree._Element, what: str) -> tuple:
    keys = [key(i) for i in items]
    if keys != sorted(keys):
        raise r.error(where, f"{what} records are not in increasing s order")
    return tuple(items)


def _road(r: _Reader, el: etree._Element) -> Road:
    rid = r.attr(el, "id")
    plan = el.find("planView")
    if plan is None:
        raise r.error(el, f"road {rid} has no <planView>")
    geoms = [_geometry(r, g) for g in plan.iterfind("geometry")]
    if not geoms:
        raise r.error(plan, f"road {rid} has no <geometry>")
    _sorted(r, geoms, lambda g: g.s, plan, "geometry")
    lanes_el = el.find("lanes")
    if lanes_el is None:
        raise r.error(el, f"road {rid} has no <lanes>")
    sections = [_lane_section(r, s) for s in lanes_el.iterfind("laneSection")]
    if not sections:
        raise r.error(lanes_el, f"road {rid} has no <laneSection>")
    _sorted(r, sections, lambda s: s.s, lanes_el, "laneSection")
    elev_el = el.find("elevationProfile")
    elevation = [r.poly(e) for e in elev_el.iterfind("elevation")] if elev_el is not None else []
    lat_el = el.find("lateralProfile")
    superelevation = [r.poly(e) for e in lat_el.iterfind("superelevation")] if lat_el is not None else []
    offsets = [r.poly(o) for o in lanes_el.iterfind("laneOffset")]
    link = el.find("link")
    speeds = []
    for t in el.iterfind("type"):
        sp = t.find("speed")
        if sp is not None:
            speeds.append((r.num(t, "s"), _speed(r, sp)))
    rule = el.get("rule", "RHT")
    if rule not in ("RHT", "LHT"):
        raise r.error(el, f"attribute rule={short(rule)} must be RHT or LHT")
    length = r.num(el, "length", limit=MAX_ROAD_LENGTH)
    if length <= 0.0:
        raise r.error(el, f"attribute length={short(el.get('length'))} must be > 0")
    plan_length = geoms[-1].s + geoms[-1].length
    if abs(plan_length - length) > 0.01:
        r.warnings.append(
            f"{r.source}:{el.sourceline}: road {rid} length {length:g} m differs from its "
            f"planView's {plan_length:g} m; positions beyond the planView stay at its end"
        )
    return Road(
        id=rid,
        name=el.get("name", ""),
        length=length,
        junction=el.get("junction", "-1"),
        geometries=tuple(geoms),
        lane_sections=tuple(sections),
        elevation=tuple(elevation),
        superelevation=tuple(superelevation),
        lane_offset=tuple(offsets),
        predecessor=_link(r, link.find("predecessor")) if link is not None else None,
        successor=_link(r, link.find("successor")) if link is not None else None,
        speed=tuple(speeds),
        rule=rule,
        line=el.sourceline,
    )


def _junction(r: _Reader, el: etree._Element) -> Junction:
    conns = []
    for c in el.iterfind("connection"):
        contact = c.get("contactPoint", "start")
        if contact not in ("start", "end"):
            raise r.error(c, f"attribute contactPoint={short(contact)} must be start or end")
        links = tuple(LaneLink(r.integer(ll, "from"), r.integer(ll, "to")) for ll in c.iterfind("laneLink"))
        conns.append(
            Connection(
                r.attr(c, "id"),
                r.attr(c, "incomingRoad"),
                c.get("connectingRoad") or r.attr(c, "linkedRoad"),
                contact,
                links,
            )
        )
    return Junction(r.attr(el, "id"), el.get("name", ""), tuple(conns))
