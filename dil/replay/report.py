"""``dil report LOG``: one self-contained HTML page per run, plots first.

Everything comes from the log: the run's description and verdict (metadata), the road network
(attachment), and the messages (vehicle state, commands, actors, events). Plots are PNG images
made with matplotlib and embedded in the page.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import msgpack
import numpy as np

from dil.figures import png_base64
from dil.recording.fast import fast_records
from dil.recording.reader import read_metadata
from dil.road.network import RoadNetwork
from dil.road.parse import parse as parse_xodr
from dil.road.sampling import sample_lanes
from dil.run import kpi_units
from dil.run.kpi import score_log
from dil.run.outcome import label, outcome_of
from dil.scenario.separation import lateral_gap, longitudinal_gap

COLOURS = {"pass": "#2a7", "fail": "#c33", "aborted": "#d80", "incomplete": "#d80"}
"""The verdict's colour by outcome: green, red, and amber for runs that prove nothing either way."""


class _Box:
    def __init__(self, a: dict) -> None:
        self.x, self.y, self.yaw, self.speed = a["x"], a["y"], a["yaw"], a["speed"]
        self.length, self.width, self.name = a["length"], a["width"], a["name"]
        self.centre_x = 0.0
        """A logged actor's x, y are its box centre: the centre is 0 m ahead of them."""

    def box_centre(self) -> tuple[float, float]:
        return self.x, self.y


def _series(path: Path) -> dict[str, list]:
    out: dict[str, list] = {
        "vehicle/state": [],
        "ai/command": [],
        "world/actors": [],
        "world/events": [],
        "scenario/events": [],
        "driver/input": [],
        "rig/command": [],
        "rig/feedback": [],
    }
    for topic, t_ns, data in fast_records(path):
        if topic in out:
            out[topic].append((t_ns * 1e-9, msgpack.unpackb(data)))
    return out


def _relevant(actors: list[dict]) -> tuple[float, float]:
    """Distance to and time to collision with the nearest actor in the ego's path."""
    ego = _Box(actors[0])
    best = (math.inf, math.inf)
    for a in actors[1:]:
        other = _Box(a)
        if abs(lateral_gap(ego, other, False)) > 1.5:
            continue
        gap = longitudinal_gap(ego, other, True)
        if gap < 0 or gap >= best[0]:
            continue
        closing = ego.speed - other.speed * math.cos(other.yaw - ego.yaw)
        best = (gap, gap / closing if closing > 1e-6 else math.inf)
    return best


