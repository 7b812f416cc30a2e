"""Entity tracks from the traces ``dil compare`` reads, each with the reference point its positions are of.

- dil log (``run.mcap``; MCAP with profile ``dil``): ``world/actors`` at 50 Hz, box centres.
- OSI ground-truth trace (``.osi``, or MCAP of another profile): ``base.position``, box centres.
- dil ``trace.csv`` (header ``t_s,entity,x_m,...``): each entity's scenario reference point
  (OpenSCENARIO: a vehicle's rear axle), movable to the box centre with the scenario's bounding
  boxes (``result.json`` beside it names the scenario, or ``--scenario``).
- esmini CSV (``--csv_logger``; header ``Index [-], TimeStamp [s], #1 Entity_Name [-], ...``): the
  reference point (``World_Position_X/Y``), movable to the box centre with ``bb_x``/``bb_y`` where
  the file has them.

Every problem is a :class:`CompareError` naming the file and, where there is one, the line and field.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

BOX_CENTRE = "box centre"
REFERENCE_POINT = "reference point"


class CompareError(ValueError):
    """Input that cannot be compared: the message names the file and field."""


@dataclass
class Track:
    name: str
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    speed: np.ndarray
    id: int | None = None
    centre: tuple[float, float] | None = None
    """Box centre in the entity's frame from its reference point [m], where the trace says."""


@dataclass
class Trace:
    path: Path
    kind: str
    reference: str
    tracks: dict[str, Track]
    id_base: int | None = None
    """What the first entity's numeric id is (0 or 1) where ids mean the scenario's entity order."""
    notes: list[str] = field(default_factory=list)

    @property
    def span(self) -> tuple[float, float]:
        return (
            min(float(tr.t[0]) for tr in self.tracks.values()),
            max(float(tr.t[-1]) for tr in self.tracks.values()),
        )

    def to_box_centre(self) -> bool:
        """Move reference-point positions to the box centre; False where an entity's box is unknown."""
        if self.reference == BOX_CENTRE:
            return True
        if any(tr.centre is None for tr in self.tracks.values()):
            return False
        for tr in self.tracks.values():
            assert tr.centre is not None
            cx, cy = tr.centre
            c, s = np.cos(tr.yaw), np.sin(tr.yaw)
            tr.x, tr.y = tr.x + cx * c - cy * s, tr.y + cx * s + cy * c
        self.reference = BOX_CENTRE
        self.notes.append("positions moved from the reference point to the box centre")
        return True


class _Builder:
    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[float, float, float, float, float]]] = {}
        self.ids: dict[str, int | None] = {}

    def add(self, name: str, t: float, x: float, y: float, yaw: float, speed: float, id_: int | None) -> None:
        self.rows.setdefault(name, []).append((t, x, y, yaw, speed))
        self.ids.setdefault(name, id_)

    def tracks(self, path: Path) -> dict[str, Track]:
        out = {}
        for name, rows in self.rows.items():
            a = np.array(rows, dtype=float)
            order = np.argsort(a[:, 0], kind="stable")
            a = a[order]
            keep = np.concatenate(([True], np.diff(a[:, 0]) > 0))  # one sample per time
            a = a[keep]
            if not np.all(np.isfinite(a)):
                bad = int(np.argwhere(~np.isfinite(a))[0, 0])
                raise CompareError(
                    f"{path}: entity {name!r}: a value that is not a number at t = {a[bad, 0]:g} s"
                )
            out[name] = Track(name, a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4], self.ids[name])
        if not out:
            raise CompareError(f"{path}: no entity positions in the file")
        return out


