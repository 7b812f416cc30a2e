"""carla-lite's sensors: RGB, depth and semantic segmentation cameras (dil's OpenCV renderer and ray
casts), ray-cast lidars, IMU, GNSS, obstacle and collision sensors. The lane invasion sensor is
CARLA's client-side one: the client computes it from the map, the server only holds the actor.

Each sensor turns a world step into stream payloads (``layouts`` header plus body); the server sends
them only to streams that have readers, so an unread camera costs nothing.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, replace

import cv2
import msgpack
import numpy as np

from dil.road.lookup import R_INSIDE, R_SIZE
from dil.road.network import RoadNetwork
from dil.world.actors import (
    A_ALIVE,
    A_HEIGHT,
    A_KIND,
    A_LENGTH,
    A_SIZE,
    A_SPEED,
    A_WIDTH,
    A_X,
    A_Y,
    A_YAW,
    A_Z,
    ActorKind,
)
from dil.world.camera import Camera, CameraSpec

from .actors import ActorCodec
from .blueprints import ActorClass, SensorKind
from .dynamics import (
    K_CLASS,
    K_HEIGHT,
    K_LENGTH,
    K_PITCH,
    K_SPEED,
    K_VX,
    K_VY,
    K_VZ,
    K_WIDTH,
    K_X,
    K_Y,
    K_YAW,
    K_Z,
)
from .layouts import SensorType, image_body, sensor_header
from .sensor_dvs import DvsState
from .sensor_flow import FlowState, normals_body
from .sensor_layouts import MoreSensorTypes, Tag, cityscapes_bgra, encode_depth, parse_geo_reference
from .sensor_lidar import LidarSpec, lidar_capture
from .sensor_motion import gnss_body, imu_body
from .sensor_radar import radar_capture
from .sensor_raycast import B_SIZE, DEPTH_MAX_T, camera_rays, cast_rays, rotate_rays
from .sensor_surface import SurfaceGround
from .world import PHYSICAL, Contact, LiteWorld

KIND_COLOURS = {
    int(ActorClass.VEHICLE): int(ActorKind.VEHICLE),
    int(ActorClass.PROP): int(ActorKind.OBJECT),
}
"""How carla-lite's classes are drawn (dil's actor kinds pick the colour)."""
KIND_COLOURS[int(ActorClass.WALKER)] = int(ActorKind.PEDESTRIAN)
CLASS_TAGS = {
    int(ActorClass.VEHICLE): int(Tag.CAR),
    int(ActorClass.PROP): int(Tag.STATIC),
    int(ActorClass.WALKER): int(Tag.PEDESTRIAN),
}
"""Semantic class of each body class (semantic lidar)."""
DEFAULT_STEP_S = 0.05
"""The world's step assumed until two consecutive frames tell it [s]."""
CAMERAS = (
    SensorKind.CAMERA_RGB,
    SensorKind.CAMERA_DEPTH,
    SensorKind.CAMERA_SEMANTIC,
    SensorKind.CAMERA_INSTANCE,
    SensorKind.CAMERA_DVS,
    SensorKind.CAMERA_OPTICAL_FLOW,
    SensorKind.CAMERA_NORMALS,
    SensorKind.CAMERA_COSMOS,
)
RAY_CAMERAS = (SensorKind.CAMERA_DEPTH, SensorKind.CAMERA_OPTICAL_FLOW, SensorKind.CAMERA_NORMALS)
"""Cameras drawn from a ray cast per pixel."""
SENSOR_TYPES = {
    SensorKind.COLLISION: int(SensorType.COLLISION),
    SensorKind.CAMERA_RGB: int(SensorType.CAMERA_RGB),
    SensorKind.CAMERA_DEPTH: int(MoreSensorTypes.DEPTH),
    SensorKind.CAMERA_SEMANTIC: int(MoreSensorTypes.SEMANTIC_SEGMENTATION),
    SensorKind.LIDAR: int(MoreSensorTypes.LIDAR),
    SensorKind.LIDAR_SEMANTIC: int(MoreSensorTypes.SEMANTIC_LIDAR),
    SensorKind.IMU: int(MoreSensorTypes.IMU),
    SensorKind.GNSS: int(MoreSensorTypes.GNSS),
    SensorKind.OBSTACLE: int(MoreSensorTypes.OBSTACLE),
    SensorKind.RADAR: int(MoreSensorTypes.RADAR),
    SensorKind.CAMERA_INSTANCE: int(MoreSensorTypes.INSTANCE_SEGMENTATION),
    SensorKind.CAMERA_DVS: int(MoreSensorTypes.DVS),
    SensorKind.CAMERA_OPTICAL_FLOW: int(MoreSensorTypes.OPTICAL_FLOW),
    SensorKind.CAMERA_NORMALS: int(MoreSensorTypes.NORMALS),
    SensorKind.CAMERA_COSMOS: int(MoreSensorTypes.COSMOS),
}
"""The header's sensor type by kind (the lane invasion sensor sends nothing)."""


