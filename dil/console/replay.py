"""Replaying a recorded run in the console: a dil log (or an ASAM OSI ground-truth trace, converted
to one by :mod:`dil.osi.convert`) read once into a decimated timeline the page scrubs through.

The page never gets the whole log: actors as frames at ``rate_hz`` of simulated time (each frame a
recorded ``world/actors`` message, never interpolated), the ego's speed, accelerations and applied
inputs on the same grid, and every event. Read-only: nothing here touches the bus.

Timeline JSON (:meth:`Replays.timeline`), times in seconds of simulated time, lengths in metres,
angles in radians, speeds in m/s::

    {"log": "ccrs/run.mcap", "file": "/abs/ccrs/run.mcap", "kind": "dil log" | "OSI trace",
     "run_id": "ccrs", "scenario": "ccrs", "complete": true, "notice": "", "rate_hz": 25.0,
     "actors": [{"id": 0, "kind": "vehicle", "name": "Ego", "length": 4.6, "width": 1.8}],
     "frames": {"t": [...], "actors": [[[id, x, y, yaw, speed], ...], ...]},
     "series": {"t": [...], "speed": [...], "ax": [...], "ay": [...],
                "steering_wheel_angle": [...], "throttle": [...], "brake": [...]},
     "events": [{"t": 3.54, "topic": "world/events", "kind": "lane_invasion", "text": "...",
                 "x": 99.2, "y": -8.2}]}

``x`` and ``y`` of an event are null when it has no place (storyboard transitions other than an
event's start, which is placed where the ego was, as on the live page).
"""

from __future__ import annotations

import collections
import hashlib
import json
import math
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack

from dil.recording.fast import MAGIC, CompressedLogError, fast_records
from dil.recording.reader import LogError, read_metadata, records

from .roads import RoadError, road_file_of, road_json

RATE_HZ = 25.0
"""Frames of the timeline per second of simulated time."""
MAX_FRAMES = 30_000
"""A longer log is decimated further (20 minutes at 25 Hz), so that the page stays light."""
SERIES = ("speed", "ax", "ay", "steering_wheel_angle", "throttle", "brake")
"""``vehicle/state`` fields charted, on the frames' grid."""
EVENT_TOPICS = ("world/events", "scenario/events", "stack/events")


class ReplayError(ValueError):
    """A log or trace that cannot be replayed; the text names the file and why."""


def openable(runs_dir: Path, limit: int = 50) -> list[dict[str, Any]]:
    """What the console can replay under ``runs_dir``, newest first: each run's ``run.mcap`` and every
    OSI trace (``*.osi``, or an ``.mcap`` not written by dil) up to two folders down.
    ``log`` is the path relative to ``runs_dir`` that :meth:`Replays.timeline` takes."""
    from .osi_road import is_osi_mcap

    found = []
    for pattern in ("*/run.mcap", "*.osi", "*/*.osi", "*.mcap", "*/*.mcap"):
        for p in runs_dir.glob(pattern):
            if p.name.endswith(".dil.mcap") or (p.name == "run.mcap") != (pattern == "*/run.mcap"):
                continue
            try:
                mtime = p.stat().st_mtime
            except OSError:
                continue
            if p.name != "run.mcap" and not (p.suffix == ".osi" or is_osi_mcap(p)):
                continue
            kind = "dil log" if p.name == "run.mcap" else "OSI trace"
            found.append((mtime, p.relative_to(runs_dir).as_posix(), kind))
    found.sort(reverse=True)
    return [{"log": rel, "kind": kind, "finished_ms": round(m * 1e3)} for m, rel, kind in found[:limit]]


def resolve(runs_dir: Path, rel: str) -> Path:
    """``rel`` as a file under ``runs_dir``; anything outside it, or missing, is refused."""
    root = runs_dir.resolve()
    path = (root / rel).resolve()
    if not rel or path == root or root not in path.parents:
        raise FileNotFoundError(f"log {rel!r}: not a file under {runs_dir}")
    if not path.is_file():
        raise FileNotFoundError(f"log {rel!r}: no such file under {runs_dir}")
    return path


