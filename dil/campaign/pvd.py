"""OpenSCENARIO 1.2+ ParameterValueDistribution files as campaigns: the standard's own way to
describe the variations of a logical scenario.

Deterministic single-parameter distributions (DistributionSet, DistributionRange) combine as a
full factorial, with the rows of a ValueSetDistribution; stochastic distributions
(UniformDistribution, NormalDistribution with an optional Range) are drawn numberOfTestRuns
times from randomSeed. Other distribution types are errors naming their line.
"""

from __future__ import annotations

import math
from pathlib import Path

from dil.scenario.xml import Reader, children, load_xml

from .spec import CampaignError, CampaignSpec, Distribution, Normal, Range, Uniform, validate


def load_pvd(path: str | Path, stacks: list[str] | None = None) -> CampaignSpec:
    path = Path(path)
    try:
        root = load_xml(path)
    except ValueError as e:
        raise CampaignError(str(e)) from None
    r = Reader(str(path), {})
    pvd = root.find("ParameterValueDistribution")
    if pvd is None:
        raise CampaignError(f"{path}: no <ParameterValueDistribution> (a scenario is run with dil run)")
    try:
        scenario = r.raw(r.child(pvd, "ScenarioFile"), "filepath")
        params: dict[str, Distribution] = {}
        value_sets: list[dict[str, str]] = []
        combination, samples, seed = "grid", None, 0
        det = pvd.find("Deterministic")
        sto = pvd.find("Stochastic")
        if (det is None) == (sto is None):
            raise r.error(pvd, "needs exactly one of <Deterministic> and <Stochastic>")
        if det is not None:
            for d in children(det):
                if d.tag == "DeterministicSingleParameterDistribution":
                    name = r.raw(d, "parameterName")
                    kind = r.one_child(d, ("DistributionSet", "DistributionRange"))
                    if kind.tag == "DistributionSet":
                        params[name] = Distribution(
                            values=[r.raw(e, "value") for e in kind.iterfind("Element")]
                        )
                    else:
                        rng = r.child(kind, "Range")
                        params[name] = Distribution(
                            range=Range(
                                r.num(rng, "lowerLimit"), r.num(rng, "upperLimit"), r.num(kind, "stepWidth")
                            )
                        )
                elif d.tag == "DeterministicMultiParameterDistribution":
                    vs = r.one_child(d, ("ValueSetDistribution",))
                    for row in vs.iterfind("ParameterValueSet"):
                        value_sets.append(
                            {
                                r.raw(a, "parameterRef").lstrip("$"): r.raw(a, "value")
                                for a in row.iterfind("ParameterAssignment")
                            }
                        )
                else:
                    raise r.unsupported(d, "deterministic distribution")
        else:
            combination = "random"
            samples = r.integer(sto, "numberOfTestRuns")
            seed = r.integer(sto, "randomSeed", 0)
            for d in sto.iterfind("StochasticDistribution"):
                name = r.raw(d, "parameterName")
                kind = r.one_child(d, ("UniformDistribution", "NormalDistribution"))
                if kind.tag == "UniformDistribution":
                    rng = r.child(kind, "Range")
                    params[name] = Distribution(
                        uniform=Uniform(r.num(rng, "lowerLimit"), r.num(rng, "upperLimit"))
                    )
                else:
                    rng = kind.find("Range")
                    lo = r.num(rng, "lowerLimit") if rng is not None else -math.inf
                    hi = r.num(rng, "upperLimit") if rng is not None else math.inf
                    variance = r.num(kind, "variance")
                    if not 0.0 < variance < math.inf:
                        raise r.error(kind, f"attribute variance={kind.get('variance')!r} must be > 0")
                    params[name] = Distribution(
                        normal=Normal(r.num(kind, "expectedValue"), math.sqrt(variance), lo, hi)
                    )
    except ValueError as e:
        raise CampaignError(str(e)) from None
    spec = CampaignSpec(
        name=path.stem,
        scenarios=[scenario],
        parameters=params,
        stacks=stacks or ["builtin"],
        combination=combination,
        samples=samples,
        seed=seed,
        value_sets=value_sets or None,
        source=path.resolve(),
    )
    validate(spec)
    return spec
