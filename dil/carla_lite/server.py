"""The carla-lite server: CARLA 0.9.16's RPC methods over carla-lite's world, the ticking, the streams.

One lock guards the world: RPC threads, the asynchronous ticker and new stream readers take it.
Every call the client can send and carla-lite does not serve answers with CARLA's error response
naming the call (logged once), so a script fails loudly instead of hanging.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from dil.paths import roads_dir
from dil.road.network import RoadNetwork
from dil.world.collision import boxes_overlap

from .actors import ActorCodec
from .autopilot import Autopilot
from .batch import run_batch
from .blueprints import ActorClass, BlueprintLibrary, SensorKind, attribute_values, parse_description
from .client_map import client_xodr
from .controls import VehicleExtras
from .dynamics import K_LENGTH, K_WIDTH, K_X, K_Y, K_YAW
from .layouts import (
    WORLD_STATE_STREAM,
    CommandType,
    SensorType,
    episode_header,
    error,
    error_void,
    from_carla,
    ok,
    ok_void,
    pack_token,
    parse_transform,
    sensor_header,
    to_carla,
    transform,
)
from .navmesh import build_navmesh, navmesh_name
from .physics import PhysicsControls
from .queries import cast_ray, project_point
from .rpc import RpcServer
from .sensors import Sensors
from .settings import EpisodeSettings
from .stream import JOIN_WAIT_S, SEND_TIMEOUT_S, StreamServer
from .traffic_manager import TrafficManagers
from .warmup import warm_kernels
from .weather import Weather
from .world import PHYSICAL, LiteWorld

log = logging.getLogger(__name__)

SERVER_VERSION = "0.9.16"
DEFAULT_MAP = roads_dir() / "highway.xodr"
SPAWN_SPACING = 50.0
"""Distance between spawn points along a driving lane [m]."""
SPAWN_MARGIN = 10.0
"""No spawn point closer than this to a lane section's ends [m]."""
ANNOUNCE_WAIT_S = 0.2
"""Asynchronous mode: how long a spawn's answer waits for its world state to reach the client [s]."""
ANNOUNCE_SETTLE_S = 0.01
"""... and then for the client to take the state in [s]."""
SENSOR_FLUSH_S = SEND_TIMEOUT_S
"""Synchronous mode: a tick's sensor data reach the client before its world state, waiting until the
client has taken them in (read them, where it runs on this host: ``peer_queue``), at most this long
[s]: the client runs sensor callbacks on the threads that
also read world states, and a script that holds Python's GIL while it waits for a state
(``apply_batch_sync(..., True)``) blocks every callback still to come; callbacks queued behind the
state would take all of those threads and the state never lands. A client on a loaded machine can
take a tick's camera images slowly, so the wait is the patience a send has with a reader before it
drops it (``stream.SEND_TIMEOUT_S``), not a fixed fraction of a second; a reader that takes nothing
for that long is dropped at its next message."""

HELD_FRAME_AFTER_S = 1.0
"""Synchronous mode: how long the ``tick_cue`` of ``apply_batch_sync(cmds, True)`` waits for the client
to read its tick's state before it names the frame the client already holds instead [s]. That call
holds Python's GIL until the client holds the frame named, and the client reads states on the threads
that run sensor callbacks and free a stopped sensor's callback (both need the GIL): when they are all
taken, the state is never read and the call times out (30 s, or the client's ``set_timeout``). A client
whose reads this host cannot see (another host) is answered as before."""

STATE_FIRST_WAIT_S = 0.05
"""Asynchronous mode: a tick's state goes out before its sensor data, waiting at most this long for
the client's socket to take it [s] (see :meth:`CarlaLiteServer.tick_cue`)."""

