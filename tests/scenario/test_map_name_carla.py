"""A LogicFile given as a bare map name (``Town01``) runs on the CARLA server's map of that name:
the real ``carla`` client against ``dil carla-lite`` serving a road file of that name."""

from __future__ import annotations

import shutil

import pytest

from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing, WorldChoice
from dil.world.carla_backend import CarlaOptions

from ..carla_lite.conftest import start_server, stop_server
from .helpers import HIGHWAY, action, event, scenario, sim_time, speed

pytest.importorskip("carla")


def test_a_map_name_is_the_server_s_map_with_world_carla(tmp_path):
    served = tmp_path / "maps" / "Town01.xodr"
    served.parent.mkdir()
    shutil.copy(HIGHWAY, served)
    path = scenario(
        tmp_path, event("e", action("a", speed("10")), sim_time("0.5")), stop=sim_time("2", "end")
    )
    path.write_text(path.read_text().replace(f'filepath="{HIGHWAY}"', 'filepath="Town01"'))
    server = start_server("--map", str(served))
    try:
        options = CarlaOptions(host=server.host, port=server.port, timeout_s=5.0)
        r = run(
            RunSpec(
                ScenarioChoice(path),
                DriverChoice("none"),
                world=WorldChoice(backend="carla", carla=options),
                timing=Timing(max_time=5.0),
            )
        )
    finally:
        stop_server(server)
    assert r.scenario.road_map == "Town01"
    car = [row for row in r.trace if row[1] == "Car"]
    assert car[-1][5] == 10.0 and car[-1][8] == pytest.approx(50.0 + 10.0 * 1.5, abs=0.2)