class PosedCamera(Camera):
    """dil's camera rendering from an explicit world pose instead of a mount on row 0."""

    world_pose: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)
    """x, y, z [m], heading [rad] (OpenDRIVE frame), pitch down [rad]."""

    @classmethod
    def sharing(cls, template: Camera, spec: CameraSpec) -> PosedCamera:
        """A camera with its own spec and image that reuses the template's sampled road."""
        cam = cls.__new__(cls)
        cam.__dict__.update(copy.copy(template.__dict__))
        cam.spec = spec
        cam.image = np.zeros((spec.height, spec.width, 3), np.uint8)
        return cam

    def pose(self, ego: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y, z, yaw, pitch = self.world_pose
        fwd = np.array([math.cos(yaw) * math.cos(pitch), math.sin(yaw) * math.cos(pitch), -math.sin(pitch)])
        right = np.array([math.sin(yaw), -math.cos(yaw), 0.0])
        down = np.cross(fwd, right)
        return np.stack([right, down, fwd]), np.array([x, y, z])


@dataclass
class SensorStream:
    actor_id: int
    stream_id: int
    kind: SensorKind
    sensor_tick: float = 0.0
    """Seconds between captures; 0 captures every step."""
    next_capture: float = 0.0
    camera: PosedCamera | None = None
    values: dict[str, str] | None = None
    """The blueprint attribute values it was spawned with."""
    rays: np.ndarray | None = None
    """Depth camera: pixel rays in the camera frame (``sensor_raycast.camera_rays``)."""
    lidar: LidarSpec | None = None
    buffers: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    """Depth camera: world ray directions, distances and hits, reused every capture."""
    last_capture: float | None = None
    """Simulation time of the last capture [s]."""
    motion: DvsState | FlowState | None = None
    """DVS and optical flow cameras: what they keep from the previous capture."""


class Sensors:
    """The live sensors of a world and the payloads they produce per step."""

    def __init__(self, world: LiteWorld, network: RoadNetwork | None, codec: ActorCodec) -> None:
        self.world = world
        self.codec = codec
        self.network = network
        self._template: Camera | None = None
        self.by_actor: dict[int, SensorStream] = {}
        self._scene = np.zeros((64, A_SIZE))
        self.daylight = 1.0
        """RGB images are scaled by it (``weather.Weather.daylight``)."""
        self.step_s = DEFAULT_STEP_S
        """The world's step [s], seen from the times of consecutive frames."""
        self._last_frame, self._last_time = -10, 0.0
        self._scene_ids = np.zeros(1, np.int64)
        """Actor id of each row of the last ``_scene_rows`` (instance segmentation)."""
        self._rng = np.random.default_rng(0)
        """Radar ray directions."""
        self.surface = SurfaceGround(network) if network is not None else None
        """The road surface for depth and lidar rays (ground hits off the flat plane)."""
        header = getattr(getattr(network, "odr", None), "header", None)
        self.geo_origin = parse_geo_reference(getattr(header, "geo_reference", "") or "")
        """Latitude, longitude [deg], altitude [m] of the map origin (GNSS)."""

    def add(self, actor_id: int, stream_id: int, kind: SensorKind, values: dict[str, str]) -> None:
        s = SensorStream(actor_id, stream_id, kind, sensor_tick=_float(values.get("sensor_tick"), 0.0))
        s.values = values
        if kind in (SensorKind.LIDAR, SensorKind.LIDAR_SEMANTIC):
            s.lidar = LidarSpec.from_values(
                values, kind == SensorKind.LIDAR_SEMANTIC, lambda k, d: _float(values.get(k), d)
            )
        if kind in CAMERAS:
            spec = CameraSpec(
                width=_int(values.get("image_size_x"), 800),
                height=_int(values.get("image_size_y"), 600),
                fov_deg=_float(values.get("fov"), 90.0),
                mount=(0.0, 0.0, 0.0),
            )
            if spec.width <= 0 or spec.height <= 0 or not 0.0 < spec.fov_deg < 180.0:
                raise ValueError(
                    f"camera size {spec.width} x {spec.height}, fov {spec.fov_deg}: out of range"
                )
            if self._template is None:
                self._template = Camera(self.network, CameraSpec(width=8, height=8))
            s.camera = PosedCamera.sharing(self._template, spec)
            if kind in RAY_CAMERAS:
                s.rays = camera_rays(spec.width, spec.height, spec.fov_deg)
            s.motion = (
                DvsState(values, seed=actor_id)
                if kind == SensorKind.CAMERA_DVS
                else FlowState()
                if kind == SensorKind.CAMERA_OPTICAL_FLOW
                else None
            )
        self.by_actor[actor_id] = s

    def remove(self, actor_id: int) -> SensorStream | None:
        return self.by_actor.pop(actor_id, None)

    def payloads(
        self, frame: int, time_s: float, contacts: list[Contact], wanted: set[int]
    ) -> list[tuple[int, bytes]]:
        """``(stream id, payload)`` for this step's captures of the sensors whose streams are ``wanted``."""
        out: list[tuple[int, bytes]] = []
        if frame == self._last_frame + 1 and time_s > self._last_time:
            self.step_s = time_s - self._last_time
        self._last_frame, self._last_time = frame, time_s
        for s in self.by_actor.values():
            if s.stream_id not in wanted:
                continue
            kind = SENSOR_TYPES.get(s.kind)
            if kind is None:
                continue
            header = sensor_header(kind, frame, time_s, self.world.transform(s.actor_id))
            if s.kind == SensorKind.COLLISION:
                parent = self.world.parent_of(s.actor_id)
                for c in contacts:
                    if parent in (c.a, c.b):
                        out.append((s.stream_id, header + self._collision_body(parent, c)))
            elif time_s + 1e-9 >= s.next_capture:
                period = max(s.sensor_tick, self.step_s)
                dt = period if s.last_capture is None else time_s - s.last_capture
                if not 0.0 <= dt <= 1.5 * period:
                    dt = period  # the first capture, or the first after nobody listened for a while
                    if isinstance(s.motion, FlowState):
                        s.motion = FlowState()  # flow is per capture step: none across a gap
                s.next_capture = time_s + s.sensor_tick
                s.last_capture = time_s
                body = self._capture(s, dt)
                if body is not None:  # an empty body (a radar seeing nothing) still makes a message
                    out.append((s.stream_id, header + body))
        return out

    def _capture(self, s: SensorStream, dt: float) -> bytes | None:
        """One capture of a sensor that reports every step (or every ``sensor_tick``)."""
        if s.kind == SensorKind.CAMERA_RGB:
            return self._image(s)
        if s.kind in (SensorKind.CAMERA_SEMANTIC, SensorKind.CAMERA_INSTANCE):
            return self._semantic(s)
        if s.kind in RAY_CAMERAS:
            return self._ray_camera(s)
        if s.kind == SensorKind.CAMERA_DVS and isinstance(s.motion, DvsState):
            cam = s.camera
            assert cam is not None
            return s.motion.body(self._render(s), round(self._last_time * 1e9), cam.spec.fov_deg)
        if s.kind == SensorKind.CAMERA_COSMOS:
            return self._semantic(s, coloured=True)
        if s.lidar is not None:
            origin, axes = self._frame(s.actor_id)
            boxes, ids, tags = self.bodies(self.world.parent_of(s.actor_id))
            return lidar_capture(
                s.lidar,
                dt,
                origin,
                axes,
                boxes,
                ids,
                tags,
                self._ground_z(s.actor_id),
                self.ground_tags,
                self.surface,
            )
        if s.kind == SensorKind.IMU:
            source = self.world.parent_of(s.actor_id) or s.actor_id
            return imu_body(self.world.state[s.actor_id - 1], self.world.state[source - 1])
        if s.kind == SensorKind.GNSS:
            return gnss_body(self.geo_origin, self.world.transform(s.actor_id), s.values or {})
        if s.kind == SensorKind.OBSTACLE:
            return self._obstacle(s)
        if s.kind == SensorKind.RADAR:
            origin, axes = self._frame(s.actor_id)
            parent = self.world.parent_of(s.actor_id)
            boxes, ids, _ = self.bodies(parent)
            carrier = self.world.state[(parent or s.actor_id) - 1]
            return radar_capture(
                s.values or {},
                dt,
                self._rng,
                origin,
                axes,
                boxes,
                ids - 1,
                self.world.state,
                carrier[[K_VX, K_VY, K_VZ]],
                self._ground_z(s.actor_id),
            )
        return None

    def _frame(self, actor_id: int) -> tuple[np.ndarray, np.ndarray]:
        """A sensor's position and axes (rows: forward, left, up) in the world (OpenDRIVE frame)."""
        r = self.world.state[actor_id - 1]
        yaw, pitch = float(r[K_YAW]), math.radians(float(r[K_PITCH]))
        fwd = np.array([math.cos(yaw) * math.cos(pitch), math.sin(yaw) * math.cos(pitch), math.sin(pitch)])
        left = np.array([-math.sin(yaw), math.cos(yaw), 0.0])
        up = np.cross(fwd, left)
        return np.array([r[K_X], r[K_Y], r[K_Z]], dtype=float), np.stack([fwd, left, up])

    def _ground_z(self, actor_id: int) -> float:
        """Height of the ground plane under a sensor: its carrier's bottom, else the road surface."""
        w = self.world
        carrier = w.parent_of(actor_id)
        if carrier and w.state[carrier - 1, K_CLASS] != int(ActorClass.SENSOR):
            return float(w.state[carrier - 1, K_Z])
        r = w.state[actor_id - 1]
        if self.network is None:
            return 0.0
        return self.network.surface_z(float(r[K_X]), float(r[K_Y]), 0.0)

    def ground_tags(self, xy: np.ndarray) -> np.ndarray:
        """Semantic tags of ground points: road where a lane is near, terrain elsewhere."""
        if self.network is None or not len(xy):
            return np.full(len(xy), int(Tag.TERRAIN))
        out = np.zeros((len(xy), R_SIZE))
        found = np.zeros(len(xy), np.int64)
        self.network.locate_many_into(np.ascontiguousarray(xy, dtype=float), out, found)
        inside = (found > 0) & (out[:, R_INSIDE] > 0.5)
        return np.where(inside, int(Tag.ROADS), int(Tag.TERRAIN))

    def bodies(self, exclude: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The bodies as ray-cast boxes (``sensor_raycast.B_*``), their ids and semantic tags."""
        w = self.world
        ids = [i for i, info in w.actors.items() if info.blueprint.actor_class in PHYSICAL and i != exclude]
        boxes = np.zeros((len(ids), B_SIZE))
        if ids:
            st = w.state[np.array(ids) - 1]
            boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3] = (
                st[:, K_X],
                st[:, K_Y],
                st[:, K_Z],
                st[:, K_YAW],
            )
            boxes[:, 4], boxes[:, 5], boxes[:, 6] = st[:, K_LENGTH], st[:, K_WIDTH], st[:, K_HEIGHT]
        tags = np.array(
            [CLASS_TAGS.get(int(w.actors[i].blueprint.actor_class), int(Tag.STATIC)) for i in ids]
        )
        return boxes, np.array(ids, dtype=np.int64), tags.astype(np.int64)

    def _ray_camera(self, s: SensorStream) -> bytes:
        """Depth, optical flow or normals from a ray per pixel (depth: planar, along the optical axis,
        encoded in R, G, B as CARLA does)."""
        cam, rays = s.camera, s.rays
        assert cam is not None and rays is not None
        origin, (fwd, left, up) = self._frame(s.actor_id)
        if s.buffers is None:
            n = len(rays)
            s.buffers = (np.empty((n, 3)), np.empty(n), np.empty(n, np.int64))
        world, dist, hit = s.buffers
        cam_axes = np.stack([-left, -up, fwd])
        rotate_rays(rays, cam_axes, world)
        boxes, ids, _ = self.bodies(self.world.parent_of(s.actor_id) if self._carried_inside(s) else 0)
        cast_rays(origin, world, boxes, len(boxes), self._ground_z(s.actor_id), DEPTH_MAX_T, 0.0, dist, hit)
        if self.surface is not None:
            self.surface.refine(origin, world, boxes, DEPTH_MAX_T, dist, hit)
        size = (cam.spec.width, cam.spec.height, cam.spec.fov_deg)
        if isinstance(s.motion, FlowState):
            return s.motion.body(origin, cam_axes, world, dist, hit, boxes, ids, size)
        if s.kind == SensorKind.CAMERA_NORMALS:
            return normals_body(origin, world, dist, hit, boxes, size)
        bgra = np.empty((cam.spec.height, cam.spec.width, 4), np.uint8)
        encode_depth(dist.reshape(cam.spec.height, cam.spec.width), bgra)
        return image_body(bgra, cam.spec.fov_deg)

    def _semantic(self, s: SensorStream, coloured: bool = False) -> bytes:
        """Semantic tags in R (instance ids in G and B), or with ``coloured`` CityScapes colours."""
        cam = s.camera
        assert cam is not None
        self._pose_camera(s)
        scene, n = self._scene_rows(s.actor_id)
        instances = self._scene_ids if s.kind == SensorKind.CAMERA_INSTANCE else None
        bgr = cam.render(scene, n, semantic=True, instances=instances)
        bgra = cityscapes_bgra(bgr[..., 2]) if coloured else cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
        return image_body(bgra, cam.spec.fov_deg)

    def _obstacle(self, s: SensorStream) -> bytes | None:
        """The nearest body along the sensor's forward axis within ``distance`` (a sphere of
        ``hit_radius`` swept from the sensor), as ``[self_actor, other_actor, distance]``."""
        values = s.values or {}
        reach = _float(values.get("distance"), 5.0)
        radius = _float(values.get("hit_radius"), 0.5)
        only_dynamics = values.get("only_dynamics", "false").lower() in ("true", "1")
        parent = self.world.parent_of(s.actor_id)
        boxes, ids, _ = self.bodies(parent)
        if only_dynamics and len(ids):
            moving = [self.world.actors[int(i)].blueprint.actor_class != ActorClass.PROP for i in ids]
            boxes, ids = boxes[np.array(moving, bool)], ids[np.array(moving, bool)]
        if not len(ids):
            return None
        origin, axes = self._frame(s.actor_id)
        dist = np.empty(1)
        hit = np.empty(1, np.int64)
        cast_rays(origin, axes[0:1].copy(), boxes, len(boxes), -1e9, reach, radius, dist, hit)
        if hit[0] < 0:
            return None
        own = self.codec.actor(parent or s.actor_id)
        body = [own, self.codec.actor(int(ids[hit[0]])), float(dist[0])]
        return msgpack.packb(body, use_bin_type=True)

    def _carried_inside(self, s: SensorStream) -> bool:
        carrier = self.world.parent_of(s.actor_id)
        return bool(carrier) and _inside(self.world.state[s.actor_id - 1], self.world.state[carrier - 1])

    def _pose_camera(self, s: SensorStream) -> None:
        cam = s.camera
        assert cam is not None
        r = self.world.state[s.actor_id - 1]
        pitch_down = -math.radians(r[K_PITCH])
        if cam.spec.pitch_deg != -r[K_PITCH]:
            cam.spec = replace(cam.spec, pitch_deg=-float(r[K_PITCH]))
        cam.world_pose = (float(r[K_X]), float(r[K_Y]), float(r[K_Z]), float(r[K_YAW]), pitch_down)

    def _collision_body(self, own: int, c: Contact) -> bytes:
        other = c.b if own == c.a else c.a
        impulse = c.impulse if own == c.a else tuple(-v for v in c.impulse)
        body = [self.codec.actor(own), self.codec.actor(other), list(impulse)]
        return msgpack.packb(body, use_bin_type=True)

    def _render(self, s: SensorStream) -> np.ndarray:
        """The RGB renderer's BGR8 image from a camera sensor, in the weather's light."""
        cam = s.camera
        assert cam is not None
        self._pose_camera(s)
        scene, n = self._scene_rows(s.actor_id)
        bgr = cam.render(scene, n)
        if self.daylight < 1.0:
            bgr = cv2.convertScaleAbs(bgr, alpha=self.daylight)
        return bgr

    def _image(self, s: SensorStream) -> bytes:
        cam = s.camera
        assert cam is not None
        return image_body(cv2.cvtColor(self._render(s), cv2.COLOR_BGR2BGRA), cam.spec.fov_deg)

    def _scene_rows(self, camera_id: int) -> tuple[np.ndarray, int]:
        """dil's actor rows (``dil.world.actors.A_*``) for the renderer: row 0 (never drawn) is empty,
        then every body but the one the camera sits inside (a chase camera sees its car)."""
        w = self.world
        ids = [i for i, info in w.actors.items() if info.blueprint.actor_class in PHYSICAL]
        carrier = w.parent_of(camera_id)
        if carrier and _inside(w.state[camera_id - 1], w.state[carrier - 1]):
            ids.remove(carrier)
        self._scene_ids = np.array([0, *ids], dtype=np.int64)
        n = len(ids) + 1
        if self._scene.shape[0] < n:
            self._scene = np.zeros((2 * n, A_SIZE))
        scene = self._scene
        scene[:n] = 0.0
        if ids:
            s = w.state[np.array(ids) - 1]
            rows = scene[1:n]
            rows[:, A_X], rows[:, A_Y], rows[:, A_Z] = s[:, K_X], s[:, K_Y], s[:, K_Z]
            rows[:, A_YAW], rows[:, A_SPEED] = s[:, K_YAW], s[:, K_SPEED]
            rows[:, A_LENGTH], rows[:, A_WIDTH], rows[:, A_HEIGHT] = (
                s[:, K_LENGTH],
                s[:, K_WIDTH],
                s[:, K_HEIGHT],
            )
            rows[:, A_KIND] = [KIND_COLOURS.get(int(k), int(ActorKind.OBJECT)) for k in s[:, K_CLASS]]
            rows[:, A_ALIVE] = 1.0
        return scene, n


def _inside(point_row: np.ndarray, body: np.ndarray) -> bool:
    """Whether a row's position lies in a body's box."""
    c, s = math.cos(body[K_YAW]), math.sin(body[K_YAW])
    dx, dy = point_row[K_X] - body[K_X], point_row[K_Y] - body[K_Y]
    along, across = c * dx + s * dy, -s * dx + c * dy
    up = point_row[K_Z] - body[K_Z]
    return (
        abs(along) <= 0.5 * body[K_LENGTH]
        and abs(across) <= 0.5 * body[K_WIDTH]
        and 0.0 <= up <= body[K_HEIGHT]
    )


def _int(text: str | None, default: int) -> int:
    try:
        return int(float(text)) if text not in (None, "") else default
    except ValueError:
        return default


def _float(text: str | None, default: float) -> float:
    try:
        return float(text) if text not in (None, "") else default
    except ValueError:
        return default
