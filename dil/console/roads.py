"""The road network of a scenario as the page draws it: lanes as world polylines sampled about
1 m apart by dil's road code, computed once per file and cached.

JSON shape (``road_json``), every coordinate in metres in the world frame (x east, y north)::

    {"file": "/abs/highway.xodr", "bounds": [xmin, ymin, xmax, ymax],
     "lanes": [{"road": "1", "section": 0, "lane": -1, "type": "driving",
                "inner": [x0, y0, x1, y1, ...], "outer": [...], "centre": [...],
                "mark": "solid", "mark_color": "white"}]}

``inner`` and ``outer`` are the lane's borders towards and away from the reference line (for
lane 0 both are the reference line itself), ``centre`` its centre line; ``mark`` the road mark
on ``outer`` (``none`` if unmarked).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
from lxml import etree

STEP_M = 1.0
"""Spacing of the sampled points along each lane [m]."""


class RoadError(ValueError):
    """A scenario whose road network cannot be found or read; the text names the file."""


def road_file_of(scenario: Path) -> Path:
    """The OpenDRIVE file a scenario names in ``RoadNetwork/LogicFile``, found as the runtime does."""
    from dil.scenario.road_file import find_road_file

    try:
        root = etree.parse(str(scenario)).getroot()
    except (OSError, etree.XMLSyntaxError) as e:
        raise RoadError(f"{scenario}: cannot read the scenario: {e}") from None
    logic = root.find("RoadNetwork/LogicFile")
    given = logic.get("filepath") if logic is not None else None
    if not given:
        raise RoadError(f"{scenario}: RoadNetwork has no LogicFile filepath")
    path, _ = find_road_file(given, scenario.parent)
    if path is None:
        raise RoadError(f"{scenario}: RoadNetwork LogicFile filepath {given!r} not found")
    return path


def road_json(road_file: Path) -> dict[str, Any]:
    """The lanes of ``road_file`` (see the module's docstring), cached per file and modification time."""
    p = road_file.resolve()
    try:
        mtime = p.stat().st_mtime_ns
    except OSError as e:
        raise RoadError(f"{road_file}: {e.strerror}") from None
    return _cached(str(p), mtime)


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int) -> dict[str, Any]:
    from dil.road.network import RoadNetwork
    from dil.road.sampling import sample_lanes

    try:
        net = RoadNetwork.load(path)
    except Exception as e:  # a road file that does not parse: say which and why
        raise RoadError(f"{path}: {e}") from None
    lanes = []
    for st in sample_lanes(net, STEP_M):
        lanes.append(
            {
                "road": st.road,
                "section": st.section,
                "lane": st.lane,
                "type": st.type,
                "inner": _flat(st.inner),
                "outer": _flat(st.outer),
                "centre": _flat(st.centre),
                "mark": st.mark,
                "mark_color": st.mark_color,
            }
        )
    return {"file": path, "bounds": [round(v, 2) for v in net.bounds()], "lanes": lanes}


def _flat(points: np.ndarray) -> list[float]:
    """``(n, 3)`` world points -> ``[x0, y0, x1, y1, ...]`` rounded to the centimetre."""
    return np.round(points[:, :2], 2).ravel().tolist()
