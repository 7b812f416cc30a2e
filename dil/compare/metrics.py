"""Per-entity differences between two traces: B interpolated onto A's timestamps over the interval
both cover, entities matched by name."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .traces import BOX_CENTRE, CompareError, Trace, Track

GAP_FACTOR = 2.5
"""B is not interpolated across a gap longer than this many of its typical sample periods (an
entity that vanished and came back)."""


@dataclass
class Tolerances:
    position_m: float
    speed_mps: float | None = None
    heading_deg: float | None = None


@dataclass
class EntityDiff:
    name: str
    name_b: str
    t: np.ndarray
    pos: np.ndarray
    """Position difference at A's timestamps [m]."""
    speed: np.ndarray
    """A's speed minus B's [m/s]."""
    heading: np.ndarray
    """A's heading minus B's, wrapped to [-pi, pi) [rad]."""
    first_beyond: dict[str, float | None] = field(default_factory=dict)
    """Per quantity with a tolerance: the first time beyond it [s], None where never."""

    @property
    def first_divergence(self) -> float | None:
        times = [t for t in self.first_beyond.values() if t is not None]
        return min(times) if times else None

    def stats(self) -> dict:
        i = int(np.argmax(self.pos))
        return {
            "entity": self.name,
            "entity_b": self.name_b,
            "samples": int(self.t.size),
            "t_from_s": float(self.t[0]),
            "t_to_s": float(self.t[-1]),
            "max_position_m": float(self.pos[i]),
            "rms_position_m": _rms(self.pos),
            "t_max_position_s": float(self.t[i]),
            "max_speed_mps": float(np.max(np.abs(self.speed))),
            "rms_speed_mps": _rms(self.speed),
            "max_heading_deg": math.degrees(float(np.max(np.abs(self.heading)))),
            "rms_heading_deg": math.degrees(_rms(self.heading)),
            "first_beyond_s": dict(self.first_beyond),
            "first_divergence_s": self.first_divergence,
        }


@dataclass
class Comparison:
    a: Trace
    b: Trace
    tolerances: Tolerances
    overlap: tuple[float, float]
    entities: list[EntityDiff]
    only_a: list[str]
    only_b: list[str]
    no_overlap: list[str]
    """Entities in both traces whose times do not overlap."""
    notes: list[str]

    @property
    def within(self) -> bool:
        return all(e.first_divergence is None for e in self.entities)

    def as_dict(self) -> dict:
        tol = self.tolerances
        return {
            "a": _describe(self.a),
            "b": _describe(self.b),
            "reference": self.a.reference if self.a.reference == self.b.reference else "mixed",
            "overlap_s": list(self.overlap),
            "alignment": "B interpolated linearly onto A's timestamps (heading along the shorter arc)",
            "tolerances": {
                "position_m": tol.position_m,
                "speed_mps": tol.speed_mps,
                "heading_deg": tol.heading_deg,
            },
            "within_tolerance": self.within,
            "entities": [e.stats() for e in self.entities],
            "only_in_a": self.only_a,
            "only_in_b": self.only_b,
            "no_common_time": self.no_overlap,
            "notes": self.notes,
        }


def _describe(t: Trace) -> dict:
    lo, hi = t.span
    return {
        "path": str(t.path),
        "format": t.kind,
        "positions_of": t.reference,
        "t_s": [lo, hi],
        "entities": sorted(t.tracks),
        "notes": t.notes,
    }


def _rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(a)))) if a.size else 0.0


def _wrap(a: np.ndarray) -> np.ndarray:
    return (a + np.pi) % (2.0 * np.pi) - np.pi


def match(
    a: Trace, b: Trace, renames: dict[str, str] | None = None
) -> tuple[list[tuple[str, str]], list[str]]:
    """Pairs ``(name in A, name in B)``: by name after ``renames`` (B's name -> A's name); an OSI trace
    (whose objects have ids, not names) by id against a trace whose ids follow the scenario's order."""
    notes: list[str] = []
    renames = dict(renames or {})
    for old in renames:
        if old not in b.tracks:
            raise CompareError(
                f"--map {old}={renames[old]}: {b.path} has no entity {old!r} (it has {_names(b)})"
            )
    for osi, other, osi_is_b in ((b, a, True), (a, b, False)):
        if osi.kind != "OSI trace" or other.kind == "OSI trace" or other.id_base is None:
            continue
        by_id = {tr.id: n for n, tr in other.tracks.items() if tr.id is not None}
        offset = (osi.id_base or 0) - other.id_base
        named = []
        for n, tr in osi.tracks.items():
            other_name = by_id.get((tr.id or 0) - offset)
            if other_name is None or (osi_is_b and n in renames):
                continue
            if osi_is_b:
                renames[n] = other_name
            else:
                renames.setdefault(other_name, n)
            named.append(f"{n} = {other_name}")
        if named:
            who = (
                "written by dil: id = dil id + 1" if osi.id_base == 1 else "id = the other trace's entity id"
            )
            notes.append(f"{osi.path} names no entities; matched by id ({who}): {', '.join(named)}")
    pairs = [(renames.get(nb, nb), nb) for nb in b.tracks]
    pairs = [(na, nb) for na, nb in pairs if na in a.tracks]
    return sorted(pairs, key=lambda p: list(a.tracks).index(p[0])), notes


