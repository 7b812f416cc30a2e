"""OpenSCENARIO trajectory shapes (Polyline, Clothoid, ClothoidSpline, Nurbs) sampled into polylines.

Every shape is resolved when its FollowTrajectoryAction starts (relative positions against the
entities' poses at that moment) into a :class:`Sampled` polyline: world points [m], the shape's
tangent heading at each point [rad] where the shape defines one, and the time at each point [s of
trajectory time] where the shape gives times. Curved shapes are sampled every ``STEP`` metres of arc
length, fine enough that the chord error stays below a millimetre for radii above 8 m.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from lxml import etree
from numba import njit

from .params import ParameterError, resolve
from .positions import Position, parse_position
from .xml import MAX_ANGLE, Reader

if TYPE_CHECKING:
    from .context import Context

STEP = 0.25
"""Arc length between samples of a curved shape [m]."""
RELATIVE_KINDS = ("RelativeObjectPosition", "RelativeWorldPosition")
"""Positions whose resolved heading is the referenced entity's (a relative Orientation adds to it)."""

_GL_U = np.array([0.5 - math.sqrt(0.15), 0.5, 0.5 + math.sqrt(0.15)])
_GL_W = np.array([5.0 / 18.0, 8.0 / 18.0, 5.0 / 18.0])


@njit(cache=True)
def clothoid_points(
    x0: float, y0: float, h0: float, k0: float, k_dot: float, length: float, step: float
) -> np.ndarray:
    """Samples (n, 4) of x [m], y [m], heading [rad], arc length s [m] of a clothoid starting at
    (x0, y0) heading h0 with curvature k0 [1/m] changing by k_dot [1/m^2] along its length [m];
    heading h(s) = h0 + k0 s + k_dot s^2 / 2, positions by 3-point Gauss-Legendre quadrature."""
    n = max(math.ceil(length / step), 1)
    out = np.empty((n + 1, 4))
    out[0, 0], out[0, 1], out[0, 2], out[0, 3] = x0, y0, h0, 0.0
    x, y = x0, y0
    ds = length / n
    for i in range(n):
        a = i * ds
        for j in range(3):
            s = a + _GL_U[j] * ds
            h = h0 + k0 * s + 0.5 * k_dot * s * s
            x += _GL_W[j] * ds * math.cos(h)
            y += _GL_W[j] * ds * math.sin(h)
        s = a + ds
        out[i + 1, 0], out[i + 1, 1] = x, y
        out[i + 1, 2] = h0 + k0 * s + 0.5 * k_dot * s * s
        out[i + 1, 3] = s
    return out


@njit(cache=True)
def nurbs_basis(u: float, order: int, knots: np.ndarray, n: int, out: np.ndarray) -> None:
    """B-spline basis functions of ``order`` (degree + 1) at parameter u, for n control points,
    written into ``out[:n]`` (Cox-de Boor, bottom up; the last knot span is closed at its end)."""
    m = n + order
    tmp = np.zeros(m)
    last = knots[m - 1]
    for i in range(m - 1):
        if knots[i] <= u < knots[i + 1] or (u >= last and knots[i] < knots[i + 1] == last):
            tmp[i] = 1.0
    for k in range(2, order + 1):
        for i in range(m - k):
            a = 0.0
            d1 = knots[i + k - 1] - knots[i]
            if d1 > 0.0:
                a = (u - knots[i]) / d1 * tmp[i]
            d2 = knots[i + k] - knots[i + 1]
            if d2 > 0.0:
                a += (knots[i + k] - u) / d2 * tmp[i + 1]
            tmp[i] = a
    for i in range(n):
        out[i] = tmp[i]


@njit(cache=True)
def nurbs_points(
    ctrl: np.ndarray, weights: np.ndarray, knots: np.ndarray, order: int, count: int
) -> np.ndarray:
    """Samples (count + 1, 3 + n) of a rational B-spline: x [m], y [m], parameter u, then the
    (non-rational) basis function of each of the n control points at u; u runs evenly over the valid
    knot range."""
    n = ctrl.shape[0]
    u0, u1 = knots[order - 1], knots[n]
    out = np.empty((count + 1, 3 + n))
    b = np.empty(n)
    for i in range(count + 1):
        u = u0 + (u1 - u0) * i / count
        nurbs_basis(u, order, knots, n, b)
        den = 0.0
        for j in range(n):
            den += b[j] * weights[j]
        x = y = 0.0
        for j in range(n):
            r = b[j] * weights[j] / den if den > 0.0 else 0.0
            x += r * ctrl[j, 0]
            y += r * ctrl[j, 1]
            out[i, 3 + j] = b[j]
        out[i, 0], out[i, 1], out[i, 2] = x, y, u
    return out


