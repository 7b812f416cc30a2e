"""Optical flow (``sensor.camera.optical_flow``) and surface normals (``sensor.camera.normals``) cameras,
from the depth camera's ray cast per pixel (``sensor_raycast``: boxes and a ground plane; OpenDRIVE
frame, m, rad).

Optical flow body (CARLA's ``OpticalFlowImage``): ``u32 width, u32 height, f32 fov`` then two float32
per pixel, the pixel's motion since the previous capture in image widths (x, to the right) and image
heights (y, down), as CARLA encodes it (``get_color_coded_flow`` draws it). Approximation: the point
a pixel sees is moved back with the body it lies on (its pose at the previous capture; the ground and
the sky stand still, the sky 1000 m away) and projected through the camera's previous pose; the flow
is the pixel's position now minus there. A camera and a scene that do not move give 0 everywhere;
the first capture, and the first after nobody listened for a while, give 0 (so does a flow under
``FLOW_ROUNDING``).

Normals body: a BGRA8 image whose R, G, B hold the surface normal's x, y, z in CARLA's world frame
(y to the right) as ``(n + 1) / 2 * 255``: the ground (0, 0, 1), a box its face's normal; the sky 0.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .layouts import IMAGE_HEADER
from .sensor_raycast import B_HEIGHT, B_LENGTH, B_WIDTH, B_X, B_Y, B_YAW, B_Z, HIT_GROUND, HIT_NONE

P_X, P_Y, P_Z, P_YAW = 0, 1, 2, 3
"""Columns of a pose row: position [m], heading [rad]."""
FLOW_ROUNDING = 1e-9
"""Flow below this (image sizes) is the round trip's rounding of a still point: reported as 0."""


@njit(cache=True)
def flow_kernel(origin, dirs, dist, hit, boxes, prev_poses, prev_origin, prev_axes, focal, size, out):
    """``out[i] = (du / width, dv / height)`` of pixel i (row-major) against the previous capture.
    ``prev_poses[j]`` is box j's pose then; ``prev_axes`` rows are the camera's right, down and forward
    axes then; ``size``: width and height [px]."""
    width, height = size
    for i in range(dirs.shape[0]):
        px = origin[0] + dist[i] * dirs[i, 0]
        py = origin[1] + dist[i] * dirs[i, 1]
        pz = origin[2] + dist[i] * dirs[i, 2]
        j = hit[i]
        if j >= 0:
            b = boxes[j]
            c, s = math.cos(b[B_YAW]), math.sin(b[B_YAW])
            dx, dy, dz = px - b[B_X], py - b[B_Y], pz - b[B_Z]
            lx, ly = c * dx + s * dy, -s * dx + c * dy
            q = prev_poses[j]
            c2, s2 = math.cos(q[P_YAW]), math.sin(q[P_YAW])
            px, py, pz = q[P_X] + c2 * lx - s2 * ly, q[P_Y] + s2 * lx + c2 * ly, q[P_Z] + dz
        rx, ry, rz = px - prev_origin[0], py - prev_origin[1], pz - prev_origin[2]
        cx = prev_axes[0, 0] * rx + prev_axes[0, 1] * ry + prev_axes[0, 2] * rz
        cy = prev_axes[1, 0] * rx + prev_axes[1, 1] * ry + prev_axes[1, 2] * rz
        cz = prev_axes[2, 0] * rx + prev_axes[2, 1] * ry + prev_axes[2, 2] * rz
        if cz <= 1e-6:
            out[i, 0] = 0.0
            out[i, 1] = 0.0
            continue
        u = i % width + 0.5
        v = i // width + 0.5
        fx = (u - (focal * cx / cz + 0.5 * width)) / width
        fy = (v - (focal * cy / cz + 0.5 * height)) / height
        out[i, 0] = fx if abs(fx) > FLOW_ROUNDING else 0.0
        out[i, 1] = fy if abs(fy) > FLOW_ROUNDING else 0.0


