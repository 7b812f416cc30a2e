"""The conformance report as Markdown, JSON and a short summary for the terminal."""

from __future__ import annotations

import json
from pathlib import Path

from .players import FAILED, LOADED
from .xosc import SCENARIO


def _f(v: float | None, unit: str = "", digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}{unit}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_lines(doc: dict) -> list[str]:
    s = doc["summary"]
    lines = [
        f"files: {s['files']} ({s['scenarios']} scenarios)",
        f"dil loaded and ran: {s['dil_loaded']}/{s['scenarios']} ({_f(s['dil_loaded_pct'], ' %', 1)}); "
        + ", ".join(f"{k} {v}" for k, v in sorted(s["dil_status"].items())),
    ]
    if "entities" in s:
        lines += [
            f"esmini ran: {s['esmini_loaded']}/{s['scenarios']}",
            f"storyboard-driven entities within {doc['tolerance_m']:g} m of esmini: {s['entities_within']}/"
            f"{s['entities']} ({_f(s['entities_within_pct'], ' %', 1)}); of those compared: "
            f"{s['entities_within']}/{s['entities_compared']} "
            f"({_f(s['entities_within_of_compared_pct'], ' %', 1)})",
            f"files with every storyboard-driven entity within: {s['files_all_within']}",
            f"controller-driven entities: {s['controlled']} "
            f"({s['controlled_same_outcome']} with esmini's outcome)",
        ]
        w = s.get("whole_process")
        if w and w["files"]:
            dil = f"{_f(w['dil_wall_median_s'], ' s')} wall ({_f(w['dil_cpu_median_s'], ' s')} CPU)"
            esm = f"{_f(w['esmini_wall_median_s'], ' s')} ({_f(w['esmini_cpu_median_s'], ' s')} CPU)"
            how = "through a run-worker" if doc.get("dil_process") == "run-worker" else "fresh processes"
            lines.append(
                f"whole process on the {w['files']} files both ran (dil: {how}): dil median {dil}, "
                f"esmini {esm}; "
                f"dil no slower on {w['dil_not_slower_wall']} by wall clock, {w['dil_not_slower_cpu']} by CPU"
            )
            if w.get("ratio_wall_median") is not None:
                lines.append(
                    f"dil/esmini whole process: wall median {_f(w['ratio_wall_median'])}x, max "
                    f"{_f(w['ratio_wall_max'])}x; CPU median {_f(w.get('ratio_cpu_median'))}x, max "
                    f"{_f(w.get('ratio_cpu_max'))}x"
                )
    return lines


def _time(run: dict | None) -> str:
    """A player's whole process: wall [s] (CPU [s])."""
    if run is None or run.get("status") not in (LOADED, FAILED):
        return "-"
    cpu = run.get("cpu_s")
    return _f(run.get("wall_s")) + (f" ({_f(cpu)})" if cpu is not None else "")


def _entities(row: dict) -> str:
    if row.get("error"):
        return f"not compared: {row['error']}"
    parts = []
    for e in row.get("entities", []):
        if e["status"] == "within":
            parts.append(f"{e['entity']}: within (max {_f(e['max_position_m'], ' m')})")
        elif e["status"] == "differs":
            parts.append(
                f"{e['entity']}: differs from {_f(e['first_divergence_s'], ' s')} "
                f"(max {_f(e['max_position_m'], ' m')} at {_f(e['t_max_position_s'], ' s')}, "
                f"speed {_f(e['max_speed_mps'], ' m/s')}, heading {_f(e['max_heading_deg'], ' deg', 1)})"
            )
        else:
            parts.append(f"{e['entity']}: {e['status']}")
    return "; ".join(parts) or "-"


def _controlled(row: dict) -> str:
    parts = []
    for c in row.get("controlled", []):
        if "dil" not in c:
            parts.append(f"{c['entity']} ({c['controller']}): {c['status']}")
            continue
        d, e = c["dil"], c["esmini"]

        def o(x: dict) -> str:
            hit = f"collision with {x['collision_with']} at {_f(x['collision_t_s'], ' s')}"
            return hit if x["collision"] else f"min gap {_f(x['min_gap_m'], ' m')}"

        parts.append(f"{c['entity']} ({c['controller']}): {c['status']}; dil {o(d)}, esmini {o(e)}")
    return "; ".join(parts) or "-"


def markdown(doc: dict) -> str:
    esm = doc.get("esmini")
    out = [
        "# Conformance",
        "",
        f"dil {doc['dil_version']}"
        + (f"; esmini {esm['path']} ({esm['version']})" if esm else "; no esmini")
        + f"; position tolerance {doc['tolerance_m']:g} m.",
        "",
        *[f"- {ln}" for ln in summary_lines(doc)],
        "",
        "Whole process: each player's process from start to exit, wall clock [s] (CPU time [s]).",
        "",
        "| file | dil | esmini | storyboard-driven entities | controller-driven entities "
        "| whole process dil | whole process esmini |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in doc["files"]:
        if row["kind"] != SCENARIO:
            out.append(f"| {_cell(row['file'])} | {_cell(row.get('note', row['kind']))} | | | | | |")
            continue
        d = row["dil"]
        dil = d["status"] if d["status"] == LOADED else f"**{d['status']}**: {d['message']}"
        if d["status"] == LOADED and d["end"]:
            dil += f" ({d['end']}, {_f(d['simulated_s'], ' s', 1)})"
        e = row.get("esmini")
        esm_cell = (
            "-" if e is None else (e["status"] + (f": {e['message']}" if e["status"] != LOADED else ""))
        )
        if e is not None and e["status"] == LOADED and e["end"] != "ended":
            esm_cell += f" ({e['end']})"
        out.append(
            f"| {_cell(row['file'])} | {_cell(dil)} | {_cell(esm_cell)} | {_cell(_entities(row))} "
            f"| {_cell(_controlled(row))} | {_time(d)} | {_time(e)} |"
        )
    if "census" in doc:
        out += ["", *census_markdown(doc["census"])]
    return "\n".join(out) + "\n"


def census_markdown(c: dict) -> list[str]:
    out = [
        "## Census",
        "",
        f"{c['files_counted']} files; support from {c['support_matrix'] or '(support matrix not found)'}.",
        "",
        "### Gaps (features not supported, not listed, or refused at load)",
        "",
        "| element | files | occurrences | support | files refused naming it |",
        "|---|---|---|---|---|",
    ]
    out += [
        f"| {g['element']} | {g['files']} | {g['occurrences']} | {g['support']} | {g['refused_files']} |"
        for g in c["gaps"]
    ]
    out += [
        "",
        "### Every element used",
        "",
        "| element | files | occurrences | support |",
        "|---|---|---|---|",
    ]
    out += [f"| {e['element']} | {e['files']} | {e['occurrences']} | {e['support']} |" for e in c["elements"]]
    return out


def write(doc: dict, out: Path) -> tuple[Path, Path]:
    """``conformance.json`` and ``conformance.md`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    j, m = out / "conformance.json", out / "conformance.md"
    j.write_text(json.dumps(doc, indent=2) + "\n")
    m.write_text(markdown(doc))
    return j, m
