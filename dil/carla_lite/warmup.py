"""Every kernel a carla-lite server can call, loaded (warm numba cache) or compiled (cold cache) before
the server listens.

numba compiles a kernel the first time it is called. Left to the first tick that needs them, a fresh
install's autopilot, contact and dynamics kernels would compile while a CARLA client waits on its
time-out (CARLA's example scripts give 5-10 s; compiling takes longer on a 2-core machine). So the
server first steps a private, throw-away world of its own map, through the same code its RPC calls
run: vehicles under the vehicle model and under the autopilot, a body in contact with another, a
walker walking and one placed by CARLA's client-side navigation, the ground under them, a sensor of
every kind capturing three frames and the ray queries. When the cache is cold, ``dil carla-lite``
says so once on stderr with one line per kernel group, as ``dil run`` does
(:class:`dil.kernels.CompileProgress`); a warm cache prints nothing. Nothing here opens a socket or
starts a thread.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from typing import Any

import numpy as np

from dil.road.network import RoadNetwork
from dil.world.collision import boxes_overlap

from .actors import ActorCodec
from .autopilot import Autopilot
from .blueprints import BlueprintLibrary, SensorKind
from .controls import VehicleExtras
from .lane_change import centre_t
from .queries import cast_ray, project_point
from .sensor_raycast import DEPTH_MAX_T
from .sensor_surface import SurfaceGround
from .sensors import Sensors
from .traffic_manager import DEFAULT_TM_PORT, TrafficManagers
from .world import LiteWorld

COLD_COMPILE_S = 10.0
"""Time to compile carla-lite's kernels and those of the road network on a 2-core machine, as
announced [s] (30 kernels from an empty cache: 9-11 s measured)."""
STEP_S = 0.05
"""The throw-away world's step [s] (CARLA's usual synchronous step)."""
FRAMES = 3
"""Steps of the throw-away world: the motion cameras (DVS, optical flow) compare a capture with the
one before it."""
SENSOR_VALUES = {
    "image_size_x": "8",
    "image_size_y": "6",
    "channels": "2",
    "points_per_second": "400",
    "noise_stddev": "0.01",
    "sensor_tick": "0.0",
}
"""Blueprint attributes that keep every sensor's capture tiny (the kernels are the same at any size)."""
SENSOR_MOUNT = (1.0, 0.0, 1.6, 0.0, 0.0, 0.0)
"""Where the sensors sit on their car (CARLA transform, relative)."""


def dispatchers() -> list[Any]:
    """The numba dispatchers (``@njit`` kernels) defined in :mod:`dil.carla_lite`'s modules."""
    from numba.core.registry import CPUDispatcher

    import dil.carla_lite as package

    found = []
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, CPUDispatcher) and value.py_func.__module__ == info.name:
                found.append(value)
    return sorted(found, key=lambda d: (d.py_func.__module__, d.py_func.__name__))


def loaded() -> bool:
    """Whether every kernel of :mod:`dil.carla_lite` is loaded in this process (a warmed-up process,
    or one forked from it)."""
    return all(d.overloads for d in dispatchers())


def warm_kernels(network: RoadNetwork, spawn_points: list[tuple[float, ...]]) -> bool:
    """Load or compile every kernel a server of ``network`` can call (``spawn_points``: the map's, as
    CARLA transforms); returns False when they were already loaded in this process (a warmed-up
    process, or one forked from it). The command line runs it inside :class:`dil.kernels.CompileProgress`
    (a notice and progress on stderr when numba's cache is cold)."""
    if loaded():
        return False
    exercise(network, spawn_points)
    return True


