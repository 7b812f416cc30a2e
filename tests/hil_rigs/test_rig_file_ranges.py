"""Rig files: every number within its documented range, checked at load."""

from __future__ import annotations

import re

import pytest
import yaml

from hil_rigs.config import RIGS, RigConfigError, load_rig


def _write(tmp_path, edit) -> str:
    doc = yaml.safe_load((RIGS / "sim_hexapod_mpc.yaml").read_text())
    edit(doc)
    path = tmp_path / "rig.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda d: d["cueing"]["yaw"].update(zeta=-1.0), "cueing.yaw.zeta = -1.0: must be within (0, 10]"),
        (
            lambda d: d["cueing"]["surge"].update(omega=0.0),
            "surge.omega = 0.0: must be within (0, 100] rad/s",
        ),
        (
            lambda d: d["cueing"].update(scale=[0.5, 0.5, 0.5, 0.5, 0.5, float("nan")]),
            "cueing.scale[5] = nan",
        ),
        (lambda d: d["geometry"].update(max_speed=float("inf")), "geometry.max_speed = inf"),
        (lambda d: d["geometry"].update(min_length=1.5), "min_length = 1.5 must be below max_length"),
        (
            lambda d: d["mpc"].update(horizon=10**6),
            "horizon = 1000000: must be within [1, 200] (integer)",
        ),
        (lambda d: d["cockpit"].update(head=[0.0, 0.0, 1e9]), "cockpit.head[2] = 1000000000.0"),
        (lambda d: d["cueing"].update(tilt_max=2.0), "cueing.tilt_max = 2.0: must be within [0, 0.5] rad"),
    ],
)
def test_out_of_range_values_are_named(tmp_path, edit, named):
    path = _write(tmp_path, edit)
    with pytest.raises(RigConfigError) as e:
        load_rig(path)
    assert str(e.value).startswith(path) and named in str(e.value), str(e.value)


def test_the_shipped_rigs_are_within_range():
    for rig in sorted(RIGS.glob("*.yaml")):
        assert load_rig(rig.stem).name == rig.stem


def test_an_alias_bomb_in_a_rig_file_is_refused(tmp_path):
    path = tmp_path / "bomb.yaml"
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
    path.write_text("\n".join(lines) + "\n" + (RIGS / "sim_hexapod.yaml").read_text())
    with pytest.raises(RigConfigError, match=re.escape(f"{path}: line 9: more than 64 aliases")):
        load_rig(path)