def open_trace(path: str | Path, *, scenario: str | Path | None = None) -> Trace:
    """Read any of the formats above (by content, not by name)."""
    path = Path(path)
    if path.is_dir():
        raise CompareError(f"{path}: a folder, not a trace (a run's run.mcap or trace.csv)")
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as e:
        raise CompareError(f"{path}: cannot read ({e.strerror})") from None
    from dil.osi.detect import MCAP_MAGIC, is_osi_trace

    if path.suffix.lower() == ".osi" or head.startswith(MCAP_MAGIC):
        return read_osi(path) if is_osi_trace(path) else read_dil_log(path)
    text = head.decode("utf-8", "replace")
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    if first.replace(" ", "").startswith("t_s,entity,"):
        return read_dil_csv(path, scenario)
    if first.startswith("esmini") or re.match(r"Index\s*\[-\]\s*,\s*TimeStamp", first):
        return read_esmini_csv(path)
    raise CompareError(
        f"{path}: unknown trace format (first line {first[:60]!r}): expected a dil log or OSI trace "
        "(.mcap, .osi), dil's trace.csv (header t_s,entity,x_m,...) or an esmini CSV log (csv_logger)"
    )


def open_pair(
    a: str | Path, b: str | Path, *, scenario: str | Path | None = None, box_centre: bool = True
) -> tuple[Trace, Trace]:
    """Both traces of a comparison (see :func:`open_trace`); ``box_centre``: reference-point
    positions moved to each entity's bounding-box centre, a :class:`CompareError` where a box is
    unknown (``False``: positions as each file gives them)."""
    pair = open_trace(a, scenario=scenario), open_trace(b, scenario=scenario)
    if box_centre:
        for t in pair:
            if not t.to_box_centre():
                why = "; ".join(t.notes) or "the entities' bounding boxes are unknown"
                raise CompareError(
                    f"{t.path}: positions are of each entity's reference point and cannot be moved "
                    f"to the box centre ({why}); give --scenario XOSC, or --reference as-given where "
                    "both traces give reference points"
                )
    return pair


def read_dil_log(path: Path) -> Trace:
    import msgpack

    from dil.recording.fast import CompressedLogError, fast_records
    from dil.recording.reader import LogError, records

    b = _Builder()

    topics = ("world/actors", "vehicle/state")

    def frames():
        try:
            yield from ((topic, t, data) for topic, t, data in fast_records(path) if topic in topics)
        except CompressedLogError:
            yield from ((tp, m.log_time, m.data) for tp, m in records(path) if tp in topics)

    ego_placed = False
    early = 0
    try:
        for topic, t_ns, data in frames():
            if topic == "vehicle/state":
                ego_placed = True
                continue
            t = t_ns * 1e-9
            for a in msgpack.unpackb(data)["actors"]:
                if a["id"] == 0 and not ego_placed:
                    early += 1
                    b.add(a["name"], t, a["x"], a["y"], a["yaw"], a["speed"], a["id"])
                    continue
                b.add(a["name"], t, a["x"], a["y"], a["yaw"], a["speed"], a["id"])
    except (LogError, ValueError, KeyError) as e:
        raise CompareError(f"{path}: cannot read world/actors ({e})") from None
    if not b.rows:
        raise CompareError(
            f"{path}: a dil log without world/actors messages (field actors): nothing to compare"
        )
    notes = []
    if ego_placed and early:
        # the world ticks before the vehicle's first state: its ego is not yet where the run put it
        ego = next(n for n, i in b.ids.items() if i == 0)
        del b.rows[ego][:early]
        notes.append(f"{ego}: {early} world/actors frame(s) before the first vehicle/state left out")
    return Trace(path, "dil log", BOX_CENTRE, b.tracks(path), id_base=0, notes=notes)


