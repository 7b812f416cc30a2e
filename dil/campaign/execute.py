"""One campaign from its file to its results folder: load it (a campaign YAML or an OpenSCENARIO
ParameterValueDistribution), run what is not done yet (:func:`dil.campaign.engine.run_campaign`),
write the tables and the report. ``dil campaign`` parses its arguments and prints around this."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .engine import run_campaign
from .pvd import load_pvd
from .results import counts as status_counts
from .results import rows, write_csv, write_html, write_junit, write_parquet
from .runs import RunSpec, run_specs
from .spec import CampaignSpec, load


def load_campaign(path: Path, stacks: list[str] | None = None) -> tuple[CampaignSpec, list[RunSpec]]:
    """The campaign and its runs; ``stacks``: for a ParameterValueDistribution file, the stacks to run.
    Raises :class:`~dil.campaign.spec.CampaignError` naming the file, field and value."""
    spec = load_pvd(path, stacks) if path.suffix == ".xosc" else load(path)
    return spec, run_specs(spec)


def default_out(spec: CampaignSpec) -> Path:
    """Where a campaign's results go when no folder is given: ``dil-campaigns/NAME``."""
    return Path("dil-campaigns") / spec.name


@dataclass(frozen=True)
class CampaignOutcome:
    """What a campaign left in its folder."""

    table: list[dict]
    """One row per run (:func:`dil.campaign.results.rows`)."""
    counts: dict[str, int]
    """Runs per status."""
    ran: int
    """Runs done now."""
    skipped: int
    """Runs already done by an earlier call (resumed)."""
    wall_s: float
    """Wall time of the runs [s]."""
    written: tuple[str, ...]
    """The result files written, by name."""

    @property
    def all_passed(self) -> bool:
        return self.counts["pass"] == len(self.table)


def execute_campaign(
    spec: CampaignSpec,
    specs: list[RunSpec],
    out: Path,
    *,
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    timeout: float = 600.0,
    map_axes: tuple[str, str] | None = None,
    progress: Callable[[int, int, int, float], None] | None = None,
) -> CampaignOutcome:
    """Write ``out/campaign.json``, run what is not done, write results.csv, junit.xml and, where their
    libraries are installed, results.parquet and report.html (``map_axes``: the two parameters of its
    pass/fail maps). Raises RuntimeError where the engine cannot start."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "campaign.json").write_text(
        json.dumps(
            {"name": spec.name, "file": str(spec.source), "runs": [s.as_dict() for s in specs]}, indent=1
        )
    )
    t0 = time.perf_counter()
    ran, skipped = run_campaign(
        specs,
        out,
        engine=engine,
        workers=workers,
        address=address,
        keep_passing_logs=spec.keep_passing_logs,
        osi=spec.osi,
        timeout=timeout,
        progress=progress,
    )
    wall = time.perf_counter() - t0
    table = rows(specs, out)
    write_csv(table, out / "results.csv")
    parquet = write_parquet(table, out / "results.parquet")
    write_junit(table, out / "junit.xml", spec.name)
    try:
        write_html(table, out / "report.html", spec.name, map_axes)
        html_ok = True
    except ImportError:
        html_ok = False
    written = (
        ["results.csv", "junit.xml"]
        + (["results.parquet"] if parquet else [])
        + (["report.html"] if html_ok else [])
    )
    return CampaignOutcome(table, status_counts(table), ran, skipped, wall, tuple(written))
