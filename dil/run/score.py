"""The verdict of a recorded run, scored again from its messages (``dil log score``).

The KPIs come from the log's messages; how the run ended comes from the log's own record of it
(``dil.recording`` metadata): a run that was aborted or cut by its time guard stays aborted or
incomplete, whatever its KPIs say.
"""

from __future__ import annotations

import json
from pathlib import Path

from .criteria import Criteria, judge
from .kpi import Kpis, score_log
from .outcome import ABORTED, INCOMPLETE, outcome_of


def score_recording(path: str | Path, overrides: dict[str, str] | None = None) -> tuple[Kpis, dict]:
    """The log's KPIs and its verdict under the scenario's criteria (if the scenario file is
    still where the log says) with ``overrides``."""
    from dil.recording.reader import read_metadata

    meta, _ = read_metadata(path)
    kpis = score_log(path)
    rec = meta.get("dil.recording", {})
    kpis.end = rec.get("end", "")
    recorded = json.loads(rec["verdict"]) if "verdict" in rec else None
    scenario = Path(meta.get("dil.run", {}).get("scenario", ""))
    criteria = Criteria.for_scenario(scenario) if scenario.suffix == ".xosc" else Criteria()
    outcome = outcome_of(recorded)
    reason = (recorded or {}).get("reason", "") or kpis.end or outcome
    verdict = judge(
        kpis,
        criteria.with_overrides(overrides or {}),
        timed_out=kpis.end.startswith("time limit"),
        aborted=reason if outcome == ABORTED else "",
        incomplete=reason if outcome == INCOMPLETE else "",
    )
    return kpis, verdict