def read_osi(path: Path) -> Trace:
    from osi3.osi_object_pb2 import MovingObject

    from dil.osi.trace import OsiTraceError, TraceWarnings, read_ground_truth
    from dil.recording.reader import read_metadata

    warnings = TraceWarnings()
    b = _Builder()
    host = None
    try:
        for t_ns, gt in read_ground_truth(path, warnings):
            t = t_ns * 1e-9
            if host is None and gt.HasField("host_vehicle_id"):
                host = gt.host_vehicle_id.value
            for o in list(gt.moving_object) + list(gt.stationary_object):
                base = o.base
                yaw = base.orientation.yaw
                speed = math.nan
                if isinstance(o, MovingObject) and base.HasField("velocity"):
                    speed = base.velocity.x * math.cos(yaw) + base.velocity.y * math.sin(yaw)
                elif not isinstance(o, MovingObject):
                    speed = 0.0
                oid = o.id.value
                b.add(f"osi-{oid}", t, base.position.x, base.position.y, yaw, speed, oid)
    except OsiTraceError as e:
        raise CompareError(str(e)) from None
    notes = [w for w in warnings.report().split("\n") if w]
    for name, rows in b.rows.items():  # speeds without velocities: from positions along the heading
        if any(math.isnan(r[4]) for r in rows):
            notes.append(f"{name}: no base.velocity, speeds from position differences")
            fixed = [(*rows[0][:4], 0.0)]
            for p, q in itertools.pairwise(rows):
                dt = q[0] - p[0]
                v = ((q[1] - p[1]) * math.cos(q[3]) + (q[2] - p[2]) * math.sin(q[3])) / dt if dt > 0 else 0.0
                fixed.append((*q[:4], v))
            if len(fixed) > 1:
                fixed[0] = (*fixed[0][:4], fixed[1][4])
            rows[:] = fixed
    meta, _ = read_metadata(path) if path.suffix.lower() == ".mcap" else ({}, {})
    by_dil = meta.get("net.asam.osi.trace", {}).get("description", "").startswith("dil")
    trace = Trace(path, "OSI trace", BOX_CENTRE, b.tracks(path), id_base=1 if by_dil else 0, notes=notes)
    if host is not None:
        trace.notes.append(f"host vehicle: osi-{host}")
    return trace


def read_dil_csv(path: Path, scenario: str | Path | None) -> Trace:
    b = _Builder()
    need = ("t_s", "entity", "x_m", "y_m", "yaw_rad", "speed_mps")
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in need if c not in (reader.fieldnames or [])]
        if missing:
            raise CompareError(
                f"{path}: line 1: column {missing[0]} missing (dil trace.csv has {', '.join(need)})"
            )
        for line, row in enumerate(reader, start=2):
            try:
                vals = [float(row[c]) for c in ("t_s", "x_m", "y_m", "yaw_rad", "speed_mps")]
            except (TypeError, ValueError):
                bad = next(c for c in need if c != "entity" and not _is_number(row.get(c)))
                raise CompareError(
                    f"{path}: line {line}: field {bad} = {row.get(bad)!r} is not a number"
                ) from None
            b.add(row["entity"], vals[0], vals[1], vals[2], vals[3], vals[4], None)
    trace = Trace(path, "dil trace.csv", REFERENCE_POINT, b.tracks(path))
    _scenario_boxes(trace, scenario)
    return trace


def _scenario_boxes(trace: Trace, scenario: str | Path | None) -> None:
    """Each entity's box centre from the scenario: ``scenario``, or the run's ``result.json`` beside
    the trace."""
    params: dict[str, str] = {}
    ego = None
    result = trace.path.with_name("result.json")
    if scenario is None and result.exists():
        try:
            doc = json.loads(result.read_text())
            scenario = doc["scenario"]
            params = {k: str(v) for k, v in doc.get("parameters", {}).items()}
            ego = doc.get("ego")
        except (ValueError, KeyError) as e:
            trace.notes.append(f"{result}: unreadable ({e}); reference points not moved")
            return
    if scenario is None:
        trace.notes.append("no scenario known (no result.json beside it, no --scenario): the box is unknown")
        return
    from dil.scenario.loader import load

    try:
        scen = load(scenario, params, ego)
    except (ValueError, OSError) as e:
        trace.notes.append(f"scenario {scenario}: cannot load ({e}); reference points not moved")
        return
    for name, tr in trace.tracks.items():
        if name in scen.entities:
            tr.centre = (scen.entities[name].centre_x, 0.0)
    trace.notes.append(f"bounding boxes from {scenario}")


