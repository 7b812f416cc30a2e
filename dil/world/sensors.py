"""Sensors of the embedded world: each turns the world's state into the fields of its ``sensor/<name>``
message (see ``docs/messages.md``, section Sensors)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from dil.bus.values import (
    OBJ_HEIGHT,
    OBJ_ID,
    OBJ_KIND,
    OBJ_LENGTH,
    OBJ_SIZE,
    OBJ_SPEED,
    OBJ_WIDTH,
    OBJ_X,
    OBJ_Y,
    OBJ_YAW,
    LaneSet,
    ObjectSet,
)
from dil.road.network import RoadNetwork
from dil.road.render import BACKGROUND, TopDown, View
from dil.road.sampling import sample_lanes

from .actors import A_ALIVE, A_KIND, A_LENGTH, A_WIDTH, A_X, A_Y, A_YAW, EGO, ActorKind
from .camera import ACTOR_COLOURS, Camera, CameraSpec
from .sensor_kernels import (
    O_DYAW,
    O_HEIGHT,
    O_ID,
    O_KIND,
    O_LENGTH,
    O_SIZE,
    O_SPEED,
    O_WIDTH,
    O_X,
    O_Y,
    measure_lanes,
    measure_objects,
)

_LABELS = {int(k): k.label for k in ActorKind}
"""Actor kind code -> its label in messages."""

# the kernel's rows are the typed value's rows (the heading wrapped once made)
assert (O_ID, O_KIND, O_X, O_Y, O_DYAW, O_SPEED, O_LENGTH, O_WIDTH, O_HEIGHT, O_SIZE) == (
    OBJ_ID, OBJ_KIND, OBJ_X, OBJ_Y, OBJ_YAW, OBJ_SPEED, OBJ_LENGTH, OBJ_WIDTH, OBJ_HEIGHT, OBJ_SIZE
)  # fmt: skip


class Sensor(Protocol):
    name: str
    kind: str
    rate_hz: float

    def measure(self, actors: np.ndarray, n: int) -> dict[str, Any]:
        """The message fields for the actor rows ``actors[:n]`` (row 0 is the ego vehicle)."""

    # optional: ``checked``, True when the last ``measure`` made fields known to pass the topic's schema
    # (numbers checked in one kernel): readers in this process take them as they are


def _to_ego(ego: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c, s = math.cos(ego[A_YAW]), math.sin(ego[A_YAW])
    dx, dy = x - ego[A_X], y - ego[A_Y]
    return dx * c + dy * s, -dx * s + dy * c


@dataclass
class ObjectList:
    """Ground truth of every live actor within ``range_m`` of the ego, in the ego's frame."""

    name: str = "objects"
    rate_hz: float = 20.0
    range_m: float = 120.0
    kind: str = field(default="objects", init=False)

    def __post_init__(self) -> None:
        self._rows = np.zeros((64, O_SIZE))
        self.checked = False
        """The last message's numbers are valid (see :class:`Sensor`)."""

    def measure(self, actors: np.ndarray, n: int) -> dict[str, Any]:
        return self.measure_value(actors, n).fields()

    def measure_value(self, actors: np.ndarray, n: int) -> ObjectSet:
        """The measurement as a typed value (its :meth:`~dil.bus.values.ObjectSet.fields` are what
        :meth:`measure` returns): in-process readers take the array, no records are made."""
        m = measure_objects(actors, n, self.range_m, self.rows_for(n))  # one call: rows, check, headings
        return self.value_of(m)

    def rows_for(self, n: int) -> np.ndarray:
        """The rows that :func:`~dil.world.sensor_kernels.measure_objects` fills for ``n`` actors (a
        caller that measures in a larger kernel, then takes :meth:`value_of` its result)."""
        if self._rows.shape[0] < n:
            self._rows = np.zeros((2 * n, O_SIZE))
        return self._rows

    def value_of(self, m: int) -> ObjectSet:
        """The measurement whose rows ``measure_objects`` just wrote into :meth:`rows_for`'s array and
        whose result it returned (``m``, or ``-1 - m`` with a number not valid)."""
        self.checked = m >= 0
        return ObjectSet(self._rows[: m if m >= 0 else -1 - m].copy(), _LABELS)


