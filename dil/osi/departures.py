"""Lane departures of the host vehicle from an OSI trace's lanes and lane boundaries, as the embedded
world reports them (``world/events``): ``lane_invasion`` when the box centre is in a driving lane and
a corner of the box enters another lane, ``off_road`` when the centre leaves every driving lane; both
counted once per crossing (rising edge). The first message only sets the state: a host that starts
across a line has not crossed it within the trace (the embedded world likewise drops its first
step's events).

A lane's area is the polygon between its left and right boundaries (``lane_boundary[].boundary_line``
points, x and y); a lane whose boundaries are not in the trace has no area. Driving lanes are types
driving and intersection. Lanes joined by their lane pairing (one lane across lane sections) count
as one lane, so driving on from one section into the next is no invasion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from osi3.osi_groundtruth_pb2 import GroundTruth
from osi3.osi_lane_pb2 import Lane

_DRIVABLE = (Lane.Classification.TYPE_DRIVING, Lane.Classification.TYPE_INTERSECTION)


@dataclass
class _Area:
    lane_id: int
    group: int
    """The lanes joined by pairing share a group."""
    drivable: bool
    poly: np.ndarray
    """(n, 2) closed polygon."""
    lo: np.ndarray
    hi: np.ndarray


def _inside(poly: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Even-odd test of points ``p`` (m, 2) against ``poly`` (n, 2)."""
    x0, y0 = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    px, py = p[:, 0:1], p[:, 1:2]
    crosses = (y0 > py) != (y1 > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
    return np.count_nonzero(crosses & (px < xc), axis=1) % 2 == 1


class LaneDepartures:
    def __init__(self) -> None:
        self.areas: list[_Area] = []
        self.lanes_without_boundaries = 0
        self._invading = False
        self._off_road = False
        self._primed = False

    def update_lanes(self, gt: GroundTruth) -> None:
        """Rebuild the lane areas from a message that carries lanes."""
        lines = {
            b.id.value: np.array([(p.position.x, p.position.y) for p in b.boundary_line]).reshape(-1, 2)
            for b in gt.lane_boundary
        }
        self.areas, self.lanes_without_boundaries = [], 0
        parent: dict[int, int] = {}

        def root(i: int) -> int:
            while parent.setdefault(i, i) != i:
                i = parent[i]
            return i

        for ln in gt.lane:
            for pair in ln.classification.lane_pairing:
                for other in (pair.antecessor_lane_id, pair.successor_lane_id):
                    if other.value:
                        parent[root(other.value)] = root(ln.id.value)
        for ln in gt.lane:
            c = ln.classification
            left = [lines[i.value] for i in c.left_lane_boundary_id if i.value in lines]
            right = [lines[i.value] for i in c.right_lane_boundary_id if i.value in lines]
            if not left or not right:
                self.lanes_without_boundaries += 1
                continue
            lpts, rpts = np.concatenate(left), np.concatenate(right)
            if len(lpts) < 2 or len(rpts) < 2:
                self.lanes_without_boundaries += 1
                continue
            # both boundaries the same way along the lane: then right reversed closes the ring
            if np.hypot(*(lpts[0] - rpts[0])) > np.hypot(*(lpts[0] - rpts[-1])):
                rpts = rpts[::-1]
            poly = np.concatenate([lpts, rpts[::-1]])
            self.areas.append(
                _Area(ln.id.value, 0, c.type in _DRIVABLE, poly, poly.min(axis=0), poly.max(axis=0))
            )
        for a in self.areas:
            a.group = root(a.lane_id)

    def _lane_of(self, pts: np.ndarray) -> list[_Area | None]:
        """The lane area holding each point (the first found), None where none."""
        out: list[_Area | None] = [None] * len(pts)
        for a in self.areas:
            near = np.all((pts >= a.lo) & (pts <= a.hi), axis=1)
            todo = near & np.array([o is None for o in out])
            if not todo.any():
                continue
            hit = _inside(a.poly, pts[todo])
            for k, h in zip(np.flatnonzero(todo), hit, strict=True):
                if h:
                    out[k] = a
        return out

    def step(self, ego: dict) -> list[dict]:
        """``world/events`` fields of the departures that begin with the host box ``ego`` (a
        ``world/actors`` record: box centre x, y, yaw, length, width)."""
        if not self.areas:
            return []
        x, y, yaw, length, width = ego["x"], ego["y"], ego["yaw"], ego["length"], ego["width"]
        c, s = math.cos(yaw), math.sin(yaw)
        pts = np.array(
            [(x, y)]
            + [
                (
                    x + a * 0.5 * length * c - b * 0.5 * width * s,
                    y + a * 0.5 * length * s + b * 0.5 * width * c,
                )
                for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1))
            ]
        )
        where = self._lane_of(pts)
        centre = where[0]
        events = []
        on = centre is not None and centre.drivable
        if not on and not self._off_road:
            what = "no lane" if centre is None else f"lane {centre.lane_id} (not a driving lane)"
            events.append(_event("off_road", x, y, f"centre on {what}"))
        self._off_road = not on
        invading, detail = False, ""
        if on:
            assert centre is not None
            other = next((a for a in where[1:] if a is not None and a.group != centre.group), None)
            if other is not None:
                invading = True
                detail = f"OSI lane {centre.lane_id} into lane {other.lane_id}"
        if invading and not self._invading:
            events.append(_event("lane_invasion", x, y, detail))
        self._invading = invading
        if not self._primed:
            self._primed = True
            return []
        return events


def _event(kind: str, x: float, y: float, detail: str) -> dict:
    return {
        "kind": kind,
        "actor_id": 0,
        "other_id": -1,
        "x": x,
        "y": y,
        "relative_speed": 0.0,
        "detail": detail,
    }
