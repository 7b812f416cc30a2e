"""Top-down pictures of a network with OpenCV: lanes filled by type, road marks, road and lane ids.

Used by ``dil view`` and, with a view centred on the ego vehicle, by the bird's-eye sensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .network import RoadNetwork
from .sampling import LaneStrip, sample_lanes

MAX_SIDE = 16384
"""Largest image side drawn [px] (a 16384 x 16384 picture is 768 MiB)."""
MIN_SIDE = 16
MAX_ASPECT = 4.0
"""A network much wider than tall is drawn at most this many times wider than tall (the road a band
across the middle), so that the picture is never a strip."""

# BGR colours
LANE_COLOURS = {
    "driving": (90, 90, 90),
    "shoulder": (120, 120, 105),
    "sidewalk": (170, 170, 170),
    "biking": (90, 110, 160),
    "parking": (105, 95, 95),
    "border": (80, 100, 80),
    "median": (70, 120, 70),
    "curb": (160, 160, 160),
}
OTHER_LANE = (100, 100, 100)
BACKGROUND = (60, 95, 60)
MARK_COLOURS = {"standard": (235, 235, 235), "white": (235, 235, 235), "yellow": (40, 200, 240)}


@dataclass(frozen=True)
class View:
    """A world-to-pixel mapping: ``px = (x - x0) * scale``, ``py = (y0 - y) * scale``."""

    x0: float
    y0: float
    scale: float
    """Pixels per metre."""
    width: int
    height: int

    @staticmethod
    def fit(bounds: tuple[float, float, float, float], width: int = 1600, margin_m: float = 5.0) -> View:
        """The view of ``bounds`` (x_min, y_min, x_max, y_max) [m] ``width`` pixels wide, at least
        1/MAX_ASPECT as tall as wide; a tall network is drawn narrower so that neither side exceeds
        MAX_SIDE pixels."""
        if not MIN_SIDE <= width <= MAX_SIDE:
            raise ValueError(f"image width {width} px: must be within [{MIN_SIDE}, {MAX_SIDE}]")
        x_min, y_min, x_max, y_max = bounds
        span_x = x_max - x_min + 2 * margin_m
        span_y = y_max - y_min + 2 * margin_m
        if not (math.isfinite(span_x) and math.isfinite(span_y)):
            raise ValueError(f"the network's extent {bounds} is not finite")
        if span_x > MAX_ASPECT * span_y:  # a long straight: a band with room above and below
            y_mid = 0.5 * (y_min + y_max)
            y_min, y_max = (
                y_mid - 0.5 * span_x / MAX_ASPECT + margin_m,
                y_mid + 0.5 * span_x / MAX_ASPECT - margin_m,
            )
            span_y = span_x / MAX_ASPECT
        scale = width / span_x
        if span_y * scale > MAX_SIDE:
            scale = MAX_SIDE / span_y
            width = max(MIN_SIDE, round(span_x * scale))
        height = min(MAX_SIDE, max(64, round(span_y * scale)))
        return View(x_min - margin_m, y_max + margin_m, scale, width, height)

    def pixels(self, xy: np.ndarray) -> np.ndarray:
        """World points ``(n, 2+)`` to pixel coordinates ``(n, 2)`` (float)."""
        return np.stack([(xy[:, 0] - self.x0) * self.scale, (self.y0 - xy[:, 1]) * self.scale], axis=1)


class TopDown:
    """Draws a network; the lane polygons are sampled once."""

    def __init__(self, net: RoadNetwork, step: float = 1.0) -> None:
        self.net = net
        self.strips: list[LaneStrip] = sample_lanes(net, step)

    def draw(self, view: View, image: np.ndarray | None = None, *, ids: bool = False) -> np.ndarray:
        import cv2  # here, not at import: the world imports this module's colours, not OpenCV (50 ms)

        img = image if image is not None else np.full((view.height, view.width, 3), BACKGROUND, np.uint8)
        shift = 4  # sub-pixel precision for OpenCV's polygon drawing
        f = float(1 << shift)
        for st in self.strips:
            if st.lane == 0:
                continue
            poly = np.concatenate([st.inner[:, :2], st.outer[::-1, :2]])
            pts = np.round(view.pixels(poly) * f).astype(np.int32)
            cv2.fillPoly(img, [pts], LANE_COLOURS.get(st.type, OTHER_LANE), cv2.LINE_AA, shift)
        for st in self.strips:
            if st.mark == "none":
                continue
            line = st.outer[:, :2] if st.lane != 0 else st.centre[:, :2]
            pts = np.round(view.pixels(line) * f).astype(np.int32)
            colour = MARK_COLOURS.get(st.mark_color, MARK_COLOURS["standard"])
            thickness = max(1, round(0.15 * view.scale))
            if "broken" in st.mark:
                for a in range(0, len(pts) - 1, 6):  # 3 m dash, 3 m gap at 1 m sampling
                    cv2.polylines(img, [pts[a : a + 4]], False, colour, thickness, cv2.LINE_AA, shift)
            else:
                cv2.polylines(img, [pts], False, colour, thickness, cv2.LINE_AA, shift)
        if ids:
            self._ids(view, img)
        return img

    def _ids(self, view: View, img: np.ndarray) -> None:
        """Road ids (roads outside junctions first) and lane ids where a lane is wide enough to hold
        its number; a label that would overlap one already drawn is left out."""
        placed: list[tuple[int, int, int, int]] = []
        size = _font_scale(view)
        roads = sorted(self.net.roads, key=lambda r: r.junction not in ("-1", -1))
        for road in roads:
            x, y, _, _ = self.net.road_to_world(road.id, road.length / 2)
            px, py = view.pixels(np.array([[x, y]]))[0]
            _label(img, f"road {road.id}", (int(px) + 4, int(py) - 4), size, (255, 255, 255), placed)
        lane_px = 3.0 * view.scale
        if lane_px < 12:  # lanes too narrow on this picture for their numbers
            return
        junction_roads = {r.id for r in self.net.roads if r.junction not in ("-1", -1)}
        for st in self.strips:
            if st.lane == 0 or st.section != 0 or st.road in junction_roads:
                continue
            mid = st.centre[len(st.centre) // 3]
            px, py = view.pixels(mid[None, :2])[0]
            _label(img, str(st.lane), (int(px) - 4, int(py) + 4), 0.8 * size, (40, 220, 255), placed)


def _font_scale(view: View) -> float:
    """OpenCV font scale for labels: legible on small pictures, not huge on large ones."""
    return float(np.clip(max(view.width, view.height) / 2400.0, 0.45, 1.2))


def _label(
    img: np.ndarray,
    text: str,
    at: tuple[int, int],
    size: float,
    colour: tuple[int, int, int],
    placed: list[tuple[int, int, int, int]],
) -> bool:
    """Draw ``text`` with a dark outline at pixel ``at`` (bottom left) unless it overlaps a label
    in ``placed`` (boxes x0, y0, x1, y1); True when drawn."""
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX
    thick = max(1, round(2 * size))
    (w, h), base = cv2.getTextSize(text, font, size, thick)
    x, y = at
    box = (x - 2, y - h - 2, x + w + 2, y + base + 2)
    if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
        return False
    placed.append(box)
    cv2.putText(img, text, (x, y), font, size, (20, 20, 20), thick + 2, cv2.LINE_AA)
    cv2.putText(img, text, (x, y), font, size, colour, thick, cv2.LINE_AA)
    return True


def scale_bar_m(view: View) -> float:
    """The scale bar's length [m]: 1, 2 or 5 times a power of ten, about a fifth of the width."""
    target = view.width / view.scale / 5.0
    power = 10.0 ** math.floor(math.log10(target))
    return max(m * power for m in (1.0, 2.0, 5.0) if m * power <= target)


def draw_scale_bar(view: View, img: np.ndarray) -> float:
    """A scale bar in the bottom-left corner, labelled in metres; returns its length [m]."""
    import cv2

    metres = scale_bar_m(view)
    size = _font_scale(view)
    length = round(metres * view.scale)
    thick = max(3, round(4 * size))
    x0, y0 = 12, view.height - 14
    cv2.line(img, (x0, y0), (x0 + length, y0), (20, 20, 20), thick + 4)
    cv2.line(img, (x0, y0), (x0 + length, y0), (255, 255, 255), thick)
    text = f"{metres:g} m"
    _label(img, text, (x0, y0 - thick - 6), size, (255, 255, 255), [])
    return metres


def render_png(net: RoadNetwork, path: str, width: int = 1600) -> tuple[int, int]:
    """Write the whole network as a PNG; returns its size."""
    view = View.fit(net.bounds(), width)
    img = TopDown(net).draw(view, ids=True)
    draw_scale_bar(view, img)
    import cv2

    if not cv2.imwrite(path, img):
        raise OSError(f"cannot write {path}")
    return img.shape[1], img.shape[0]
