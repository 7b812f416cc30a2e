"""The shipped lane-keeping model: behaviour cloning of the built-in stack (``dil node train``).

The built-in stack (pure pursuit on the lane centre line, IDM cruise) drives the embedded world on
the shipped road networks while dil's own camera renders what a camera model would see. Each
camera frame is stored, cropped and resized as the manifest says, with the ego speed and the
built-in stack's command for that moment as the label. The driven command is the built-in one
plus steering noise (a slow random drift and short pushes), so the car wanders off the lane
centre while the label stays the stack's *correction*: the model sees how to come back, which a
clean drive never shows. Then the trained model itself drives with the built-in stack still
labelling (DAgger), which adds the states the model's own mistakes lead to.

The model is a small CNN (about 0.2 M parameters) trained with PyTorch on the CPU and exported
to ONNX with a dynamic batch dimension, with its manifest (``lane_keeper.yaml``) beside it. It
keeps the lane and the cruise speed the scenarios set by default (70 km/h): it does not know
the cruise speed a scenario asks for, only the one it was taught.

The closed-loop evaluation drives the catalog's lane-keeping scenario with the model in the
loop (onnxruntime in this process) and reports the lateral offset from the lane centre, lane
invasions, road departures and the distance covered.

Everything runs on the simulated clock from fixed seeds, so two runs give the same data and,
with PyTorch's deterministic algorithms, the same model.

The camera sits on the road surface under the ego (its height above the road is the mount's),
which the vehicle models' own ``z`` (0 for the planar models) does not give on a sloped road.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import yaml

import vehicle_models
from dil.bus.codec import Encoder
from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import AI_COMMAND, DRIVER_INPUT, VEHICLE_STATE
from dil.bus.transport import Bus, LocalBus
from dil.drive.vehicle_node import VehicleNode
from dil.realtime.clock import SimClock
from dil.road.network import RoadNetwork
from dil.stack.builtin import BuiltinStack
from dil.world.actors import A_X, A_Y, A_Z, EGO, ActorSpec
from dil.world.camera import Camera, CameraSpec
from dil.world.embedded import EmbeddedWorld
from dil.world.node import WorldNode
from dil.world.sensors import LaneGeometry, ObjectList

from .manifest import Input, Manifest, check_against, load_manifest

REPO = Path(__file__).resolve().parents[2]
ROADS = REPO / "scenarios" / "roads"
SCENARIOS = REPO / "scenarios" / "catalog"
MODELS = Path(__file__).resolve().parent / "models"
NAME = "lane_keeper"

CRUISE = 70.0 / 3.6
"""The cruise speed the model learns [m/s] (the catalog's lane-keeping default)."""
RATE_HZ = 20.0
"""Camera frames and model commands per second (the AI stack's default rate)."""
TICK_NS = 10_000_000
"""The hand-ticked loop's step: the vehicle node at 100 Hz (10 physics steps each), the world
at 50 Hz, camera and commands at ``RATE_HZ``."""
EGO_SIZE = (4.63, 1.83, 1.44)
"""Length, width, height of the catalog's ego vehicle [m]."""
END_MARGIN = 60.0
"""Episodes end this far before the end of the road [m]: past it the view and the lane ahead run
out."""
LOST = 1.8
"""An episode ends when the car is this far from its lane centre [m]."""

IMAGE = Input(
    name="image",
    kind="camera",
    camera="front",
    source_size=(640, 360),
    crop=(0, 176, 640, 144),  # from just above the horizon to ~3 m ahead of the camera
    size=(160, 48),
    colour="rgb",
    layout="nchw",
    scale=1.0 / 255.0,
    mean=(0.5, 0.5, 0.5),
    std=(0.25, 0.25, 0.25),
)
SPEED = Input(name="speed", kind="ego", fields=("speed",), scale=0.05)
OUTPUT = "controls"
STEER_SCALE = 0.5
"""The model's first output times this is the steering-wheel angle [rad]."""
STEER_LIMIT = 2.0
"""The exported model clamps the steering-wheel angle to +-this [rad] (lane keeping needs less than
0.6); throttle and brake are clamped to [0, 1]."""
RESIZES = (cv2.INTER_AREA, cv2.INTER_LINEAR)
"""Training frames are shrunk with either (chosen per frame), so the model does not depend on the
interpolation a runtime uses."""


# --- preprocessing: what the manifest says, for one frame ------------------------------------------


def shrink(image_bgr: np.ndarray, inp: Input, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
    """Crop, resize and colour-convert a ``bgr8`` frame for camera input ``inp``: ``uint8`` (h, w, c)."""
    if inp.crop is not None:
        x, y, w, h = inp.crop
        image_bgr = image_bgr[y : y + h, x : x + w]
    img = cv2.resize(image_bgr, tuple(inp.size), interpolation=interpolation)
    if inp.colour == "rgb":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    elif inp.colour == "gray":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[:, :, None]
    return img


def normalise(pixels: np.ndarray, inp: Input) -> np.ndarray:
    """``uint8`` (..., h, w, c) from :func:`shrink` to the model's ``float32`` tensor layout."""
    x = pixels.astype(np.float32) * np.float32(inp.scale)
    if inp.mean:
        x -= np.asarray(inp.mean, np.float32)
    if inp.std:
        x /= np.asarray(inp.std, np.float32)
    if inp.layout == "nchw":
        x = np.moveaxis(x, -1, -3)
    return np.ascontiguousarray(x)


def manifest_document(model_file: str) -> dict:
    """The manifest of the exported model, as YAML-ready data."""

    def camera(i: Input) -> dict:
        return {
            "name": i.name,
            "kind": i.kind,
            "camera": i.camera,
            "source_size": list(i.source_size),
            "crop": list(i.crop) if i.crop else None,
            "size": list(i.size),
            "colour": i.colour,
            "layout": i.layout,
            "scale": i.scale,
            "mean": list(i.mean),
            "std": list(i.std),
        }

    return {
        "name": "lane-keeper",
        "model": model_file,
        "max_batch": 8,
        "inputs": [
            camera(IMAGE),
            {"name": SPEED.name, "kind": SPEED.kind, "fields": list(SPEED.fields), "scale": SPEED.scale},
        ],
        "outputs": [
            {
                "name": OUTPUT,
                "commands": {
                    "steering_wheel_angle": {"index": 0, "scale": STEER_SCALE},
                    "throttle": {"index": 1},
                    "brake": {"index": 2},
                },
            }
        ],
    }


MANIFEST_HEADER = """\
# A camera lane-keeping and speed-keeping model for dil's embedded camera (front, 640x360, fov 90),
# learned from the built-in stack by `dil node train` (dil/inference/train.py). It keeps the lane
# centre and holds 70 km/h; it does not read the cruise speed a scenario sets.
"""


# --- the model policy: manifest-driven inference ------------------------------------------------


class ModelPolicy:
    """A manifest's model as a driver: camera frame and ego state in, command out (in-process)."""

    def __init__(self, manifest: Manifest, session: object, interpolation: int = cv2.INTER_AREA) -> None:
        self.manifest = manifest
        self.session = session
        self.interpolation = interpolation
        self._outputs = [t.name for t in session.outputs]

    @staticmethod
    def open(path: str | Path, interpolation: int = cv2.INTER_AREA) -> ModelPolicy:
        from .onnx_backend import BACKEND

        m = load_manifest(path)
        session = BACKEND.open(m.model_path, {"threads": "1"})
        check_against(m, session)
        return ModelPolicy(m, session, interpolation)

    def feeds(self, image_bgr: np.ndarray, state: dict[str, float]) -> dict[str, np.ndarray]:
        out = {}
        for i in self.manifest.inputs:
            if i.kind == "camera":
                out[i.name] = normalise(shrink(image_bgr, i, self.interpolation), i)[None]
            elif i.kind == "ego":
                out[i.name] = np.array([[state[f] * i.scale for f in i.fields]], np.float32)
            else:
                raise ValueError(
                    f"{self.manifest.path}: input {i.name!r} reads objects, which this policy lacks"
                )
        return out

    def command(self, image_bgr: np.ndarray, state: dict[str, float]) -> tuple[float, float, float]:
        """Steering-wheel angle [rad], throttle and brake."""
        results = dict(zip(self._outputs, self.session.run(self.feeds(image_bgr, state)), strict=True))
        cmd = {"steering_wheel_angle": 0.0, "throttle": 0.0, "brake": 0.0}
        for o in self.manifest.outputs:
            values = np.asarray(results[o.name]).reshape(-1)
            for name, c in o.commands.items():
                cmd[name] = float(values[c.index]) * c.scale + c.offset
        return (
            cmd["steering_wheel_angle"],
            min(max(cmd["throttle"], 0.0), 1.0),
            min(max(cmd["brake"], 0.0), 1.0),
        )


# --- the simulation: world, built-in stack and vehicle, ticked by hand --------------------------


def ego_offset(vehicle: vehicle_models.Vehicle) -> float:
    """How far the ego's box centre lies ahead of the model's reference point [m] (as in a run)."""
    a, b = vehicle.params.chassis.cg_to_front_axle, vehicle.params.chassis.cg_to_rear_axle
    return 0.5 * (a + b) if vehicle.model.name == "kinematic" else 0.5 * (a - b)


def camera_frame(camera: Camera, net: RoadNetwork, state: np.ndarray) -> np.ndarray:
    """The camera's frame for actor rows ``state``, the ego standing on the road surface."""
    rows = state.copy()
    pos = net.locate(rows[EGO, A_X], rows[EGO, A_Y])
    if pos is not None:
        rows[EGO, A_Z] = net.road_to_world(pos.road, pos.s, pos.t)[2]
    return camera.render(rows, len(rows))


@dataclass(frozen=True)
class Course:
    """Where an episode starts and which lane it keeps."""

    network: str
    """File name in ``scenarios/roads``."""
    road: str
    lane: int
    s: float
    offset: float = 0.0
    """Start offset from the lane centre, positive to the left of the road's reference line [m]."""
    heading: float = 0.0
    """Start heading error, left positive [rad]."""
    speed: float = CRUISE
    seconds: float = 40.0


class Harness:
    """The ego car on a network with the built-in stack labelling every frame. Ticks at 100 Hz:
    the world node (50 Hz; lane geometry and object list for the stack), then at ``RATE_HZ``
    a camera frame, the built-in command and the driven command, then the vehicle node."""

    def __init__(self, net: RoadNetwork, camera: Camera, vehicle: str = "sedan_bmw320i") -> None:
        self.net = net
        self.camera = camera
        bus, drops, clock = LocalBus(), Drops(), SimClock()
        self.vehicle = vehicle_models.Vehicle("single_track", vehicle)
        self.offset = ego_offset(self.vehicle)
        length, width, height = EGO_SIZE
        self.world = EmbeddedWorld(net, ActorSpec("ego", length=length, width=width, height=height))
        sensors = [ObjectList(rate_hz=50.0), LaneGeometry(net, rate_hz=50.0)]
        self.world_node = WorldNode(
            bus, drops, self.world, clock, rate_hz=50.0, ego_offset=self.offset, sensors=sensors
        )
        self.stack = BuiltinStack(bus, drops, clock, self.vehicle.params)
        self.stack.cruise_speed = CRUISE
        self.vehicle_node = VehicleNode(
            bus,
            drops,
            self.vehicle,
            clock,
            input_topic=DRIVER_INPUT.topic,
            input_timeout_ms=500.0,
            substeps=10,
        )
        self._labels = Inbox(bus.subscriber(AI_COMMAND.topic, conflate=True), drops)
        self._state = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops)
        self._driver = bus.publisher(DRIVER_INPUT.topic)
        self._encoder = Encoder(DRIVER_INPUT, "trainer")
        self.speed = 0.0

    def place(self, c: Course) -> None:
        x, y, _, yaw = self.net.lane_to_world(c.road, c.lane, c.s, c.offset)
        yaw += c.heading
        model = self.vehicle.model
        self.vehicle.x[:] = model.initial_state(self.vehicle.p, c.speed, 1.0)
        self.vehicle.x[model.index("x")] = x - self.offset * math.cos(yaw)
        self.vehicle.x[model.index("y")] = y - self.offset * math.sin(yaw)
        self.vehicle.x[model.index("yaw")] = yaw
        self.speed = c.speed
        self.world.set_pose(EGO, (x, y, 0.0, yaw), c.speed)
        self.vehicle_node.start(0)
        self.world_node.start(0)

    def drive(
        self,
        course: Course,
        policy: Callable[[np.ndarray, float, tuple[float, float, float]], tuple[float, float, float]],
        on_frame: Callable[[np.ndarray, float, tuple[float, float, float], float], None] | None = None,
    ) -> LaneKeeping:
        """Drive ``course`` until its time is up, the car is lost or the road ends:
        ``policy(frame, speed, label)`` gives the driven command every frame, ``on_frame(frame,
        speed, label, lateral)`` sees each. The first frame comes once the vehicle has reported
        its state (the built-in stack has nothing to say before)."""
        self.place(course)
        lane = LaneKeeping(self.net, course)
        every = round(1e9 / RATE_HZ / TICK_NS)
        for k in range(round(course.seconds * 1e9 / TICK_NS)):
            t = k * TICK_NS
            if k % 2 == 0:
                self.world_node.tick(t)
            if k % every == 0:
                msg = self._state.latest()
                if msg is not None:
                    self.speed = msg["speed"]
                state, _ = self.world.actor_state()
                lateral = lane.measure(state[EGO, A_X], state[EGO, A_Y], self.speed)
                if lane.done:
                    return lane
                self.stack.tick(t)
                cmd = self._labels.latest()
                if cmd is None:
                    self.vehicle_node.tick(t)
                    continue
                frame = camera_frame(self.camera, self.net, state)
                label = (cmd["steering_wheel_angle"], cmd["throttle"], cmd["brake"])
                if on_frame is not None:
                    on_frame(frame, self.speed, label, lateral)
                steer, throttle, brake = policy(frame, self.speed, label)
                self._driver.send(
                    self._encoder.encode(
                        t,
                        t,
                        {"steering_wheel_angle": steer, "throttle": throttle, "brake": brake, "gear": 1},
                    )
                )
            self.vehicle_node.tick(t)
        return lane


class LaneKeeping:
    """How far the ego's box centre is from the centre of the course's lane (left of the direction
    of travel positive), how far it has come along the road, its speeds, and whether it got lost
    or reached the end of the road."""

    def __init__(self, net: RoadNetwork, c: Course) -> None:
        self.net = net
        self.road, self.lane = c.road, c.lane
        self.length = net.roads[net.road_index(c.road)].length
        ref = net.road_to_world(c.road, c.s)[3]
        self.direction = 1.0 if math.cos(net.lane_to_world(c.road, c.lane, c.s)[3] - ref) > 0 else -1.0
        self.s0 = c.s
        self.travelled = 0.0
        self.lateral: list[float] = []
        self.speeds: list[float] = []
        self.lost = False
        self.done = False

    def measure(self, x: float, y: float, speed: float = math.nan) -> float:
        """The box centre's lateral offset at ``(x, y)`` [m]."""
        pos = self.net.locate(x, y)
        if pos is None or pos.road != self.road:
            self.lost = self.done = True
            return math.nan
        e = (pos.t - self.net.lane_to_road(self.road, self.lane, pos.s)) * self.direction
        self.lateral.append(e)
        self.speeds.append(speed)
        self.travelled = (pos.s - self.s0) * self.direction
        left = self.length - pos.s if self.direction > 0 else pos.s
        if abs(e) > LOST:
            self.lost = self.done = True
        elif left < END_MARGIN:
            self.done = True
        return e


# --- data: episodes of the built-in stack with steering noise -------------------------------------


class Drift:
    """A value wandering about 0 (Ornstein-Uhlenbeck): standard deviation ``sigma``, correlation
    time ``tau`` [s]."""

    def __init__(self, rng: np.random.Generator, sigma: float, tau: float) -> None:
        self.rng = rng
        self.sigma = sigma
        self.tau = tau
        self.value = 0.0

    def next(self, dt: float) -> float:
        a = math.exp(-dt / self.tau)
        self.value = a * self.value + self.sigma * math.sqrt(1.0 - a * a) * float(self.rng.standard_normal())
        return self.value


class SteeringNoise:
    """What is added to the built-in steering command: a slow drift and, now and then, a push
    held for a moment [rad of steering wheel]."""

    def __init__(self, rng: np.random.Generator, drift: float, pushes_per_s: float, push: float) -> None:
        self.rng = rng
        self.drift = Drift(rng, drift, float(rng.uniform(0.5, 2.0)))
        self.rate = pushes_per_s
        self.push = push
        self.held = 0.0
        self.remaining = 0.0

    def next(self, dt: float) -> float:
        value = self.drift.next(dt)
        if self.remaining > 0.0:
            self.remaining -= dt
        elif self.rate > 0.0 and self.rng.random() < self.rate * dt:
            self.held = float(self.rng.choice((-1.0, 1.0)) * self.rng.uniform(0.3, 1.0) * self.push)
            self.remaining = float(self.rng.uniform(0.2, 0.8))
        return value + (self.held if self.remaining > 0.0 else 0.0)


@dataclass(frozen=True)
class Episode:
    course: Course
    seed: int
    drift: float = 0.0
    """Steering drift [rad]."""
    pushes_per_s: float = 0.0
    push: float = 0.0
    """Largest steering push [rad]."""
    pedal: float = 0.0
    """Throttle drift: the speed wanders off the cruise speed, and the labels say how to get back."""
    model: str | None = None
    """A manifest: the model drives (DAgger), the built-in stack only labels."""


@dataclass
class Frames:
    """Training samples: shrunk camera frames, ego speeds, built-in commands."""

    pixels: np.ndarray = field(
        default_factory=lambda: np.zeros((0, IMAGE.size[1], IMAGE.size[0], 3), np.uint8)
    )
    speed: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    label: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))

    def __len__(self) -> int:
        return len(self.speed)

    @staticmethod
    def join(parts: list[Frames]) -> Frames:
        if not parts:
            return Frames()
        return Frames(
            np.concatenate([p.pixels for p in parts]),
            np.concatenate([p.speed for p in parts]),
            np.concatenate([p.label for p in parts]),
        )


