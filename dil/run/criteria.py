"""Pass criteria of a run: from the catalog's ``<scenario>.criteria.yaml`` beside the scenario file,
or given on the command line; unknown keys are errors naming the file and key."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from dil.config.ranges import Bound, check, closed, count
from dil.config.typed import from_dict
from dil.config.yaml_safe import ConfigError, load_yaml

from .kpi import Kpis
from .kpi_units import text as kpi_text
from .outcome import ABORTED, FAIL, INCOMPLETE, PASS

RANGES: dict[str, Bound] = {
    "max_collision_speed": closed(0.0, 1000.0, "m/s"),
    "min_ttc": closed(0.0, 1000.0, "s"),
    "min_distance": closed(0.0, 10_000.0, "m"),
    "max_decel": closed(0.0, 100.0, "m/s^2"),
    "max_lane_invasions": count(0, 1_000_000),
}
"""Valid range of every number of a criteria file (docs/scenarios.md)."""


@dataclass(frozen=True)
class Criteria:
    no_collision: bool = True
    """The ego must not touch any entity."""
    max_collision_speed: float | None = None
    """If a collision is allowed at all: the highest closing speed [m/s] that still passes."""
    min_ttc: float | None = None
    """Lowest time to collision allowed [s]."""
    min_distance: float | None = None
    """Closest free-space distance allowed [m]."""
    max_decel: float | None = None
    """Hardest braking allowed [m/s^2] (comfort criteria)."""
    max_lane_invasions: int | None = None
    no_off_road: bool = False
    must_complete: bool = False
    """The storyboard must end by itself (stop trigger or all stories complete) within the time limit."""
    source: str = "defaults"

    @staticmethod
    def load(path: Path) -> Criteria:
        """Criteria from a YAML file: strict keys and types, every number within :data:`RANGES`."""
        try:
            doc = load_yaml(path, "criteria file") or {}
            if isinstance(doc, dict):  # YAML reads 2 as int: the limits are floats
                floats = {"max_collision_speed", "min_ttc", "min_distance", "max_decel"}
                doc = {k: float(v) if k in floats and type(v) is int else v for k, v in doc.items()}
                if "source" in doc:
                    raise ConfigError(f"{path}: unknown key 'source'")
            c = from_dict(Criteria, doc, str(path))
            check(c, RANGES, str(path))
        except ConfigError as e:
            raise ValueError(str(e)) from None
        except OverflowError:
            raise ValueError(f"{path}: a limit is beyond the range of a float") from None
        return replace(c, source=str(path))

    @staticmethod
    def for_scenario(scenario: Path) -> Criteria:
        side = scenario.with_suffix(".criteria.yaml")
        return Criteria.load(side) if side.is_file() else Criteria()

    def with_overrides(self, items: dict[str, str]) -> Criteria:
        d = asdict(self)
        for key, text in items.items():
            if key not in d or key == "source":
                raise ValueError(
                    f"--criterion {key}: unknown (known: {', '.join(k for k in d if k != 'source')})"
                )
            d[key] = text.lower() in ("1", "true", "yes") if isinstance(d[key], bool) else float(text)
        d["source"] = f"{self.source} + command line"
        c = Criteria(**d)
        try:
            check(c, RANGES, "--criterion")
        except ConfigError as e:
            raise ValueError(str(e)) from None
        return c


def judge(k: Kpis, c: Criteria, *, timed_out: bool, aborted: str = "", incomplete: str = "") -> dict:
    """Each criterion's outcome and the overall verdict. ``aborted`` / ``incomplete``: why the run
    ended before it could be judged (an e-stop, an operator's stop, an error; the time guard): the
    outcome is then ``aborted`` / ``incomplete`` whatever the checks say, and ``passed`` is false."""
    checks: list[tuple[str, bool, str]] = []
    if c.no_collision:
        checks.append(
            (
                "no_collision",
                not k.collision,
                f"collided with {k.collision_with} at {kpi_text('collision_speed', k.collision_speed)}"
                if k.collision
                else "none",
            )
        )
    if c.max_collision_speed is not None:
        shown, limit = (kpi_text("collision_speed", x) for x in (k.collision_speed, c.max_collision_speed))
        checks.append(
            (
                "max_collision_speed",
                not k.collision or k.collision_speed <= c.max_collision_speed,
                f"{shown} (limit {limit})",
            )
        )
    if c.min_ttc is not None:
        checks.append(("min_ttc", k.min_ttc >= c.min_ttc, f"{_fmt(k.min_ttc)} s (limit {c.min_ttc:g})"))
    if c.min_distance is not None:
        checks.append(
            (
                "min_distance",
                k.min_distance >= c.min_distance,
                f"{_fmt(k.min_distance)} m (limit {c.min_distance:g})",
            )
        )
    if c.max_decel is not None:
        checks.append(
            ("max_decel", k.max_decel <= c.max_decel, f"{k.max_decel:.2f} m/s^2 (limit {c.max_decel:g})")
        )
    if c.max_lane_invasions is not None:
        checks.append(
            (
                "max_lane_invasions",
                k.lane_invasions <= c.max_lane_invasions,
                f"{k.lane_invasions} (limit {c.max_lane_invasions})",
            )
        )
    if c.no_off_road:
        checks.append(("no_off_road", k.off_road == 0, f"{k.off_road} departures"))
    if k.driver_seat or k.no_driver_s > 0.0:
        checks.append(
            (
                "driver_in_control",
                k.no_driver_s <= 0.0,
                f"nobody in control for {k.no_driver_s:.2f} s" if k.no_driver_s > 0.0 else "always",
            )
        )
    if c.must_complete:
        checks.append(("must_complete", not (timed_out or aborted or incomplete), k.end or "not ended"))
    if aborted:
        outcome, reason = ABORTED, aborted
    elif incomplete:
        outcome, reason = INCOMPLETE, incomplete
    else:
        outcome, reason = (PASS if all(ok for _, ok, _ in checks) else FAIL), ""
    return {
        "passed": outcome == PASS,
        "outcome": outcome,
        "reason": reason,
        "criteria_source": c.source,
        "checks": [{"criterion": n, "passed": ok, "value": v} for n, ok, v in checks],
    }


def _fmt(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:.2f}"