@njit(cache=True)
def normals_kernel(origin, dirs, dist, hit, boxes, out):
    """Unit surface normal (OpenDRIVE frame) at each ray's hit: up on the ground, the face's normal on
    a box, 0 where nothing is hit."""
    for i in range(dirs.shape[0]):
        j = hit[i]
        out[i, 0] = 0.0
        out[i, 1] = 0.0
        out[i, 2] = 0.0
        if j == HIT_GROUND:
            out[i, 2] = 1.0
        elif j >= 0:
            b = boxes[j]
            c, s = math.cos(b[B_YAW]), math.sin(b[B_YAW])
            dx = origin[0] + dist[i] * dirs[i, 0] - b[B_X]
            dy = origin[1] + dist[i] * dirs[i, 1] - b[B_Y]
            dz = origin[2] + dist[i] * dirs[i, 2] - b[B_Z]
            a = (c * dx + s * dy) / (0.5 * b[B_LENGTH])
            w = (-s * dx + c * dy) / (0.5 * b[B_WIDTH])
            h = (dz - 0.5 * b[B_HEIGHT]) / (0.5 * b[B_HEIGHT])
            if abs(h) >= abs(a) and abs(h) >= abs(w):
                out[i, 2] = 1.0 if h > 0 else -1.0
            elif abs(a) >= abs(w):
                sign = 1.0 if a > 0 else -1.0
                out[i, 0], out[i, 1] = sign * c, sign * s
            else:
                sign = 1.0 if w > 0 else -1.0
                out[i, 0], out[i, 1] = -sign * s, sign * c


class FlowState:
    """An optical flow camera's previous pose and the bodies' poses at its previous capture."""

    def __init__(self) -> None:
        self.prev_origin: np.ndarray | None = None
        self.prev_axes: np.ndarray | None = None
        self.prev_poses: dict[int, tuple[float, float, float, float]] = {}

    def body(
        self,
        origin: np.ndarray,
        cam_axes: np.ndarray,
        dirs: np.ndarray,
        dist: np.ndarray,
        hit: np.ndarray,
        boxes: np.ndarray,
        ids: np.ndarray,
        size: tuple[int, int, float],
    ) -> bytes:
        """The capture's body; ``cam_axes`` rows: right, down, forward; ``size``: width, height, fov."""
        width, height, fov = size
        flow = np.zeros((width * height, 2), np.float32)
        now = {
            int(i): (float(b[B_X]), float(b[B_Y]), float(b[B_Z]), float(b[B_YAW]))
            for i, b in zip(ids, boxes, strict=True)
        }
        if self.prev_origin is not None and self.prev_axes is not None:
            prev = np.array([self.prev_poses.get(i, now[i]) for i in now], dtype=float).reshape(len(now), 4)
            focal = 0.5 * width / math.tan(math.radians(fov) / 2.0)
            prev_cam = (self.prev_origin, self.prev_axes)
            flow_kernel(origin, dirs, dist, hit, boxes, prev, *prev_cam, focal, (width, height), flow)
        self.prev_origin, self.prev_axes, self.prev_poses = origin.copy(), cam_axes.copy(), now
        return IMAGE_HEADER.pack(width, height, fov) + flow.tobytes()


def normals_body(
    origin: np.ndarray,
    dirs: np.ndarray,
    dist: np.ndarray,
    hit: np.ndarray,
    boxes: np.ndarray,
    size: tuple[int, int, float],
) -> bytes:
    """A normals camera's BGRA8 body (``size``: width, height, fov)."""
    width, height, fov = size
    n = np.empty((width * height, 3))
    normals_kernel(origin, dirs, dist, hit, boxes, n)
    n[:, 1] = -n[:, 1]  # CARLA's y points right
    rgb = np.rint((n + 1.0) * 127.5).astype(np.uint8)
    rgb[hit == HIT_NONE] = 0
    bgra = np.empty((height, width, 4), np.uint8)
    bgra[..., 0] = rgb[:, 2].reshape(height, width)
    bgra[..., 1] = rgb[:, 1].reshape(height, width)
    bgra[..., 2] = rgb[:, 0].reshape(height, width)
    bgra[..., 3] = 255
    return IMAGE_HEADER.pack(width, height, fov) + bgra.tobytes()