class Replays:
    """Timelines and roads of logs, each read once per file version and a few kept; OSI traces
    converted once into a folder of this object's own (removed by :meth:`close`)."""

    def __init__(self, runs_dir: Path, rate_hz: float = RATE_HZ, keep: int = 4) -> None:
        self.runs_dir = runs_dir
        self.rate_hz = rate_hz
        self._keep = keep
        self._timelines: collections.OrderedDict[tuple, bytes] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._tmp = tempfile.TemporaryDirectory(prefix="dil-replay-")

    def close(self) -> None:
        self._tmp.cleanup()

    def timeline(self, rel: str) -> bytes:
        """The timeline JSON (see the module's docstring) of the log ``rel`` under the runs folder.
        Raises ``FileNotFoundError`` or :class:`ReplayError`."""
        path = resolve(self.runs_dir, rel)
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
        with self._lock:  # one reader per log at a time; a second page waits for the first's work
            if key in self._timelines:
                self._timelines.move_to_end(key)
                return self._timelines[key]
            log, kind = self._dil_log(path)
            doc = read_timeline(log, self.rate_hz)
            doc.update(log=rel, file=str(path), kind=kind)
            if kind == "OSI trace":
                doc["run_id"] = path.stem
            text = json.dumps(doc, separators=(",", ":")).encode()
            self._timelines[key] = text
            while len(self._timelines) > self._keep:
                self._timelines.popitem(last=False)
            return text

    def road(self, rel: str) -> dict[str, Any] | None:
        """The road the run drove on, as ``/api/road`` gives it: the log's own ``road.xodr``, else
        its scenario's road file; an OSI trace's lanes and lane boundaries; None if neither."""
        path = resolve(self.runs_dir, rel)
        from dil.osi.detect import is_osi_trace

        if is_osi_trace(path):
            from .osi_road import trace_road

            return trace_road(path)
        meta, attachments = read_metadata(path)
        if "road.xodr" in attachments:
            data = attachments["road.xodr"]
            copy = Path(self._tmp.name) / f"{hashlib.sha256(data).hexdigest()[:16]}.xodr"
            if not copy.exists():
                copy.write_bytes(data)
            return {**road_json(copy), "file": f"{path}: road.xodr"}
        scenario = meta.get("dil.run", {}).get("scenario")
        if scenario and Path(scenario).is_file():
            try:
                return road_json(road_file_of(Path(scenario)))
            except RoadError:
                return None
        return None

    def _dil_log(self, path: Path) -> tuple[Path, str]:
        """``path`` itself for a dil log; for an OSI trace, its conversion (made once)."""
        from dil.osi.detect import is_osi_trace

        if not is_osi_trace(path):
            return path, "dil log"
        from dil.osi.convert import trace_to_log

        st = path.stat()
        digest = hashlib.sha256(f"{path}|{st.st_mtime_ns}|{st.st_size}".encode()).hexdigest()[:16]
        out = Path(self._tmp.name) / f"{digest}.dil.mcap"
        if not out.exists():
            part = out.with_suffix(".part")
            try:
                trace_to_log(path, part)
            except ValueError as e:  # OsiTraceError and other bad input: its text names the file
                raise ReplayError(f"{path}: not a readable OSI trace: {e}") from None
            part.rename(out)
        return out, "OSI trace"


def _messages(path: Path) -> Iterator[tuple[str, int, bytes | memoryview]]:
    """``(topic, log time [ns], msgpack payload)`` in file order; compressed logs by the generic reader."""
    try:
        yield from fast_records(path)
        return
    except CompressedLogError:
        pass
    for topic, m in records(path):
        yield topic, m.log_time, m.data