VOID_CALLS = frozenset(
    {
        "load_new_episode",
        "load_map_layer",
        "unload_map_layer",
        "copy_opendrive_to_file",
        "apply_color_texture_to_object",
        "apply_color_texture_to_objects",
        "apply_float_color_texture_to_object",
        "apply_float_color_texture_to_objects",
        "apply_textures_to_object",
        "apply_textures_to_objects",
        "reset_all_traffic_lights",
        "set_actor_simulate_physics",
        "destroy_traffic_manager",
        "enable_gbuffers",
        "set_ignored_vehicles",
        "set_actor_collisions",
    }
)
"""Calls whose reply the client decodes as ``Response<void>`` (their errors are packed differently)."""


@dataclass(frozen=True)
class ServerOptions:
    map_path: Path = DEFAULT_MAP
    host: str = "127.0.0.1"
    port: int = 2000
    """The RPC (world) port; 0 picks a free one."""
    streaming_port: int | None = None
    """Sensor and world-state streams; None: ``port + 1`` as CARLA does (a free one when port is 0)."""
    rate_hz: float = 20.0
    """Asynchronous mode: world steps per wall-clock second."""
    version: str = SERVER_VERSION
    """The version reported to clients (another one tests their version checks; the protocol
    stays 0.9.16's)."""


