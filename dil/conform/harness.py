"""Running the corpus: each scenario with dil (and esmini where given), compared per entity; the
census of elements over every file (catalogs included)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dil import __version__

from .census import census, support_matrix
from .corpus import CorpusFile
from .diff import DIFFERS, WITHIN, compare_file, esmini_only
from .players import LOADED, PlayerRun, esmini_version, run_dil, run_esmini
from .worker import run_worker
from .xosc import SCENARIO, XoscFacts, read


@dataclass
class Options:
    out: Path
    esmini: Path | None = None
    tolerance_m: float = 0.5
    timeout_s: float = 300.0
    with_census: bool = False
    esmini_version: str = ""
    """What to call the esmini build in the report (default: what ``esmini --version`` prints)."""
    worker: bool = False
    """Hand each dil run to a ``dil run-worker`` the harness starts (else each is a fresh process)."""


def conform(files: list[CorpusFile], opts: Options, progress: Callable[[str], None] | None = None) -> dict:
    """The whole report as a JSON-ready dict (``files``, ``summary``, ``census`` where asked)."""
    if not opts.worker:
        return _conform(files, opts, progress, None)
    with run_worker(opts.out / "run-worker.log", idle_s=opts.timeout_s + 600) as env:
        return _conform(files, opts, progress, env)


def _conform(
    files: list[CorpusFile],
    opts: Options,
    progress: Callable[[str], None] | None,
    dil_env: dict[str, str] | None,
) -> dict:
    rows, facts_all, refusals = [], [], Counter()
    for cf in files:
        facts = read(cf.path)
        facts_all.append(facts)
        row: dict = {"file": cf.label, "path": str(cf.path), "kind": facts.kind}
        if facts.kind != SCENARIO:
            row["note"] = facts.error or f"a {facts.kind} file: counted in the census, not run"
            rows.append(row)
            continue
        dil = run_dil(cf.path, opts.out / "dil" / cf.slug, opts.timeout_s, dil_env)
        row["dil"] = dil.as_dict()
        if dil.element and dil.status != LOADED:
            refusals[dil.element] += 1
        row["controllers"] = facts.controllers
        if opts.esmini is not None:
            esm = run_esmini(opts.esmini, cf.path, opts.out / "esmini" / f"{cf.slug}.csv", opts.timeout_s)
            row["esmini"] = esm.as_dict()
            row.update(_compare(cf.path, dil, esm, opts.tolerance_m, facts))
        rows.append(row)
        if progress is not None:
            progress(_line(row))
    doc = {
        "dil_version": __version__,
        "esmini": {"path": str(opts.esmini), "version": opts.esmini_version or esmini_version(opts.esmini)}
        if opts.esmini
        else None,
        "tolerance_m": opts.tolerance_m,
        "dil_process": "run-worker" if opts.worker else "fresh",
        "files": rows,
        "summary": summary(rows, opts.esmini is not None),
    }
    if opts.with_census:
        doc["census"] = census(facts_all, refusals, support_matrix())
    return doc


def _compare(xosc: Path, dil: PlayerRun, esm: PlayerRun, tol: float, facts: XoscFacts) -> dict:
    if esm.status != LOADED or esm.trace is None:
        return {"entities": [], "controlled": [], "notes": [f"esmini {esm.status}: {esm.message}"]}
    if dil.status != LOADED or dil.trace is None:
        ents, ctl = esmini_only(esm.trace, facts.controllers, facts.entities)
        return {"entities": ents, "controlled": ctl, "notes": []}
    try:
        return compare_file(xosc, dil.trace, esm.trace, tol, facts.controllers, facts.entities)
    except Exception as e:  # one file's failure is a row of the table, not the harness's end
        return {"error": f"comparison failed: {type(e).__name__}: {e}", "entities": [], "controlled": []}


def _line(row: dict) -> str:
    dil = row["dil"]
    text = f"{row['file']}: dil {dil['status']}"
    if dil["status"] != LOADED:
        text += f" ({dil['message'][:120]})"
    if "esmini" in row:
        ents = row.get("entities", [])
        within = sum(e["status"] == WITHIN for e in ents)
        text += f"; esmini {row['esmini']['status']}; {within}/{len(ents)} entities within"
    return text


def _pct(n: int, d: int) -> float | None:
    return round(100.0 * n / d, 1) if d else None


def summary(rows: list[dict], with_esmini: bool) -> dict:
    scen = [r for r in rows if r["kind"] == SCENARIO]
    loaded = sum(r["dil"]["status"] == LOADED for r in scen)
    out: dict = {
        "files": len(rows),
        "scenarios": len(scen),
        "dil_loaded": loaded,
        "dil_loaded_pct": _pct(loaded, len(scen)),
        "dil_status": dict(Counter(r["dil"]["status"] for r in scen)),
    }
    if with_esmini:
        ents = [e for r in scen for e in r.get("entities", [])]
        ctl = [c for r in scen for c in r.get("controlled", [])]
        within = sum(e["status"] == WITHIN for e in ents)
        compared = sum(e["status"] in (WITHIN, DIFFERS) for e in ents)
        out.update(
            esmini_loaded=sum(r["esmini"]["status"] == LOADED for r in scen),
            entities=len(ents),
            entities_compared=compared,
            entities_within=within,
            entities_within_pct=_pct(within, len(ents)),
            entities_within_of_compared_pct=_pct(within, compared),
            files_all_within=sum(
                bool(r.get("entities")) and all(e["status"] == WITHIN for e in r["entities"]) for r in scen
            ),
            controlled=len(ctl),
            controlled_same_outcome=sum(c["status"] == "same outcome" for c in ctl),
            whole_process=whole_process(scen),
        )
    return out


def whole_process(scen: list[dict]) -> dict:
    """Both players' whole-process times over the files both ran (loaded): medians [s], the median
    and largest ratio dil/esmini, and on how many files dil took no longer than esmini, by wall clock
    and by CPU time."""
    both = [r for r in scen if r["dil"]["status"] == LOADED and r.get("esmini", {}).get("status") == LOADED]
    out: dict = {"files": len(both)}
    for clock in ("wall", "cpu"):
        key = f"{clock}_s"
        pairs = [(r["dil"][key], r["esmini"][key]) for r in both if r["dil"].get(key) is not None
                 and r["esmini"].get(key) is not None]  # fmt: skip
        out[f"dil_{clock}_median_s"] = _median([d for d, _ in pairs])
        out[f"esmini_{clock}_median_s"] = _median([e for _, e in pairs])
        out[f"dil_not_slower_{clock}"] = sum(d <= e for d, e in pairs)
        ratios = [d / e for d, e in pairs if e > 0]
        out[f"ratio_{clock}_median"] = _median(ratios)
        out[f"ratio_{clock}_max"] = round(max(ratios), 3) if ratios else None
    return out


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None