@dataclass(frozen=True)
class Sampled:
    points: np.ndarray
    """(n, 2) world x, y [m]."""
    headings: np.ndarray | None
    """(n,) tangent heading [rad], or None: the segments' directions."""
    times: np.ndarray | None
    """(n,) trajectory time at each point [s], or None: the shape gives no times."""
    arc: np.ndarray | None = None
    """(n,) distance along the shape [m], or None: the chords' lengths (a ClothoidSpline segment
    with its own start position jumps there along the chord between the two pieces)."""


@dataclass(frozen=True)
class Start:
    """Where a curved shape starts: a position and the relative Orientation h [rad] written on it."""

    position: Position
    dh: float

    def pose(self, ctx: Context) -> tuple[float, float, float]:
        p = self.position.resolve(ctx)
        # added here only where the position type does not apply its own orientation
        extra = self.dh if self.position.kind in RELATIVE_KINDS and "dh" not in self.position.values else 0.0
        return p.x, p.y, p.yaw + extra


@dataclass(frozen=True)
class Polyline:
    vertices: list[tuple[float | None, Position]]
    headings_given: bool = False
    """Every vertex states its heading (h or an Orientation h): the entity faces those, interpolated
    along each segment, instead of the segments' directions."""

    def sample(self, ctx: Context, actor: str) -> Sampled:
        places = [p.resolve(ctx) for _, p in self.vertices]
        pts = np.array([(pl.x, pl.y) for pl in places])
        ts = [t for t, _ in self.vertices]
        times = None if any(t is None for t in ts) else np.array(ts, dtype=float)
        headings = np.array([pl.yaw for pl in places]) if self.headings_given else None
        return Sampled(pts, headings, times)

    @property
    def timed(self) -> bool:
        return all(t is not None for t, _ in self.vertices)


@dataclass(frozen=True)
class Clothoid:
    start: Start | None
    """None: the entity's own pose."""
    curvature: float
    """[1/m], positive turning left."""
    curvature_dot: float
    """[1/m^2] of arc length."""
    length: float
    """[m]"""
    start_time: float | None = None
    stop_time: float | None = None

    def sample(self, ctx: Context, actor: str) -> Sampled:
        x, y, h = _start_pose(ctx, actor, self.start)
        out = clothoid_points(x, y, h, self.curvature, self.curvature_dot, self.length, STEP)
        times = None
        if self.start_time is not None and self.stop_time is not None:
            times = self.start_time + out[:, 3] / self.length * (self.stop_time - self.start_time)
        return Sampled(out[:, :2].copy(), out[:, 2].copy(), times, out[:, 3].copy())

    @property
    def timed(self) -> bool:
        return self.start_time is not None and self.stop_time is not None


@dataclass(frozen=True)
class SplineSegment:
    start: Start | None
    """None: where the previous segment ends (the entity's pose for the first)."""
    curvature_start: float
    curvature_end: float
    length: float
    h_offset: float = 0.0
    time_start: float | None = None


@dataclass(frozen=True)
class ClothoidSpline:
    segments: list[SplineSegment]
    time_end: float | None = None

    @property
    def timed(self) -> bool:
        """Timed by ``timeEnd`` and every segment's ``timeStart``; the first segment's may be left
        out: it starts at the trajectory's time 0."""
        return self.time_end is not None and all(s.time_start is not None for s in self.segments[1:])

    def _start_time(self, i: int) -> float:
        t = self.segments[i].time_start
        return 0.0 if t is None else t

    def sample(self, ctx: Context, actor: str) -> Sampled:
        parts, heads, times = [], [], []
        x = y = h = 0.0
        timed = self.timed
        for i, seg in enumerate(self.segments):
            if seg.start is not None or i == 0:
                x, y, h = _start_pose(ctx, actor, seg.start)
            h += seg.h_offset
            k_dot = (seg.curvature_end - seg.curvature_start) / seg.length
            out = clothoid_points(x, y, h, seg.curvature_start, k_dot, seg.length, STEP)
            # a segment from where the previous one ended shares its first point
            first = 0 if i == 0 or seg.start is not None else 1
            parts.append(out[first:, :2])
            heads.append(out[first:, 2])
            if timed:
                t0 = self._start_time(i)
                t1 = self._start_time(i + 1) if i + 1 < len(self.segments) else self.time_end
                times.append(t0 + out[first:, 3] / seg.length * (t1 - t0))  # type: ignore[operator]
            x, y, h = out[-1, 0], out[-1, 1], out[-1, 2]
        return Sampled(
            np.concatenate(parts),
            np.concatenate(heads),
            np.concatenate(times) if timed else None,
        )