def exercise(network: RoadNetwork, spawn_points: list[tuple[float, ...]]) -> None:
    """Step a private world of ``network`` through every kernel a server calls (see the module's
    docstring). The world is dropped afterwards; the server's own starts empty."""
    library = BlueprintLibrary()
    world = LiteWorld(network)
    extras = VehicleExtras(world)
    traffic = TrafficManagers("127.0.0.1", Autopilot(world, network), threading.RLock())
    sensors = Sensors(world, network, ActorCodec(world, library, 0))
    points = spawn_points or [(0.0, 0.0, 0.5, 0.0, 0.0, 0.0)]
    driven = world.spawn(library.get("vehicle.tesla.model3"), [], points[0])
    _spawn_free(world, (4.79, 2.16), points[-1])
    autopilot = world.spawn(library.get("vehicle.tesla.model3"), [], points[-1])
    traffic.set_autopilot(autopilot, True, DEFAULT_TM_PORT)
    world.apply_control(driven, [0.6, 0.1, 0.0, False, False, False, 0])
    x, y, z = points[0][:3]
    cone = world.spawn(library.get("static.prop.trafficcone01"), [], (x, y, z, 0.0, 0.0, 0.0))  # a contact
    walker_bp = library.get("walker.pedestrian.0001")
    walking = world.spawn(walker_bp, [], (x, y + 8.0, z, 0.0, 90.0, 0.0))
    world.apply_walker_control(walking, [[0.0, 1.0, 0.0], 1.4, False])
    guided = world.spawn(walker_bp, [], (x + 4.0, y + 8.0, z, 0.0, 0.0, 0.0))
    stream_ids = set()
    for kind in SensorKind:
        if kind == SensorKind.NONE:
            continue
        bp = next(b for b in library.blueprints if b.sensor == kind)
        sensor = world.spawn(bp, [], SENSOR_MOUNT, driven)
        stream_ids.add(sensor)
        sensors.add(sensor, sensor, kind, {**bp.defaults(), **SENSOR_VALUES})
    for frame in range(1, FRAMES + 1):
        extras.before_step(STEP_S)
        traffic.before_step(STEP_S)
        contacts = world.step(STEP_S)
        extras.after_step()
        world.set_walker_state(guided, (x + 4.0 + 0.07 * frame, y + 8.0, z, 0.0, 0.0, 0.0), 1.4)
        sensors.payloads(frame, frame * STEP_S, contacts, stream_ids)
        world.records()
    world.set_transform(cone, (x + 30.0, y, z, 0.0, 0.0, 0.0))
    start = [x - 5.0, y, z + 1.0]
    cast_ray(sensors, start, [x + 50.0, y, z - 5.0])
    project_point(sensors, start, [0.0, 0.0, -1.0], 10.0)
    _lane_centre(network, points[-1])
    _sloped_ground(network, sensors)


def _lane_centre(network: RoadNetwork, t: tuple[float, ...]) -> None:
    """An autopilot lane change's kernel (it runs only when a car changes lanes)."""
    pos = network.locate(float(t[0]), -float(t[1]))
    if pos is not None and pos.lane != 0:
        centre_t(network, network.road_index(pos.road), int(pos.lane), float(pos.s), np.zeros(64))


def _spawn_free(world: LiteWorld, size: tuple[float, float], t: tuple[float, ...]) -> None:
    """The server's check that a spawn lands on no other body (its kernel, the same argument types)."""
    new = np.array([t[0], -t[1], np.radians(-t[4]), size[0], size[1]])
    boxes_overlap(new, new.copy())


def _sloped_ground(network: RoadNetwork, sensors: Sensors) -> None:
    """The depth and lidar rays' ground on a road that is not one plane (a flat map never calls it)."""
    surface = SurfaceGround(network)
    surface.flat = False
    n = 2
    dirs = np.zeros((n, 3))
    dirs[:, 0], dirs[:, 2] = 1.0, -0.1
    boxes, _ids, _tags = sensors.bodies()
    dist, hit = np.full(n, DEPTH_MAX_T), np.full(n, -1, np.int64)
    surface.refine(np.array([0.0, 0.0, 2.0]), dirs, boxes, DEPTH_MAX_T, dist, hit)
