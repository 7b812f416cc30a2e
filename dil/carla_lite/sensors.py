"""carla-lite's sensors: the RGB camera (dil's OpenCV renderer) and the collision sensor.

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
from .dynamics import K_CLASS, K_HEIGHT, K_LENGTH, K_PITCH, K_SPEED, K_WIDTH, K_X, K_Y, K_YAW, K_Z
from .layouts import SensorType, image_body, sensor_header
from .world import PHYSICAL, Contact, LiteWorld

KIND_COLOURS = {
    int(ActorClass.VEHICLE): int(ActorKind.VEHICLE),
    int(ActorClass.PROP): int(ActorKind.OBJECT),
}
"""How carla-lite's classes are drawn (dil's actor kinds pick the colour)."""


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

    def add(self, actor_id: int, stream_id: int, kind: SensorKind, values: dict[str, str]) -> None:
        s = SensorStream(actor_id, stream_id, kind, sensor_tick=_float(values.get("sensor_tick"), 0.0))
        if kind == SensorKind.CAMERA_RGB:
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
        self.by_actor[actor_id] = s

    def remove(self, actor_id: int) -> SensorStream | None:
        return self.by_actor.pop(actor_id, None)

    def payloads(
        self, frame: int, time_s: float, contacts: list[Contact], wanted: set[int]
    ) -> list[tuple[int, bytes]]:
        """``(stream id, payload)`` for this step's captures of the sensors whose streams are ``wanted``."""
        out: list[tuple[int, bytes]] = []
        for s in self.by_actor.values():
            if s.stream_id not in wanted:
                continue
            header = sensor_header(_sensor_type(s.kind), frame, time_s, self.world.transform(s.actor_id))
            if s.kind == SensorKind.COLLISION:
                parent = self.world.parent_of(s.actor_id)
                for c in contacts:
                    if parent in (c.a, c.b):
                        out.append((s.stream_id, header + self._collision_body(parent, c)))
            elif s.kind == SensorKind.CAMERA_RGB and time_s + 1e-9 >= s.next_capture:
                s.next_capture = time_s + s.sensor_tick
                out.append((s.stream_id, header + self._image(s)))
        return out

    def _collision_body(self, own: int, c: Contact) -> bytes:
        other = c.b if own == c.a else c.a
        impulse = c.impulse if own == c.a else tuple(-v for v in c.impulse)
        body = [self.codec.actor(own), self.codec.actor(other), list(impulse)]
        return msgpack.packb(body, use_bin_type=True)

    def _image(self, s: SensorStream) -> bytes:
        cam = s.camera
        assert cam is not None
        r = self.world.state[s.actor_id - 1]
        pitch_down = -math.radians(r[K_PITCH])
        if cam.spec.pitch_deg != -r[K_PITCH]:
            cam.spec = replace(cam.spec, pitch_deg=-float(r[K_PITCH]))
        cam.world_pose = (float(r[K_X]), float(r[K_Y]), float(r[K_Z]), float(r[K_YAW]), pitch_down)
        scene, n = self._scene_rows(s.actor_id)
        bgr = cam.render(scene, n)
        if self.daylight < 1.0:
            bgr = cv2.convertScaleAbs(bgr, alpha=self.daylight)
        return image_body(cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA), cam.spec.fov_deg)

    def _scene_rows(self, camera_id: int) -> tuple[np.ndarray, int]:
        """dil's actor rows (``dil.world.actors.A_*``) for the renderer: row 0 (never drawn) is empty,
        then every body but the one the camera sits inside (a chase camera sees its car)."""
        w = self.world
        ids = [i for i, info in w.actors.items() if info.blueprint.actor_class in PHYSICAL]
        carrier = w.parent_of(camera_id)
        if carrier and _inside(w.state[camera_id - 1], w.state[carrier - 1]):
            ids.remove(carrier)
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


def _sensor_type(kind: SensorKind) -> SensorType:
    return {SensorKind.COLLISION: SensorType.COLLISION, SensorKind.CAMERA_RGB: SensorType.CAMERA_RGB}[kind]


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
