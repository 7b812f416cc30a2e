"""The comparison as text (a table), JSON and a self-contained HTML page with plots (matplotlib
PNGs embedded, as ``dil report`` makes them)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from .metrics import Comparison
from .traces import Trace


def _f(v: float | None, digits: int = 3) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _first(stats: dict) -> str:
    t = stats["first_divergence_s"]
    if t is None:
        return "within"
    which = [k for k, v in stats["first_beyond_s"].items() if v == t]
    return f"{t:.3f} ({'/'.join(which)})"


def titles(a: Trace, b: Trace) -> tuple[str, str]:
    """How two traces are named in a title: a dil log's scenario and as much of each path as tells
    them apart (``ccrs (a/ccrs/run.mcap)`` vs ``ccrs (b/ccrs/run.mcap)``)."""
    pa, pb = a.path.resolve().parts, b.path.resolve().parts
    k = 1
    while k < max(len(pa), len(pb)) and pa[-k:] == pb[-k:]:
        k += 1
    return _titled(a, "/".join(pa[-k:])), _titled(b, "/".join(pb[-k:]))


def _titled(t: Trace, where: str) -> str:
    scenario = ""
    if t.path.suffix == ".mcap":
        from dil.recording.reader import LogError, read_metadata

        try:
            scenario = read_metadata(t.path)[0].get("dil.run", {}).get("scenario", "")
        except (LogError, OSError, ValueError):
            scenario = ""
    return f"{Path(scenario).stem} ({where})" if scenario else where


def header_lines(c: Comparison) -> list[str]:
    lines = []
    for label, t in (("A", c.a), ("B", c.b)):
        lo, hi = t.span
        lines.append(
            f"{label}: {t.path} ({t.kind}; positions of the {t.reference}; t = {lo:.3f} .. {hi:.3f} s)"
        )
        lines += [f"   {n}" for n in t.notes]
    tol = c.tolerances
    lines.append(
        f"overlap: t = {c.overlap[0]:.3f} .. {c.overlap[1]:.3f} s; B interpolated onto A's timestamps"
    )
    extra = "".join(
        f", {name} {v:g} {unit}"
        for name, v, unit in (("speed", tol.speed_mps, "m/s"), ("heading", tol.heading_deg, "deg"))
        if v is not None
    )
    lines.append(f"tolerance: position {tol.position_m:g} m{extra}")
    lines += c.notes
    return lines


def table(c: Comparison) -> str:
    head = ("entity", "samples", "max pos [m]", "rms pos [m]", "at t [s]", "max dv [m/s]", "rms dv",
            "max dyaw [deg]", "rms dyaw", "beyond from t [s]")  # fmt: skip
    rows = []
    for e in c.entities:
        s = e.stats()
        name = s["entity"] if s["entity"] == s["entity_b"] else f"{s['entity']} = {s['entity_b']}"
        rows.append((name, str(s["samples"]), _f(s["max_position_m"]), _f(s["rms_position_m"]),
                     _f(s["t_max_position_s"]), _f(s["max_speed_mps"]), _f(s["rms_speed_mps"]),
                     _f(s["max_heading_deg"], 2), _f(s["rms_heading_deg"], 2), _first(s)))  # fmt: skip
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    out = header_lines(c)
    out.append("")
    out.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    if c.only_a:
        out.append(f"only in A ({c.a.path}): {', '.join(c.only_a)}")
    if c.only_b:
        out.append(f"only in B ({c.b.path}): {', '.join(c.only_b)}")
    if c.no_overlap:
        out.append(f"in both but at no common time: {', '.join(c.no_overlap)}")
    out.append("WITHIN TOLERANCE" if c.within else "BEYOND TOLERANCE")
    return "\n".join(out)


def to_json(c: Comparison) -> str:
    return json.dumps(c.as_dict(), indent=2)


def write_html(c: Comparison, out: str | Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dil.figures import png_base64

    out = Path(out)
    e = html.escape
    tol = c.tolerances
    sections = []
    for d in c.entities:
        ta, tb = c.a.tracks[d.name], c.b.tracks[d.name_b]
        fig, ax = plt.subplots(figsize=(8, 3.5))
        ax.plot(ta.x, ta.y, label=f"A: {d.name}", lw=2)
        ax.plot(tb.x, tb.y, "--", label=f"B: {d.name_b}", lw=1.5)
        i = int(np.argmax(d.pos))
        sel = np.searchsorted(ta.t, d.t[i])
        ax.plot(ta.x[sel], ta.y[sel], "kx", ms=9, label=f"largest difference (t = {d.t[i]:.2f} s)")
        ax.set(xlabel="x [m]", ylabel="y [m]", title=f"{d.name}: trajectories ({c.a.reference})")
        ax.set_aspect("equal", adjustable="datalim")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        traj = png_base64(fig)
        fig, (a1, a2, a3) = plt.subplots(3, 1, figsize=(8, 6), sharex=True)
        a1.plot(d.t, d.pos)
        a1.axhline(tol.position_m, color="tab:red", ls=":", label="tolerance")
        a1.set(ylabel="position [m]", title=f"{d.name}: A - B over time")
        a2.plot(d.t, d.speed)
        a3.plot(d.t, np.degrees(d.heading))
        if tol.speed_mps is not None:
            a2.axhline(tol.speed_mps, color="tab:red", ls=":")
            a2.axhline(-tol.speed_mps, color="tab:red", ls=":")
        if tol.heading_deg is not None:
            a3.axhline(tol.heading_deg, color="tab:red", ls=":")
            a3.axhline(-tol.heading_deg, color="tab:red", ls=":")
        a2.set(ylabel="speed [m/s]")
        a3.set(xlabel="t [s]", ylabel="heading [deg]")
        first = d.first_divergence
        for a in (a1, a2, a3):
            a.grid(alpha=0.3)
            if first is not None:
                a.axvline(first, color="k", lw=0.8)
        a1.legend(fontsize=8)
        err = png_base64(fig)
        sections.append(
            f"<h2>{e(d.name)}</h2><img alt='trajectories of {e(d.name)}' src='data:image/png;base64,{traj}'>"
            f"<img alt='differences of {e(d.name)}' src='data:image/png;base64,{err}'>"
        )
    stats = [d.stats() for d in c.entities]
    cells = "".join(
        f"<tr><td>{e(s['entity'])}</td><td>{s['samples']}</td><td>{_f(s['max_position_m'])}</td>"
        f"<td>{_f(s['rms_position_m'])}</td><td>{_f(s['t_max_position_s'])}</td><td>{_f(s['max_speed_mps'])}</td>"
        f"<td>{_f(s['rms_speed_mps'])}</td><td>{_f(s['max_heading_deg'], 2)}</td>"
        f"<td>{_f(s['rms_heading_deg'], 2)}</td><td>{e(_first(s))}</td></tr>"
        for s in stats
    )
    lists = ""
    for label, names in (
        ("only in A", c.only_a),
        ("only in B", c.only_b),
        ("in both, no common time", c.no_overlap),
    ):
        if names:
            lists += f"<p><b>{label}:</b> {e(', '.join(names))}</p>"
    verdict = "within tolerance" if c.within else "BEYOND TOLERANCE"
    colour = "#2a7" if c.within else "#c33"
    info = "".join(f"<li>{e(line)}</li>" for line in header_lines(c))
    title = " vs ".join(titles(c.a, c.b))
    out.write_text(f"""<!doctype html>
<html><head><meta charset="utf-8"><title>dil compare: {e(title)}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:0.5em 0}}td{{border:1px solid #ccc;padding:2px 8px}}
.verdict{{font-size:1.6em;font-weight:bold;color:{colour}}}img{{max-width:100%}}</style></head>
<body>
<h1>{e(title)}</h1>
<p class="verdict">{verdict}</p>
<ul>{info}</ul>
<table><tr><td>entity</td><td>samples</td><td>max pos [m]</td><td>rms pos [m]</td><td>at t [s]</td>
<td>max dv [m/s]</td><td>rms dv</td><td>max dyaw [deg]</td><td>rms dyaw</td>
<td>beyond from t [s]</td></tr>{cells}</table>
{lists}
{"".join(sections)}
</body></html>
""")
    return out