class _LaneTable:
    """A network's lane centre lines (all but centre lanes) ``step`` metres apart, in runs of ``chunk``
    points with their bounding boxes [m], for :func:`lane_points_in_range` (read only)."""

    def __init__(self, net: RoadNetwork, step: float, chunk: int) -> None:
        self.strips = [s for s in sample_lanes(net, step) if s.lane != 0]
        rows = []
        first = 0
        for k, st in enumerate(self.strips):
            xy = st.centre[:, :2]
            for lo in range(0, len(xy), chunk):
                part = xy[lo : lo + chunk]
                rows.append((k, first + lo, first + lo + len(part), *part.min(axis=0), *part.max(axis=0)))
            first += len(xy)
        table = np.array(rows, dtype=np.float64).reshape(-1, 7)
        self.chunk_strip = table[:, 0].astype(np.int64)
        self.chunk_span = table[:, 1:3].astype(np.int64)
        self.boxes = np.ascontiguousarray(table[:, 3:])
        self.xy = np.ascontiguousarray(
            np.concatenate([st.centre[:, :2] for st in self.strips]) if self.strips else np.zeros((0, 2))
        )
        for a in (self.chunk_strip, self.chunk_span, self.boxes, self.xy):
            a.flags.writeable = False


class LaneGeometry:
    """Lane centre lines within ``range_m`` of the ego, in the ego's frame, ``step`` metres apart."""

    kind = "lanes"

    def __init__(
        self,
        net: RoadNetwork,
        name: str = "lanes",
        rate_hz: float = 10.0,
        range_m: float = 80.0,
        step: float = 2.0,
    ) -> None:
        self.name = name
        self.rate_hz = rate_hz
        self.range_m = range_m
        # made once per network and step: a campaign worker's kept network hands them to every run
        lanes = net.kept(("lane sensor", step, self.CHUNK), lambda: _LaneTable(net, step, self.CHUNK))
        self.strips = lanes.strips
        self._chunk_strip, self._chunk_span, self._boxes, self._xy = (
            lanes.chunk_strip,
            lanes.chunk_span,
            lanes.boxes,
            lanes.xy,
        )
        self._about = [(st.road, st.lane, st.type) for st in self.strips]
        """Each strip's road id, lane id and lane type."""
        self._points = np.zeros((len(self._xy), 2))
        self._runs = np.zeros((len(self.strips), 3), dtype=np.int64)
        self._work = np.zeros(2 * len(self.strips) + 1, dtype=np.int64)
        """Each run's end row, then the strips in range at the last measurement (their count, -1: none
        yet, then them): see :func:`~dil.world.sensor_kernels.measure_lanes`."""
        self._work[len(self.strips)] = -1
        self._ends = self._work[: len(self.strips)]
        self._picked: tuple[tuple, ...] = ((), (), ())
        """The road ids, lane ids and lane types of the strips in range at the last measurement."""
        self.checked = False
        """The last message's numbers are valid (see :class:`Sensor`)."""

    CHUNK = 16
    """Points per run of a lane strip whose bounding box is checked against the range."""

    def measure(self, actors: np.ndarray, n: int) -> dict[str, Any]:
        return self.measure_value(actors, n).fields()

    def warm_up(self, actors: np.ndarray) -> None:
        """Load (or compile) the measurement's kernel for actor tables like ``actors``, on copies of
        the sensor's buffers: nothing changes."""
        measure_lanes(
            self._boxes, self._chunk_strip, self._chunk_span, self._xy, actors, self.range_m,
            self._points.copy(), self._runs.copy(), self._work.copy(),
        )  # fmt: skip

    def measure_value(self, actors: np.ndarray, n: int) -> LaneSet:
        """The measurement as a typed value (its :meth:`~dil.bus.values.LaneSet.fields` are what
        :meth:`measure` returns): in-process readers take the arrays, no lists are made."""
        m, end, self.checked, changed = measure_lanes(
            self._boxes, self._chunk_strip, self._chunk_span, self._xy, actors, self.range_m, self._points,
            self._runs, self._work,
        )  # fmt: skip
        if changed:  # other strips in range than last time: their ids taken again
            picked = [self._about[k] for k in self._runs[:m, 0].tolist()]
            self._picked = tuple(zip(*picked, strict=True)) if picked else ((), (), ())
        roads, lanes, types = self._picked
        return LaneSet(roads, lanes, types, self._points[:end].copy(), self._ends[:m].copy())


