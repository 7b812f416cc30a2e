"""A pinhole camera rendered with OpenCV: sky and ground, the road surface by lane type, road marks,
and actors as shaded boxes (painter's order). The driver's view when no CARLA is attached, and a
camera for AI stacks.

Frames: the camera sits on the ego vehicle at ``mount`` (x forward, y left, z up from the
bounding-box centre on the ground, and pitch down positive); its image has u to the right and v
down, with the principal point at the image centre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dil.road.network import RoadNetwork
from dil.road.render import LANE_COLOURS, MARK_COLOURS, OTHER_LANE
from dil.road.sampling import sample_lanes

from .actors import A_ALIVE, A_HEIGHT, A_KIND, A_LENGTH, A_WIDTH, A_X, A_Y, A_YAW, A_Z, EGO

SKY = (235, 206, 135)  # BGR
GROUND = (70, 110, 70)
ACTOR_COLOURS = {0: (40, 40, 200), 1: (40, 160, 230), 2: (200, 120, 40), 3: (80, 80, 80)}
"""By actor kind: vehicle, pedestrian, cyclist, object."""
TAG_SKY, TAG_GROUND, TAG_ROAD, TAG_SIDEWALK, TAG_ROAD_LINE = 11, 25, 1, 2, 24
"""Semantic classes (CARLA's CityScapes-based tags) of what :meth:`Camera.render` draws with ``semantic``."""
NEAR_M = 0.1
"""Near plane [m]: road polygons reaching behind it are cut there."""
KIND_TAGS = {0: 14, 1: 12, 2: 19, 3: 20}
"""Semantic class by actor kind: car, pedestrian, bicycle, static."""


@dataclass(frozen=True)
class CameraSpec:
    width: int = 640
    height: int = 360
    fov_deg: float = 90.0
    """Horizontal field of view."""
    mount: tuple[float, float, float] = (0.2, 0.0, 1.3)
    """Position on the vehicle [m]: forward, left, up from the box centre on the ground."""
    pitch_deg: float = 0.0
    """Pitch down, positive looks at the road."""
    yaw_deg: float = 0.0
    """Yaw to the left (180 for a rear view)."""
    range_m: float = 150.0

    @property
    def focal(self) -> float:
        """Focal length [px]."""
        return 0.5 * self.width / math.tan(math.radians(self.fov_deg) / 2.0)


class Camera:
    """Renders frames of one camera; the road is sampled into quads once."""

    def __init__(self, net: RoadNetwork | None, spec: CameraSpec | None = None, step: float = 2.0) -> None:
        spec = spec or CameraSpec()
        self.spec = spec
        self.image = np.zeros((spec.height, spec.width, 3), np.uint8)
        quads, colours, marks, mark_colours, tags = [], [], [], [], []
        if net is not None:
            for st in sample_lanes(net, step):
                if st.lane != 0:
                    q = np.stack([st.inner[:-1], st.inner[1:], st.outer[1:], st.outer[:-1]], axis=1)
                    quads.append(q)
                    colours += [LANE_COLOURS.get(st.type, OTHER_LANE)] * len(q)
                    tags += [TAG_SIDEWALK if st.type == "sidewalk" else TAG_ROAD] * len(q)
                if st.mark != "none":
                    line = st.outer if st.lane != 0 else st.centre
                    seg = np.stack([line[:-1], line[1:]], axis=1)
                    if "broken" in st.mark:
                        seg = seg[::2]
                    marks.append(seg)
                    mark_colours += [MARK_COLOURS.get(st.mark_color, MARK_COLOURS["standard"])] * len(seg)
        self.quads = np.concatenate(quads) if quads else np.zeros((0, 4, 3))
        self._quad_colour = np.array(colours, dtype=np.int64).reshape(-1, 3)
        self._palette, self._quad_group = (
            np.unique(self._quad_colour, axis=0, return_inverse=True)
            if len(colours)
            else (np.zeros((0, 3), np.int64), np.zeros(0, np.int64))
        )
        self._tag_palette, self._quad_tag_group = (
            np.unique(np.array(tags, dtype=np.int64), return_inverse=True)
            if len(tags)
            else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        )
        self.marks = np.concatenate(marks) if marks else np.zeros((0, 2, 3))
        self._mark_colour = np.array(mark_colours, dtype=np.int64).reshape(-1, 3)
        self._centres = self.quads.mean(axis=1)[:, :2] if len(self.quads) else np.zeros((0, 2))

    def pose(self, ego: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World rotation (rows: camera right, down, forward axes) and position of the camera."""
        s = self.spec
        yaw = ego[A_YAW] + math.radians(s.yaw_deg)
        c, sn = math.cos(ego[A_YAW]), math.sin(ego[A_YAW])
        pos = np.array(
            [
                ego[A_X] + c * s.mount[0] - sn * s.mount[1],
                ego[A_Y] + sn * s.mount[0] + c * s.mount[1],
                ego[A_Z] + s.mount[2],
            ]
        )
        p = math.radians(s.pitch_deg)
        fwd = np.array([math.cos(yaw) * math.cos(p), math.sin(yaw) * math.cos(p), -math.sin(p)])
        right = np.array([math.sin(yaw), -math.cos(yaw), 0.0])
        down = np.cross(fwd, right)
        return np.stack([right, down, fwd]), pos

    def project(self, points: np.ndarray, rot: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates and depth of world points ``(..., 3)``."""
        cam = (points - pos) @ rot.T
        z = cam[..., 2]
        f = self.spec.focal
        safe = np.where(z > 1e-6, z, 1e-6)
        u = 0.5 * self.spec.width + f * cam[..., 0] / safe
        v = 0.5 * self.spec.height + f * cam[..., 1] / safe
        return np.stack([u, v], axis=-1), z

    def _clipped(self, quad: np.ndarray, rot: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Pixel outline of a world polygon cut at the near plane (``NEAR_M`` ahead of the camera)."""
        cam = (quad - pos) @ rot.T
        kept = []
        for k in range(len(cam)):
            p, q = cam[k], cam[(k + 1) % len(cam)]
            if p[2] > NEAR_M:
                kept.append(p)
            if (p[2] > NEAR_M) != (q[2] > NEAR_M):
                kept.append(p + (q - p) * (NEAR_M - p[2]) / (q[2] - p[2]))
        c = np.array(kept)
        f = self.spec.focal
        return np.stack(
            [0.5 * self.spec.width + f * c[:, 0] / c[:, 2], 0.5 * self.spec.height + f * c[:, 1] / c[:, 2]],
            axis=1,
        )

    def render(
        self, actors: np.ndarray, n_actors: int, semantic: bool = False, instances: np.ndarray | None = None
    ) -> np.ndarray:
        """A frame for the actor rows ``actors[:n_actors]`` (row 0 carries the camera). ``semantic``:
        flat colours (0, 0, tag) in BGR, the semantic class in the red channel, without blending;
        with ``instances`` (an id per actor row) an actor's id is in blue (high byte) and green (low)."""
        import cv2  # here, not at import: a run without a camera never loads OpenCV (50 ms)

        s = self.spec
        img = self.image
        rot, pos = self.pose(actors[EGO])
        horizon = 0.5 * s.height - s.focal * math.tan(math.radians(s.pitch_deg))
        h = int(min(max(round(horizon), 0), s.height))
        img[:h] = (0, 0, TAG_SKY) if semantic else SKY
        img[h:] = (0, 0, TAG_GROUND) if semantic else GROUND
        shift = 4
        scale = float(1 << shift)
        if len(self.quads):
            near = np.einsum(
                "ij,ij->i", self._centres - pos[:2], np.tile(rot[2, :2], (len(self._centres), 1))
            )
            d2 = ((self._centres - pos[:2]) ** 2).sum(axis=1)
            keep = np.nonzero((near > -5.0) & (d2 < s.range_m**2))[0]
            uv, z = self.project(self.quads[keep], rot, pos)
            visible = (z > NEAR_M).all(axis=1)
            straddle = keep[(z > NEAR_M).any(axis=1) & ~visible]
            uv, idx = uv[visible], keep[visible]
            pts = np.round(uv * scale).astype(np.int32)
            groups = (self._quad_tag_group if semantic else self._quad_group)[idx]
            cut_groups = (self._quad_tag_group if semantic else self._quad_group)[straddle]
            cut = [
                np.round(self._clipped(q, rot, pos) * scale).astype(np.int32) for q in self.quads[straddle]
            ]
            palette = [(0, 0, t) for t in self._tag_palette] if semantic else self._palette
            for g, colour in enumerate(palette):
                sel = list(pts[groups == g]) + [c for c, cg in zip(cut, cut_groups, strict=True) if cg == g]
                if sel:
                    cv2.fillPoly(img, sel, tuple(int(c) for c in colour), cv2.LINE_8, shift)
        if len(self.marks):
            mid = self.marks.mean(axis=1)[:, :2]
            d2 = ((mid - pos[:2]) ** 2).sum(axis=1)
            keep = np.nonzero(d2 < (0.5 * s.range_m) ** 2)[0]
            uv, z = self.project(self.marks[keep], rot, pos)
            ok = (z > 0.1).all(axis=1)
            pts = np.round(uv[ok] * scale).astype(np.int32)
            if len(pts):
                if semantic:
                    cv2.polylines(img, list(pts), False, (0, 0, TAG_ROAD_LINE), 1, cv2.LINE_8, shift)
                else:
                    cv2.polylines(img, list(pts), False, MARK_COLOURS["standard"], 1, cv2.LINE_AA, shift)
        self._draw_actors(img, actors, n_actors, rot, pos, shift, semantic, instances)
        return img

    def _draw_actors(
        self,
        img: np.ndarray,
        actors: np.ndarray,
        n: int,
        rot: np.ndarray,
        pos: np.ndarray,
        shift: int,
        semantic: bool = False,
        instances: np.ndarray | None = None,
    ) -> None:
        import cv2

        scale = float(1 << shift)
        order = []
        for i in range(1, n):
            a = actors[i]
            if a[A_ALIVE] < 0.5:
                continue
            d = math.hypot(a[A_X] - pos[0], a[A_Y] - pos[1])
            if d < self.spec.range_m:
                order.append((d, i))
        light = np.array([0.4, 0.3, 0.87])
        for _, i in sorted(order, reverse=True):  # far to near
            a = actors[i]
            c, sn = math.cos(a[A_YAW]), math.sin(a[A_YAW])
            hl, hw, ht = 0.5 * a[A_LENGTH], 0.5 * a[A_WIDTH], a[A_HEIGHT]
            corners = np.array(
                [
                    [dx * hl, dy * hw, dz]
                    for dz in (0.0, ht)
                    for dx, dy in ((1, 1), (1, -1), (-1, -1), (-1, 1))
                ]
            )
            world = np.empty_like(corners)
            world[:, 0] = a[A_X] + c * corners[:, 0] - sn * corners[:, 1]
            world[:, 1] = a[A_Y] + sn * corners[:, 0] + c * corners[:, 1]
            world[:, 2] = a[A_Z] + corners[:, 2]
            uv, z = self.project(world, rot, pos)
            if (z < 0.1).any():
                continue
            base = np.array(ACTOR_COLOURS.get(int(a[A_KIND]), (120, 120, 120)), dtype=float)
            faces = ((0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7), (4, 5, 6, 7))
            normals = ((c, sn, 0.0), (sn, -c, 0.0), (-c, -sn, 0.0), (-sn, c, 0.0), (0.0, 0.0, 1.0))
            for face, nrm in zip(faces, normals, strict=True):
                n_vec = np.array(nrm)
                to_cam = pos - world[list(face)].mean(axis=0)
                if n_vec @ to_cam <= 0.0:
                    continue  # back face
                pts = np.round(uv[list(face)] * scale).astype(np.int32)
                if semantic:
                    key = int(instances[i]) if instances is not None else 0
                    flat = (key >> 8 & 0xFF, key & 0xFF, KIND_TAGS.get(int(a[A_KIND]), 20))
                    cv2.fillConvexPoly(img, pts, flat, cv2.LINE_8, shift)
                    continue
                shade = 0.45 + 0.55 * max(0.0, float(n_vec @ light))
                cv2.fillConvexPoly(img, pts, tuple(int(v) for v in base * shade), cv2.LINE_AA, shift)
