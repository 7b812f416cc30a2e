"""Training data: episodes of the built-in stack (or the model) with steering and pedal noise."""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from dil.road.network import RoadNetwork
from dil.world.camera import Camera, CameraSpec

from .common import CRUISE_RANGE, IMAGE, RATE_HZ, RESIZES, ROADS, shrink
from .harness import Course, Harness
from .policy import ModelPolicy


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
    """Training samples: shrunk camera frames, ego speeds, cruise speeds, built-in commands."""

    pixels: np.ndarray = field(
        default_factory=lambda: np.zeros((0, IMAGE.size[1], IMAGE.size[0], 3), np.uint8)
    )
    speed: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    cruise: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
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
            np.concatenate([p.cruise for p in parts]),
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
        cruise = float(rng.uniform(*CRUISE_RANGE))
        course = Course(
            network,
            road,
            lane,
            s,
            offset=float(rng.uniform(-0.8, 0.8)),
            heading=float(rng.uniform(-0.04, 0.04)),
            speed=float(rng.uniform(0.6, 1.25) * cruise),
            seconds=45.0 if network == "rural.xodr" else 20.0,
            cruise=cruise,
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
    pixels, speeds, cruises, labels = [], [], [], []
    model = ModelPolicy.open(ep.model) if ep.model else None

    def on_frame(frame: np.ndarray, speed: float, label: tuple[float, float, float], lateral: float) -> None:
        resize = RESIZES[int(rng.integers(len(RESIZES)))]
        pixels.append(shrink(frame, IMAGE, resize))
        speeds.append(speed)
        cruises.append(ep.course.cruise)
        labels.append(label)

    def policy(
        frame: np.ndarray, speed: float, label: tuple[float, float, float]
    ) -> tuple[float, float, float]:
        steer, throttle, brake = (
            label
            if model is None
            else model.command(frame, {"speed": speed, "cruise_speed": ep.course.cruise})
        )
        dt = 1.0 / RATE_HZ
        return steer + noise.next(dt), min(max(throttle + pedal.next(dt), 0.0), 1.0), brake

    Harness(net, camera_of(ep.course.network)).drive(ep.course, policy, on_frame)
    return Frames(
        np.stack(pixels) if pixels else Frames().pixels,
        np.asarray(speeds, np.float32),
        np.asarray(cruises, np.float32),
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