@dataclass(frozen=True)
class Nurbs:
    order: int
    control: list[tuple[float | None, float, Position]]
    """(time [s] or None, weight, position) per control point."""
    knots: list[float]

    @property
    def timed(self) -> bool:
        return all(t is not None for t, _, _ in self.control)

    def sample(self, ctx: Context, actor: str) -> Sampled:
        ctrl = np.array([(pl.x, pl.y) for pl in (p.resolve(ctx) for _, _, p in self.control)])
        weights = np.array([w for _, w, _ in self.control])
        knots = np.array(self.knots, dtype=float)
        polygon = float(np.sum(np.hypot(*np.diff(ctrl, axis=0).T)))
        count = max(int(polygon / STEP) * 2, 8)
        out = nurbs_points(ctrl, weights, knots, self.order, count)
        pts = out[:, :2].copy()
        d = np.diff(pts, axis=0)
        keep = np.concatenate([[True], np.hypot(d[:, 0], d[:, 1]) > 1e-9])
        pts, out = pts[keep], out[keep]
        ts = [t for t, _, _ in self.control]
        times = None
        if all(t is not None for t in ts):
            # each control point's time belongs where its basis function peaks; between two
            # such peaks the time runs linearly with the curve's parameter
            u = out[:, 2]
            peaks = u[np.argmax(out[:, 3:], axis=0)]
            peaks[0], peaks[-1] = u[0], u[-1]
            times = np.interp(u, np.maximum.accumulate(peaks), np.array(ts, dtype=float))
        return Sampled(pts, None, times)


Shape = Polyline | Clothoid | ClothoidSpline | Nurbs


FOLLOW_STEP = 0.01
"""Time between the samples of a followingMode="follow" timed trajectory [s]."""