_ESMINI_FIELD = re.compile(r"#(\d+)\s*([A-Za-z_]+)")
_ESMINI_NEED = {
    "name": ("entity_name", "entitity_name"),
    "id": ("entity_id", "entitity_id"),
    "speed": ("current_speed",),
    "x": ("world_position_x",),
    "y": ("world_position_y",),
    "yaw": ("world_heading_angle",),
}


def read_esmini_csv(path: Path) -> Trace:
    """esmini's ``--csv_logger`` file: a few ``key: value`` lines, then a header of ``Index``,
    ``TimeStamp`` and one block of ``#k Field [unit]`` columns per entity, one row per frame."""
    lines = path.read_text(errors="replace").splitlines()
    header_at = next((i for i, ln in enumerate(lines) if re.match(r"\s*Index\s*\[", ln)), None)
    if header_at is None:
        raise CompareError(f"{path}: esmini CSV without its header line (Index [-], TimeStamp [s], ...)")
    cols = [c.strip() for c in lines[header_at].split(",")]
    t_col = next((i for i, c in enumerate(cols) if c.lower().startswith("timestamp")), None)
    if t_col is None:
        raise CompareError(f"{path}: line {header_at + 1}: column TimeStamp missing")
    blocks: dict[int, dict[str, int]] = {}
    for i, c in enumerate(cols):
        m = _ESMINI_FIELD.match(c)
        if m:
            blocks.setdefault(int(m.group(1)), {})[m.group(2).lower()] = i
    if not blocks:
        raise CompareError(f"{path}: line {header_at + 1}: no entity columns (#1 Entity_Name [-], ...)")
    index: dict[int, dict[str, int]] = {}
    for k, fields in sorted(blocks.items()):
        index[k] = {}
        for key, names in _ESMINI_NEED.items():
            col = next((fields[n] for n in names if n in fields), None)
            if col is None:
                raise CompareError(f"{path}: line {header_at + 1}: column #{k} {names[0].title()} missing")
            index[k][key] = col
        index[k]["bb_x"], index[k]["bb_y"] = fields.get("bb_x", -1), fields.get("bb_y", -1)
    b = _Builder()
    centres: dict[str, tuple[float, float] | None] = {}
    for n, ln in enumerate(lines[header_at + 1 :], start=header_at + 2):
        if not ln.strip():
            continue
        vals = [v.strip() for v in ln.split(",")]
        try:
            t = float(vals[t_col])
        except (IndexError, ValueError):
            raise CompareError(f"{path}: line {n}: field TimeStamp is not a number") from None
        for k, ix in index.items():
            if ix["name"] >= len(vals) or not vals[ix["name"]]:
                continue  # fewer entities on this line
            name = vals[ix["name"]]
            try:
                num = {key: float(vals[ix[key]]) for key in ("id", "speed", "x", "y", "yaw")}
                bb = (float(vals[ix["bb_x"]]), float(vals[ix["bb_y"]])) if ix["bb_x"] >= 0 else None
            except (IndexError, ValueError):
                bad = next(
                    key for key in ("id", "speed", "x", "y", "yaw")
                    if ix[key] >= len(vals) or not _is_number(vals[ix[key]])
                )  # fmt: skip
                raise CompareError(
                    f"{path}: line {n}: field #{k} {bad} of {name!r} is not a number"
                ) from None
            b.add(name, t, num["x"], num["y"], num["yaw"], num["speed"], int(num["id"]))
            centres.setdefault(name, bb)
    tracks = b.tracks(path)
    for name, tr in tracks.items():
        tr.centre = centres.get(name)
    trace = Trace(path, "esmini CSV", REFERENCE_POINT, tracks, id_base=0)
    if any(c is None for c in centres.values()):
        trace.notes.append("no bb_x/bb_y columns (an older esmini): the box is unknown")
    return trace


def _is_number(v: object) -> bool:
    try:
        float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True
