"""The simulation episodes run in: world, built-in stack and vehicle, ticked by hand."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import vehicle_models
from dil.bus.codec import Encoder
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import AI_COMMAND, DRIVER_INPUT, VEHICLE_STATE
from dil.bus.transport import LocalBus
from dil.realtime.clock import SimClock
from dil.road.network import RoadNetwork
from dil.run.ego import box_offset
from dil.stack.builtin import BuiltinStack
from dil.vehicle.node import VehicleNode
from dil.world.actors import A_X, A_Y, A_Z, EGO, ActorSpec
from dil.world.camera import Camera
from dil.world.embedded import EmbeddedWorld
from dil.world.node import WorldNode
from dil.world.sensors import LaneGeometry, ObjectList

from .common import CRUISE, EGO_SIZE, END_MARGIN, LOST, RATE_HZ, TICK_NS


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
    cruise: float = CRUISE
    """The speed asked for [m/s] (the built-in stack's cruise control; the model reads it too)."""


class Harness:
    """The ego car on a network with the built-in stack labelling every frame. Ticks at 100 Hz:
    the world node (50 Hz; lane geometry and object list for the stack), then at ``RATE_HZ``
    a camera frame, the built-in command and the driven command, then the vehicle node."""

    def __init__(self, net: RoadNetwork, camera: Camera, vehicle: str = "sedan_bmw320i") -> None:
        self.net = net
        self.camera = camera
        bus, drops, clock = LocalBus(), Drops(), SimClock()
        self.vehicle = vehicle_models.Vehicle("single_track", vehicle)
        self.offset = box_offset(self.vehicle)  # as in a run
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
        self.stack.cruise_speed = c.cruise
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
