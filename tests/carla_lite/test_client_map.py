"""The OpenDRIVE text served to CARLA's client (``dil.carla_lite.client_map``), parsed by the real
client library in this process: maps written by another tool fail or lose lanes as written, and
not as served; the served geometry is the file's to well under a millimetre."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dil.carla_lite.client_map import client_xodr, float32_keeps, padded_length
from dil.road.network import RoadNetwork

from .conftest import ROADS, carla
from .written_maps import WRITERS


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("written")
    paths = {}
    for name, write in WRITERS.items():
        paths[name] = out / f"{name}.xodr"
        write(paths[name])
    return paths


def _entries(text: str) -> set[tuple[int, int, int]]:
    """(road, lane section, lane) of every lane in the client's topology."""
    return {(w.road_id, w.section_id, w.lane_id) for w, _ in carla.Map("m", text).get_topology()}


def test_the_shipped_networks_are_served_as_they_are():
    for name in ("highway", "rural", "junction"):
        text = (ROADS / f"{name}.xodr").read_text()
        served = client_xodr(text)
        assert served.changes == ()
        assert served.xodr == text


def test_a_direct_junction_fails_in_the_client_as_written_and_parses_as_served(written):
    text = written["direct_exit"].read_text()
    with pytest.raises(IndexError, match="_Map_base::at"):
        carla.Map("m", text)
    served = client_xodr(text)
    assert any("direct junctions" in c for c in served.changes)
    entries = _entries(served.xodr)
    assert {(1, 0, -1), (1, 0, -2), (1, 0, -3), (2, 0, -1), (2, 0, -2), (3, 0, -1)} <= entries
    m = carla.Map("m", served.xodr)
    exit_lane = m.get_waypoint_xodr(1, -3, 140.0)
    assert (3, -1) in {(w.road_id, w.lane_id) for w in exit_lane.next(20.0)}
    ahead = m.get_waypoint_xodr(1, -1, 140.0)
    assert (2, -1) in {(w.road_id, w.lane_id) for w in ahead.next(20.0)}


def test_lanes_ending_at_a_length_float32_holds_are_kept(written):
    text = written["lane_drop_dead_end"].read_text()
    assert not float32_keeps(100.0)
    missing = {(2, 1, -2), (2, 2, -1)} - _entries(text)
    assert missing, "the client kept every lane as written: this test no longer tests anything"
    served = client_xodr(text)
    assert {(2, 1, -2), (2, 2, -1)} <= _entries(served.xodr)
    assert len(served.changes) == 1 and "lane ends moved by under 0.1 mm" in served.changes[0]


def test_a_junction_sharing_a_road_id_is_renumbered(written):
    text = written["crossing"].read_text()
    assert (1, 0, -1) not in _entries(text)
    served = client_xodr(text)
    assert served.changes[0].startswith("junctions renumbered (100 -> ")
    assert {(1, 0, -1), (2, 0, -1), (3, 0, -1)} <= _entries(served.xodr)


def test_the_served_geometry_is_the_files(written, tmp_path):
    for name, path in written.items():
        served_path = tmp_path / f"{name}.xodr"
        served_path.write_text(client_xodr(path.read_text()).xodr)
        a, b = RoadNetwork.load(path), RoadNetwork.load(served_path)
        assert [r.id for r in a.roads] == [r.id for r in b.roads]
        for ra, rb in zip(a.roads, b.roads, strict=True):
            assert 0.0 <= rb.length - ra.length < 1e-4, (name, ra.id)
            for sa, sb in zip(ra.lane_sections, rb.lane_sections, strict=True):
                assert abs(sb.s - sa.s) < 1e-4
                assert [ln.id for ln in sa.lanes] == [ln.id for ln in sb.lanes]
            for lane in ra.lane_sections[-1].lanes:
                if lane.id == 0:
                    continue
                for s in np.linspace(0.0, ra.length, 7):
                    pa = np.array(a.lane_to_world(ra.id, lane.id, float(s))[:2])
                    pb = np.array(b.lane_to_world(ra.id, lane.id, float(s))[:2])
                    assert np.linalg.norm(pa - pb) < 1e-4, (name, ra.id, lane.id, s)


def test_padded_lengths_round_down_in_float32_by_under_a_tenth_of_a_millimetre():
    for length in (1.0, 100.0, 280.0, 1024.0, 1999.5):
        padded = padded_length(length)
        assert float32_keeps(padded)
        assert 0.0 < padded - length < 1e-4
