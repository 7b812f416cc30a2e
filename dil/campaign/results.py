"""A campaign's results: one row per run as CSV and Parquet, JUnit XML for CI systems, and an HTML
report with pass/fail maps, KPI distributions, the worst runs and a comparison of stacks."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import os
from pathlib import Path
from xml.sax.saxutils import quoteattr

from dil.run import kpi_units
from dil.run.kpi import SCALAR_KPIS

from .engine import result_path
from .runs import RunSpec, scenario_name

KPI_COLUMNS = SCALAR_KPIS

STATUSES = ("pass", "fail", "aborted", "incomplete", "error", "missing")
"""A run's status: its verdict's outcome (pass, fail, aborted, incomplete); error: the run raised
or overran its wall-time limit; missing: no result yet."""

COLOURS = {
    "pass": "tab:green",
    "fail": "tab:red",
    "aborted": "tab:orange",
    "incomplete": "gold",
    "error": "black",
    "missing": "0.7",
}


def counts(table: list[dict]) -> dict[str, int]:
    """How many runs have each status (every status, zeros included)."""
    return {s: sum(r["status"] == s for r in table) for s in STATUSES}


def rows(specs: list[RunSpec], out: Path) -> list[dict]:
    """One row per run in ``specs`` order; a run with no result yet is ``missing``."""
    table = []
    names = sorted({k for s in specs for k, _ in s.params})
    for s in specs:
        path = result_path(out, s.run_id)
        doc = (
            json.loads(path.read_text()) if path.exists() else {"status": "missing", "kpis": {}, "error": ""}
        )
        row = {
            "run_id": s.run_id,
            "scenario": scenario_name(s),
            "stack": s.stack,
            "repetition": s.repetition,
            "seed": s.seed,
        }
        params = dict(s.params)
        row.update({f"param.{n}": params.get(n, "") for n in names})
        row["status"] = doc["status"]
        kpis = doc.get("kpis") or {}
        row.update({k: kpis.get(k) for k in KPI_COLUMNS})
        row["end"] = doc.get("end", "")
        row["reason"] = (doc.get("verdict") or {}).get("reason", "")
        row["log"] = doc.get("log", "")
        row["error"] = doc.get("error", "")
        row["wall_s"] = doc.get("wall_s")
        table.append(row)
    return table


def write_csv(table: list[dict], path: Path) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(table[0]) if table else ["run_id"])
        w.writeheader()
        w.writerows(table)


def write_parquet(table: list[dict], path: Path) -> bool:
    """False when pyarrow is not installed (the ``campaign`` extra)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return False
    columns = {k: [r[k] for r in table] for k in (table[0] if table else {})}
    for k, v in columns.items():  # one type per column: mixed numbers and text become text
        if any(isinstance(x, str) for x in v) and not all(isinstance(x, str) or x is None for x in v):
            columns[k] = [None if x is None else str(x) for x in v]
    pq.write_table(pa.table(columns), path)
    return True