def _names(t: Trace) -> str:
    return ", ".join(sorted(t.tracks)) or "none"


def _at(tr: Track, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """B's track at times ``t`` (inside its span): x, y, yaw, speed and whether each time is covered
    (not inside a gap)."""
    bt = tr.t
    i0 = np.clip(np.searchsorted(bt, t, side="right") - 1, 0, bt.size - 1)
    i1 = np.minimum(i0 + 1, bt.size - 1)
    span = bt[i1] - bt[i0]
    w = np.where(span > 0, (t - bt[i0]) / np.where(span > 0, span, 1.0), 0.0)
    w = np.where(t <= bt[i0], 0.0, w)  # exactly B's sample where A's time is one
    typical = float(np.median(np.diff(bt))) if bt.size > 1 else 0.0
    covered = (span <= GAP_FACTOR * typical + 1e-9) | (w == 0.0)

    def lin(v: np.ndarray) -> np.ndarray:
        return v[i0] + w * (v[i1] - v[i0])

    yaw = tr.yaw[i0] + w * _wrap(tr.yaw[i1] - tr.yaw[i0])
    return lin(tr.x), lin(tr.y), yaw, lin(tr.speed), covered


def compare(a: Trace, b: Trace, tol: Tolerances, renames: dict[str, str] | None = None) -> Comparison:
    notes: list[str] = []
    if a.reference != b.reference:
        raise CompareError(
            f"{a.path} gives positions of the {a.reference}, {b.path} of the {b.reference}; "
            "the two cannot be compared as they are (see --reference)"
        )
    pairs, match_notes = match(a, b, renames)
    notes += match_notes
    matched_b = {nb for _, nb in pairs}
    only_a = [n for n in a.tracks if n not in {na for na, _ in pairs}]
    only_b = [n for n in b.tracks if n not in matched_b]
    if not pairs:
        raise CompareError(
            f"no common entity: {a.path} has {_names(a)}; {b.path} has {_names(b)} "
            "(entities are matched by name; --map B_NAME=A_NAME pairs others)"
        )
    (a0, a1), (b0, b1) = a.span, b.span
    overlap = (max(a0, b0), min(a1, b1))
    if overlap[0] > overlap[1]:
        raise CompareError(
            f"no overlapping time: {a.path} covers t = {a0:.3f} .. {a1:.3f} s, "
            f"{b.path} t = {b0:.3f} .. {b1:.3f} s"
        )
    diffs, no_overlap = [], []
    for na, nb in pairs:
        ta, tb = a.tracks[na], b.tracks[nb]
        sel = (ta.t >= tb.t[0]) & (ta.t <= tb.t[-1])
        t = ta.t[sel]
        if t.size:
            x, y, yaw, speed, covered = _at(tb, t)
            if not covered.all():
                notes.append(f"{na}: {int((~covered).sum())} samples of A fall in gaps of B and are left out")
            sel_idx = np.flatnonzero(sel)[covered]
            t = ta.t[sel_idx]
            x, y, yaw, speed = x[covered], y[covered], yaw[covered], speed[covered]
        if not t.size:
            no_overlap.append(na)
            continue
        d = EntityDiff(
            na,
            nb,
            t,
            np.hypot(ta.x[sel_idx] - x, ta.y[sel_idx] - y),
            ta.speed[sel_idx] - speed,
            _wrap(ta.yaw[sel_idx] - yaw),
        )
        d.first_beyond["position"] = _first(t, d.pos > tol.position_m)
        if tol.speed_mps is not None:
            d.first_beyond["speed"] = _first(t, np.abs(d.speed) > tol.speed_mps)
        if tol.heading_deg is not None:
            d.first_beyond["heading"] = _first(t, np.abs(d.heading) > math.radians(tol.heading_deg))
        diffs.append(d)
    if not diffs:
        raise CompareError(
            f"no overlapping time for any common entity ({', '.join(no_overlap)}) "
            f"between {a.path} and {b.path}"
        )
    if a.reference != BOX_CENTRE:
        notes.append(f"positions compared as given: the {a.reference} of each entity in both traces")
    return Comparison(a, b, tol, overlap, diffs, only_a, only_b, no_overlap, notes)


def _first(t: np.ndarray, beyond: np.ndarray) -> float | None:
    idx = np.flatnonzero(beyond)
    return float(t[idx[0]]) if idx.size else None
