"""The header every page shows: scenario, run id, state, simulated time and who is in control, from
a bridge snapshot and the run's result file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .catalog import outcome

STARTING_FOR_S = 60.0
"""A runtime's ``starting`` is believed this long [s] without a newer status (a start takes seconds
during which the runtime builds the run and publishes nothing)."""
GONE_S = 3.0
"""A runtime silent for longer [s] is shown as gone (``no runtime``)."""
INPUT_FRESH_MS = 500.0
"""A driver or AI input younger than this [ms] counts as that party driving."""
NOBODY = ("none", "fallback")
"""``stack/events`` controls meaning that no person or AI drives (the fallback brakes)."""


class Header:
    """Builds the header; remembers each finished run's outcome (read once from its result.json)."""

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = runs_dir
        self._outcomes: dict[str, str] = {}

    def __call__(self, snap: dict[str, Any]) -> dict[str, Any]:
        topics = snap["topics"]
        run = snap.get("run", {})
        status = topics.get("run/status")
        state = self._state(status, run)
        t_sim_ns = None
        for topic in ("vehicle/state", "run/status"):
            t = topics.get(topic)
            if t is not None and state in ("running", "paused", "stopping"):
                t_sim_ns = max(t_sim_ns or 0, t["msg"]["t_sim_ns"])
        control, alarm = _control(snap, state)
        return {
            "scenario": run.get("scenario", ""),
            "road": run.get("scenario_file") or run.get("scenario", ""),
            "run_id": run.get("run_id", ""),
            "state": state,
            "t_sim_s": None if t_sim_ns is None else t_sim_ns * 1e-9,
            "control": control,
            "control_alarm": alarm,
        }

    def _state(self, status: dict[str, Any] | None, run: dict[str, str]) -> str:
        """idle, starting, running, paused, stopping, stopped, aborted or no runtime."""
        if status is None:
            return "no runtime"
        s, age_s = status["msg"]["state"], status["age_ms"] * 1e-3
        if s == "starting":
            return "starting" if age_s <= STARTING_FOR_S else "no runtime"
        if age_s > GONE_S:
            return "no runtime"
        if s in ("running", "paused", "stopping"):
            return s
        if s == "error":
            return "aborted"
        run_id = run.get("run_id")
        if not run_id:
            return "idle"  # the runtime waits and no run was seen from this console
        return "aborted" if self._outcome(run_id) == "aborted" else "stopped"

    def _outcome(self, run_id: str) -> str:
        if run_id in self._outcomes:
            return self._outcomes[run_id]
        try:
            doc = json.loads((self.runs_dir / run_id / "result.json").read_text())
        except (OSError, ValueError):
            return ""  # not written yet (or elsewhere): asked again next frame
        verdict = doc.get("verdict") if isinstance(doc, dict) else None
        said = outcome(verdict if isinstance(verdict, dict) else {}) or ""
        self._outcomes[run_id] = said
        return said


def _control(snap: dict[str, Any], state: str) -> tuple[str, bool]:
    """Who drives and whether that is an alarm (nobody, or the fallback, during a run)."""
    topics = snap["topics"]

    def fresh(topic: str) -> bool:
        t = topics.get(topic)
        return t is not None and t["age_ms"] <= INPUT_FRESH_MS

    control = snap.get("control") or ""
    if not control:
        control = "ai" if fresh("ai/command") else "driver" if fresh("driver/input") else ""
    live = state in ("running", "paused", "stopping")
    if control in NOBODY or (live and not control):
        return ("NOBODY: fallback braking" if control == "fallback" else "NOBODY"), True
    return control or "-", False
