"""Concrete runs of a campaign: every combination of parameter values, scenario, stack and
repetition as a reproducible run spec with a stable id."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from dil import __version__

from .spec import CampaignSpec


@dataclass(frozen=True)
class RunSpec:
    scenario: str
    scenario_sha256: str
    params: tuple[tuple[str, str], ...]
    stack: str
    repetition: int
    seed: int
    vehicle: str
    model: str
    max_time: float | None
    criteria: tuple[tuple[str, str], ...] = ()
    dil_version: str = __version__

    @cached_property
    def run_id(self) -> str:
        """16 hex digits of the SHA-256 of everything that defines the run (worked out once)."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def as_dict(self) -> dict:
        d = asdict(self)
        d["run_id"] = self.run_id
        return d

    @staticmethod
    def from_dict(d: dict) -> RunSpec:
        d = {k: v for k, v in d.items() if k != "run_id"}
        d["params"] = tuple(tuple(p) for p in d["params"])
        d["criteria"] = tuple(tuple(c) for c in d.get("criteria", ()))
        return RunSpec(**d)


def _text(v: float | str) -> str:
    if isinstance(v, str):
        return v
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def parameter_sets(spec: CampaignSpec) -> list[dict[str, str]]:
    """The parameter combinations, in a stable order (explicit value sets times the rest)."""
    rest = _combinations(spec)
    if not spec.value_sets:
        return rest
    return [{**row, **combo} for row in spec.value_sets for combo in rest]


def _combinations(spec: CampaignSpec) -> list[dict[str, str]]:
    names = list(spec.parameters)
    dists = [spec.parameters[n] for n in names]
    if not names:
        return [{}]
    if spec.combination == "grid":
        combos = itertools.product(*(d.points() for d in dists))
        return [{n: _text(v) for n, v in zip(names, c, strict=True)} for c in combos]
    if spec.combination == "zip":
        return [
            {n: _text(v) for n, v in zip(names, c, strict=True)}
            for c in zip(*(d.points() for d in dists), strict=True)
        ]
    n = int(spec.samples or 0)
    rng = np.random.default_rng(spec.seed)
    if spec.combination == "latin_hypercube":
        u = np.stack([(rng.permutation(n) + rng.random(n)) / n for _ in names], axis=1)
    else:
        u = rng.random((n, len(names)))
    return [
        {
            name: _text(d.quantile(float(u[i, j])))
            for j, (name, d) in enumerate(zip(names, dists, strict=True))
        }
        for i in range(n)
    ]


def run_specs(spec: CampaignSpec) -> list[RunSpec]:
    """Every run of the campaign."""
    out = []
    criteria = tuple(sorted((k, json.dumps(v)) for k, v in (spec.criteria or {}).items()))
    sets = parameter_sets(spec)
    for scenario in spec.scenario_paths():
        sha = hashlib.sha256(scenario.read_bytes()).hexdigest()
        for stack in spec.stacks:
            for k, params in enumerate(sets):
                for rep in range(spec.repetitions):
                    out.append(
                        RunSpec(
                            str(scenario),
                            sha,
                            tuple(sorted(params.items())),
                            stack,
                            rep,
                            spec.seed * 1_000_003 + k * 1009 + rep,
                            spec.vehicle,
                            spec.model,
                            spec.max_time,
                            criteria,
                        )
                    )
    return out


def scenario_name(run: RunSpec) -> str:
    return Path(run.scenario).stem