def write_junit(table: list[dict], path: Path, name: str) -> None:
    """One test case per run: a failure for a failed verdict, an error for an aborted run (with
    its reason), a crashed or missing one, skipped for an incomplete run (with its reason)."""
    failures = sum(r["status"] == "fail" for r in table)
    errors = sum(r["status"] in ("aborted", "error", "missing") for r in table)
    skipped = sum(r["status"] == "incomplete" for r in table)
    wall = sum(r["wall_s"] or 0.0 for r in table)
    cases = []
    for r in table:
        params = ", ".join(f"{k[6:]}={v}" for k, v in r.items() if k.startswith("param."))
        label = f"{r['scenario']}[{r['stack']}; {params}; rep {r['repetition']}]"
        body = ""
        if r["status"] == "fail":
            body = (
                f"<failure message={quoteattr('verdict FAIL')}>collision={r['collision']} "
                f"min_ttc={r['min_ttc']} log={html.escape(r['log'])}</failure>"
            )
        elif r["status"] == "aborted":
            body = f"<error message={quoteattr('aborted: ' + (r['reason'] or r['end']))}/>"
        elif r["status"] == "incomplete":
            body = f"<skipped message={quoteattr('incomplete: ' + (r['reason'] or r['end']))}/>"
        elif r["status"] in ("error", "missing"):
            body = f"<error message={quoteattr(r['error'] or r['status'])}/>"
        cases.append(
            f"  <testcase classname={quoteattr(name)} name={quoteattr(label)} "
            f'time="{(r["wall_s"] or 0.0):.3f}">{body}</testcase>'
        )
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name={quoteattr(name)} '
        f'tests="{len(table)}" failures="{failures}" errors="{errors}" skipped="{skipped}" '
        f'time="{wall:.3f}">\n' + "\n".join(cases) + "\n</testsuite>\n"
    )


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def write_html(table: list[dict], path: Path, name: str, axes: tuple[str, str] | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e = html.escape
    params = [k[6:] for k in (table[0] if table else {}) if k.startswith("param.")]
    axes = axes or ((params[0], params[1]) if len(params) >= 2 else None)
    figures = []
    colours = COLOURS
    if axes is not None and all(a in params for a in axes):
        groups = sorted({(r["scenario"], r["stack"]) for r in table})
        for scen, stack in groups:
            sub = [r for r in table if (r["scenario"], r["stack"]) == (scen, stack)]
            fig, ax = plt.subplots(figsize=(5, 4))
            for status, c in colours.items():
                pts = [
                    (float(r[f"param.{axes[0]}"]), float(r[f"param.{axes[1]}"]))
                    for r in sub
                    if r["status"] == status
                ]
                if pts:
                    xs, ys = zip(*pts, strict=True)
                    ax.scatter(xs, ys, c=c, label=status, s=60, marker="s")
            ax.set(xlabel=axes[0], ylabel=axes[1], title=f"{scen}, {stack}")
            ax.legend(fontsize=8)
            figures.append((f"Pass/fail map: {scen}, {stack}", _png(fig)))
    for kpi in ("min_ttc", "min_distance", "max_decel", "collision_speed"):
        vals = [
            kpi_units.display(kpi, r[kpi])
            for r in table
            if isinstance(r[kpi], int | float) and math.isfinite(r[kpi])
        ]
        if vals:
            fig, ax = plt.subplots(figsize=(5, 2.6))
            ax.hist(vals, bins=min(30, max(5, len(vals) // 3)))
            ax.set(xlabel=kpi_units.label(kpi), ylabel="runs", title=f"Distribution of {kpi}")
            figures.append((kpi_units.label(kpi), _png(fig)))
    worst = sorted(
        table,
        key=lambda r: (
            r["status"] == "pass",
            -(r["collision_speed"] or 0.0),
            r["min_ttc"] if r["min_ttc"] is not None else math.inf,
        ),
    )[:10]
    reports = _run_reports(worst)
    worst_rows = "".join(
        f"<tr><td>{e(r['run_id'])}</td><td>{e(r['scenario'])}</td><td>{e(r['stack'])}</td>"
        f"<td>{e(', '.join(f'{k[6:]}={v}' for k, v in r.items() if k.startswith('param.')))}</td>"
        f"<td>{e(r['status'])}</td><td>{e(kpi_units.text('collision_speed', r['collision_speed']))}</td>"
        f"<td>{e(kpi_units.text('min_ttc', r['min_ttc']))}</td>"
        f"<td>{_links(r, path.parent, reports)}</td></tr>"
        for r in worst
    )
    stacks = sorted({r["stack"] for r in table})
    shown = STATUSES[:-1]  # missing runs count as errors in the table
    compare = "".join(
        f"<tr><td>{e(s)}</td>"
        + "".join(
            f"<td>{n}</td>"
            for n in _with_missing(counts([r for r in table if r["stack"] == s]), shown).values()
        )
        + "</tr>"
        for s in stacks
    )
    header = "".join(f"<td>{st}</td>" for st in shown)
    images = "".join(f"<h2>{e(t)}</h2><img src='data:image/png;base64,{d}'>" for t, d in figures)
    total = _with_missing(counts(table), shown)
    summary = ", ".join(f"{n} {st}" for st, n in total.items())
    path.write_text(f"""<!doctype html><html><head><meta charset="utf-8"><title>campaign {e(name)}</title>
<style>{_STYLE}</style></head><body>
<h1>Campaign {e(name)}</h1><p>{len(table)} runs: {summary}.</p>
<p>aborted: ended by an emergency stop, an operator or an error; incomplete: the time guard
ended the run before the scenario did. Neither is a pass or a fail.</p>
<h2>Stacks</h2><table><tr><td>stack</td>{header}</tr>{compare}</table>
{images}
<h2>Worst runs</h2><table><tr><td>run</td><td>scenario</td><td>stack</td><td>parameters</td><td>status</td>
<td>collision speed</td><td>min TTC</td><td>run</td></tr>{worst_rows}</table>
<p>Speeds in km/h, times in s, distances in m. Full table: results.csv, results.parquet (SI units:
m/s, s, m); CI: junit.xml. Any run's page: <code>dil report LOG</code>.</p>
</body></html>
""")


_STYLE = (
    "body{font-family:sans-serif;max-width:1000px;margin:2em auto} "
    "td{border:1px solid #ccc;padding:2px 6px} table{border-collapse:collapse} img{max-width:100%}"
)


def _with_missing(c: dict[str, int], shown: tuple[str, ...]) -> dict[str, int]:
    out = {s: c[s] for s in shown}
    out["error"] += c["missing"]
    return out


def _run_reports(runs: list[dict]) -> dict[str, Path]:
    """A ``dil report`` page beside each run's log (``runs/<id>/report.html``) for the runs given
    that kept their log: run id -> page. A log that cannot be read gets no page."""
    from dil.recording.reader import LogError
    from dil.replay.report import write_report

    pages = {}
    for r in runs:
        log = Path(r["log"]) if r["log"] else None
        if log is None or not log.is_file():
            continue
        try:
            pages[r["run_id"]] = write_report(log, log.with_name("report.html"))
        except (LogError, ValueError, KeyError, IndexError):
            continue
    return pages


def _links(r: dict, folder: Path, reports: dict[str, Path]) -> str:
    """Links to the run's report and log, relative to the campaign's page (the folder moves whole)."""
    out = []
    page = reports.get(r["run_id"])
    if page is not None:
        out.append(f"<a href='{html.escape(_relative(page, folder))}'>report</a>")
    if r["log"] and Path(r["log"]).is_file():
        out.append(f"<a href='{html.escape(_relative(Path(r['log']), folder))}'>log</a>")
    return " ".join(out) or "no log"


def _relative(target: Path, folder: Path) -> str:
    return Path(os.path.relpath(target.resolve(), folder.resolve())).as_posix()