def read_timeline(path: Path, rate_hz: float = RATE_HZ) -> dict[str, Any]:
    """The timeline of the dil log ``path`` (no ``log``, ``file`` or ``kind`` yet). Raises
    :class:`ReplayError` naming the file for a file that is not a dil log or holds no actors."""
    period_ns = round(1e9 / rate_hz)
    actors: dict[int, dict[str, Any]] = {}
    frames_t: list[float] = []
    frames: list[list[list[float]]] = []
    series: dict[str, list[float]] = {k: [] for k in ("t", *SERIES)}
    events: list[dict[str, Any]] = []
    next_frame = next_state = -1
    ego_xy: tuple[float, float] | None = None
    try:
        for topic, t_ns, data in _messages(path):
            if topic == "world/actors":
                if t_ns < next_frame:
                    continue
                next_frame = _next_grid(t_ns, period_ns)
                m = msgpack.unpackb(data)
                frames_t.append(m["t_sim_ns"] * 1e-9)
                frames.append([_actor(a, actors) for a in m["actors"]])
                ego = next((a for a in m["actors"] if a["id"] == 0), None)
                if ego is not None:
                    ego_xy = (ego["x"], ego["y"])
            elif topic == "vehicle/state":
                if t_ns < next_state:
                    continue
                next_state = _next_grid(t_ns, period_ns)
                m = msgpack.unpackb(data)
                series["t"].append(round(m["t_sim_ns"] * 1e-9, 4))
                for k in SERIES:
                    v = m.get(k)
                    series[k].append(round(v, 4) if isinstance(v, float) and math.isfinite(v) else v)
            elif topic in EVENT_TOPICS:
                events.append(_event(topic, msgpack.unpackb(data), ego_xy))
    except (ValueError, LogError) as e:
        raise ReplayError(f"{path}: not a dil log ({e})") from None
    except Exception as e:  # damaged bytes inside a record surface as various decoding errors
        raise ReplayError(f"{path}: the log is damaged ({type(e).__name__}: {e})") from None
    complete = _complete(path)
    if not frames:
        why = "" if complete else " (it is cut short before its first complete chunk)"
        raise ReplayError(f"{path}: no world/actors messages in the log: nothing to replay{why}")
    stride = math.ceil(len(frames) / MAX_FRAMES)
    meta, _ = read_metadata(path)
    info = meta.get("dil.run", {})
    scenario = Path(info.get("scenario", "")).stem
    notice = ""
    if not complete:
        notice = (
            f"{path}: the log is incomplete (it ends before its summary: the run was cut short "
            f"or the file damaged); replaying the {frames_t[-1] - frames_t[0]:.1f} s it holds"
        )
    return {
        "run_id": path.parent.name if path.name == "run.mcap" else path.stem,
        "scenario": scenario,
        "complete": complete,
        "notice": notice,
        "rate_hz": rate_hz / stride,
        "actors": sorted(actors.values(), key=lambda a: a["id"]),
        "frames": {"t": [round(t, 4) for t in frames_t[::stride]], "actors": frames[::stride]},
        "series": {k: v[::stride] for k, v in series.items()},
        "events": sorted(events, key=lambda e: e["t"]),
    }


def _next_grid(t_ns: int, period_ns: int) -> int:
    """The first grid time after ``t_ns`` [ns]."""
    return t_ns - t_ns % period_ns + period_ns


def _actor(a: dict[str, Any], table: dict[int, dict[str, Any]]) -> list[float]:
    """``[id, x, y, yaw, speed]`` of a ``world/actors`` record (mm, mrad, mm/s); its name, kind and
    box go once into ``table``."""
    if a["id"] not in table:
        table[a["id"]] = {k: a.get(k) for k in ("id", "kind", "name", "length", "width")}
    return [a["id"], round(a["x"], 3), round(a["y"], 3), round(a["yaw"], 4), round(a["speed"], 3)]


def _event(topic: str, m: dict[str, Any], ego_xy: tuple[float, float] | None) -> dict[str, Any]:
    """An event as the page lists and marks it (``x``, ``y`` null where it has no place)."""
    t = m["t_sim_ns"] * 1e-9
    x = y = None
    if topic == "world/events":
        kind = m["kind"]
        kmh = m["relative_speed"] * 3.6
        text = f"{kind} actor {m['actor_id']}/{m['other_id']} {kmh:.1f} km/h {m['detail']}"
        x, y = m["x"], m["y"]
    elif topic == "scenario/events":
        kind = "storyboard"
        text = f"{m['element_type']} {m['element']}: {m['transition']} -> {m['state']}"
        if m["element_type"] == "event" and m["transition"] == "start" and ego_xy is not None:
            x, y = ego_xy  # storyboard events happen to the scenario, not at a place: where the ego was
    else:
        kind = m.get("kind", "stack")
        text = f"{kind} -> {m.get('control', '')} {m.get('node', '')} {m.get('detail', '')}".strip()
    return {"t": round(t, 4), "topic": topic, "kind": kind, "text": text, "x": x, "y": y}


def _complete(path: Path) -> bool:
    """The file ends with MCAP's closing magic: its writer finished."""
    try:
        with path.open("rb") as f:
            f.seek(-len(MAGIC), 2)
            return f.read() == MAGIC
    except OSError:
        return False
