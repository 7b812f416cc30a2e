"""One file's two traces compared per entity with ``dil compare``'s code: storyboard-driven entities
by trajectory (reference points as both players give them), controller-driven ones by outcome."""

from __future__ import annotations

from pathlib import Path

from dil.compare.metrics import Tolerances, compare
from dil.compare.traces import CompareError, Trace, open_trace

from .outcome import Box, entity_outcome

WITHIN, DIFFERS, MISSING, NOT_COMPARED = "within", "differs", "missing in dil", "not compared"
AS_GIVEN_NOTE = "positions compared as given"


def _boxes(xosc: Path) -> dict[str, Box]:
    """Bounding boxes from dil's loader (the file loaded, or there is no dil trace to compare)."""
    from dil.scenario.loader import load

    try:
        scen = load(xosc)
    except (ValueError, OSError):
        return {}
    return {n: Box(e.length, e.width, e.centre_x) for n, e in scen.entities.items()}


def compare_file(
    xosc: Path,
    dil_trace: Path,
    esmini_csv: Path,
    tolerance_m: float,
    controllers: dict[str, str],
    declared: list[str],
) -> dict:
    """``{"entities": [...], "controlled": [...], "notes": [...]}``: one row per entity of esmini's
    trace that the scenario declares (esmini's own helpers, such as a ghost, are a note); ``error``
    instead where the traces cannot be compared."""
    try:
        a = open_trace(dil_trace, scenario=xosc)
        b = open_trace(esmini_csv)
        a.notes.clear()
        c = compare(a, b, Tolerances(tolerance_m, None, None))
    except CompareError as e:
        return {"error": str(e), "entities": [], "controlled": [], "notes": []}
    rows, controlled = [], []
    boxes: dict[str, Box] | None = None
    for d in c.entities:
        s = d.stats()
        if d.name in controllers:
            boxes = _boxes(xosc) if boxes is None else boxes
            controlled.append(_controlled(d.name, controllers[d.name], a, b, boxes, s))
            continue
        first = s["first_beyond_s"].get("position")
        rows.append({
            "entity": d.name,
            "status": WITHIN if first is None else DIFFERS,
            "first_divergence_s": first,
            "max_position_m": round(s["max_position_m"], 3),
            "t_max_position_s": s["t_max_position_s"],
            "max_speed_mps": round(s["max_speed_mps"], 3),
            "max_heading_deg": round(s["max_heading_deg"], 2),
            "t_s": [s["t_from_s"], s["t_to_s"]],
        })  # fmt: skip
    notes = [n for n in c.notes if not n.startswith(AS_GIVEN_NOTE)]
    for name in c.only_b + c.no_overlap:
        if name not in declared:
            notes.append(f"only in esmini's trace, not declared by the scenario: {name}")
            continue
        row = {"entity": name, "status": MISSING if name in c.only_b else NOT_COMPARED}
        if name in controllers:
            controlled.append({"entity": name, "controller": controllers[name], "status": row["status"]})
        else:
            rows.append(row)
    notes += [f"only in dil's trace: {n}" for n in c.only_a]
    return {"entities": rows, "controlled": controlled, "notes": notes}


def _controlled(name: str, controller: str, a: Trace, b: Trace, boxes: dict[str, Box], stats: dict) -> dict:
    dil, esm = entity_outcome(a, name, boxes), entity_outcome(b, name, boxes)
    return {
        "entity": name,
        "controller": controller,
        "status": "same outcome" if dil["collision"] == esm["collision"] else "other outcome",
        "dil": dil,
        "esmini": esm,
        "max_position_m": round(stats["max_position_m"], 3),
    }


def esmini_only(
    esmini_csv: Path, controllers: dict[str, str], declared: list[str]
) -> tuple[list[dict], list[dict]]:
    """Entity rows of a file esmini ran and dil did not: every declared entity, not compared."""
    try:
        names = [n for n in open_trace(esmini_csv).tracks if n in declared]
    except CompareError:
        return [], []
    rows = [{"entity": n, "status": NOT_COMPARED} for n in names if n not in controllers]
    ctl = [
        {"entity": n, "controller": controllers[n], "status": NOT_COMPARED} for n in names if n in controllers
    ]
    return rows, ctl
