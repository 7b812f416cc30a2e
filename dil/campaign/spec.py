"""Campaign files: YAML loaded strictly into dataclasses (an unknown key is an error naming it).

```yaml
name: ccrs-sweep
scenarios: [../scenarios/catalog/ccrs.xosc]   # relative to this file
stacks: [builtin, aeb]
combination: grid            # grid | zip | latin_hypercube | random
samples: 100                 # latin_hypercube and random: how many
seed: 7
repetitions: 1
parameters:
  EgoSpeed: {values: [20, 30, 40]}              # deterministic list
  Overlap: {range: {start: -0.5, stop: 0.5, step: 0.25}}
  StartTTC: {uniform: {low: 4, high: 6}}        # stochastic: latin_hypercube / random only
  Decel: {normal: {mean: 6, sd: 1, low: 2, high: 10}}
criteria: {no_collision: true}                 # overrides every scenario's criteria file
max_time: 60                 # optional: derived from each scenario when left out
keep_passing_logs: false
osi: false                   # true: every log also holds ASAM OSI ground truth (docs/osi.md)
```
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path

import dacite

from dil.config.ranges import Bound, check, closed, count, positive
from dil.config.typed import from_dict
from dil.config.yaml_safe import ConfigError, load_yaml, short

MAX_POINTS = 100_000
"""Values one deterministic parameter may take (a range's (stop - start) / step + 1)."""
MAX_RUNS = 1_000_000
"""Runs one campaign may hold."""


class CampaignError(ValueError):
    """A campaign file that cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class Range:
    start: float
    stop: float
    step: float


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float


@dataclass(frozen=True)
class Normal:
    mean: float
    sd: float
    low: float = -math.inf
    high: float = math.inf


@dataclass(frozen=True)
class Distribution:
    values: list[float | str] | None = None
    range: Range | None = None
    uniform: Uniform | None = None
    normal: Normal | None = None

    @property
    def deterministic(self) -> bool:
        return self.values is not None or self.range is not None

    def points(self) -> list[float | str]:
        """The values of a deterministic distribution."""
        if self.values is not None:
            return list(self.values)
        r = self.range
        assert r is not None
        n = math.floor((r.stop - r.start) / r.step + 1e-9) + 1
        return [round(r.start + i * r.step, 12) for i in range(n)]

    def quantile(self, u: float) -> float | str:
        """The value at probability ``u`` in [0, 1)."""
        if self.deterministic:
            pts = self.points()
            return pts[min(int(u * len(pts)), len(pts) - 1)]
        if self.uniform is not None:
            return self.uniform.low + u * (self.uniform.high - self.uniform.low)
        n = self.normal
        assert n is not None
        lo, hi = _phi((n.low - n.mean) / n.sd), _phi((n.high - n.mean) / n.sd)  # truncated normal
        return n.mean + n.sd * _phi_inv(lo + u * (hi - lo))


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0))) if math.isfinite(z) else (0.0 if z < 0 else 1.0)


def _phi_inv(p: float) -> float:
    """Inverse standard normal CDF by bisection on erf (exact enough for sampling)."""
    p = min(max(p, 1e-12), 1.0 - 1e-12)
    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if _phi(mid) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


COMBINATIONS = ("grid", "zip", "latin_hypercube", "random")


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    scenarios: list[str]
    parameters: dict[str, Distribution] = field(default_factory=dict)
    stacks: list[str] = field(default_factory=lambda: ["builtin"])
    combination: str = "grid"
    samples: int | None = None
    seed: int = 0
    repetitions: int = 1
    criteria: dict[str, bool | float] | None = None
    max_time: float | None = None
    """Each run's time guard [s]; None: derived from each scenario as ``dil run`` does
    (:func:`dil.run.guard.default_max_time`), so a campaign never cuts a scenario short by default."""
    vehicle: str = "sedan_bmw320i"
    model: str = "single_track"
    keep_passing_logs: bool = False
    osi: bool = False
    """Every run's log also holds ASAM OSI ground truth (channel ``ground_truth``)."""
    value_sets: list[dict[str, str]] | None = None
    """Explicit rows of parameter values (OpenSCENARIO ValueSetDistribution), combined with the rest."""
    source: Path = Path(".")
    """The file it was read from (scenario paths are relative to its folder)."""

    def scenario_paths(self) -> list[Path]:
        return [(self.source.parent / s).resolve() for s in self.scenarios]


RANGES: dict[str, Bound] = {
    "parameters.*.values.*": closed(-1e9, 1e9),
    "parameters.*.range.start": closed(-1e9, 1e9),
    "parameters.*.range.stop": closed(-1e9, 1e9),
    "parameters.*.range.step": positive(1e9),
    "parameters.*.uniform.low": closed(-1e9, 1e9),
    "parameters.*.uniform.high": closed(-1e9, 1e9),
    "parameters.*.normal.mean": closed(-1e9, 1e9),
    "parameters.*.normal.sd": positive(1e9),
    "parameters.*.normal.low": closed(-math.inf, 1e9),
    "parameters.*.normal.high": closed(-1e9, math.inf),
    "samples": count(1, MAX_RUNS),
    "seed": count(0, 2**63 - 1),
    "repetitions": count(1, 10_000),
    "criteria.*": closed(0.0, 1e6),
    "max_time": positive(1e6, "s"),
}
"""Valid range of every number of a campaign file (documented in docs/campaigns.md)."""


def load(path: str | Path) -> CampaignSpec:
    path = Path(path)
    try:
        doc = load_yaml(path, "campaign file")
    except ConfigError as e:
        raise CampaignError(str(e)) from None
    if not isinstance(doc, dict):
        raise CampaignError(f"{path}: a campaign is a mapping of keys to values")
    known = {f.name for f in fields(CampaignSpec)} - {"source"}
    for key in doc:
        if key not in known:
            raise CampaignError(f"{path}: unknown key {short(key)} (known: {', '.join(sorted(known))})")
    params = doc.get("parameters") or {}
    if not isinstance(params, dict):
        raise CampaignError(f"{path}: parameters: a mapping of parameter names to distributions")
    for name, d in params.items():
        if not isinstance(d, dict) or len(d) != 1:
            raise CampaignError(
                f"{path}: parameters.{short(name)}: give exactly one of values, range, uniform, normal"
            )
    try:
        spec = from_dict(
            CampaignSpec,
            {**doc, "source": path.resolve()},
            str(path),
            dacite.Config(strict=True, type_hooks={Path: Path}),
        )
    except ConfigError as e:
        raise CampaignError(str(e)) from None
    validate(spec)
    return spec


def validate(spec: CampaignSpec) -> None:
    """Ranges of every number, then the campaign's consistency; :class:`CampaignError` otherwise."""
    where = str(spec.source)
    try:
        check(spec, RANGES, where)
    except ConfigError as e:
        raise CampaignError(str(e)) from None
    if spec.combination not in COMBINATIONS:
        raise CampaignError(
            f"{where}: combination {short(spec.combination)}: must be one of {', '.join(COMBINATIONS)}"
        )
    for name, d in spec.parameters.items():
        key = f"parameters.{name}"
        if d.range is not None:
            r = d.range
            if r.stop < r.start:
                raise CampaignError(f"{where}: {key}.range: stop = {r.stop:g} is below start = {r.start:g}")
            if (r.stop - r.start) / r.step + 1 > MAX_POINTS:
                raise CampaignError(
                    f"{where}: {key}.range: ({r.stop:g} - {r.start:g}) / {r.step:g} gives more than "
                    f"{MAX_POINTS} values"
                )
        if d.values is not None and not d.values:
            raise CampaignError(f"{where}: {key}.values: empty")
        if d.uniform is not None and d.uniform.high < d.uniform.low:
            u = d.uniform
            raise CampaignError(f"{where}: {key}.uniform: high = {u.high:g} is below low = {u.low:g}")
        if d.normal is not None and d.normal.high <= d.normal.low:
            n = d.normal
            raise CampaignError(f"{where}: {key}.normal: high = {n.high:g} must exceed low = {n.low:g}")
    if spec.combination in ("grid", "zip"):
        for name, d in spec.parameters.items():
            if not d.deterministic:
                raise CampaignError(
                    f"{where}: parameters.{name} is stochastic: use latin_hypercube or random"
                )
    if spec.combination == "zip":
        lengths = {name: len(d.points()) for name, d in spec.parameters.items()}
        if len(set(lengths.values())) > 1:
            raise CampaignError(f"{where}: zip needs lists of one length, got {lengths}")
    if spec.combination in ("latin_hypercube", "random") and not spec.samples:
        raise CampaignError(f"{where}: {spec.combination} needs samples: N")
    runs = _run_count(spec)
    if runs > MAX_RUNS:
        raise CampaignError(f"{where}: {runs:.3g} runs: more than the {MAX_RUNS} a campaign may hold")
    for s in spec.scenario_paths():
        if not s.is_file():
            raise CampaignError(f"{where}: scenario {s} does not exist")


def _run_count(spec: CampaignSpec) -> float:
    """Runs the campaign implies (a float: a grid's product may be huge)."""
    if spec.combination == "grid":
        n = 1.0
        for d in spec.parameters.values():
            n *= len(d.points())
    elif spec.combination == "zip":
        n = float(min((len(d.points()) for d in spec.parameters.values()), default=1))
    else:
        n = float(spec.samples or 0)
    n *= max(1, len(spec.value_sets or [])) * len(spec.scenarios) * len(spec.stacks) * spec.repetitions
    return n
