"""What the operator chooses from and looks back at: the scenario catalog with each scenario's
declared parameters, and the recent runs with their verdicts."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from dil.paths import catalog_dir

CATALOG = catalog_dir()


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    value: str


def scenario_catalog(directory: Path = CATALOG) -> dict[str, list[Parameter]]:
    """Scenario name (file stem) -> its top-level ParameterDeclarations, for every ``*.xosc``."""
    out: dict[str, list[Parameter]] = {}
    for path in sorted(directory.glob("*.xosc")):
        try:
            root = etree.parse(str(path)).getroot()
        except (OSError, etree.XMLSyntaxError):
            continue  # the runtime will say what is wrong if it is ever started
        params = [
            Parameter(d.get("name", ""), d.get("parameterType", ""), d.get("value", ""))
            for d in root.findall("ParameterDeclarations/ParameterDeclaration")
        ]
        out[path.stem] = params
    return out


OUTCOMES = ("pass", "fail", "aborted", "incomplete")


def outcome(verdict: dict[str, Any]) -> str | None:
    """A result's outcome (pass, fail, aborted, incomplete); older results without one: pass or
    fail from ``passed``; None when neither says."""
    given = verdict.get("outcome")
    if given in OUTCOMES:
        return given
    passed = verdict.get("passed")
    return None if passed is None else "pass" if passed is True else "fail"


def recent_runs(directory: Path, limit: int = 30) -> list[dict[str, Any]]:
    """The newest runs under ``directory`` (folders holding ``result.json``), newest first, each with
    its outcome and the reason of an aborted or incomplete one."""
    found = []
    for result in directory.glob("*/result.json"):
        try:
            found.append((result.stat().st_mtime, result))
        except OSError:
            continue
    runs = []
    for mtime, result in sorted(found, reverse=True)[:limit]:
        try:
            doc = json.loads(result.read_text())
        except (OSError, ValueError):
            continue
        folder = result.parent
        verdict = doc.get("verdict") or {}
        runs.append(
            {
                "name": folder.name,
                "scenario": Path(str(doc.get("scenario", ""))).stem,
                "parameters": doc.get("parameters", {}),
                "passed": verdict.get("passed"),
                "outcome": outcome(verdict),
                "reason": str(verdict.get("reason") or ""),
                "end": doc.get("end", ""),
                "simulated_s": doc.get("simulated_s"),
                "finished": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(mtime)),
                "finished_ms": round(mtime * 1e3),
                "has_log": (folder / "run.mcap").exists(),
            }
        )
    return runs
