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
from dil.run.kpi import score_log
from dil.run.outcome import label, outcome_of
from dil.scenario.separation import lateral_gap, longitudinal_gap

COLOURS = {"pass": "#2a7", "fail": "#c33", "aborted": "#d80", "incomplete": "#d80"}
"""The verdict's colour by outcome: green, red, and amber for runs that prove nothing either way."""


class _Box:
    def __init__(self, a: dict) -> None:
        self.x, self.y, self.yaw, self.speed = a["x"], a["y"], a["yaw"], a["speed"]
        self.length, self.width, self.name = a["length"], a["width"], a["name"]

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

        fig, ax = plt.subplots(figsize=(8, 5))
        xs = [a["x"] for _, m in s["world/actors"] for a in m["actors"]]
        ys = [a["y"] for _, m in s["world/actors"] for a in m["actors"]]
        pad = 15.0
        box = (min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad)
        for st in sample_lanes(net, 2.0):
            if st.lane != 0:
                for line in (st.inner, st.outer):
                    ax.plot(line[:, 0], line[:, 1], color="0.75", lw=0.6)
        for i, name in enumerate(names):
            pts = np.array(
                [
                    (m["actors"][i]["x"], m["actors"][i]["y"])
                    for _, m in s["world/actors"]
                    if i < len(m["actors"])
                ]
            )
            ax.plot(pts[:, 0], pts[:, 1], label=name, lw=2)
        for _, e in s["world/events"]:
            ax.plot(e["x"], e["y"], "kx", ms=10)
        box = _equal_aspect(box, ax)
        ax.set(
            xlim=box[:2], ylim=box[2:], xlabel="x [m]", ylabel="y [m]", title="Bird's-eye view (x: events)"
        )
        ax.set_aspect("equal", adjustable="box")
        ax.legend(fontsize=8)
        images.append(("Trajectories", png_base64(fig)))

    out.write_text(_page(log, info, verdict, rec.get("end", ""), kpis, images, s))
    return out


def _equal_aspect(box: tuple[float, float, float, float], ax: object) -> tuple[float, float, float, float]:
    """``box`` (x0, x1, y0, y1) [m] grown about its centre to the axes' shape, so that both limits
    can be fixed with equal scales on x and y."""
    pos = ax.get_position()
    w_in, h_in = ax.figure.get_size_inches()
    shape = (pos.height * h_in) / (pos.width * w_in)
    x0, x1, y0, y1 = box
    cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
    w, h = max(w, h / shape), max(h, w * shape)
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


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
    title = e(Path(info.get("scenario", str(log))).name)
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
        f"<tr><td>{e(k)}</td><td>{e(_fmt(v))}</td></tr>" for k, v in kpis.items() if k != "events"
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
<p>log <code>{e(str(log))}</code>; stack {e(info.get("stack", "?"))}; vehicle {e(info.get("vehicle", "?"))}
({e(info.get("model", "?"))}); dil {e(info.get("dil_version", "?"))}; scenario sha256
<code>{e(info.get("scenario_sha256", "?"))}</code></p>
<table>{checks}</table>
{figures}
<h2>KPIs (computed from the log)</h2><table>{kpi_rows}</table>
<h2>Parameters</h2><table>{param_rows}</table>
<h2>Events</h2><table><tr><td>t [s]</td><td>source</td><td>event</td></tr>{event_rows}</table>
</body></html>
"""


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return "inf" if v is None else str(v)
