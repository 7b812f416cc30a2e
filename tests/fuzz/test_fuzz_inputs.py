"""A seeded fuzz suite over every input dil reads: the catalog's OpenSCENARIO and OpenDRIVE files
mutated (attribute values, deleted and duplicated elements, truncation, encodings), every YAML kind
(rig files, wheel mappings, model manifests, campaign files, vehicle parameter sets, criteria files)
mutated and attacked (alias bombs, deep nesting, tags, huge integers), and parameter expressions.

Each case runs in a worker process (the loaders in-process there, scenarios through a short batch
run) with a deadline: 0 crashes, 0 hangs and 0 tracebacks are allowed; every case ends accepted or
with a clean error. The counts are printed and, with ``$DIL_TEST_ARTIFACTS`` set, written to
``fuzz_inputs.json`` there. Bus frames are fuzzed in ``test_bus_frames.py``.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from pathlib import Path

from .harness import REPO, Counts, Worker
from .mutate import EXPRESSIONS, mutate_xml, mutate_yaml, yaml_attacks

SEED = 18
CASE_TIMEOUT_S = 60.0
"""A case that has not answered by then hangs (ordinary cases take well under a second)."""


def _yaml_cases(
    rng: random.Random, kind: str, source: Path, where: Path, n_values: int, attacks: bool
) -> list[tuple[dict, str]]:
    text = source.read_text()
    cases = []
    for i in range(n_values):
        mutated, what = mutate_yaml(text, rng)
        path = where / f"{source.stem}_m{i}.yaml"
        path.write_text(mutated)
        cases.append(({"kind": kind, "path": str(path)}, f"{kind} {source.name}: {what}"))
    if attacks:
        for i, (data, what) in enumerate(yaml_attacks(text)):
            path = where / f"{source.stem}_a{i}.yaml"
            path.write_bytes(data)
            cases.append(({"kind": kind, "path": str(path)}, f"{kind} {source.name}: {what}"))
    return cases


def build_cases(tmp: Path) -> list[tuple[dict, str]]:
    """Every case of the suite (deterministic for SEED), files written under ``tmp``."""
    rng = random.Random(SEED)
    base = tmp / "scenarios"
    shutil.copytree(REPO / "scenarios", base, ignore=shutil.ignore_patterns("*.mcap", "runs"))
    catalog, roads = base / "catalog", base / "roads"
    cases: list[tuple[dict, str]] = []
    # OpenSCENARIO: each catalog scenario, mutated, through a short batch run
    for xosc in sorted(catalog.glob("*.xosc")):
        data = xosc.read_bytes()
        for i in range(11):
            mutated, what = mutate_xml(data, rng)
            path = catalog / f"{xosc.stem}_m{i}.xosc"
            path.write_bytes(mutated)
            cases.append(({"kind": "run", "path": str(path)}, f"xosc {xosc.name}: {what}"))
    # the vehicle catalog the scenarios read
    vehicles = catalog / "catalogs" / "vehicles.xosc"
    ccrs = (catalog / "ccrs.xosc").read_text()
    for i in range(10):
        mutated, what = mutate_xml(vehicles.read_bytes(), rng)
        folder = catalog / f"catalogs_m{i}"
        folder.mkdir()
        (folder / "vehicles.xosc").write_bytes(mutated)
        path = catalog / f"ccrs_cat{i}.xosc"
        path.write_text(ccrs.replace('Directory path="catalogs"', f'Directory path="catalogs_m{i}"'))
        cases.append(({"kind": "run", "path": str(path)}, f"catalog vehicles.xosc: {what}"))
    # OpenDRIVE: roads used by a scenario run it; the others are loaded, looked up and drawn
    users = {"highway": "ccrs", "rural": "lane_keeping_rural"}
    for xodr in sorted(roads.glob("*.xodr")):
        data = xodr.read_bytes()
        for i in range(15):
            mutated, what = mutate_xml(data, rng)
            path = roads / f"{xodr.stem}_m{i}.xodr"
            path.write_bytes(mutated)
            user = users.get(xodr.stem)
            if user is None:
                cases.append(({"kind": "road", "path": str(path)}, f"xodr {xodr.name}: {what}"))
                continue
            text = (catalog / f"{user}.xosc").read_text()
            scenario = catalog / f"{user}_r{xodr.stem}{i}.xosc"
            scenario.write_text(text.replace(f"../roads/{xodr.name}", f"../roads/{path.name}"))
            cases.append(({"kind": "run", "path": str(scenario)}, f"xodr {xodr.name}: {what}"))
    # a campaign as an OpenSCENARIO parameter distribution
    pvd = base / "campaigns" / "alks_cutin_distribution.xosc"
    for i in range(10):
        mutated, what = mutate_xml(pvd.read_bytes(), rng)
        path = pvd.with_name(f"pvd_m{i}.xosc")
        path.write_bytes(mutated)
        cases.append(({"kind": "pvd", "path": str(path)}, f"pvd: {what}"))
    # parameter expressions
    for expr in EXPRESSIONS:
        case = {"kind": "run", "path": str(catalog / "ccrs.xosc"), "params": {"EgoSpeed": expr}}
        cases.append((case, f"--param EgoSpeed={expr[:30]!r}"))
    # every YAML kind
    yaml_dir = tmp / "yaml"
    yaml_dir.mkdir()
    for rig in sorted((REPO / "hil_rigs" / "rigs").glob("*.yaml")):
        cases += _yaml_cases(rng, "rig", rig, yaml_dir, 8, attacks=rig.stem == "sim_hexapod")
    cases += _yaml_cases(rng, "wheel", REPO / "hil_rigs" / "wheels" / "generic.yaml", yaml_dir, 8, True)
    models = tmp / "models"
    models.mkdir()
    (models / "lane_keeper.onnx").symlink_to(REPO / "dil" / "inference" / "models" / "lane_keeper.onnx")
    manifest = REPO / "dil" / "inference" / "models" / "lane_keeper.yaml"
    cases += _yaml_cases(rng, "manifest", manifest, models, 12, True)
    cases += _yaml_cases(rng, "campaign", base / "campaigns" / "ccrs_grid.yaml", base / "campaigns", 12, True)
    for vset in sorted((REPO / "vehicle_models" / "sets").glob("*.yaml")):
        cases += _yaml_cases(rng, "vehicle", vset, yaml_dir, 6, attacks=vset.stem == "sedan_bmw320i")
    for crit in sorted((REPO / "scenarios" / "catalog").glob("*.criteria.yaml")):
        cases += _yaml_cases(rng, "criteria", crit, yaml_dir, 2, attacks=crit.stem == "ccrs.criteria")
    return cases


def test_no_input_crashes_hangs_or_raises_a_traceback(tmp_path, capsys):
    cases = build_cases(tmp_path)
    assert len(cases) >= 300
    counts = Counts()
    worker = Worker(tmp_path / "worker.stderr")
    try:
        for case, what in cases:
            status, detail = worker.run(case, CASE_TIMEOUT_S)
            counts.add(status, what, detail)
    finally:
        worker.close()
    summary = counts.summary()
    with capsys.disabled():
        print(f"\nfuzz inputs (seed {SEED}): {json.dumps(summary)}")
    if os.environ.get("DIL_TEST_ARTIFACTS"):
        out = Path(os.environ["DIL_TEST_ARTIFACTS"])
        out.mkdir(parents=True, exist_ok=True)
        (out / "fuzz_inputs.json").write_text(json.dumps({**summary, "seed": SEED}, indent=2) + "\n")
    shown = "\n\n".join(counts.failures[:10])
    assert counts.crashes == 0 and counts.hangs == 0 and counts.tracebacks == 0, shown
    assert counts.clean_errors > counts.cases // 3  # the mutations do reach the checks
    assert summary["cases"] == len(cases)


def test_case_generation_is_deterministic(tmp_path):
    a = [what for _, what in build_cases(tmp_path / "a")]
    b = [what for _, what in build_cases(tmp_path / "b")]
    assert a == b and len(set(a)) > len(a) // 2
    assert any(re.search("alias bomb", w) for w in a)
