"""Outcome of a controller-driven entity in one trace: the smallest gap between its bounding box and
any other entity's, and whether (and when, with whom) the boxes touched."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dil.compare.traces import Trace, Track


@dataclass(frozen=True)
class Box:
    length: float
    width: float
    centre_x: float
    """Box centre ahead of the reference point [m]."""


def _corners(tr: Track, box: Box) -> np.ndarray:
    """Box corners in the world frame, shape (T, 4, 2) [m]."""
    c, s = np.cos(tr.yaw), np.sin(tr.yaw)
    hl, hw = box.length / 2.0, box.width / 2.0
    local = np.array([[hl, hw], [hl, -hw], [-hl, -hw], [-hl, hw]]) + np.array([box.centre_x, 0.0])
    x = tr.x[:, None] + local[None, :, 0] * c[:, None] - local[None, :, 1] * s[:, None]
    y = tr.y[:, None] + local[None, :, 0] * s[:, None] + local[None, :, 1] * c[:, None]
    return np.stack([x, y], axis=-1)


def _point_segments(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Smallest distance from each corner of ``p`` to each edge of ``q``, per time: shape (T,) [m]."""
    a, b = q, np.roll(q, -1, axis=1)  # (T, 4, 2) edges a->b
    ab = b - a
    ap = p[:, :, None, :] - a[:, None, :, :]  # (T, 4 points, 4 edges, 2)
    u = np.clip(np.sum(ap * ab[:, None], -1) / np.maximum(np.sum(ab * ab, -1)[:, None], 1e-12), 0.0, 1.0)
    d = ap - u[..., None] * ab[:, None]
    return np.sqrt(np.min(np.sum(d * d, -1), axis=(1, 2)))


def _overlap(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Whether two convex quadrilaterals overlap, per time (separating axes)."""
    hit = np.ones(p.shape[0], dtype=bool)
    for poly in (p, q):
        edges = np.roll(poly, -1, axis=1) - poly
        normals = np.stack([-edges[..., 1], edges[..., 0]], -1)  # (T, 4, 2)
        pp = np.einsum("tkd,tnd->tkn", normals, p)
        qq = np.einsum("tkd,tnd->tkn", normals, q)
        sep = (pp.max(-1) < qq.min(-1)) | (qq.max(-1) < pp.min(-1))
        hit &= ~sep.any(-1)
    return hit


def _resample(tr: Track, t: np.ndarray) -> Track:
    inside = (t >= tr.t[0]) & (t <= tr.t[-1])
    t = t[inside]
    yaw = np.interp(t, tr.t, np.unwrap(tr.yaw))
    return Track(
        tr.name, t, np.interp(t, tr.t, tr.x), np.interp(t, tr.t, tr.y), yaw, np.interp(t, tr.t, tr.speed)
    )


def entity_outcome(trace: Trace, name: str, boxes: dict[str, Box]) -> dict:
    """``{"collision": bool, "collision_with", "collision_t_s", "min_gap_m", "min_gap_with"}`` for
    ``name`` against every other entity of the trace whose box is known."""
    me = trace.tracks[name]
    out: dict = {"collision": False, "collision_with": None, "collision_t_s": None,
                 "min_gap_m": None, "min_gap_with": None}  # fmt: skip
    if name not in boxes:
        return out
    for other, tr in trace.tracks.items():
        if other == name or other not in boxes:
            continue
        o = _resample(tr, me.t)
        if not o.t.size:
            continue
        sel = (me.t >= o.t[0]) & (me.t <= o.t[-1])
        m = Track(name, me.t[sel], me.x[sel], me.y[sel], me.yaw[sel], me.speed[sel])
        p, q = _corners(m, boxes[name]), _corners(o, boxes[other])
        hit = _overlap(p, q)
        gap = np.where(hit, 0.0, np.minimum(_point_segments(p, q), _point_segments(q, p)))
        g = float(gap.min())
        if out["min_gap_m"] is None or g < out["min_gap_m"]:
            out["min_gap_m"], out["min_gap_with"] = round(g, 3), other
        if hit.any():
            t_hit = float(m.t[np.flatnonzero(hit)[0]])
            if out["collision_t_s"] is None or t_hit < out["collision_t_s"]:
                out.update(collision=True, collision_with=other, collision_t_s=t_hit)
    return out
