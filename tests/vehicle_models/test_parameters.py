import math

import pytest
import yaml

from vehicle_models import ParameterError, available, load, pack
from vehicle_models.packing import P_L, P_TYRE_F, T_SY_PEAK
from vehicle_models.parameters import SETS_DIR


def test_three_builtin_sets_load_and_name_their_source():
    names = available()
    assert {"compact_ev", "sedan_bmw320i", "van_manual"} <= set(names)
    for name in names:
        params = load(name)
        assert params.name == name
        assert "CommonRoad" in params.source


def _write(tmp_path, mutate):
    data = yaml.safe_load((SETS_DIR / "sedan_bmw320i.yaml").read_text())
    mutate(data)
    path = tmp_path / "car.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_unknown_key_is_named_with_the_file(tmp_path):
    path = _write(tmp_path, lambda d: d["chassis"].update(mas=1200.0))
    with pytest.raises(ParameterError, match=r"car\.yaml.*unknown key.*mas"):
        load(path)


def test_missing_key_is_named(tmp_path):
    path = _write(tmp_path, lambda d: d["brakes"].pop("front_share"))
    with pytest.raises(ParameterError, match=r"missing key 'brakes\.front_share'"):
        load(path)


def test_wrong_type_names_field_and_value(tmp_path):
    path = _write(tmp_path, lambda d: d["chassis"].update(mass="heavy"))
    with pytest.raises(ParameterError, match=r"chassis\.mass = 'heavy'"):
        load(path)


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("chassis", "mass", -5.0, r"chassis\.mass = -5\.0: must be > 0"),
        ("chassis", "yaw_inertia", float("nan"), r"chassis\.yaw_inertia = nan: must be a finite"),
        ("brakes", "front_share", 1.5, r"brakes\.front_share = 1\.5: must be within"),
        ("powertrain", "driven_axles", "middle", r"powertrain\.driven_axles = 'middle'"),
    ],
)
def test_non_physical_values_are_rejected(tmp_path, section, key, value, message):
    path = _write(tmp_path, lambda d: d[section].update({key: value}))
    with pytest.raises(ParameterError, match=message):
        load(path)


def test_unknown_set_lists_the_builtin_ones():
    with pytest.raises(ParameterError, match="sedan_bmw320i"):
        load("no_such_car")


def test_packing_derives_wheelbase_and_peak_slip():
    params = load("sedan_bmw320i")
    p = pack(params)
    assert p[P_L] == pytest.approx(params.chassis.cg_to_front_axle + params.chassis.cg_to_rear_axle)
    # The lateral Magic Formula peaks where C atan(B s - E (B s - atan B s)) = pi/2.
    s = p[P_TYRE_F + T_SY_PEAK]
    t = params.tyres.front
    b = t.cornering_stiffness / (t.shape_y * t.peak_friction_y)
    phi = b * s - t.curvature_y * (b * s - math.atan(b * s))
    assert t.shape_y * math.atan(phi) == pytest.approx(math.pi / 2, abs=1e-9)