class _Image:
    frame_id: int

    def _image_fields(self, img: np.ndarray) -> dict[str, Any]:
        fields = {
            "frame_id": self.frame_id,
            "width": int(img.shape[1]),
            "height": int(img.shape[0]),
            "encoding": "bgr8",
            "data": img.tobytes(),
        }
        self.frame_id += 1
        return fields


class CameraSensor(_Image):
    kind = "camera"

    def __init__(
        self,
        net: RoadNetwork | None,
        name: str = "front",
        rate_hz: float = 20.0,
        spec: CameraSpec | None = None,
    ) -> None:
        self.name = name
        self.rate_hz = rate_hz
        self.spec = spec or CameraSpec()
        self.camera = Camera(net, self.spec)
        self.frame_id = 0

    def measure(self, actors: np.ndarray, n: int) -> dict[str, Any]:
        s = self.spec
        return {
            **self._image_fields(self.camera.render(actors, n)),
            "fov_deg": s.fov_deg,
            "mount": list(s.mount),
            "pitch_deg": s.pitch_deg,
            "yaw_deg": s.yaw_deg,
        }


class BirdsEye(_Image):
    """A square raster around the ego, its heading up: the network is drawn once at ``resolution``
    metres per pixel, each frame is a rotated crop of it, with the actors drawn on top."""

    kind = "bev"

    def __init__(
        self,
        net: RoadNetwork,
        name: str = "bev",
        rate_hz: float = 10.0,
        size_px: int = 256,
        resolution: float = 0.25,
    ) -> None:
        self.name = name
        self.rate_hz = rate_hz
        self.size = size_px
        self.resolution = resolution
        half = size_px * resolution
        x0, y0, x1, y1 = net.bounds()
        width = math.ceil((x1 - x0 + 2 * half) / resolution)
        self.view = View(
            x0 - half, y1 + half, 1.0 / resolution, width, math.ceil((y1 - y0 + 2 * half) / resolution)
        )
        self.map = TopDown(net).draw(self.view)
        self.image = np.zeros((size_px, size_px, 3), np.uint8)
        self.frame_id = 0

    def measure(self, actors: np.ndarray, n: int) -> dict[str, Any]:
        import cv2  # here, not at import: runs without a camera never load OpenCV (50 ms)

        ego = actors[EGO]
        ((px, py),) = self.view.pixels(np.array([[ego[A_X], ego[A_Y]]]))
        # rotate about the ego so that its heading points up, then move it to the image centre
        angle = 90.0 - math.degrees(ego[A_YAW])
        m = cv2.getRotationMatrix2D((float(px), float(py)), angle, 1.0)
        m[0, 2] += self.size / 2 - px
        m[1, 2] += self.size / 2 - py
        cv2.warpAffine(
            self.map,
            m,
            (self.size, self.size),
            self.image,
            cv2.INTER_NEAREST,
            cv2.BORDER_CONSTANT,
            BACKGROUND,
        )
        scale = 1.0 / self.resolution
        for i in range(n):
            a = actors[i]
            if a[A_ALIVE] < 0.5:
                continue
            xs, ys = _to_ego(ego, np.array([a[A_X]]), np.array([a[A_Y]]))
            c = (self.size / 2 - ys[0] * scale, self.size / 2 - xs[0] * scale)
            rel = math.degrees(a[A_YAW] - ego[A_YAW])
            box = cv2.boxPoints((c, (a[A_WIDTH] * scale, a[A_LENGTH] * scale), -rel))
            colour = (255, 255, 255) if i == EGO else ACTOR_COLOURS.get(int(a[A_KIND]), (120, 120, 120))
            cv2.fillConvexPoly(self.image, np.round(box).astype(np.int32), colour)
        return {**self._image_fields(self.image), "metres_per_pixel": self.resolution}
