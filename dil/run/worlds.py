"""Where a run plays: a registry of world backends (:class:`dil.world.backend.WorldBackend`).

Each entry opens the backend for a scenario: the embedded world on the scenario's OpenDRIVE file, or
a CARLA server whose map must be the scenario's road network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dil.scenario.loader import Scenario
    from dil.world.actors import ActorSpec
    from dil.world.backend import WorldBackend
    from dil.world.carla_backend import CarlaOptions, CarlaWorld

    from .reuse import Reuse
    from .spec import RunSpec


@dataclass(frozen=True)
class WorldEntry:
    name: str
    description: str
    open: Callable[[RunSpec, Scenario, ActorSpec, Reuse | None], WorldBackend]
    """Open the backend for the scenario with the ego's box (and the parts earlier runs of the process
    read, or None); the caller closes it."""


def _embedded(spec: RunSpec, scen: Scenario, ego: ActorSpec, reuse: Reuse | None = None) -> WorldBackend:
    from dil.road.network import RoadNetwork
    from dil.world.embedded import EmbeddedWorld

    if scen.road_file is None and scen.road_map is None:  # no LogicFile: an open plane, no roads
        net = RoadNetwork.empty(f"{scen.source} (no RoadNetwork LogicFile)")
    elif scen.road_file is None:
        raise ValueError(
            f"{scen.source}: RoadNetwork LogicFile {scen.road_map!r} is a CARLA map name, not a file: "
            "the embedded world needs an OpenDRIVE (.xodr) file; run with --world carla (a server "
            f"with that map), or put {scen.road_map}.xodr beside the scenario or in a folder on DIL_MAP_PATH"
        )
    else:
        from dil.road import cache  # built networks kept on disk by the file's contents (dil/road/cache.py)

        net = reuse.network(scen.road_file) if reuse is not None else cache.load(scen.road_file)
    return EmbeddedWorld(net, ego, cameras=spec.world.cameras, render_process=spec.timing.realtime)


def _carla(spec: RunSpec, scen: Scenario, ego: ActorSpec, reuse: Reuse | None = None) -> WorldBackend:
    from dil.world.carla_backend import CarlaOptions

    carla = spec.world.carla or CarlaOptions()
    if scen.road_map is not None and carla.map is None:  # a map name (Town01) is the server's map
        carla = dataclasses.replace(carla, map=scen.road_map)
    if spec.world.cameras:  # the run's display cameras, whichever world renders them
        carla = dataclasses.replace(carla, cameras=spec.world.cameras)
    return open_carla_world(carla, scen, ego, threaded=spec.timing.realtime)


def open_carla_world(options: CarlaOptions, scen: Scenario, ego: ActorSpec, threaded: bool) -> CarlaWorld:
    """The CARLA world for ``scen``: the server's map must be the scenario's road network.
    ``threaded``: a real-time loop never waits for the server."""
    from dil.world.carla_backend import CarlaWorld
    from dil.world.display_cameras import DISPLAY_CAMERAS

    for name in options.cameras:
        if name not in DISPLAY_CAMERAS:
            raise ValueError(f"--cameras {name!r}: must be one of {', '.join(DISPLAY_CAMERAS)}")
    # a map name (Town01_Opt) is the server's map even where a local .xodr (Town01.xodr) serves it
    want = scen.road_map if scen.road_map is not None or scen.road_file is None else Path(scen.road_file).stem
    world = CarlaWorld(options, ego, threaded=threaded)
    try:
        if world.map_name != want:
            named = Path(scen.road_file).name if scen.road_file is not None else f"the map {want!r}"
            serve = f" or serve the file (dil carla-lite --map {scen.road_file})" if scen.road_file else ""
            raise ValueError(
                f"{scen.source}: the scenario's road network is {named} but the CARLA "
                f"server has map {world.map_name!r} loaded; load that map (--carla-map {want}){serve}"
            )
    except BaseException:  # a refusal or a Ctrl-C: the server gets its settings back
        world.close()
        raise
    return world


WORLDS: Mapping[str, WorldEntry] = {
    e.name: e
    for e in (
        WorldEntry(
            "embedded", "headless, no server: dil's own world on the scenario's OpenDRIVE file", _embedded
        ),
        WorldEntry(
            "carla",
            "a CARLA 0.9.16 server renders; dil keeps the physics, the scenario and the events",
            _carla,
        ),
    )
}
"""The world backends, by name."""