def start_lanes(net: RoadNetwork) -> list[tuple[str, int]]:
    """The driving lanes of every road that is not inside a junction."""
    out = []
    for r in net.roads:
        if r.junction not in ("", "-1"):
            continue
        for sec in r.lane_sections[:1]:
            out += [(r.id, ln.id) for ln in sec.lanes if ln.id != 0 and ln.type == "driving"]
    return out


def plan(n: int, seed: int, model: str | None = None) -> list[Episode]:
    """``n`` episodes: three in four on the curved rural road (either direction), the rest on the
    straight highway; random lanes, start offsets, headings and speeds; one in five of the
    built-in stack's drives without noise, the others with steering and throttle noise. With
    ``model`` (a manifest) the model drives, with a little noise."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        network = "rural.xodr" if k % 4 != 3 else "highway.xodr"
        net = network_of(network)
        lanes = start_lanes(net)
        road, lane = lanes[int(rng.integers(len(lanes)))]
        length = net.roads[net.road_index(road)].length
        ahead = float(rng.uniform(5.0, 0.15 * length))
        forward = math.cos(net.lane_to_world(road, lane, 1.0)[3] - net.road_to_world(road, 1.0)[3]) > 0
        s = ahead if forward else length - ahead
        calm = model is None and rng.random() < 0.2
        course = Course(
            network,
            road,
            lane,
            s,
            offset=float(rng.uniform(-0.8, 0.8)),
            heading=float(rng.uniform(-0.04, 0.04)),
            speed=float(rng.uniform(0.6, 1.25) * CRUISE),
            seconds=45.0 if network == "rural.xodr" else 20.0,
        )
        if model is not None:
            out.append(Episode(course, seed * 1000 + k, drift=0.03, pedal=0.04, model=model))
        elif calm:
            out.append(Episode(course, seed * 1000 + k))
        else:
            out.append(
                Episode(
                    course,
                    seed * 1000 + k,
                    drift=float(rng.uniform(0.03, 0.15)),
                    pushes_per_s=float(rng.uniform(0.15, 0.5)),
                    push=float(rng.uniform(0.2, 0.6)),
                    pedal=float(rng.uniform(0.03, 0.12)),
                )
            )
    return out


_NETWORKS: dict[str, RoadNetwork] = {}
_CAMERAS: dict[str, Camera] = {}


def network_of(name: str) -> RoadNetwork:
    if name not in _NETWORKS:
        _NETWORKS[name] = RoadNetwork.load(ROADS / name)
    return _NETWORKS[name]


def camera_of(name: str) -> Camera:
    if name not in _CAMERAS:
        _CAMERAS[name] = Camera(
            network_of(name), CameraSpec(width=IMAGE.source_size[0], height=IMAGE.source_size[1])
        )
    return _CAMERAS[name]


def record(ep: Episode) -> Frames:
    """Drive one episode and keep its frames."""
    net, rng = network_of(ep.course.network), np.random.default_rng(ep.seed)
    noise = SteeringNoise(rng, ep.drift, ep.pushes_per_s, ep.push)
    pedal = Drift(rng, ep.pedal, 3.0)
    pixels, speeds, labels = [], [], []
    model = ModelPolicy.open(ep.model) if ep.model else None

    def on_frame(frame: np.ndarray, speed: float, label: tuple[float, float, float], lateral: float) -> None:
        resize = RESIZES[int(rng.integers(len(RESIZES)))]
        pixels.append(shrink(frame, IMAGE, resize))
        speeds.append(speed)
        labels.append(label)

    def policy(
        frame: np.ndarray, speed: float, label: tuple[float, float, float]
    ) -> tuple[float, float, float]:
        steer, throttle, brake = label if model is None else model.command(frame, {"speed": speed})
        dt = 1.0 / RATE_HZ
        return steer + noise.next(dt), min(max(throttle + pedal.next(dt), 0.0), 1.0), brake

    Harness(net, camera_of(ep.course.network)).drive(ep.course, policy, on_frame)
    return Frames(
        np.stack(pixels) if pixels else Frames().pixels,
        np.asarray(speeds, np.float32),
        np.asarray(labels, np.float32).reshape(-1, 3),
    )


def collect(episodes: list[Episode], jobs: int) -> Frames:
    """Record ``episodes`` (in ``jobs`` processes); the samples in episode order."""
    if jobs <= 1:
        results = [record(e) for e in episodes]
    else:
        # fresh processes: a forked copy of this one would inherit PyTorch's thread pool
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(record, episodes))
    return Frames.join(results)


# --- the model ------------------------------------------------------------------------------------


def build_model() -> object:
    """The CNN (PilotNet's shape, smaller): 4 convolutions on the image, the speed joins the
    dense layers; outputs steering / ``STEER_SCALE``, throttle, brake (unclamped)."""
    import torch
    from torch import nn

    class LaneKeeperNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            c = 3 if IMAGE.colour != "gray" else 1
            self.features = nn.Sequential(
                nn.Conv2d(c, 24, 5, stride=2),
                nn.ELU(),
                nn.Conv2d(24, 32, 5, stride=2),
                nn.ELU(),
                nn.Conv2d(32, 48, 3, stride=2),
                nn.ELU(),
                nn.Conv2d(48, 64, 3),
                nn.ELU(),
                nn.Flatten(),
            )
            with torch.no_grad():
                n = self.features(torch.zeros(1, c, IMAGE.size[1], IMAGE.size[0])).shape[1]
            self.image_fc = nn.Sequential(nn.Dropout(0.2), nn.Linear(n, 64), nn.ELU())
            # the pedals are a sharply bent function of the speed (the built-in stack's throttle
            # drops from 0.19 to 0 at its cruise speed): units with their bends 1.2 m/s apart
            # across the speeds driven (a spline basis to start from) let the head follow it
            self.speed_fc = nn.Sequential(nn.Linear(1, 16), nn.ELU())
            with torch.no_grad():
                self.speed_fc[0].weight.fill_(1.0 / SPEED.scale)  # input in m/s
                self.speed_fc[0].bias.copy_(-torch.linspace(8.0, 26.0, 16))
            self.head = nn.Sequential(nn.Linear(64 + 16, 32), nn.ELU(), nn.Linear(32, 3))

        def forward(self, image: torch.Tensor, speed: torch.Tensor) -> torch.Tensor:
            z = self.image_fc(self.features(image))
            return self.head(torch.cat([z, self.speed_fc(speed)], dim=1))

    return LaneKeeperNet()


def build_export(net: object) -> object:
    """``net`` with its commands clamped to what the vehicle accepts (the exported graph)."""
    import torch
    from torch import nn

    class Clamped(nn.Module):
        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.inner = inner
            limit = STEER_LIMIT / STEER_SCALE
            self.register_buffer("lo", torch.tensor([-limit, 0.0, 0.0]))
            self.register_buffer("hi", torch.tensor([limit, 1.0, 1.0]))

        def forward(self, image: torch.Tensor, speed: torch.Tensor) -> torch.Tensor:
            return torch.maximum(torch.minimum(self.inner(image, speed), self.hi), self.lo)

    return Clamped(net).eval()


def targets(f: Frames) -> np.ndarray:
    """Labels in the model's output units."""
    y = f.label.copy()
    y[:, 0] /= STEER_SCALE
    return y


LOSS_WEIGHTS = (1.0, 4.0, 4.0)
"""Steering (in units of ``STEER_SCALE``), throttle, brake: a throttle error of 0.02 already moves
the speed the car settles at by a few km/h."""


def train(
    net: object, data: Frames, epochs: int, seed: int, lr: float = 1e-3, log: Callable = print
) -> float:
    """Fit ``net`` to ``data`` (Adam, cosine-decayed learning rate); the last epoch's mean loss."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_all = torch.from_numpy(data.pixels)
    v_all = torch.from_numpy(data.speed[:, None] * np.float32(SPEED.scale))
    y_all = torch.from_numpy(targets(data))
    mean = torch.tensor(IMAGE.mean, dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(IMAGE.std, dtype=torch.float32).view(1, -1, 1, 1)
    w = torch.tensor(LOSS_WEIGHTS)
    batch = 128
    steps = epochs * math.ceil(len(data) / batch)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    net.train()
    loss_sum = 0.0
    for epoch in range(epochs):
        order = torch.from_numpy(rng.permutation(len(data)))
        loss_sum, n = 0.0, 0
        t0 = time.perf_counter()
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            img = (x_all[idx].permute(0, 3, 1, 2).float() * IMAGE.scale - mean) / std
            out = net(img, v_all[idx])
            loss = (((out - y_all[idx]) ** 2) * w).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            n += len(idx)
        log(f"  epoch {epoch + 1}/{epochs}: loss {loss_sum / n:.5f} ({time.perf_counter() - t0:.0f} s)")
        loss_sum /= n
    net.eval()
    return loss_sum


def export(net: object, out_dir: Path) -> Path:
    """Write ``lane_keeper.onnx`` and its manifest ``lane_keeper.yaml``; the manifest's path."""
    import torch

    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / f"{NAME}.onnx"
    model = build_export(net)
    image = torch.zeros(1, 3, IMAGE.size[1], IMAGE.size[0])
    speed = torch.zeros(1, 1)
    torch.onnx.export(
        model,
        (image, speed),
        str(onnx_path),
        input_names=[IMAGE.name, SPEED.name],
        output_names=[OUTPUT],
        dynamic_axes={IMAGE.name: {0: "batch"}, SPEED.name: {0: "batch"}, OUTPUT: {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    manifest = out_dir / f"{NAME}.yaml"
    manifest.write_text(
        MANIFEST_HEADER
        + yaml.safe_dump(manifest_document(onnx_path.name), sort_keys=False, default_flow_style=None)
    )
    return manifest


# --- closed-loop evaluation -----------------------------------------------------------------------


@dataclass
class Result:
    run: str
    driver: str
    distance: float
    """Along the road [m]."""
    max_offset: float
    """Largest distance of the box centre from the lane centre [m]."""
    mean_offset: float
    lane_invasions: int
    off_road: int
    left_lane: bool
    """The box centre strayed more than ``LOST`` from the lane centre, or off the road."""
    speed: tuple[float, float, float]
    """Lowest, mean and highest speed [km/h]."""
    end: str = ""

    def row(self) -> tuple:
        lo, mean, hi = self.speed
        return (
            self.run,
            self.driver,
            f"{self.distance:.0f}",
            f"{self.max_offset:.2f}",
            f"{self.mean_offset:.2f}",
            str(self.lane_invasions),
            str(self.off_road),
            "yes" if self.left_lane else "no",
            f"{lo:.0f} / {mean:.0f} / {hi:.0f}",
            self.end,
        )


COLUMNS = (
    "run",
    "driver",
    "distance m",
    "max |offset| m",
    "mean |offset| m",
    "invasions",
    "off road",
    "left lane",
    "speed min/mean/max km/h",
    "end",
)


def result(run: str, driver: str, lane: LaneKeeping, invasions: int, off_road: int, end: str) -> Result:
    lat = np.abs(np.asarray([e for e in lane.lateral if not math.isnan(e)]))
    v = 3.6 * np.asarray([s for s in lane.speeds if not math.isnan(s)])
    return Result(
        run,
        driver,
        lane.travelled,
        float(lat.max()) if len(lat) else math.nan,
        float(lat.mean()) if len(lat) else math.nan,
        invasions,
        off_road,
        lane.lost,
        (float(v.min()), float(v.mean()), float(v.max())) if len(v) else (math.nan,) * 3,
        end,
    )


class ModelNode:
    """The model in the loop of a scenario run: at ``RATE_HZ`` it renders the front camera from
    the world (the ego on the road surface), runs the model on it and the ego speed, and
    publishes the command on ``ai/command``."""

    def __init__(self, bus: Bus, drops: Drops, world: EmbeddedWorld, policy: ModelPolicy) -> None:
        self.world = world
        self.policy = policy
        self.rate_hz = RATE_HZ
        self.camera = Camera(
            world.network, CameraSpec(width=IMAGE.source_size[0], height=IMAGE.source_size[1])
        )
        self._state = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops)
        self._pub = bus.publisher(AI_COMMAND.topic)
        self._enc = Encoder(AI_COMMAND, "lane-keeper")
        self.spec = NodeSpec(
            "lane-keeper",
            inputs=(Port("state", VEHICLE_STATE.topic),),
            outputs=(Port("command", AI_COMMAND.topic, RATE_HZ),),
        )
        self.speed: float | None = None
        self._frame = 0

    def start(self, t_sim_ns: int) -> None:
        pass

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        msg = self._state.latest()
        if msg is not None:
            self.speed = msg["speed"]
        if self.speed is None:
            return
        state, _ = self.world.actor_state()
        frame = camera_frame(self.camera, self.world.network, state)
        steer, throttle, brake = self.policy.command(frame, {"speed": self.speed})
        fields = {"steering_wheel_angle": steer, "throttle": throttle, "brake": brake, "gear": 1}
        self._pub.send(
            self._enc.encode(t_sim_ns, t_sim_ns, {**fields, "frame_id": self._frame, "inference_ns": 0})
        )
        self._frame += 1


class LaneObserver:
    """Measures the ego's lane offset and speed from ``vehicle/state`` at ``RATE_HZ`` (an observer;
    changes nothing). ``offset``: the box centre ahead of the state's reference point [m]."""

    def __init__(self, bus: Bus, drops: Drops, offset: float) -> None:
        self.offset = offset
        self.rate_hz = RATE_HZ
        self.lane: LaneKeeping | None = None
        """Set when the scenario's Init places the ego."""
        self._state = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops)
        self.spec = NodeSpec("lane-observer", inputs=(Port("state", VEHICLE_STATE.topic),))

    def start(self, t_sim_ns: int) -> None:
        pass

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        msg = self._state.latest()
        if self.lane is not None and msg is not None:
            c, s = math.cos(msg["yaw"]), math.sin(msg["yaw"])
            self.lane.measure(msg["x"] + self.offset * c, msg["y"] + self.offset * s, msg["speed"])


def evaluate_scenario(scenario: Path, manifest: Path | None, interpolation: int = cv2.INTER_AREA) -> Result:
    """Drive ``scenario`` with the model (or, without a manifest, the built-in stack) as the ego's
    stack, wired as a batch run wires one: scenario engine (100 Hz), world (50 Hz), stack, vehicle
    (100 Hz, 10 physics steps a tick), KPIs, on the simulated clock."""
    from dil.realtime.loop import Loop
    from dil.run.kpi import KpiNode
    from dil.scenario.engine import EgoLink, ScenarioNode
    from dil.scenario.loader import load
    from vehicle_models.outputs import A_AX
    from vehicle_models.outputs import A_SPEED as OUT_SPEED

    scen = load(scenario)
    net = RoadNetwork.load(scen.road_file)
    ego = scen.entities[scen.ego]
    world = EmbeddedWorld(net, ActorSpec(ego.name, ego.kind, ego.length, ego.width, ego.height))
    bus, drops, clock = LocalBus(), Drops(), SimClock()
    vehicle = vehicle_models.Vehicle("single_track", "sedan_bmw320i")
    offset = ego_offset(vehicle)
    model = vehicle.model
    ix, iy, iyaw = model.index("x"), model.index("y"), model.index("yaw")
    observer = LaneObserver(bus, drops, offset)

    def place(x: float, y: float, yaw: float, speed: float) -> None:
        cx, cy = x + ego.centre_x * math.cos(yaw), y + ego.centre_x * math.sin(yaw)
        vehicle.x[:] = model.initial_state(vehicle.p, speed, 1.0)
        vehicle.x[ix], vehicle.x[iy], vehicle.x[iyaw] = (
            cx - offset * math.cos(yaw),
            cy - offset * math.sin(yaw),
            yaw,
        )
        pos = net.locate(cx, cy)
        observer.lane = LaneKeeping(net, Course(scen.road_file.name, pos.road, pos.lane, pos.s))

    def state() -> tuple[float, float, float, float, float]:
        out = vehicle.outputs()
        yaw = vehicle.x[iyaw]
        return (
            vehicle.x[ix] + offset * math.cos(yaw),
            vehicle.x[iy] + offset * math.sin(yaw),
            yaw,
            float(out[OUT_SPEED]),
            float(out[A_AX]),
        )

    if manifest is None:
        stack = BuiltinStack(bus, drops, clock, vehicle.params)
        sensors = [ObjectList(rate_hz=50.0, range_m=150.0), LaneGeometry(net, rate_hz=10.0)]
        link = EgoLink(
            place=place,
            state=state,
            cruise=lambda v: setattr(stack, "cruise_speed", v),
            lane=lambda road, lane: setattr(stack, "target_lane", (road, lane)),
            stack_active=True,
        )
    else:
        stack = ModelNode(bus, drops, world, ModelPolicy.open(manifest, interpolation))
        sensors = []
        link = EgoLink(place=place, state=state, stack_active=True)
    loops: list[Loop] = []
    engine = ScenarioNode(
        bus, scen, world, clock, link, on_end=lambda why: setattr(loops[0], "stop_requested", True)
    )
    world_node = WorldNode(bus, drops, world, clock, rate_hz=50.0, ego_offset=offset, sensors=sensors)
    vehicle_node = VehicleNode(
        bus, drops, vehicle, clock, input_topic=AI_COMMAND.topic, input_timeout_ms=500.0, substeps=10
    )
    kpi = KpiNode(bus, drops)
    loops.append(Loop([engine, world_node, stack, vehicle_node, kpi, observer], clock, bus, drops))
    report = loops[0].run(round(120.0 * 1000))
    if report.error:
        raise RuntimeError(f"{scenario}: the run stopped with an error: {report.error}")
    assert observer.lane is not None
    k = kpi.kpis
    driver = "built-in" if manifest is None else "model"
    return result(
        scenario.stem, driver, observer.lane, k.lane_invasions, k.off_road, engine.ended or "time limit"
    )


def evaluate_course(course: Course, manifest: Path | None, name: str) -> Result:
    """Drive ``course`` with the model (or, without a manifest, the built-in stack)."""
    h = Harness(network_of(course.network), camera_of(course.network))
    if manifest is None:
        lane = h.drive(course, lambda frame, speed, label: label)
    else:
        policy = ModelPolicy.open(manifest)
        lane = h.drive(course, lambda frame, speed, label: policy.command(frame, {"speed": speed}))
    events = [e.kind for e in h.world_node.events]
    end = "lost" if lane.lost else ("road end" if lane.done else "time limit")
    driver = "built-in" if manifest is None else "model"
    return result(name, driver, lane, events.count("lane_invasion"), events.count("off_road"), end)


COURSES = {
    "rural.xodr lane 1 (other way)": Course("rural.xodr", "1", 1, 635.0, seconds=40.0),
    "rural.xodr lane -1, start 0.6 m left": Course("rural.xodr", "1", -1, 10.0, offset=0.6, seconds=40.0),
    "highway.xodr lane -2 (straight)": Course("highway.xodr", "1", -2, 50.0, seconds=30.0),
}


def evaluate(manifest: Path, baseline: bool = True) -> list[Result]:
    """The catalog's lane-keeping scenario (resizing frames with either interpolation), then the
    courses in ``COURSES``; each also with the built-in stack for comparison."""
    rural = SCENARIOS / "lane_keeping_rural.xosc"
    results = [evaluate_scenario(rural, manifest)]
    linear = evaluate_scenario(rural, manifest, cv2.INTER_LINEAR)
    linear.driver += " (linear resize)"
    results.append(linear)
    if baseline:
        results.append(evaluate_scenario(rural, None))
    for name, course in COURSES.items():
        results.append(evaluate_course(course, manifest, name))
        if baseline:
            results.append(evaluate_course(course, None, name))
    return results


def format_table(columns: tuple[str, ...], rows: list[tuple]) -> str:
    widths = [max(len(str(r[i])) for r in [columns, *rows]) for i in range(len(columns))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in [columns, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- command line ---------------------------------------------------------------------------------


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=MODELS, help="where to write lane_keeper.onnx and .yaml")
    p.add_argument("--episodes", type=int, default=40, help="episodes of the built-in stack with noise")
    p.add_argument("--dagger-episodes", type=int, default=16, help="episodes the model drives (0: none)")
    p.add_argument("--epochs", type=int, default=8, help="training epochs on the first data set")
    p.add_argument(
        "--dagger-epochs", type=int, default=4, help="epochs on the data set with the model's drives"
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", type=int, default=2, help="processes recording episodes")
    p.add_argument("--evaluate-only", action="store_true", help="only drive the existing model")


def run(args: argparse.Namespace) -> int:
    manifest = Path(args.out) / f"{NAME}.yaml"
    t0 = time.perf_counter()
    if not args.evaluate_only:
        import torch

        torch.set_num_threads(max(1, args.jobs))
        torch.use_deterministic_algorithms(True)
        torch.manual_seed(args.seed)
        print(f"recording {args.episodes} episodes of the built-in stack with steering noise ...")
        data = collect(plan(args.episodes, args.seed), args.jobs)
        print(f"  {len(data)} frames ({time.perf_counter() - t0:.0f} s)")
        net = build_model()
        params = sum(p.numel() for p in net.parameters())
        print(f"training the model ({params} parameters) ...")
        train(net, data, args.epochs, args.seed)
        manifest = export(net, Path(args.out))
        if args.dagger_episodes > 0:
            print(f"recording {args.dagger_episodes} episodes driven by the model (DAgger) ...")
            extra = collect(plan(args.dagger_episodes, args.seed + 1, str(manifest)), args.jobs)
            data = Frames.join([data, extra])
            print(f"  {len(extra)} more frames, {len(data)} in all ({time.perf_counter() - t0:.0f} s)")
            train(net, data, args.dagger_epochs, args.seed + 1, lr=5e-4)
            manifest = export(net, Path(args.out))
        onnx_size = (Path(args.out) / f"{NAME}.onnx").stat().st_size
        print(
            f"wrote {manifest} and {NAME}.onnx ({onnx_size / 1e6:.2f} MB) ({time.perf_counter() - t0:.0f} s)"
        )
    print("closed-loop evaluation ...")
    results = evaluate(manifest)
    print(format_table(COLUMNS, [r.row() for r in results]))
    print(f"done in {time.perf_counter() - t0:.0f} s")
    kept = not results[0].left_lane and results[0].lane_invasions == 0 and results[0].off_road == 0
    return 0 if kept else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p)
    return run(p.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
