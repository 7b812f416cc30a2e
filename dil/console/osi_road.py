"""The road of an ASAM OSI ground-truth trace in the shape of ``/api/road`` (:mod:`dil.console.roads`),
so that the scene view draws it as it draws an OpenDRIVE network: each lane with both boundaries
filled between them, each lane boundary as a mark. Taken from the trace's first GroundTruth that
has lanes (OSI sends the static road once or repeats it unchanged). Metres, world frame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcap.records import Schema
from mcap.stream_reader import StreamReader

_LINE = {2: "none", 3: "solid", 4: "broken", 5: "botts dots"}
"""OSI LaneBoundary.Classification.Type to a road mark; edges, curbs and barriers are drawn solid."""
_LANE = {2: "driving", 3: "shoulder", 4: "driving"}
"""OSI Lane.Classification.Type to the road JSON's lane type."""


def is_osi_mcap(path: Path) -> bool:
    """An MCAP file whose schemas include OSI's (``osi3.*``): a trace, not another tool's export."""
    try:
        with path.open("rb") as f:
            for i, rec in enumerate(StreamReader(f).records):
                if isinstance(rec, Schema) and rec.name.startswith("osi3."):
                    return True
                if i > 50:
                    return False
    except Exception:  # not MCAP, or damaged: not a trace this list offers
        return False
    return False


def trace_road(path: Path) -> dict[str, Any] | None:
    """Lanes and boundaries of the trace ``path``; None when it has none."""
    from dil.osi.trace import TraceWarnings, read_ground_truth

    for _t, gt in read_ground_truth(path, TraceWarnings()):
        if gt.lane_boundary:
            return _road(gt, str(path))
    return None


def _points(boundary: Any) -> list[float]:
    out: list[float] = []
    for p in boundary.boundary_line:
        out += [round(p.position.x, 2), round(p.position.y, 2)]
    return out


def _road(gt: Any, file: str) -> dict[str, Any]:
    lines = {b.id.value: b for b in gt.lane_boundary}
    lanes = []
    for ln in gt.lane:
        c = ln.classification
        left = [lines[i.value] for i in c.left_lane_boundary_id if i.value in lines]
        right = [lines[i.value] for i in c.right_lane_boundary_id if i.value in lines]
        if not left or not right:
            continue
        centre: list[float] = []
        for p in c.centerline:
            centre += [round(p.x, 2), round(p.y, 2)]
        lanes.append(
            {
                "road": "osi",
                "section": 0,
                "lane": ln.id.value or 1,
                "type": _LANE.get(c.type, "driving"),
                "inner": _points(left[0]),
                "outer": _points(right[0]),
                "centre": centre,
                "mark": "none",
                "mark_color": "white",
            }
        )
    for b in gt.lane_boundary:
        pts = _points(b)
        mark = _LINE.get(b.classification.type, "solid")
        if len(pts) >= 4 and mark != "none":
            lanes.append(
                {"road": "osi", "section": 0, "lane": 0, "type": "boundary", "inner": pts, "outer": pts,
                 "centre": [], "mark": mark, "mark_color": "white"}
            )  # fmt: skip
    xs = [v for lane in lanes for v in lane["outer"][0::2] + lane["inner"][0::2]]
    ys = [v for lane in lanes for v in lane["outer"][1::2] + lane["inner"][1::2]]
    bounds = [min(xs), min(ys), max(xs), max(ys)] if xs else [0.0, 0.0, 1.0, 1.0]
    return {"file": file, "bounds": bounds, "lanes": lanes}
