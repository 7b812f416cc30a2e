"""The CARLA world backend: dil's world mirrored into a CARLA server through the official client.

dil keeps what makes a run a run: the ego's physics, the scenario's actors and their lane
following, and the collision and lane events against the road network, which is the server's own
map (``Map.to_opendrive()``), so lane positions, verdicts and KPIs agree with the embedded world.
CARLA renders: each world tick the backend places every actor where dil says (physics off,
transform and velocity in one batch), ticks the server in synchronous mode and hands the camera
frames of that tick to the bus. CARLA's collision sensor on the ego adds what dil cannot see
(the map's static geometry, props, the server's own traffic); collisions with dil's own actors are
counted as confirmations, not reported twice.

The server's settings are restored by :meth:`CarlaWorld.close` (the run calls it on every exit:
the end, Ctrl-C, errors), and every actor the backend spawned is destroyed.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from dil.road.network import RoadNetwork
from dil.road.parse import parse

from .actors import (
    A_ALIVE,
    A_KIND,
    A_LENGTH,
    A_PITCH,
    A_ROLL,
    A_SPEED,
    A_X,
    A_Y,
    A_YAW,
    A_Z,
    EGO,
    ActorKind,
    ActorSpec,
    ActorTable,
)
from .backend import Pose
from .camera import CameraSpec
from .display_cameras import DISPLAY_CAMERAS, DISPLAY_RATE_HZ
from .embedded import EmbeddedWorld
from .events import EventDetector, WorldEvent

CLIENT_VERSION = "0.9.16"
"""The ``carla`` client dil is written against (``pyproject.toml`` pins it)."""

BLUEPRINTS = {
    ActorKind.PEDESTRIAN: "walker.pedestrian.0001",
    ActorKind.CYCLIST: "vehicle.bh.crossbike",
    ActorKind.OBJECT: "static.prop.trafficcone01",
}
"""The blueprint that shows each kind of actor; vehicles by length (:func:`blueprint_for`)."""


def blueprint_for(kind: ActorKind, length: float) -> str:
    if kind != ActorKind.VEHICLE:
        return BLUEPRINTS[kind]
    if length > 6.5:
        return "vehicle.carlamotors.carlacola"
    if length > 5.2:
        return "vehicle.mercedes.sprinter"
    return "vehicle.tesla.model3"


class CarlaError(RuntimeError):
    """The CARLA server is absent, of another version, or refused what the backend asked."""


@dataclass
class CarlaOptions:
    host: str = "127.0.0.1"
    port: int = 2000
    timeout_s: float = 10.0
    """How long the client waits for the server's answers."""
    map: str | None = None
    """Load this map first (a name the server knows); None: use the map loaded now."""
    physics_step_s: float = 0.001
    """dil's physics step: the server's fixed delta must be a whole number of them."""
    cameras: tuple[str, ...] = ()
    """Cameras for the driver's displays (:data:`DISPLAY_CAMERAS`), published at 25 Hz."""
    frame_timeout_s: float = 2.0
    """How long a camera waits for the frame of the tick just made before it hands on an older one."""


def carla_module() -> Any:
    try:
        import carla
    except ImportError as e:  # pragma: no cover - carla is a core dependency
        raise CarlaError(
            f"the CARLA backend needs the carla client: pip install carla=={CLIENT_VERSION}"
        ) from e
    return carla


# --- frames: dil (OpenDRIVE, right-handed, radians) <-> CARLA (left-handed, degrees) -------------


def to_carla_transform(
    carla: Any, x: float, y: float, z: float, yaw: float, pitch: float = 0.0, roll: float = 0.0
) -> Any:
    """dil's pose (m; yaw, pitch nose up, roll left side up [rad]) as CARLA's transform."""
    rotation = carla.Rotation(pitch=math.degrees(pitch), yaw=-math.degrees(yaw), roll=-math.degrees(roll))
    return carla.Transform(carla.Location(x=x, y=-y, z=z), rotation)


def to_carla_velocity(carla: Any, speed: float, yaw: float) -> Any:
    return carla.Vector3D(x=speed * math.cos(yaw), y=-speed * math.sin(yaw), z=0.0)