def write_report(log: str | Path, out: str | Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    log, out = Path(log), Path(out)
    meta, attachments = read_metadata(log)
    info = meta.get("dil.run", {})
    rec = meta.get("dil.recording", {})
    verdict = json.loads(rec["verdict"]) if "verdict" in rec else None
    kpis = score_log(log).as_dict()
    s = _series(log)
    images: list[tuple[str, str]] = []

    actors_t = [t for t, _ in s["world/actors"]]
    names = [a["name"] for a in s["world/actors"][0][1]["actors"]] if s["world/actors"] else []
    fig, ax = plt.subplots(figsize=(8, 3))
    for i, name in enumerate(names):
        ax.plot(
            actors_t,
            [m["actors"][i]["speed"] * 3.6 if i < len(m["actors"]) else np.nan for _, m in s["world/actors"]],
            label=name,
        )
    ax.set(xlabel="t [s]", ylabel="speed [km/h]", title="Speeds")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    images.append(("Speeds", png_base64(fig)))

    if s["vehicle/state"]:
        t = [t for t, _ in s["vehicle/state"]]
        fig, ax = plt.subplots(figsize=(8, 3))
        ax.plot(t, [m["ax"] for _, m in s["vehicle/state"]], label="longitudinal")
        ax.plot(t, [m["ay"] for _, m in s["vehicle/state"]], label="lateral")
        ax.set(xlabel="t [s]", ylabel="acceleration [m/s²]", title="Ego acceleration")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        images.append(("Acceleration", png_base64(fig)))

    if s["world/actors"]:
        rel = [_relevant(m["actors"]) for _, m in s["world/actors"]]
        fig, ax = plt.subplots(figsize=(8, 3))
        ax.plot(actors_t, [d if math.isfinite(d) else np.nan for d, _ in rel], color="tab:blue")
        ax.set(
            xlabel="t [s]", ylabel="distance [m]", title="Free distance and time to collision, actor in path"
        )
        ax2 = ax.twinx()
        ax2.plot(
            actors_t, [min(ttc, 10.0) if math.isfinite(ttc) else np.nan for _, ttc in rel], color="tab:red"
        )
        ax2.set_ylabel("TTC [s] (capped at 10)", color="tab:red")
        ax.grid(alpha=0.3)
        images.append(("Distance and TTC", png_base64(fig)))

    cmds = s["ai/command"] or s["driver/input"]
    if cmds:
        t = [t for t, _ in cmds]
        fig, (a1, a2) = plt.subplots(2, 1, figsize=(8, 4.5), sharex=True)
        a1.plot(t, [math.degrees(m["steering_wheel_angle"]) for _, m in cmds])
        a1.set(ylabel="steering wheel [deg]", title="Driver or stack inputs")
        a2.plot(t, [m["throttle"] for _, m in cmds], label="throttle")
        a2.plot(t, [m["brake"] for _, m in cmds], label="brake")
        a2.set(xlabel="t [s]", ylabel="pedal [0..1]")
        a2.legend(fontsize=8)
        for a in (a1, a2):
            a.grid(alpha=0.3)
        images.append(("Inputs", png_base64(fig)))

    if s["rig/command"]:
        images.append(("Motion platform", png_base64(_rig_plot(plt, s))))

    net = None
    if "road.xodr" in attachments:
        net = RoadNetwork(parse_xodr(attachments["road.xodr"], f"{log.name}:road.xodr"))
    if net is not None and s["world/actors"]:
        offsets = []
        for _, m in s["world/actors"]:
            pos = net.locate(m["actors"][0]["x"], m["actors"][0]["y"])
            offsets.append(pos.offset if pos is not None else np.nan)
        fig, ax = plt.subplots(figsize=(8, 2.5))
        ax.plot(actors_t, offsets)
        ax.set(xlabel="t [s]", ylabel="offset [m]", title="Ego lateral offset from its lane centre")
        ax.grid(alpha=0.3)
        images.append(("Lateral offset", png_base64(fig)))

        images.append(("Trajectories", png_base64(_birds_eye(plt, net, names, s))))

    out.write_text(_page(log, info, verdict, rec.get("end", ""), kpis, images, s))
    return out


def _birds_eye(plt: object, net: RoadNetwork, names: list[str], s: dict[str, list]) -> object:
    """The lanes, every actor's path and its box at the start (outline) and the end (filled), and
    the events, framed on where the actors went [m]. A long, narrow manoeuvre (a 500 m straight)
    keeps a legible height: y is stretched by a stated factor instead of equal axes."""
    from matplotlib.patches import Polygon

    fig, ax = plt.subplots(figsize=(8, 5))
    frames = [m["actors"] for _, m in s["world/actors"]]
    xs = [a["x"] for actors in frames for a in actors]
    ys = [a["y"] for actors in frames for a in actors]
    pad = 10.0
    box = (min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad)
    for st in sample_lanes(net, 2.0):
        if st.lane != 0:
            for line in (st.inner, st.outer):
                ax.plot(line[:, 0], line[:, 1], color="0.75", lw=0.6)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, name in enumerate(names):
        poses = [actors[i] for actors in frames if i < len(actors)]
        colour = colours[i % len(colours)]
        pts = np.array([(a["x"], a["y"]) for a in poses])
        ax.plot(pts[:, 0], pts[:, 1], lw=2, color=colour, label=name)
        for a, filled in ((poses[0], False), (poses[-1], True)):
            ax.add_patch(
                Polygon(_corners(a), closed=True, fill=filled, alpha=0.6 if filled else 1.0, color=colour)
            )
    for _, e in s["world/events"]:
        ax.plot(e["x"], e["y"], "kx", ms=10)
    stretch = _fit(box, ax)
    ax.set(xlim=box[:2], ylim=box[2:], xlabel="x [m]", ylabel="y [m]")
    ax.set_aspect(stretch, adjustable="datalim")
    what = "paths, boxes at start (outline) and end (filled), x: events"
    if stretch > 1.0:
        what += f"; y stretched {stretch:.1f}x"
    ax.set_title(f"Bird's-eye view ({what})", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def _rig_plot(plt: object, s: dict[str, list]) -> object:
    """The cued platform pose (``rig/command``; translations [mm], rotations [deg]) and, where the
    rig server answered, its measured pose (``rig/feedback``, dashed) and actuator lengths [mm]."""
    cmd, fb = s["rig/command"], s["rig/feedback"]
    fig, (a1, a2, a3) = plt.subplots(3, 1, figsize=(8, 6.5), sharex=True)
    t = [t for t, _ in cmd]
    for k in ("surge", "sway", "heave"):
        (line,) = a1.plot(t, [m[k] * 1e3 for _, m in cmd], label=k)
        if fb:
            a1.plot([t for t, _ in fb], [m[k] * 1e3 for _, m in fb], ls="--", color=line.get_color())
    for k in ("roll", "pitch", "yaw"):
        (line,) = a2.plot(t, [math.degrees(m[k]) for _, m in cmd], label=k)
        if fb:
            a2.plot([t for t, _ in fb], [math.degrees(m[k]) for _, m in fb], ls="--", color=line.get_color())
    lengths = np.array([m["actuator_lengths"] for _, m in cmd]) * 1e3
    for j in range(lengths.shape[1] if lengths.ndim == 2 else 0):
        a3.plot(t, lengths[:, j], lw=0.8, label=f"{j + 1}")
    a1.set(ylabel="translation [mm]", title="Motion platform: cued pose (solid), measured (dashed)")
    a2.set(ylabel="rotation [deg]")
    a3.set(xlabel="t [s]", ylabel="actuator length [mm]")
    for a in (a1, a2, a3):
        a.grid(alpha=0.3)
        a.legend(fontsize=7, ncol=6, loc="upper right")
    return fig


def _corners(a: dict) -> np.ndarray:
    """The four corners of an actor's box (length, width [m] about x, y, rotated by yaw [rad])."""
    c, s = math.cos(a["yaw"]), math.sin(a["yaw"])
    half = np.array([(1, 1), (-1, 1), (-1, -1), (1, -1)]) * (0.5 * a["length"], 0.5 * a["width"])
    return np.array([a["x"], a["y"]]) + half @ np.array([[c, s], [-s, c]])


MAX_STRETCH = 25.0
"""The most y may be stretched against x in the bird's-eye view."""


def _fit(box: tuple[float, float, float, float], ax: object) -> float:
    """The y/x scale ratio that fills the axes with ``box`` (x0, x1, y0, y1) [m]: 1 (equal axes)
    when the box is at least as tall as the axes' shape, more for a long, flat manoeuvre."""
    pos = ax.get_position()
    w_in, h_in = ax.figure.get_size_inches()
    shape = (pos.height * h_in) / (pos.width * w_in)
    w, h = box[1] - box[0], box[3] - box[2]
    return float(min(MAX_STRETCH, max(1.0, shape * w / h)))


def _page(
    log: Path,
    info: dict,
    verdict: dict | None,
    end: str,
    kpis: dict,
    images: list[tuple[str, str]],
    s: dict[str, list],
) -> str:
    e = html.escape
    scenario = Path(info.get("scenario", "")).stem
    title = e(f"{scenario}: {_run_name(log)}" if scenario else _run_name(log))
    outcome = outcome_of(verdict)
    status = e(label(verdict)) if verdict is not None else "no verdict recorded"
    colour = COLOURS.get(outcome, "#c33")
    # how the run ended, always said: a log cut short (no end recorded) says so
    end_text = e(end) if end else "not recorded (the log was not closed: the run was cut short)"
    checks = "".join(
        f"<tr><td>{e(c['criterion'])}</td><td>{'pass' if c['passed'] else 'FAIL'}</td>"
        f"<td>{e(str(c['value']))}</td></tr>"
        for c in (verdict or {}).get("checks", [])
    )
    kpi_rows = "".join(
        f"<tr><td>{e(k)}</td><td class='num'>{e(kpi_units.text(k, v))}</td></tr>"
        for k, v in kpis.items()
        if k != "events" and v != ""
    )
    params = json.loads(info.get("parameters", "{}"))
    param_rows = "".join(f"<tr><td>{e(k)}</td><td>{e(str(v))}</td></tr>" for k, v in params.items())
    events = [(t, "world", f"{m['kind']}: {m['detail']}") for t, m in s["world/events"]]
    events += [
        (t, "scenario", f"{m['element_type']} {m['element']}: {m['transition']}")
        for t, m in s["scenario/events"]
    ]
    event_rows = "".join(
        f"<tr><td>{t:.2f}</td><td>{e(src)}</td><td>{e(text)}</td></tr>" for t, src, text in sorted(events)
    )
    figures = "".join(
        f"<h2>{e(title)}</h2><img alt='{e(title)}' src='data:image/png;base64,{data}'>"
        for title, data in images
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>dil run report: {title}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:0.5em 0}}td{{border:1px solid #ccc;padding:2px 8px}}
.verdict{{font-size:1.6em;font-weight:bold;color:{colour}}}img{{max-width:100%}}</style></head>
<body>
<h1>{title}</h1>
<p class="verdict">{status}</p>
<p class="end">end: {end_text}</p>
<p>scenario <code>{e(info.get("scenario", "?"))}</code>;
log <code>{e(str(log))}</code>; stack {e(info.get("stack", "?"))}; vehicle {e(info.get("vehicle", "?"))}
({e(info.get("model", "?"))}); dil {e(info.get("dil_version", "?"))}; scenario sha256
<code>{e(info.get("scenario_sha256", "?"))}</code></p>
<table>{checks}</table>
{figures}
<h2>KPIs (computed from the log; speeds in km/h)</h2><table>{kpi_rows}</table>
<h2>Parameters</h2><table>{param_rows}</table>
<h2>Events</h2><table><tr><td>t [s]</td><td>source</td><td>event</td></tr>{event_rows}</table>
</body></html>
"""


def _run_name(log: Path) -> str:
    """A run's name for titles: its folder (``dil-runs/ccrs``) when the log is ``run.mcap``."""
    return f"{log.parent.name}/{log.name}" if log.name == "run.mcap" and log.parent.name else log.name
