"""Manifests: safe YAML, documented ranges, and exit status 2 from dil node on a bad one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dil.inference.manifest import ManifestError, load_manifest

MODELS = Path(__file__).resolve().parents[2] / "dil" / "inference" / "models"


def _write(tmp_path: Path, edit) -> Path:
    doc = yaml.safe_load((MODELS / "lane_keeper.yaml").read_text())
    edit(doc)
    (tmp_path / "lane_keeper.onnx").symlink_to(MODELS / "lane_keeper.onnx")
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda d: d.update(max_batch=0), "max_batch = 0: must be within [1, 1024] (integer)"),
        (lambda d: d["inputs"][0].update(size=[160, 10**9]), "inputs[0].size[1] = 1000000000"),
        (lambda d: d["inputs"][0].update(scale=float("inf")), "inputs[0].scale = inf"),
        (lambda d: d["inputs"][0].update(std=10**17), "inputs[0].std = 100000000000000000: expected a list"),
        (lambda d: d["inputs"][1].update(max_objects=-3), "inputs[1].max_objects = -3"),
        (
            lambda d: d["outputs"][0]["commands"]["throttle"].update(offset=float("nan")),
            "outputs[0].commands.throttle.offset = nan",
        ),
    ],
)
def test_out_of_range_values_are_named(tmp_path, edit, named):
    path = _write(tmp_path, edit)
    with pytest.raises(ManifestError) as e:
        load_manifest(path)
    assert str(e.value).startswith(str(path)) and named in str(e.value), str(e.value)


def test_dil_node_check_exits_2_on_a_bad_manifest(tmp_path):
    path = _write(tmp_path, lambda d: d.update(max_batch=-1))
    p = subprocess.run(
        [sys.executable, "-m", "dil", "node", "check", str(path)], capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr and "max_batch = -1" in p.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "dil", "node", "check", str(MODELS / "lane_keeper.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
