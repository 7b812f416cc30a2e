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
max_time: 60
keep_passing_logs: false
osi: false                   # true: every log also holds ASAM OSI ground truth (docs/osi.md)
```
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path

import dacite
import yaml


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
    max_time: float = 120.0
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


def load(path: str | Path) -> CampaignSpec:
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as e:
        raise CampaignError(f"{path}: cannot read ({e.strerror})") from None
    except yaml.YAMLError as e:
        raise CampaignError(f"{path}: not YAML ({e})") from None
    if not isinstance(doc, dict):
        raise CampaignError(f"{path}: a campaign is a mapping of keys to values")
    known = {f.name for f in fields(CampaignSpec)} - {"source"}
    for key in doc:
        if key not in known:
            raise CampaignError(f"{path}: unknown key {key!r} (known: {', '.join(sorted(known))})")
    for name, d in (doc.get("parameters") or {}).items():
        if not isinstance(d, dict) or len(d) != 1:
            raise CampaignError(
                f"{path}: parameters.{name}: give exactly one of values, range, uniform, normal"
            )
    try:
        spec = dacite.from_dict(
            CampaignSpec,
            {**doc, "source": path.resolve()},
            config=dacite.Config(strict=True, type_hooks={Path: Path}),
        )
    except (dacite.DaciteError, TypeError) as e:
        raise CampaignError(f"{path}: {e}") from None
    validate(spec)
    return spec


def validate(spec: CampaignSpec) -> None:
    where = str(spec.source)
    if spec.combination not in COMBINATIONS:
        raise CampaignError(
            f"{where}: combination {spec.combination!r}: must be one of {', '.join(COMBINATIONS)}"
        )
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
    for name, d in spec.parameters.items():
        if d.range is not None and d.range.step <= 0:
            raise CampaignError(f"{where}: parameters.{name}.range.step must be > 0")
        if d.normal is not None and d.normal.sd <= 0:
            raise CampaignError(f"{where}: parameters.{name}.normal.sd must be > 0")
    for s in spec.scenario_paths():
        if not s.is_file():
            raise CampaignError(f"{where}: scenario {s} does not exist")
    if spec.repetitions < 1:
        raise CampaignError(f"{where}: repetitions must be >= 1")
