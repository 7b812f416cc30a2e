"""Re-simulation: run a log's scenario again from its recorded commands and compare every vehicle
state with the recorded one, bit for bit."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dil.recording.compare import Divergence, first_divergence
from dil.recording.reader import LogError, check, read_metadata
from dil.run.runner import run
from dil.run.spec import DriverChoice, Outputs, RunSpec, ScenarioChoice, Timing, VehicleChoice


class ResimError(ValueError):
    """A log that cannot be re-simulated; the message names the file and what is missing."""


@dataclass(frozen=True)
class Resim:
    """The outcome of a re-simulation."""

    compared: int
    """How many ``vehicle/state`` messages were compared."""
    divergence: Divergence | None
    """The first message that differs, or None when all are identical."""
    cut_at_ns: int | None = None
    """Where the log is cut short (the writer did not finish) [ns of simulated time]; None if complete."""

    @property
    def identical(self) -> bool:
        return self.divergence is None


def resimulate(log: Path, *, vehicle: str | None = None, osi_trace: Path | None = None) -> Resim:
    """Re-run ``log``'s scenario with ``stack=replay`` (its recorded commands), with ``vehicle`` (a
    parameter set name) in place of the recorded one when given, writing the re-simulation's OSI
    ground truth to ``osi_trace`` when given. Raises :class:`ResimError` for a log that has no run
    description or scenario, whose scenario is not here, or that is cut short before its first message."""
    try:
        meta, attachments = read_metadata(log)
    except LogError as e:
        raise ResimError(str(e)) from None
    info = meta.get("dil.run")
    if info is None or "scenario.xosc" not in attachments:
        raise ResimError(f"{log}: no run description or scenario in the log: cannot re-simulate")
    scenario = Path(info["scenario"])
    if not scenario.is_file():
        raise ResimError(f"the recorded scenario {scenario} is not here")
    max_time = float(info["max_time_s"])
    held = check(log)
    cut_at_ns = None
    if not held.complete:
        if held.last_ns is None:
            raise ResimError(f"{log}: the log is cut short before its first message")
        cut_at_ns = held.last_ns
        max_time = min(max_time, held.last_ns / 1e9)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "resim.mcap"
        try:
            run(
                RunSpec(
                    ScenarioChoice(scenario, json.loads(info["overrides"]), info["ego"]),
                    DriverChoice("replay", replay_log=log),
                    vehicle=VehicleChoice(
                        vehicle or info["vehicle"], info["model"], int(info["vehicle_substeps"])
                    ),
                    outputs=Outputs(record=out, osi=osi_trace),
                    timing=Timing(max_time=max_time),
                )
            )
        except (ValueError, KeyError, OSError) as e:  # a damaged run description, scenario or log
            raise ResimError(f"{log}: cannot re-simulate: {e}") from None
        divergence, compared = first_divergence(log, out, ("vehicle/state",), cut=cut_at_ns is not None)
    return Resim(compared, divergence, cut_at_ns)
