"""The census: which OpenSCENARIO elements the corpus uses (tags under Entities, Storyboard and
catalogs), set against the support matrix (docs/openscenario-support.md) and against what dil
actually refused."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from dil.paths import docs_dir

from .xosc import XoscFacts

SUPPORTED, UNSUPPORTED, UNLISTED = "supported", "not supported", "not listed"

SUPPORT_MATRIX = docs_dir() / "openscenario-support.md"

FEATURE_SUFFIXES = ("Action", "Condition", "Position", "Controller", "Distribution", "Trailer", "Swarm")
"""Tags that are features of the standard in their own right (the rest are mostly their parts:
dynamics, targets, wrappers); an unlisted one of these is a gap."""

WRAPPERS = frozenset({
    "Action", "PrivateAction", "GlobalAction", "LongitudinalAction", "LateralAction", "RoutingAction",
    "ControllerAction", "ParameterAction", "VariableAction", "AppearanceAction", "TrafficAction",
    "Condition", "ByValueCondition", "ByEntityCondition", "EntityCondition",
    "Position", "TargetPosition", "TargetPositionMaster", "InRoutePosition",
})  # fmt: skip
"""Elements that only group the features below them: a gap only where dil refused one."""

_ROW = re.compile(r"^\|([^|]+)\|([^|]+)\|")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]*)*\b")  # Trailer, LightStateAction, ...


def support_matrix(path: Path = SUPPORT_MATRIX) -> dict[str, str]:
    """Element -> supported / not supported, from the first two columns of the matrix's tables (an
    entry whose second column begins with "no" is not supported)."""
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        m = _ROW.match(line.strip())
        if not m or set(m.group(2).strip()) <= {"-"}:
            continue
        support = m.group(2).strip().lower()
        state = (
            UNSUPPORTED if support == "no" or support.startswith(("no ", "no;", "no,", "no(")) else SUPPORTED
        )
        for name in _NAME.findall(m.group(1).replace("`", "")):
            out.setdefault(name, state)
    return out


def is_feature(tag: str) -> bool:
    return tag.endswith(FEATURE_SUFFIXES) and tag not in WRAPPERS


def census(facts: list[XoscFacts], refusals: Counter, matrix: dict[str, str]) -> dict:
    """Per element: occurrences, files using it, its support and how many files dil refused naming it;
    ``gaps``: the feature elements that are not supported, not listed or refused, most-used first."""
    occurrences: Counter = Counter()
    files: Counter = Counter()
    for f in facts:
        occurrences.update(f.tags)
        files.update(set(f.tags))
    elements = [
        {
            "element": tag,
            "files": files[tag],
            "occurrences": occurrences[tag],
            "support": matrix.get(tag, UNLISTED),
            "refused_files": refusals.get(tag, 0),
        }
        for tag in sorted(occurrences, key=lambda t: (-files[t], t))
    ]
    gaps = [
        e for e in elements if e["refused_files"] or (is_feature(e["element"]) and e["support"] != SUPPORTED)
    ]
    return {
        "support_matrix": str(SUPPORT_MATRIX) if matrix else None,
        "files_counted": len(facts),
        "elements": elements,
        "gaps": gaps,
        "refusals": [{"element": k, "files": v} for k, v in refusals.most_common()],
    }
