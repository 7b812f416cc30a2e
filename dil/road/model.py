"""The parsed OpenDRIVE network as plain frozen dataclasses (before compilation to arrays).

Units as in OpenDRIVE: metres, radians, s along the road's reference line, t to its left.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Poly3:
    """``a + b*ds + c*ds^2 + d*ds^3`` with ``ds = s - s0`` (s0 relative to where the record applies)."""

    s0: float
    a: float
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0

    def __call__(self, s: float) -> float:
        ds = s - self.s0
        return self.a + ds * (self.b + ds * (self.c + ds * self.d))


@dataclass(frozen=True)
class Geometry:
    """One planView record: start pose, length and shape."""

    s: float
    x: float
    y: float
    hdg: float
    length: float
    kind: str
    """line, arc, spiral, poly3 or paramPoly3."""
    params: tuple[float, ...] = ()
    """arc: (curvature,); spiral: (curvStart, curvEnd); poly3: (a, b, c, d);
    paramPoly3: (aU, bU, cU, dU, aV, bV, cV, dV, normalized 0/1)."""
    line: int = 0
    """Line in the source file."""


@dataclass(frozen=True)
class MarkLine:
    """One ``<line>`` of a road mark's explicit ``<type>``: a dash pattern along the lane border [m]."""

    length: float
    """Dash length (0 for a solid line)."""
    space: float
    """Gap between dashes."""
    t_offset: float = 0.0
    """Lateral offset from the lane border, to the left."""
    s_offset: float = 0.0
    """Where the pattern starts, from the road mark's s."""
    width: float = 0.12


@dataclass(frozen=True)
class RoadMark:
    s_offset: float
    type: str
    """solid, broken, solid solid, ..., none."""
    color: str = "standard"
    width: float = 0.12
    lines: tuple[MarkLine, ...] = ()
    """The explicit dash pattern of ``<type>``, if the file gives one."""


@dataclass(frozen=True)
class Lane:
    id: int
    type: str
    widths: tuple[Poly3, ...] = ()
    """Width records, s0 relative to the lane section start."""
    marks: tuple[RoadMark, ...] = ()
    predecessor: int | None = None
    successor: int | None = None
    speed: float | None = None
    """Maximum speed [m/s] from the lane's speed record, if any."""
    level: bool = False


@dataclass(frozen=True)
class LaneSection:
    s: float
    lanes: tuple[Lane, ...]
    """Left lanes (positive ids), the centre lane (0) and right lanes (negative ids)."""
    single_side: bool = False


@dataclass(frozen=True)
class Link:
    element_type: str
    """road or junction."""
    element_id: str
    contact_point: str | None = None
    """start or end (roads only)."""


@dataclass(frozen=True)
class Road:
    id: str
    name: str
    length: float
    junction: str
    """Junction id, or -1 for a road outside junctions."""
    geometries: tuple[Geometry, ...]
    lane_sections: tuple[LaneSection, ...]
    elevation: tuple[Poly3, ...] = ()
    superelevation: tuple[Poly3, ...] = ()
    lane_offset: tuple[Poly3, ...] = ()
    predecessor: Link | None = None
    successor: Link | None = None
    speed: tuple[tuple[float, float], ...] = ()
    """(s, maximum speed [m/s]) from the road's type records."""
    rule: str = "RHT"
    """Traffic rule: RHT (right-hand traffic) or LHT."""
    line: int = 0


@dataclass(frozen=True)
class LaneLink:
    from_lane: int
    to_lane: int


@dataclass(frozen=True)
class Connection:
    id: str
    incoming_road: str
    connecting_road: str
    contact_point: str
    lane_links: tuple[LaneLink, ...] = ()


@dataclass(frozen=True)
class Junction:
    id: str
    name: str
    connections: tuple[Connection, ...]


@dataclass(frozen=True)
class Header:
    rev_major: int
    rev_minor: int
    name: str = ""
    geo_reference: str = ""
    offset: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    """x, y, z, heading of the header's offset record."""


@dataclass(frozen=True)
class OpenDrive:
    """A whole parsed file."""

    header: Header
    roads: tuple[Road, ...]
    junctions: tuple[Junction, ...] = ()
    source: str = ""
    warnings: tuple[str, ...] = field(default=())
    """Unsupported elements found, once each with their count and first line."""