def follow_timing(
    points: np.ndarray,
    arc: np.ndarray,
    times: np.ndarray,
    headings: np.ndarray | None,
    v0: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Resample a timed trajectory for followingMode="follow": from speed ``v0`` [m/s] the entity
    runs each segment at one constant acceleration that brings it to the next vertex at its time, so
    that its speed has no jumps (where that would need reversing, it brakes to a stop at the vertex
    and waits there). Returns points (n, 2) [m], times (n,) [s], headings (n,) [rad], arc (n,) [m]."""
    seg_yaw = np.arctan2(np.diff(points[:, 1]), np.diff(points[:, 0]))
    pts, ts, hs, ss = [points[0]], [times[0]], [], [arc[0]]
    hs.append(headings[0] if headings is not None else seg_yaw[0])
    v = abs(v0)
    for i in range(len(points) - 1):
        ds, dt = arc[i + 1] - arc[i], times[i + 1] - times[i]
        if dt <= 0.0:
            continue
        if ds <= 1e-9:
            acc, v_end, v = 0.0, 0.0, 0.0
        else:
            acc = 2.0 * (ds - v * dt) / (dt * dt)
            v_end = v + acc * dt
            if v_end < 0.0:  # would reverse: stop at the vertex early and wait
                acc, v_end = -v * v / (2.0 * ds), 0.0
        n = max(math.ceil(dt / FOLLOW_STEP), 1)
        stop = 2.0 * ds / v if v_end == 0.0 and v > 0.0 else math.inf  # when it comes to rest [s]
        for k in range(1, n + 1):
            tau = dt * k / n
            d = ds if tau >= stop else min(max(v * tau + 0.5 * acc * tau * tau, 0.0), ds)
            u = d / ds if ds > 1e-9 else 0.0
            pts.append(points[i] + u * (points[i + 1] - points[i]))
            ts.append(times[i] + tau)
            ss.append(arc[i] + d)
            if headings is not None:
                turn = (headings[i + 1] - headings[i] + math.pi) % (2.0 * math.pi) - math.pi
                hs.append(headings[i] + u * turn)
            else:
                hs.append(seg_yaw[i])
        v = v_end
    return np.array(pts), np.array(ts), np.array(hs), np.array(ss)


def trajectory_reader(r: Reader, traj: etree._Element) -> Reader:
    """The reader of a ``<Trajectory>``: its ParameterDeclarations shadow the outer parameters.
    A closed trajectory is followed once (with a warning)."""
    if r.boolean(traj, "closed", False):
        r.warn(traj, "closed: the trajectory is followed once, from its start to its end")
    decl = traj.find("ParameterDeclarations")
    if decl is None or len(decl) == 0:
        return r
    params = dict(r.params)
    for d in decl.iterfind("ParameterDeclaration"):
        name = r.raw(d, "name")
        try:
            params[name] = resolve(d.get("value", ""), params)
        except ParameterError as e:
            raise r.error(d, f"parameter {name!r}: {e}") from None
    return r.scoped(params)


def _start_pose(ctx: Context, actor: str, start: Start | None) -> tuple[float, float, float]:
    if start is not None:
        return start.pose(ctx)
    e = ctx.entity(actor)
    return e.x, e.y, e.yaw


def _start(r: Reader, el: etree._Element | None) -> Start | None:
    if el is None:
        return None
    pos = parse_position(r, el)
    p = el if el.tag == pos.kind else r.one_child(el)
    orient = p.find("Orientation")
    dh = r.num(orient, "h", 0.0, MAX_ANGLE) if orient is not None else 0.0
    return Start(pos, dh)


def _heading_given(r: Reader, position: etree._Element | None) -> bool:
    """The position states a heading: a WorldPosition's h, or an Orientation with h."""
    if position is None or len(position) == 0:
        return False
    p = r.one_child(position)
    orient = p.find("Orientation")
    return (p.tag == "WorldPosition" and p.get("h") is not None) or (
        orient is not None and orient.get("h") is not None
    )


def _optional(r: Reader, el: etree._Element, name: str) -> float | None:
    return r.num(el, name) if el.get(name) is not None else None


def _positive(r: Reader, el: etree._Element, name: str) -> float:
    v = r.num(el, name)
    if v <= 0.0:
        raise r.error(el, f"attribute {name}={v:g} must be a length above 0 m")
    return v


def parse_shape(r: Reader, shape: etree._Element) -> Shape:
    """The one shape inside a ``<Shape>`` element."""
    el = r.one_child(shape, ("Polyline", "Clothoid", "ClothoidSpline", "Nurbs"))
    if el.tag == "Polyline":
        vertices = [
            (_optional(r, v, "time"), parse_position(r, r.child(v, "Position")))
            for v in el.iterfind("Vertex")
        ]
        if len(vertices) < 2:
            raise r.error(el, "needs at least two vertices")
        given = all(_heading_given(r, v.find("Position")) for v in el.iterfind("Vertex"))
        return Polyline(vertices, given)
    if el.tag == "Clothoid":
        # 1.0 wrote curvatureDot; 1.1 renamed it curvaturePrime
        name = "curvaturePrime" if el.get("curvaturePrime") is not None else "curvatureDot"
        start_time, stop_time = _optional(r, el, "startTime"), _optional(r, el, "stopTime")
        if start_time is not None and stop_time is not None and stop_time <= start_time:
            raise r.error(el, f"stopTime={stop_time:g} must be after startTime={start_time:g}")
        return Clothoid(
            _start(r, el.find("Position")),
            r.num(el, "curvature"),
            r.num(el, name, 0.0),
            _positive(r, el, "length"),
            start_time,
            stop_time,
        )
    if el.tag == "ClothoidSpline":
        segs = []
        for s in el.iterfind("ClothoidSplineSegment"):
            k0 = r.num(s, "curvatureStart")
            segs.append(
                SplineSegment(
                    _start(r, s.find("PositionStart")),
                    k0,
                    r.num(s, "curvatureEnd", k0),
                    _positive(r, s, "length"),
                    r.num(s, "hOffset", 0.0, MAX_ANGLE),
                    _optional(r, s, "timeStart"),
                )
            )
        if not segs:
            raise r.error(el, "needs at least one ClothoidSplineSegment")
        return ClothoidSpline(segs, _optional(r, el, "timeEnd"))
    order = r.integer(el, "order")
    control = [
        (_optional(r, c, "time"), r.num(c, "weight", 1.0), parse_position(r, r.child(c, "Position")))
        for c in el.iterfind("ControlPoint")
    ]
    knots = [r.num(k, "value") for k in el.iterfind("Knot")]
    if order < 2 or len(control) < order:
        raise r.error(el, f"order={order} needs 2 <= order <= the number of control points ({len(control)})")
    if len(knots) != len(control) + order:
        raise r.error(
            el,
            f"has {len(knots)} knots; {len(control)} control points of order {order} need "
            f"{len(control) + order}",
        )
    if any(b < a for a, b in itertools.pairwise(knots)) or knots[order - 1] >= knots[len(control)]:
        raise r.error(el, f"knot vector {knots} must not decrease and must span the curve")
    if any(w <= 0.0 for _, w, _ in control):
        raise r.error(el, "control point weights must be above 0")
    return Nurbs(order, control, knots)