def from_carla_location(loc: Any) -> tuple[float, float, float]:
    return loc.x, -loc.y, loc.z


def connect(options: CarlaOptions) -> tuple[Any, Any]:
    """A client and world of a server of the client's version; clear errors otherwise."""
    carla = carla_module()
    where = f"{options.host}:{options.port}"
    client = carla.Client(options.host, options.port)
    client.set_timeout(options.timeout_s)
    try:
        server_version = client.get_server_version()
    except RuntimeError as e:
        raise CarlaError(
            f"no CARLA server answered at {where} within {options.timeout_s:g} s ({e}); start one "
            f"(CarlaUE4.sh, or `dil carla-lite --port {options.port}`) or pass --carla-host/--carla-port"
        ) from None
    client_version = client.get_client_version()
    if server_version.split("-")[0] != client_version.split("-")[0]:
        raise CarlaError(
            f"the CARLA server at {where} is version {server_version}, the client is {client_version}: "
            f"install carla=={server_version} or run a {client_version} server"
        )
    try:
        world = client.get_world()
        if options.map is not None and _map_stem(world.get_map().name) != _map_stem(options.map):
            world = client.load_world(options.map)
    except RuntimeError as e:
        raise CarlaError(f"the CARLA server at {where}: {e}") from None
    return client, world


def _map_stem(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".xodr")


def map_network(world: Any) -> tuple[RoadNetwork, str]:
    """The server's map as dil's road network, and the map's name."""
    m = world.get_map()
    return RoadNetwork(parse(m.to_opendrive(), source=f"carla:{m.name}")), _map_stem(m.name)


