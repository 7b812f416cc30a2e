"""A run's result on disk (``result.json``, ``trace.csv``) and its summary for a terminal."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .kpi_units import text as kpi_text
from .outcome import label
from .runner import RunResult
from .spec import RunSpec


def write_result(result: RunResult, out: Path, spec: RunSpec) -> None:
    """``out/result.json`` (written atomically) and ``out/trace.csv`` (poses [m, rad], speeds [m/s])."""
    from dil import __version__

    out.mkdir(parents=True, exist_ok=True)
    doc = {
        "dil_version": __version__,
        "scenario": str(result.scenario.source),
        "scenario_sha256": result.scenario.sha256,
        "parameters": result.scenario.params,
        "stack": spec.driver.stack,
        "vehicle": spec.vehicle.params,
        "model": spec.vehicle.model,
        "ego": result.scenario.ego,
        "end": result.end,
        "outcome": result.outcome,
        "max_time_s": result.max_time,
        "simulated_s": result.simulated_s,
        "wall_s": result.wall_s,
        "realtime_factor": result.realtime_factor,
        "verdict": result.verdict,
        "kpis": result.kpis,
        "storyboard": [
            {"t": t, "type": k, "element": n, "transition": tr} for t, k, n, tr in result.transitions
        ],
        "warnings": result.scenario.warnings,
        "environment": [{"t": t, **values} for t, values in result.scenario.environment.changes],
    }
    tmp = out / "result.json.tmp"
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(out / "result.json")
    with (out / "trace.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(("t_s", "entity", "x_m", "y_m", "yaw_rad", "speed_mps", "road", "lane", "s_m"))
        w.writerows(result.trace)


def summary(result: RunResult, out: Path) -> str:
    """The run's end, KPIs, checks and verdict as aligned lines, and the files written to ``out``."""
    k = result.kpis
    v = result.verdict
    rows = [
        ("scenario", result.scenario.source.name),
        ("end", f"{result.end} at {result.simulated_s:.2f} s (x{result.realtime_factor:.0f} real time)"),
        (
            "collision",
            f"with {k['collision_with']} at {kpi_text('collision_speed', k['collision_speed'])}"
            if k["collision"]
            else "none",
        ),
        ("min TTC / headway", f"{_f(k['min_ttc'])} s / {_f(k['min_headway'])} s"),
        ("min distance", f"{_f(k['min_distance'])} m"),
        ("max decel / jerk", f"{k['max_decel']:.2f} m/s^2 / {k['max_jerk']:.1f} m/s^3"),
        (
            "speed",
            f"{k['initial_speed'] * 3.6:.1f} -> {k['final_speed'] * 3.6:.1f} km/h "
            f"(reduction {k['speed_reduction'] * 3.6:.1f} km/h)",
        ),
        ("lane invasions / off road", f"{k['lane_invasions']} / {k['off_road']}"),
    ]
    if k.get("driver_seat"):
        rows.append(("nobody in control", f"{k['no_driver_s']:.2f} s"))
    for c in v["checks"]:
        rows.append((f"  {c['criterion']}", f"{'pass' if c['passed'] else 'FAIL'}: {c['value']}"))
    rows.append(("verdict", label(v)))
    width = max(len(a) for a, _ in rows)
    lines = [f"{a.ljust(width)}  {b}" for a, b in rows]
    log = out / "run.mcap"
    lines.append(
        f"written: {out / 'result.json'}, {out / 'trace.csv'}" + (f", {log}" if log.exists() else "")
    )
    return "\n".join(lines)


def _f(x: float | None) -> str:
    return "inf" if x is None else f"{x:.2f}"
