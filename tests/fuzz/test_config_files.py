"""The safe YAML loader and the documented ranges of every configuration kind."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from dil.campaign.spec import RANGES as CAMPAIGN_RANGES
from dil.campaign.spec import CampaignError, CampaignSpec
from dil.campaign.spec import load as load_campaign
from dil.config.ranges import bound_for, numeric_paths
from dil.config.yaml_safe import MAX_ALIASES, MAX_DEPTH, ConfigError, load_yaml
from dil.inference.manifest import RANGES as MANIFEST_RANGES
from dil.inference.manifest import Manifest
from dil.run.criteria import RANGES as CRITERIA_RANGES
from dil.run.criteria import Criteria
from hil_rigs.config import RANGES as RIG_RANGES
from hil_rigs.config import RigConfig
from hil_rigs.wheel import RANGES as WHEEL_RANGES
from hil_rigs.wheel import WheelMapping, load_mapping
from vehicle_models.parameters import RANGES as VEHICLE_RANGES
from vehicle_models.parameters import ParameterError, VehicleParameters, from_dict

from .harness import REPO

KINDS = [
    (RigConfig, RIG_RANGES, "rig.md"),
    (WheelMapping, WHEEL_RANGES, "rig.md"),
    (Manifest, MANIFEST_RANGES, "inference.md"),
    (CampaignSpec, CAMPAIGN_RANGES, "campaigns.md"),
    (VehicleParameters, VEHICLE_RANGES, "vehicle_models.md"),
    (Criteria, CRITERIA_RANGES, "scenarios.md"),
]


@pytest.mark.parametrize(("cls", "table", "doc"), KINDS, ids=[k[0].__name__ for k in KINDS])
def test_every_number_of_every_kind_has_a_documented_range(cls, table, doc):
    paths = numeric_paths(cls)
    assert paths
    assert [p for p in paths if bound_for(table, p) is None] == []
    text = (REPO / "docs" / doc).read_text()
    for key, b in table.items():
        assert f"| `{key}` | {b.text()} |" in text, key


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    t0 = time.process_time()
    with pytest.raises(ConfigError, match=f"more than {MAX_ALIASES} aliases") as e:
        load_yaml(path)
    assert str(e.value).startswith(str(path))
    assert time.process_time() - t0 < 5.0  # CPU time: a bomb expanded would take minutes
    # fewer aliases that still expand enormously: refused by the expanded size
    path.write_text("\n".join([*lines[:6], "z: [*f, *f, *f, *f, *f, *f, *f, *f]"]) + "\n")
    with pytest.raises(ConfigError, match="expands to more than"):
        load_yaml(path)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"deep: " + b"[" * 5000 + b"]" * 5000, f"nested deeper than {MAX_DEPTH}"),
        (b"a: 1\nb: 2\na: 3\n", "key 'a' is given twice"),
        (b"a: \xff\xfe", "not UTF-8"),
        (b"a: !!python/object/apply:os.system ['true']", "could not determine a constructor"),
        (b"a: [1, 2\nb: 3", "not valid YAML: line"),
        (b"a: " + b"9" * 6000, "cannot be read"),
        (b"\x00", "not valid YAML"),
    ],
)
def test_hostile_yaml_is_a_clear_error(tmp_path, data, why):
    path = tmp_path / "bad.yaml"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as e:
        load_yaml(path, "rig file")
    assert why in str(e.value) and str(e.value).startswith(str(path)) and len(str(e.value)) < 300


def test_an_oversized_file_is_not_read(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\n" * 300_000)
    with pytest.raises(ConfigError, match="larger than"):
        load_yaml(path)


def _campaign(tmp_path: Path, body: str) -> Path:
    (tmp_path / "s.xosc").write_text("<OpenSCENARIO/>")
    path = tmp_path / "c.yaml"
    path.write_text("name: c\nscenarios: [s.xosc]\n" + body)
    return path


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (
            "parameters:\n  V: {range: {start: 50, stop: 20, step: 10}}\n",
            "V.range: stop = 20 is below start = 50",
        ),
        (
            "parameters:\n  V: {range: {start: 0, stop: 100000000.0, step: 0.001}}\n",
            "more than 100000 values",
        ),
        ("parameters:\n  V: {range: {start: 0, stop: 1, step: 0}}\n", "V.range.step = 0"),
        ("parameters:\n  V: {uniform: {low: 3, high: 1}}\ncombination: random\nsamples: 3\n", "high = 1"),
        ("max_time: .nan\n", "max_time = nan"),
        ("repetitions: 0\n", "repetitions = 0: must be within [1, 10000]"),
        (
            "parameters:\n  V: {values: [1, 2]}\n  W: {values: [1, 2, 3]}\nrepetitions: 10000\n"
            "stacks: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q]\n",
            "more than the 1000000",
        ),
    ],
)
def test_campaign_ranges(tmp_path, body, named):
    with pytest.raises(CampaignError) as e:
        load_campaign(_campaign(tmp_path, body))
    assert named in str(e.value), str(e.value)


def test_vehicle_wheel_and_criteria_ranges(tmp_path):
    doc = yaml.safe_load((REPO / "vehicle_models" / "sets" / "sedan_bmw320i.yaml").read_text())
    for key, value, named in [
        ("mass", 5, "chassis.mass = 5.0: must be within [10, 100000] kg"),
        ("mass", 10**400, "chassis.mass = <an integer of 1329 bits>: beyond the range of a float"),
        ("length", 1e9, "chassis.length = 1000000000.0: must be within (0, 30] m"),
    ]:
        bad = {**doc, "chassis": {**doc["chassis"], key: value}}
        with pytest.raises(ParameterError) as e:
            from_dict(bad, "sedan.yaml")
        assert named in str(e.value), str(e.value)
    wheel = yaml.safe_load((REPO / "hil_rigs" / "wheels" / "generic.yaml").read_text())
    wheel["brake"]["dead_zone"] = 1.5
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(wheel))
    with pytest.raises(ValueError, match=re.escape("brake.dead_zone = 1.5: must be within [0, 1)")):
        load_mapping(tmp_path / "w.yaml")
    (tmp_path / "c.criteria.yaml").write_text("min_ttc: -1\nno_collision: true\n")
    with pytest.raises(ValueError, match=re.escape("min_ttc = -1.0: must be within [0, 1000] s")):
        Criteria.load(tmp_path / "c.criteria.yaml")
    (tmp_path / "d.criteria.yaml").write_text("min_ttc: 2\nmax_lane_invasions: 1\n")
    c = Criteria.load(tmp_path / "d.criteria.yaml")
    assert c.min_ttc == 2.0 and c.max_lane_invasions == 1 and c.source.endswith("d.criteria.yaml")