class _Frames:
    """The newest frames of one CARLA camera, filled by the client's stream thread."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.frame = -1
        self.image: Any = None
        self.arrived_ns = 0

    def __call__(self, image: Any) -> None:
        with self.cond:
            self.frame, self.image, self.arrived_ns = image.frame, image, time.perf_counter_ns()
            self.cond.notify_all()


class CarlaCamera:
    """A camera on the ego rendered by CARLA, as a dil sensor (``sensor/<name>``, kind camera): each
    measurement is the frame of the world tick just made, waited for; its delay behind the state
    that was sent is measured (``lag_ticks``: server frames behind the newest tick, ``delay_ms``: from
    handing the state over to the frame's arrival, ``age_ms``: from handing the state over to the
    frame's publication on the bus)."""

    kind = "camera"

    def __init__(self, world: CarlaWorld, name: str, spec: CameraSpec, rate_hz: float) -> None:
        self.world, self.name, self.spec, self.rate_hz = world, name, spec, rate_hz
        self.frames = _Frames()
        self.frame_id = 0
        self.lag_ticks: list[int] = []
        self.delay_ms: list[float] = []
        self.age_ms: list[float] = []
        self.stale = 0
        self.actor: Any = None
        self._last_frame = -1

    def blank(self) -> dict[str, Any]:
        """A black frame, until the server's first one arrives (real-time mode only)."""
        s = self.spec
        fields = {
            "frame_id": self.frame_id,
            "width": s.width,
            "height": s.height,
            "encoding": "bgr8",
            "data": bytes(s.width * s.height * 3),
            "fov_deg": s.fov_deg,
            "mount": list(s.mount),
            "pitch_deg": s.pitch_deg,
            "yaw_deg": s.yaw_deg,
        }
        self.frame_id += 1
        return fields

    def attach(self, carla: Any, cw: Any, ego: Any) -> None:
        s = self.spec
        bp = cw.get_blueprint_library().find("sensor.camera.rgb")
        bp.set_attribute("image_size_x", str(s.width))
        bp.set_attribute("image_size_y", str(s.height))
        bp.set_attribute("fov", str(s.fov_deg))
        bp.set_attribute("role_name", self.name)
        # dil mounts from the box centre on the ground, forward/left/up; CARLA's y is to the right
        mount = carla.Transform(
            carla.Location(x=s.mount[0], y=-s.mount[1], z=s.mount[2]),
            carla.Rotation(pitch=-s.pitch_deg, yaw=-s.yaw_deg),
        )
        self.actor = cw.spawn_actor(bp, mount, attach_to=ego)
        self.actor.listen(self.frames)

    def measure(self, actors: np.ndarray, n: int) -> dict[str, Any]:
        w = self.world
        want = w.frame
        f = self.frames
        # in step with the loop (batch runs) a measurement waits for the frame of the tick just
        # made; behind a real-time loop (threaded) it takes the newest frame and never waits
        deadline = time.monotonic() + (0.0 if w.threaded else w.options.frame_timeout_s)
        with f.cond:
            while f.frame < want and time.monotonic() < deadline:
                f.cond.wait(0.05)
            image, frame, arrived = f.image, f.frame, f.arrived_ns
        if image is None:
            if w.threaded:
                return self.blank()
            raise CarlaError(
                f"camera {self.name!r}: no frame from the CARLA server within {w.options.frame_timeout_s:g} s"
            )
        if frame < want:
            self.stale += 1
        self.lag_ticks.append(want - frame)
        posted = w.posted_ns.get(frame)
        if posted is not None:
            self.age_ms.append((time.perf_counter_ns() - posted) * 1e-6)
            if frame != self._last_frame:
                self.delay_ms.append((arrived - posted) * 1e-6)
        self._last_frame = frame
        # BGRA from the server; the bus's camera frames are bgr8
        bgra = np.frombuffer(image.raw_data, np.uint8).reshape(image.height, image.width, 4)
        fields = {
            "frame_id": self.frame_id,
            "width": int(image.width),
            "height": int(image.height),
            "encoding": "bgr8",
            "data": np.ascontiguousarray(bgra[:, :, :3]).tobytes(),
            "fov_deg": self.spec.fov_deg,
            "mount": list(self.spec.mount),
            "pitch_deg": self.spec.pitch_deg,
            "yaw_deg": self.spec.yaw_deg,
        }
        self.frame_id += 1
        return fields


class CarlaWorld:
    """dil's world (actors, lane following, events on the server's own map) mirrored into CARLA.

    Composes an :class:`EmbeddedWorld` on the server's map (``local``): it keeps the actors and
    detects the events; this backend shows them in the server and adds what CARLA alone sees."""

    def __init__(
        self,
        options: CarlaOptions,
        ego: ActorSpec | None = None,
        fixed_delta_s: float = 0.02,
        threaded: bool = False,
    ) -> None:
        """``threaded``: synchronise with the server in a thread of its own, so a real-time loop never
        waits for it (the newest state wins; frames and CARLA's collisions arrive a tick or more
        later). Without it each step waits for the server: deterministic, for batch runs."""
        steps = fixed_delta_s / options.physics_step_s
        if abs(steps - round(steps)) > 1e-9 or round(steps) < 1:
            raise CarlaError(
                f"fixed_delta_seconds {fixed_delta_s:g} s is not a whole number of dil's physics "
                f"steps ({options.physics_step_s:g} s)"
            )
        self.options = options
        self.carla = carla_module()
        self.client, self.cw = connect(options)
        network, self.map_name = map_network(self.cw)
        self.local = EmbeddedWorld(network, ego)
        """dil's own world on the server's map: actors, lane following, events."""
        self.network: RoadNetwork = network
        self.fixed_delta_s = fixed_delta_s
        self._original = self.cw.get_settings()
        self._settings_changed = False
        self._spawned: dict[int, Any] = {}  # dil actor id -> CARLA actor id
        self._by_carla: dict[int, int] = {}
        self._sensors: list[Any] = []
        self.cameras: list[CarlaCamera] = []
        self.not_shown: dict[str, str] = {}
        """Actors CARLA has no blueprint for (they exist in dil only), with the reason."""
        self._collisions: collections.deque = collections.deque()
        self.frame = -1
        """The server frame of the last tick."""
        self.posted_ns: dict[int, int] = {}
        """Server frame -> when the loop handed over the state that frame shows (``perf_counter_ns``)."""
        self.threaded = threaded
        self.states_dropped = 0
        """Real-time mode: states the server was too slow to show (a newer one replaced them)."""
        self._snapshot = np.zeros_like(self.actors.state)
        self._snap_n = 0
        self._snap_posted = 0
        self._snap_lock = threading.Lock()
        self._pending = threading.Event()
        self._stopping = threading.Event()
        self._worker: threading.Thread | None = None
        self._worker_error: BaseException | None = None
        self.tick_ms: list[float] = []
        """Wall time of each step's synchronisation: batch, tick and collision events [ms]."""
        self.confirmed_collisions = 0
        """Collisions with dil's own actors that CARLA's sensor saw too."""
        self.closed = False
        try:
            settings = self.cw.get_settings()
            settings.synchronous_mode = True
            settings.fixed_delta_seconds = fixed_delta_s
            self._settings_changed = True
            self.cw.apply_settings(settings)
        except RuntimeError as e:
            self.close()
            raise CarlaError(f"the CARLA server refused synchronous mode: {e}") from None
        except BaseException:  # Ctrl-C while the server took the settings: it gets its own back
            self.close()
            raise

    def add_camera(self, name: str, spec: CameraSpec, rate_hz: float) -> CarlaCamera:
        """A camera on the ego rendered by CARLA (``sensor/<name>``); add before the first step."""
        if EGO in self._spawned:
            raise CarlaError(f"camera {name!r}: cameras are added before the world's first step")
        cam = CarlaCamera(self, name, spec, rate_hz)
        self.cameras.append(cam)
        return cam

    # --- the world backend interface ----------------------------------------------------------

    @property
    def actors(self) -> ActorTable:
        return self.local.actors

    @property
    def events(self) -> EventDetector:
        return self.local.events

    def spawn(self, spec: ActorSpec, pose: Pose, speed: float = 0.0) -> int:
        return self.local.spawn(spec, pose, speed)

    def spawn_in_lane(
        self, spec: ActorSpec, road: str, lane: int, s: float, offset: float = 0.0, speed: float = 0.0
    ) -> int:
        """Spawn at a lane position of the server's map, facing the lane's direction of travel."""
        return self.local.spawn_in_lane(spec, road, lane, s, offset, speed)

    def destroy(self, actor_id: int) -> None:
        self.local.destroy(actor_id)

    def set_pose(self, actor_id: int, pose: Pose, speed: float) -> None:
        self.local.set_pose(actor_id, pose, speed)

    def set_poses(self, ids: np.ndarray, poses: np.ndarray) -> None:
        """Place several actors (``ids``; ``poses`` rows of x, y, z, heading, speed) by :meth:`set_pose`."""
        for i, (x, y, z, yaw, speed) in zip(ids.tolist(), poses[: len(ids)].tolist(), strict=True):
            self.set_pose(i, (x, y, z, yaw), speed)

    def follow_lane(
        self,
        actor_id: int,
        target_speed: float,
        route: list[tuple[str, int]] | None = None,
        accel: float = 3.0,
    ) -> None:
        self.local.follow_lane(actor_id, target_speed, route, accel)

    def actor_state(self) -> tuple[np.ndarray, list[str]]:
        return self.local.actor_state()

    def camera(self, name: str, spec: CameraSpec, rate_hz: float) -> CarlaCamera:
        """A camera the server renders (the same as :meth:`add_camera`)."""
        return self.add_camera(name, spec, rate_hz)

    def display_sensors(self) -> list[CarlaCamera]:
        """The display cameras of ``options.cameras`` at 25 Hz, but for those added already (an AI
        stack's front camera is the driver's view ahead too)."""
        have = {c.name for c in self.cameras}
        for name in self.options.cameras:
            if name not in DISPLAY_CAMERAS:
                raise CarlaError(f"camera {name!r}: must be one of {', '.join(DISPLAY_CAMERAS)}")
        wanted = [n for n in self.options.cameras if n not in have]
        return [self.add_camera(n, DISPLAY_CAMERAS[n], DISPLAY_RATE_HZ) for n in wanted]

    def step(self, t_ns: int, dt: float) -> list[WorldEvent]:
        events = self.local.step(t_ns, dt)
        posted = time.perf_counter_ns()
        n = self.actors.count
        if not self.threaded:
            self._sync(self.actors.state, n, posted)
        else:
            if self._worker_error is not None:
                raise CarlaError(f"the CARLA server: {self._worker_error}")
            with self._snap_lock:
                if self._snapshot.shape[0] < n:
                    self._snapshot = np.zeros_like(self.actors.state)
                if self._pending.is_set():
                    self.states_dropped += 1
                self._snapshot[:n] = self.actors.state[:n]
                self._snap_n, self._snap_posted = n, posted
                self._pending.set()
            if self._worker is None:
                self._worker = threading.Thread(target=self._run_worker, name="carla-sync", daemon=True)
                self._worker.start()
        events += self._carla_collisions(t_ns)
        return events

    def frames_shown(self) -> int:
        """Server ticks made so far."""
        return len(self.tick_ms)

    def _sync(self, state: np.ndarray, n: int, posted_ns: int) -> None:
        """Show ``state[:n]`` in the server and tick it once."""
        t0 = time.perf_counter_ns()
        self._mirror(state, n)
        frame = self.cw.tick(self.options.timeout_s)
        self.posted_ns[frame] = posted_ns
        self.posted_ns.pop(frame - 256, None)
        self.frame = frame
        self.tick_ms.append((time.perf_counter_ns() - t0) * 1e-6)

    def _run_worker(self) -> None:
        state = np.zeros_like(self._snapshot)
        try:
            while not self._stopping.is_set():
                if not self._pending.wait(0.05):
                    continue
                with self._snap_lock:
                    n, posted = self._snap_n, self._snap_posted
                    if state.shape[0] < n:
                        state = np.zeros_like(self._snapshot)
                    state[:n] = self._snapshot[:n]
                    self._pending.clear()
                self._sync(state, n, posted)
        except BaseException as e:  # handed to the loop thread by the next step
            self._worker_error = e

    def close(self) -> None:
        """Destroy what was spawned and give the server its settings back."""
        if self.closed:
            return
        self.closed = True
        if self._worker is not None:
            self._stopping.set()
            self._worker.join(self.options.timeout_s + 1.0)
        errors = []
        for s in self._sensors:
            try:
                s.stop()
            except RuntimeError as e:
                errors.append(str(e))
        ids = [s.id for s in self._sensors] + [c for c in self._spawned.values() if c is not None]
        if ids:
            responses = self.client.apply_batch_sync([self.carla.command.DestroyActor(i) for i in ids], False)
            errors += [r.error for r in responses if r.error]
        self._sensors, self._spawned, self._by_carla = [], {}, {}
        if self._settings_changed:
            self.cw.apply_settings(self._original)
        if errors:
            raise CarlaError("closing the CARLA world: " + "; ".join(errors))

    def __enter__(self) -> CarlaWorld:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the mirror ---------------------------------------------------------------------------

    def _mirror(self, state: np.ndarray, n: int) -> None:
        carla, cmd = self.carla, self.carla.command
        new = [i for i in range(n) if state[i, A_ALIVE] > 0.5 and i not in self._spawned]
        if new:
            self._spawn(state, new)
        gone = [i for i, cid in self._spawned.items() if state[i, A_ALIVE] < 0.5]
        for i in gone:  # destroyed in dil: gone from the server too
            cid = self._spawned.pop(i)
            if cid is not None:
                self._by_carla.pop(cid, None)
                self.client.apply_batch([cmd.DestroyActor(cid)])
        batch = []
        for i, cid in self._spawned.items():
            if cid is None:
                continue
            a = state[i]
            pose = to_carla_transform(carla, a[A_X], a[A_Y], a[A_Z], a[A_YAW], a[A_PITCH], a[A_ROLL])
            batch.append(cmd.ApplyTransform(cid, pose))
            batch.append(cmd.ApplyTargetVelocity(cid, to_carla_velocity(carla, a[A_SPEED], a[A_YAW])))
        if batch:
            self.client.apply_batch(batch)

    def _spawn(self, state: np.ndarray, ids: list[int]) -> None:
        carla, cmd = self.carla, self.carla.command
        library = self.cw.get_blueprint_library()
        batch, shown = [], []
        for k, i in enumerate(ids):
            a = state[i]
            name = self.actors.names[i]
            bp_id = blueprint_for(ActorKind(int(a[A_KIND])), float(a[A_LENGTH]))
            try:
                bp = library.find(bp_id)
            except IndexError:
                if i == EGO:
                    raise CarlaError(f"the CARLA server has no blueprint {bp_id!r} for the ego") from None
                self.not_shown[name] = f"no blueprint {bp_id!r} on the server"
                self._spawned[i] = None  # dil keeps it; CARLA does not show it
                continue
            shown.append(i)
            bp.set_attribute("role_name", "hero" if i == EGO else name)
            # spawned above the scene (nothing to collide with there), placed by the batch that
            # follows: a scenario may start with cars closer than CARLA's spawn check allows
            tf = to_carla_transform(carla, a[A_X], a[A_Y], a[A_Z] + 200.0 + 5.0 * k, a[A_YAW])
            batch.append(cmd.SpawnActor(bp, tf).then(cmd.SetSimulatePhysics(cmd.FutureActor, False)))
        responses = self.client.apply_batch_sync(batch, False) if batch else []
        for i, r in zip(shown, responses, strict=True):
            if r.error:
                raise CarlaError(f"spawning actor {self.actors.names[i]!r} in CARLA: {r.error}")
            self._spawned[i] = r.actor_id
            self._by_carla[r.actor_id] = i
        if EGO in ids:
            self._attach_ego_sensors(self.cw.get_actor(self._spawned[EGO]))

    def _attach_ego_sensors(self, ego: Any) -> None:
        carla = self.carla
        bp = self.cw.get_blueprint_library().find("sensor.other.collision")
        sensor = self.cw.spawn_actor(bp, carla.Transform(), attach_to=ego)
        sensor.listen(self._on_collision)
        self._sensors.append(sensor)
        for cam in self.cameras:
            cam.attach(carla, self.cw, ego)
            self._sensors.append(cam.actor)

    def _on_collision(self, event: Any) -> None:
        other = event.other_actor
        imp = event.normal_impulse
        self._collisions.append(
            (
                event.frame,
                other.id if other is not None else 0,
                other.type_id if other is not None else "static",
                math.sqrt(imp.x * imp.x + imp.y * imp.y + imp.z * imp.z),
            )
        )

    def _carla_collisions(self, t_ns: int) -> list[WorldEvent]:
        out = []
        ego = self.actors.state[EGO]
        while self._collisions:
            _, cid, type_id, impulse = self._collisions.popleft()
            if cid in self._by_carla:
                self.confirmed_collisions += 1  # dil's own detector reports these
                continue
            out.append(
                WorldEvent(
                    t_ns,
                    "collision",
                    EGO,
                    -1,
                    float(ego[A_X]),
                    float(ego[A_Y]),
                    float(ego[A_SPEED]),
                    f"carla:{type_id} (impulse {impulse:.0f} N s)",
                )
            )
        return out

    def kpis(self) -> dict[str, Any]:
        """The synchronisation's cost and the cameras' delay behind the state, for a run's result."""
        out: dict[str, Any] = {
            "carla_map": self.map_name,
            "carla_ticks": len(self.tick_ms),
            "carla_sync_p50_ms": _pct(self.tick_ms, 50),
            "carla_sync_p99_ms": _pct(self.tick_ms, 99),
            "carla_collisions_confirmed": self.confirmed_collisions,
            "carla_states_dropped": self.states_dropped,
            "carla_actors_not_shown": dict(self.not_shown),
        }
        for cam in self.cameras:
            out[f"carla_{cam.name}_frames"] = len(cam.lag_ticks)
            out[f"carla_{cam.name}_lag_ticks_max"] = max(cam.lag_ticks, default=0)
            out[f"carla_{cam.name}_stale_frames"] = cam.stale
            out[f"carla_{cam.name}_delay_p50_ms"] = _pct(cam.delay_ms, 50)
            out[f"carla_{cam.name}_delay_p99_ms"] = _pct(cam.delay_ms, 99)
            out[f"carla_{cam.name}_age_p50_ms"] = _pct(cam.age_ms, 50)
            out[f"carla_{cam.name}_age_p99_ms"] = _pct(cam.age_ms, 99)
        return out


def _pct(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None
