"""Typed in-process values of messages whose fields are arrays at heart.

A publisher in the same process hands such a value over as it is (:meth:`dil.bus.handoff.Outlet.
publish_value`); a reader that knows the type takes it with :meth:`dil.bus.inbox.Inbox.latest_value`,
and the message's fields (lists of numbers) are made only when something needs them: a reader of
messages, a recorder's tap, another process. Made, they are exactly the fields the publisher would
have sent, so a log holds the same bytes either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


class LaneSet:
    """``sensor/<lanes>`` as arrays: the lane strips in range, in message order, and their centre-line
    points in the ego's frame (x ahead, y left [m]), strip after strip."""

    __slots__ = ("ends", "lanes", "points", "roads", "types")

    def __init__(
        self,
        roads: Sequence[str],
        lanes: Sequence[int],
        types: Sequence[str],
        points: np.ndarray,
        ends: np.ndarray,
    ) -> None:
        """``points``: (n, 2) [m]; ``ends``: the end row (exclusive) of each strip's points in
        ``points`` (the first strip's start at row 0, each next one's at the previous end)."""
        self.roads = tuple(roads)
        """Each strip's road id."""
        self.lanes = tuple(lanes)
        """Each strip's lane id (negative: right of the reference line)."""
        self.types = tuple(types)
        """Each strip's OpenDRIVE lane type (driving, shoulder, ...)."""
        self.points = points
        self.ends = ends

    @classmethod
    def from_fields(cls, lanes: list[dict[str, Any]]) -> LaneSet:
        """The value of a message's ``lanes`` field (records with road, lane, type, points as
        x0, y0, x1, y1, ...)."""
        flat: list[float] = []
        ends = np.empty(len(lanes), dtype=np.int64)
        for k, ln in enumerate(lanes):
            flat.extend(ln["points"])
            ends[k] = len(flat) // 2
        points = np.asarray(flat, dtype=np.float64).reshape(-1, 2)
        return cls(
            [ln["road"] for ln in lanes],
            [ln["lane"] for ln in lanes],
            [ln["type"] for ln in lanes],
            points,
            ends,
        )

    def fields(self) -> dict[str, Any]:
        """The message's fields: ``{"lanes": [{"road", "lane", "type", "points"}, ...]}``."""
        out = []
        lo = 0
        points = self.points
        for road, lane, kind, hi in zip(self.roads, self.lanes, self.types, self.ends.tolist(), strict=True):
            out.append({"road": road, "lane": lane, "type": kind, "points": points[lo:hi].ravel().tolist()})
            lo = hi
        return {"lanes": out}

    def select(self, keep: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The points of strips ``keep`` (in that order) strip after strip, and each one's first and
        end row in them: ``(points (m, 2) [m], first, end)``."""
        ends = self.ends
        starts = np.empty_like(ends)
        if len(ends):
            starts[0] = 0
            starts[1:] = ends[:-1]
        if len(keep) == len(ends) and list(keep) == list(range(len(ends))):
            return self.points, starts, ends
        idx = np.asarray(keep, dtype=np.int64)
        sizes = ends[idx] - starts[idx]
        end = np.cumsum(sizes)
        first = end - sizes
        pts = (
            np.concatenate([self.points[starts[k] : ends[k]] for k in keep])
            if len(keep)
            else np.zeros((0, 2))
        )
        return pts, first, end

    def __len__(self) -> int:
        return len(self.ends)


NO_LANES = LaneSet((), (), (), np.zeros((0, 2)), np.zeros(0, dtype=np.int64))
"""A lane set with no strip (before the first message)."""

# the columns of ObjectSet.rows, one per field of an ``objects`` record
OBJ_ID = 0
OBJ_KIND = 1
"""The object's kind as a code (its label in ObjectSet.labels)."""
OBJ_X = 2
OBJ_Y = 3
OBJ_YAW = 4
"""Heading relative to the ego's, in [-pi, pi] [rad]."""
OBJ_SPEED = 5
OBJ_LENGTH = 6
OBJ_WIDTH = 7
OBJ_HEIGHT = 8
OBJ_SIZE = 9


class ObjectSet:
    """``sensor/<objects>`` as an array: one row per object in range, in message order, its columns
    ``OBJ_*`` (id, kind code, box centre x ahead and y left of the ego's box centre [m], heading
    relative to the ego [rad], speed along its heading [m/s], length, width, height [m])."""

    __slots__ = ("labels", "rows")

    def __init__(self, rows: np.ndarray, labels: Mapping[int, str]) -> None:
        """``rows``: (m, ``OBJ_SIZE``) float64; ``labels``: kind code -> the kind's label in messages."""
        self.rows = rows
        self.labels = labels

    @classmethod
    def from_fields(cls, objects: list[dict[str, Any]]) -> ObjectSet:
        """The value of a message's ``objects`` field (its records); kinds get codes in the order they
        first appear."""
        codes: dict[str, int] = {}
        rows = np.empty((len(objects), OBJ_SIZE))
        for i, o in enumerate(objects):
            kind = codes.setdefault(o["kind"], len(codes))
            rows[i] = (
                o["id"],
                kind,
                o["x"],
                o["y"],
                o["yaw"],
                o["speed"],
                o["length"],
                o["width"],
                o["height"],
            )
        return cls(rows, {code: label for label, code in codes.items()})

    def fields(self) -> dict[str, Any]:
        """The message's fields: ``{"objects": [{"id", "kind", "x", "y", "yaw", "speed", "length",
        "width", "height"}, ...]}``."""
        labels = self.labels
        return {
            "objects": [
                {
                    "id": int(r[OBJ_ID]),
                    "kind": labels[int(r[OBJ_KIND])],
                    "x": r[OBJ_X],
                    "y": r[OBJ_Y],
                    "yaw": r[OBJ_YAW],
                    "speed": r[OBJ_SPEED],
                    "length": r[OBJ_LENGTH],
                    "width": r[OBJ_WIDTH],
                    "height": r[OBJ_HEIGHT],
                }
                for r in self.rows.tolist()
            ]
        }

    def __len__(self) -> int:
        return len(self.rows)


NO_OBJECTS = ObjectSet(np.zeros((0, OBJ_SIZE)), {})
"""An object set with no object (before the first message)."""