class CarlaLiteServer:
    """Serves one world on ``options.port``; :meth:`start`, then :meth:`close`."""

    def __init__(
        self, options: ServerOptions, progress: AbstractContextManager[object] | None = None
    ) -> None:
        """Loads the map and every kernel the server can call (compiled when numba's cache is cold,
        inside ``progress``: the command line's notice and progress), then opens the sockets."""
        self.options = options
        self.map_path = Path(options.map_path)
        self.map_name = self.map_path.stem
        with progress if progress is not None else nullcontext():  # the road kernels and all the others
            self.network = RoadNetwork.load(self.map_path)
            self.spawn_points = spawn_points(self.network)
            warm_kernels(self.network, self.spawn_points)  # before any socket opens
        served = client_xodr(self.map_path.read_text())  # after the load, which names a bad file's errors
        self.xodr = served.xodr
        """The OpenDRIVE text the client gets (the file's, with what CARLA's client cannot take rewritten)."""
        for change in served.changes:
            log.warning("carla-lite: %s: served to clients with %s", self.map_path.name, change)
        self.library = BlueprintLibrary()
        self.world = LiteWorld(self.network)
        self.extras = VehicleExtras(self.world)
        self.lock = threading.RLock()
        self.physics = PhysicsControls(self.world)
        self.weather = Weather()
        self.traffic = TrafficManagers(options.host, Autopilot(self.world, self.network), self.lock)
        self.settings = EpisodeSettings()
        self.frame = 0
        self.sim_ns = 0
        """Simulation time [ns]."""
        self.last_delta = 1.0 / options.rate_hz
        self.episode_id = int(time.time_ns() & 0xFFFF_FFFF_FFFF)
        stream_port = options.streaming_port
        if stream_port is None:
            stream_port = options.port + 1 if options.port else 0
        self.streams = StreamServer(options.host, stream_port)
        self.streams.on_subscribe.append(self._on_subscribe)
        self.codec = ActorCodec(self.world, self.library, self.streams.port)
        self.sensors = Sensors(self.world, self.network, self.codec)
        self._methods = self._method_table()
        self._unsupported: set[str] = set()
        self._nav: tuple[str, bytes] | None = None
        self._batch_pending = False
        """Asynchronous mode: a batch was answered and its ``tick_cue`` may follow."""
        self._awaited_batch = False
        """Synchronous mode: the last request was ``apply_batch_sync``'s (its ``tick_cue`` may follow)."""
        self._held: int | None = None
        """Synchronous mode: the frame named by the last ``tick_cue`` answered normally (the client
        waited until it held it)."""
        self._first_held: int | None = None
        """The frame of the state sent to the first world-state reader when it joined: every client
        holds it or a later one (frames only grow; a reader is sent the current state as it joins)."""
        self.rpc = RpcServer(options.host, options.port, self.handle)
        self.port = self.rpc.port
        self._closed = threading.Event()
        self._ticker = threading.Thread(target=self._run_async, name="carla-lite-ticker", daemon=True)

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self.streams.start()
        self.rpc.start()
        self._ticker.start()
        log.info(
            "carla-lite: map %s, rpc on %s:%d, streams on port %d",
            self.map_name,
            self.options.host,
            self.port,
            self.streams.port,
        )

    def close(self) -> None:
        self._closed.set()
        self.rpc.close()
        self.traffic.close()
        self.streams.close()

    def wait(self) -> None:
        """Block until :meth:`close`."""
        while not self._closed.wait(0.1):
            pass

    # --- dispatch --------------------------------------------------------------------------------

    def handle(self, method: str, params: list) -> Any:
        """Answer one call: a ``Response`` (value or error) as the client decodes it."""
        is_async = True
        if params and isinstance(params[0], list) and len(params[0]) == 1 and isinstance(params[0][0], bool):
            is_async = params[0][0]
            params = params[1:]  # the Metadata ([is_async]) CARLA prepends to every call
        if not is_async and method != "tick_cue":
            self._awaited_batch = method == "apply_batch"  # apply_batch_sync: the client waits for it
        if method == "apply_batch":  # answered bare, without a Response wrapper
            with self.lock:
                return self.apply_batch(*params)
        entry = self._methods.get(method)
        if entry is None:
            with self.lock:
                first = method not in self._unsupported
                self._unsupported.add(method)
            if first:
                log.warning("carla-lite: unsupported call %r (answered with an error)", method)
            message = f"carla-lite does not support '{method}'"
            return error_void(message) if method in VOID_CALLS else error(message)
        fn, void = entry
        try:
            with self.lock:
                value = fn(*params)
        except Exception as exc:
            log.info("carla-lite: %s failed: %s", method, exc)
            message = f"{method}: {exc}"
            return error_void(message) if void else error(message)
        return ok_void() if void else ok(value)

    def _method_table(self) -> dict[str, tuple[Callable[..., Any], bool]]:
        """Method name to (function, returns void)."""
        valued: dict[str, Callable[..., Any]] = {
            "version": lambda: self.options.version,
            "get_episode_info": self.get_episode_info,
            "get_sensor_token": self.get_sensor_token,
            "get_episode_settings": lambda: self.settings.to_msgpack(),
            "set_episode_settings": self.set_episode_settings,
            "tick_cue": self.tick_cue,
            "get_required_files": self.get_required_files,
            "request_file": self.request_file,
            "query_lights_state": lambda *_: [],
            "get_actor_definitions": self.library.to_msgpack,
            "get_map_info": self.get_map_info,
            "get_map_data": lambda: self.xodr,
            "get_available_maps": lambda: [self.map_name],
            "get_spectator": lambda: self.codec.actor(self.world.spectator),
            "get_actors_by_id": self.get_actors_by_id,
            "spawn_actor": self.spawn_actor,
            "spawn_actor_with_parent": self.spawn_actor_with_parent,
            "destroy_actor": self.destroy_actor,
            "get_vehicle_light_states": self.extras.light_states,
            "get_vehicle_light_state": lambda i: self.extras.light_state(int(i)),
            "get_actor_bounding_box": lambda i: self.codec.bounding_box(int(i)),
            "get_ackermann_controller_settings": lambda i: self.extras.controller_settings(int(i)),
            "get_names_of_all_objects": lambda: [],
            "is_traffic_manager_running": self.traffic.is_running,
            "get_traffic_manager_running": self.traffic.endpoint,
            "add_traffic_manager_running": lambda *_: True,
            "get_physics_control": self.physics.get,
            "get_weather_parameters": self.weather.get,
            "cast_ray": lambda start, end: cast_ray(self.sensors, start, end),
            "project_point": lambda loc, d, reach: project_point(self.sensors, loc, d, reach),
            "get_environment_objects": lambda *_: [],  # the map has no static meshes
            "get_all_level_BBs": lambda *_: [],
        }
        void: dict[str, Callable[..., Any]] = {
            "set_actor_location": self.set_actor_location,
            "set_actor_transform": lambda i, t: self.world.set_transform(int(i), parse_transform(t)),
            "set_actor_target_velocity": lambda i, v: self.world.set_velocity(int(i), _vec(v)),
            "set_actor_target_angular_velocity": lambda i, w: self.world.set_angular_velocity(
                int(i), _vec(w)
            ),
            "apply_control_to_vehicle": self.apply_control,
            "apply_control_to_walker": lambda i, c: self.world.apply_walker_control(int(i), list(c)),
            "set_pedestrians_cross_factor": lambda *_: None,  # stored nowhere: walkers go where told
            "set_pedestrians_seed": lambda *_: None,
            "set_actor_collisions": lambda *_: None,  # an AI walker's: carla-lite keeps its body
            "set_actor_dead": lambda *_: None,  # a stopped AI walker's: it stays a standing body
            "apply_ackermann_control_to_vehicle": lambda i, c: self.extras.apply_ackermann(int(i), list(c)),
            "apply_ackermann_controller_settings": lambda i, s: self.extras.apply_settings(int(i), list(s)),
            "set_vehicle_light_state": lambda i, s: self.extras.set_light_state(int(i), s),
            "add_actor_impulse": lambda i, v: self.extras.add_impulse(int(i), _vec(v)),
            "add_actor_impulse_at_location": lambda i, v, *_: self.extras.add_impulse(int(i), _vec(v)),
            "add_actor_force": lambda i, v: self.extras.add_force(int(i), _vec(v)),
            "add_actor_force_at_location": lambda i, v, *_: self.extras.add_force(int(i), _vec(v)),
            "add_actor_angular_impulse": lambda i, v: self.extras.add_angular_impulse(int(i), _vec(v)),
            "add_actor_torque": lambda i, v: self.extras.add_angular_impulse(int(i), _vec(v)),
            "draw_debug_shape": lambda *_: None,  # accepted and dropped: carla-lite draws no debug shapes
            "set_actor_simulate_physics": lambda i, on: self.world.set_physics(int(i), bool(on)),
            "update_lights_state": lambda *_: None,
            "update_day_night_cycle": lambda *_: None,
            "apply_physics_control": self.physics.apply,
            "set_weather_parameters": self.set_weather,
            "destroy_traffic_manager": lambda *_: None,
            "enable_actor_constant_velocity": lambda i, v: self.extras.enable_constant_velocity(
                int(i), _vec(v)
            ),
            "disable_actor_constant_velocity": lambda i: self.extras.disable_constant_velocity(int(i)),
            "load_new_episode": self.load_new_episode,
        }
        table = {name: (fn, False) for name, fn in valued.items()}
        table.update({name: (fn, True) for name, fn in void.items()})
        return table

    # --- episode and settings --------------------------------------------------------------------

    def get_episode_info(self) -> list:
        return [self.episode_id, [pack_token(WORLD_STATE_STREAM, self.streams.port)]]

    def get_sensor_token(self, stream_id: int) -> list:
        """The token of a stream, asked for by the stream id the client read from an earlier token.
        A sensor's data is kept from now until the client's stream connection joins."""
        if int(stream_id) != WORLD_STATE_STREAM:
            self.streams.await_reader(int(stream_id))
        return [pack_token(int(stream_id), self.streams.port)]

    def set_episode_settings(self, obj: list) -> int:
        new = EpisodeSettings.from_msgpack(obj)
        if new.fixed_delta_seconds is not None and not new.fixed_delta_seconds > 0.0:
            new = replace(new, fixed_delta_seconds=None)
        self.settings = new
        log.info(
            "carla-lite: %s mode, fixed delta %s",
            "synchronous" if new.synchronous_mode else "asynchronous",
            new.fixed_delta_seconds,
        )
        self._publish_state()  # the client waits for a state at least as new as the answer
        return self.frame

    def load_new_episode(self, map_name: str, reset_settings: bool = True, *_: Any) -> None:
        """``client.load_world`` / ``reload_world`` of the served map: a new episode with no actors
        but the spectator (settings back to asynchronous mode when ``reset_settings``, weather
        back to the default). Another map is refused, naming it: one server serves one network."""
        name = str(map_name).rstrip("/").rsplit("/", 1)[-1]  # CARLA's names may carry a path
        if name not in ("", self.map_name):  # reload_world() sends no name
            raise ValueError(
                f"map {map_name!r} is not served: this carla-lite serves {self.map_name!r} only "
                "(start one with --map PATH.xodr for another network)"
            )
        for actor_id in sorted(self.world.actors, reverse=True):
            if actor_id in self.world.actors and actor_id != self.world.spectator:
                self.destroy_actor(actor_id)
        if reset_settings:
            self.settings = EpisodeSettings()
        self.weather = Weather()
        self.sensors.daylight = self.weather.daylight()
        self.episode_id += 1
        log.info("carla-lite: new episode %d on %s", self.episode_id, self.map_name)
        self._publish_state()

    def tick_cue(self) -> int:
        if self.settings.synchronous_mode:
            after_batch, self._awaited_batch = self._awaited_batch, False
            self._tick(self._delta(), HELD_FRAME_AFTER_S if after_batch else SENSOR_FLUSH_S)
            if after_batch and not self.streams.flush(WORLD_STATE_STREAM, HELD_FRAME_AFTER_S):
                held = self._held if self._held is not None else self._first_held
                if held is not None:
                    log.info(
                        "carla-lite: the client took no state of frame %d within %.1f s of its "
                        "apply_batch_sync: its tick is told frame %d, which it holds",
                        self.frame,
                        HELD_FRAME_AFTER_S,
                        held,
                    )
                    return held
            self._held = self.frame
            return self.frame
        if self._batch_pending:
            # apply_batch_sync(cmds, True) holds Python's GIL from its batch until the client holds the
            # state of the frame named here, and the client reads states on the threads that also run
            # sensor callbacks: callbacks of two sensors waiting for the GIL took both threads of a
            # 2-core client and every such call timed out. No state sent can be known to have been read
            # (on a busy machine a client can be seconds behind on its callbacks and the states after them):
            # only a frame the client already holds needs no thread.
            self._batch_pending = False
            return self._first_held if self._first_held is not None else self.frame
        return self.frame + 1  # the asynchronous ticker gets there

    def get_required_files(self, folder: str = "", *_: Any) -> list[str]:
        """Only the walkers' navigation mesh (folder ``Nav``): the client reads the map as text."""
        if str(folder).strip("/") != "Nav":
            return []
        return [self._navmesh()[0]]

    def request_file(self, name: str) -> bytes:
        file_name, data = self._navmesh()
        if name != file_name:
            raise LookupError(f"no file {name!r} (carla-lite serves only {file_name!r})")
        return data

    def _navmesh(self) -> tuple[str, bytes]:
        if self._nav is None:
            data = build_navmesh(self.network)
            self._nav = (navmesh_name(self.map_name, data), data)
        return self._nav

    def get_map_info(self) -> list:
        return [self.map_name, [transform(t) for t in self.spawn_points]]

    # --- actors ----------------------------------------------------------------------------------

    def get_actors_by_id(self, ids: list) -> list:
        return [self.codec.actor(int(i)) for i in ids if int(i) in self.world.actors]

    def spawn_actor(self, description: list, transform_obj: list) -> list:
        actor_id = self.spawn(description, parse_transform(transform_obj), 0)
        self._announce()
        return self.codec.actor(actor_id)

    def spawn_actor_with_parent(
        self, description: list, transform_obj: list, parent: int, attachment_type: int = 0, *_: Any
    ) -> list:
        """Attachments are rigid whatever ``attachment_type`` says."""
        actor_id = self.spawn(description, parse_transform(transform_obj), int(parent))
        self._announce()
        return self.codec.actor(actor_id)

    def _announce(self) -> None:
        """Asynchronous mode: a world state holding the new actors, before the spawn is answered.

        The client reads an actor's transform, control and liveness (``destroy()`` checks it) from
        the last world state it received and keeps only states of a newer frame, so the spawn
        makes a frame of its own (no simulated time passes). The answer waits until the state has
        reached the client's socket and a little longer, for the client's stream thread to take it
        in before its RPC thread takes the answer (the two are not ordered: a heavily loaded client
        can still read the actor before its state, as with CARLA). Synchronous mode keeps one frame
        per tick, as CARLA does: there a new actor appears with the next tick.
        """
        if self.settings.synchronous_mode:
            return
        self.frame += 1
        self.last_delta = 0.0
        self._publish_state()
        if self.streams.flush(WORLD_STATE_STREAM, ANNOUNCE_WAIT_S):
            time.sleep(ANNOUNCE_SETTLE_S)

    def spawn(self, description: list, t: tuple[float, ...], parent: int) -> int:
        """Spawn from an ActorDescription at a CARLA transform (relative to ``parent`` if not 0)."""
        _uid, blueprint_id, attributes = parse_description(description)
        bp = self.library.get(blueprint_id)
        if bp.actor_class == ActorClass.SPECTATOR:
            raise ValueError("the spectator cannot be spawned")
        if bp.actor_class in PHYSICAL and not parent:
            self._check_free(bp.size, t)
        actor_id = self.world.spawn(bp, attributes, t, parent)
        if bp.sensor != SensorKind.NONE:
            info = self.world.info(actor_id)
            info.stream_id = self.streams.new_stream()
            try:
                self.sensors.add(
                    actor_id, info.stream_id, bp.sensor, {**bp.defaults(), **attribute_values(attributes)}
                )
            except ValueError:
                self.world.destroy(actor_id)
                raise
        return actor_id

    def _check_free(self, size: tuple[float, float, float], t: tuple[float, ...]) -> None:
        """CARLA refuses to spawn a body onto another one (``try_spawn_actor`` relies on it)."""
        x, y, _z, yaw = from_carla(t[0], t[1], t[2], t[4])
        new = np.array([x, y, yaw, size[0], size[1]])
        s = self.world.state
        for info in self.world.actors.values():
            if info.blueprint.actor_class not in PHYSICAL:
                continue
            r = s[info.id - 1]
            other = np.array([r[K_X], r[K_Y], r[K_YAW], r[K_LENGTH], r[K_WIDTH]])
            if boxes_overlap(new, other):
                raise RuntimeError("Spawn failed because of collision at spawn position")

    def apply_batch(self, commands: list, do_tick_cue: bool = False, *_: Any) -> list:
        if not self.settings.synchronous_mode and not _walker_states_only(commands):
            self._batch_pending = True  # the client's own walker navigation never ticks after its batch
        count = self.world.count
        responses = run_batch(self, commands)
        if self.world.count != count:
            self._announce()
        if do_tick_cue and self.settings.synchronous_mode:
            self._tick(self._delta())
        return responses

    def apply_control(self, actor_id: int, control: list) -> None:
        self.world.apply_control(int(actor_id), list(control))
        self.extras.control_applied(int(actor_id))

    def destroy_actor(self, actor_id: int) -> bool:
        info = self.world.destroy(int(actor_id))
        self.extras.forget(info.id)
        self.traffic.forget(info.id)
        self.physics.forget(info.id)
        if info.stream_id:
            self.sensors.remove(info.id)
            self.streams.drop(info.stream_id)
        return True

    def set_weather(self, values: list) -> None:
        self.weather.set(values)
        self.sensors.daylight = self.weather.daylight()

    def set_actor_location(self, actor_id: int, location: list) -> None:
        t = self.world.transform(int(actor_id))
        self.world.set_transform(int(actor_id), (*_vec(location), *t[3:]))

    # --- ticking ---------------------------------------------------------------------------------

    def _delta(self) -> float:
        return self.settings.fixed_delta_seconds or 1.0 / self.options.rate_hz

    def _tick(self, dt: float, sensor_wait: float = SENSOR_FLUSH_S) -> None:
        self.extras.before_step(dt)
        self.traffic.before_step(dt)
        contacts = self.world.step(dt)
        self.extras.after_step()
        self.frame += 1
        self.sim_ns += round(dt * 1e9)
        self.last_delta = dt
        synchronous = self.settings.synchronous_mode
        if synchronous and self.sensors.by_actor:  # the client's tick takes the data of sensors it listens to
            self.streams.wait_for_joins(JOIN_WAIT_S)
        wanted = {s.stream_id for s in self.sensors.by_actor.values() if self.streams.wanted(s.stream_id)}
        if wanted and not synchronous:  # the state first: see tick_cue
            self._publish_state()
            self.streams.flush(WORLD_STATE_STREAM, STATE_FIRST_WAIT_S)
        if wanted:
            sent = []
            for stream_id, payload in self.sensors.payloads(self.frame, self.sim_ns * 1e-9, contacts, wanted):
                self.streams.publish(stream_id, payload)
                sent.append(stream_id)
            if synchronous:
                self.streams.flush_all(sent, sensor_wait)
        if synchronous or not wanted:
            self._publish_state()  # after the frame's sensor data, as CARLA sends them

    def _run_async(self) -> None:
        period = 1.0 / self.options.rate_hz
        deadline = time.monotonic()
        while not self._closed.is_set():
            with self.lock:
                if not self.settings.synchronous_mode:
                    self._tick(self._delta())
            deadline += period
            pause = deadline - time.monotonic()
            if pause < 0.0:
                deadline = time.monotonic()  # behind: do not try to catch up
            self._closed.wait(max(pause, 0.0))

    def state_payload(self) -> bytes:
        header = sensor_header(SensorType.WORLD_OBSERVER, self.frame, self.sim_ns * 1e-9)
        body = episode_header(self.episode_id, time.time(), self.last_delta)
        return header + body + self.world.records().tobytes()

    def _publish_state(self) -> None:
        self.streams.publish(WORLD_STATE_STREAM, self.state_payload())

    def _on_subscribe(self, stream_id: int) -> None:
        if stream_id == WORLD_STATE_STREAM:
            with self.lock:
                self._publish_state()  # a new reader has a state at once, even in synchronous mode
                if self._first_held is None:
                    self._first_held = self.frame


