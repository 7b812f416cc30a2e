"""Trailers: a tractor's chain of two trailers connected in the file (Trailer/TrailerRef) starts
straight behind its hitches and follows a lane change without sliding sideways; a van connects a
free trailer (ConnectTrailerAction), pulls it through a lane change and releases it
(DisconnectTrailerAction), after which the trailer goes on along the road at its speed.

Golden values from esmini 77028d83 on tests/scenario/data/trailers.xosc:
``esmini --headless --fixed_timestep 0.01 --osc trailers.xosc --csv_logger out.csv``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from .helpers import dil_run, run_storyboard

DATA = Path(__file__).resolve().parent / "data"

# entity: {t [s]: (x [m], y [m], heading [rad], speed [m/s])}, esmini's trace
GOLDEN = {
    "Tractor": {3.0: (144.989, -2.253, 6.219, 15.0), 5.0: (174.886, -4.728, 6.217, 15.0)},
    # coupler 7 m ahead of its reference point, at the tractor's hitch 0.5 m behind the tractor's
    "Trailer1": {
        0.0: (92.500, -1.750, 0.0, 15.0),
        3.0: (137.495, -1.961, 6.246, 15.0),
        4.0: (152.462, -2.880, 6.203, 15.0),
        5.0: (167.409, -4.139, 6.204, 15.0),
        7.0: (197.374, -5.223, 6.279, 15.0),
        10.0: (242.374, -5.250, 6.283, 15.0),
    },
    # hung on Trailer1's hitch, 2 m behind it
    "Trailer2": {
        0.0: (84.500, -1.750, 0.0, 15.0),
        3.0: (129.497, -1.800, 6.269, 15.0),
        4.0: (144.480, -2.360, 6.223, 15.0),
        5.0: (159.436, -3.485, 6.200, 15.0),
        7.0: (189.375, -5.122, 6.268, 15.0),
        10.0: (234.374, -5.250, 6.283, 15.0),
    },
    # connected at 1 s where it stood (its coupler already at the van's hitch), released at 6 s
    "Box": {
        1.0: (195.000, -8.750, 0.0, 0.0),
        3.0: (201.588, -8.750, 0.0, 7.45),
        4.0: (210.944, -8.528, 0.062, 10.0),
        5.0: (220.890, -7.533, 0.128, 10.0),
        7.0: (240.804, -6.219, 0.120, 10.0),
        10.0: (270.804, -6.219, 0.120, 10.0),
    },
}


@pytest.fixture(scope="module")
def rows():
    result = run_storyboard(DATA / "trailers.xosc", max_time=30.0)
    return {(r[1], round(r[0], 2)): r for r in result.trace}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_trailers_follow_their_tractors_as_the_reference_player_moves_them(rows, name):
    for t, (x, y, h, v) in GOLDEN[name].items():
        row = rows[(name, t)]
        assert math.hypot(row[2] - x, row[3] - y) < 0.01, (name, t, row[2], row[3])
        assert math.cos(row[4] - h) == pytest.approx(1.0, abs=1e-5), (name, t, row[4])
        assert row[5] == pytest.approx(v, abs=0.01), (name, t)


def test_a_connected_trailer_keeps_its_coupler_at_the_hitch(rows):
    for t in (0.0, 2.5, 3.5, 4.5, 8.0):
        car, trl = rows[("Tractor", t)], rows[("Trailer1", t)]
        hitch = (car[2] - 0.5 * math.cos(car[4]), car[3] - 0.5 * math.sin(car[4]))
        coupler = (trl[2] + 7.0 * math.cos(trl[4]), trl[3] + 7.0 * math.sin(trl[4]))
        assert math.dist(hitch, coupler) < 1e-6, t


def test_a_trailer_without_a_coupler_is_a_load_error_naming_file_line_and_entity(tmp_path):
    text = (DATA / "trailers.xosc").read_text().replace('<TrailerCoupler dx="6.0"/>', "")
    roads = DATA.parents[2] / "scenarios" / "roads"
    bad = tmp_path / "bad.xosc"
    bad.write_text(text.replace("../../../scenarios/roads/", f"{roads}/"))
    p = dil_run(bad, "--no-record", timeout=120)
    assert p.returncode == 2, p.stderr
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if 'name="Trailer1"' in ln)
    assert f"{bad}:{line}: <ScenarioObject>" in p.stderr, p.stderr
    assert "trailer 'Trailer2' has no TrailerCoupler" in p.stderr and "Traceback" not in p.stderr