def spawn_points(network: RoadNetwork | None) -> list[tuple[float, ...]]:
    """CARLA transforms along every driving lane outside junctions, facing the direction of travel."""
    if network is None:
        return []
    points = []
    for road in network.roads:
        if road.junction not in ("-1", ""):
            continue
        sections = road.lane_sections
        for k, sec in enumerate(sections):
            end = sections[k + 1].s if k + 1 < len(sections) else road.length
            for lane in sec.lanes:
                if lane.type != "driving" or lane.id == 0:
                    continue
                for s in np.arange(sec.s + SPAWN_MARGIN, end - SPAWN_MARGIN + 1e-9, SPAWN_SPACING):
                    x, y, z, heading = network.lane_to_world(road.id, lane.id, float(s))
                    cx, cy, cz, yaw = to_carla(x, y, z, heading)
                    points.append((cx, cy, cz, 0.0, yaw, 0.0))
    return points


def _walker_states_only(commands: list) -> bool:
    """A batch of ``ApplyWalkerState`` commands only: what the client's AI walkers send each frame."""
    try:
        return bool(commands) and all(int(c[0][0]) == CommandType.APPLY_WALKER_STATE for c in commands)
    except (TypeError, ValueError, IndexError):
        return False


def _vec(v: list) -> tuple[float, float, float]:
    x, y, z = v
    if not all(math.isfinite(c) for c in (x, y, z)):
        raise ValueError(f"not a finite vector: {v}")
    return float(x), float(y), float(z)
