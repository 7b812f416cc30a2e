"""Agents written the way CARLA's navigation agents are (a route of the client's waypoints, a local
planner steering at a waypoint ahead, a vehicle-obstacle check over ``world.get_actors()`` with the
actors' bounding boxes in the ego's lanes) drive to a destination 400 m away through the junction
network's crossing (straight across and turning) and along the rural road among 20 Traffic Manager
cars, with no collision: one in BasicAgent's way (30 km/h, brake for a car ahead), one in
BehaviorAgent's (the speed limit less 3 km/h, slower when turning at a junction, car following by
time to collision, an emergency stop within 5 m)."""

from __future__ import annotations

import math
import random

import pytest

from ..ports import free_port
from .conftest import ROADS, Collector, carla, start_server, stop_server, synchronous

STEP_S = 0.05
TARGET_SPEED = 30.0 / 3.6
"""The agent's cruise speed [m/s] (CARLA's BasicAgent: 30 km/h)."""
PASSED = 3.0
"""A route waypoint nearer than this (plus half a second of speed) is passed [m]."""
STEER_GAIN = 1.95
"""Steer per radian of heading error (CARLA's BasicAgent's lateral K_P)."""
MAX_STEER_CMD = 0.8
"""The steer command's bound (CARLA's local planner's max_steering)."""
BRAKE_GAP = 5.0
"""Bumper to bumper gap [m] below which the agent brakes (plus 1.5 s of its speed)."""
TRAFFIC = 20
DEAD_END_MARGIN = 80.0
"""A route ends this far before a dead end at least [m]."""
ARRIVED = 3.0
"""The route is done within this distance of the destination [m]."""


class LaneAgent:
    """Follows a fixed route of waypoints; brakes for a vehicle ahead in its lane."""

    def __init__(self, vehicle: carla.Vehicle, route: list[carla.Waypoint]) -> None:
        self.vehicle = vehicle
        self.world = vehicle.get_world()
        self.map = self.world.get_map()
        self.route = route
        self.brakes = 0

    def done(self) -> bool:
        return self.vehicle.get_location().distance(self.route[-1].transform.location) < ARRIVED

    def run_step(self) -> carla.VehicleControl:
        here = self.vehicle.get_location()
        speed = self.vehicle.get_velocity().length()
        reached = PASSED + 0.5 * speed  # CARLA's local planner: 3 m plus half a second of speed
        while len(self.route) > 1 and self.route[0].transform.location.distance(here) < reached:
            self.route.pop(0)
        control = carla.VehicleControl(steer=self._steer(self.route[0].transform.location))
        target = self._target_speed(speed, self._vehicle_ahead(speed))
        if target is None:
            self.brakes += 1
            control.brake = 1.0
        else:
            control.throttle = max(0.0, min(0.75, 0.5 * (target - speed)))
            control.brake = 0.0 if speed < target + 1.0 else 0.3
        return control

    def _reach(self, speed: float) -> float:
        """How far ahead [m] a vehicle is looked for, bumper to bumper."""
        return BRAKE_GAP + 1.5 * speed

    def _target_speed(self, speed: float, ahead: tuple[carla.Actor, float] | None) -> float | None:
        """[m/s]; None: brake hard. BasicAgent: cruise, or stop for any vehicle ahead."""
        return TARGET_SPEED if ahead is None else None

    def _steer(self, target: carla.Location) -> float:
        """CARLA's lateral controller: proportional to the angle between the heading and the target."""
        t = self.vehicle.get_transform()
        forward = t.get_forward_vector()
        dx, dy = target.x - t.location.x, target.y - t.location.y
        angle = math.atan2(forward.x * dy - forward.y * dx, forward.x * dx + forward.y * dy)
        return max(-MAX_STEER_CMD, min(MAX_STEER_CMD, STEER_GAIN * angle))  # y right: steer > 0 turns right

    def _vehicle_ahead(self, speed: float) -> tuple[carla.Actor, float] | None:
        """CARLA's agents' check: the nearest vehicle whose lane is the ego's (or the route's next few
        waypoints') in front within :meth:`_reach`, and the gap between the two boxes' ends [m]."""
        ego_t = self.vehicle.get_transform()
        forward = ego_t.get_forward_vector()
        lanes = {(w.road_id, w.lane_id) for w in [self.map.get_waypoint(ego_t.location), *self.route[:6]]}
        reach = self._reach(speed)
        nearest = None
        for other in self.world.get_actors().filter("*vehicle*"):
            if other.id == self.vehicle.id:
                continue
            loc = other.get_location()
            if loc.distance(ego_t.location) > reach + self.vehicle.bounding_box.extent.x + 25.0:
                continue
            wp = self.map.get_waypoint(loc, lane_type=carla.LaneType.Any)
            if wp is None or (wp.road_id, wp.lane_id) not in lanes:
                continue
            d = loc - ego_t.location
            along = d.x * forward.x + d.y * forward.y
            gap = along - self.vehicle.bounding_box.extent.x - other.bounding_box.extent.x
            if along > 0.0 and gap < reach and (nearest is None or gap < nearest[1]):
                nearest = (other, max(gap, 0.0))
        return nearest


class BehaviorStyleAgent(LaneAgent):
    """BehaviorAgent's "normal" driver on the same route: the speed limit less ``LIMIT_MARGIN`` (at most
    ``MAX_KMH``), less ``TURN_MARGIN`` where the route turns at a junction ahead; a vehicle ahead within
    ``PROXIMITY`` or half the limit in km/h [m] is followed by time to collision, and within
    ``EMERGENCY_GAP`` [m] the car brakes hard."""

    MAX_KMH = 50.0
    LIMIT_MARGIN = 3.0
    TURN_MARGIN = 5.0
    SPEED_DECREASE = 10.0
    """[km/h] below the car ahead's speed inside the safety time."""
    SAFETY_TIME = 3.0
    """[s] of time to collision."""
    PROXIMITY = 10.0
    EMERGENCY_GAP = 5.0
    MIN_KMH = 5.0

    def _limit_kmh(self) -> float:
        limit = self.vehicle.get_speed_limit()
        turning = any(w.is_junction for w in self.route[:10]) and self._turns_ahead()
        return min(self.MAX_KMH, limit - (self.TURN_MARGIN if turning else self.LIMIT_MARGIN))

    def _turns_ahead(self) -> bool:
        yaw = self.vehicle.get_transform().rotation.yaw
        return any(abs(_turn(w.transform.rotation.yaw - yaw)) > 30.0 for w in self.route[:15])

    def _reach(self, speed: float) -> float:
        return max(self.PROXIMITY, self.vehicle.get_speed_limit() / 2.0)

    def _target_speed(self, speed: float, ahead: tuple[carla.Actor, float] | None) -> float | None:
        cruise = self._limit_kmh()
        if ahead is not None:
            other, gap = ahead
            if gap < self.EMERGENCY_GAP:
                return None
            other_kmh = 3.6 * other.get_velocity().length()
            ttc = gap / max(1.0, speed - other_kmh / 3.6)
            if ttc < self.SAFETY_TIME:
                cruise = min(cruise, max(other_kmh - self.SPEED_DECREASE, 0.0))
            elif ttc < 2.0 * self.SAFETY_TIME:
                cruise = min(cruise, max(self.MIN_KMH, other_kmh))
        return cruise / 3.6


def _traffic(client: carla.Client, world: carla.World, exclude: carla.Location, seed: int) -> list[int]:
    """``TRAFFIC`` cars on the Traffic Manager's autopilot, generate_traffic.py's way."""
    tm = client.get_trafficmanager(free_port())
    tm.set_synchronous_mode(True)
    tm.set_random_device_seed(seed)
    blueprints = list(world.get_blueprint_library().filter("vehicle.*"))
    points = [p for p in world.get_map().get_spawn_points() if p.location.distance(exclude) > 15.0]
    rng = random.Random(seed)
    rng.shuffle(points)
    batch = [
        carla.command.SpawnActor(rng.choice(blueprints), p).then(
            carla.command.SetAutopilot(carla.command.FutureActor, True, tm.get_port())
        )
        for p in points[:TRAFFIC]
    ]
    responses = client.apply_batch_sync(batch, True)
    assert [r.error for r in responses] == [""] * len(batch)
    return [r.actor_id for r in responses]


def _turn(degrees: float) -> float:
    """An angle in (-180, 180] [deg]."""
    return (degrees + 180.0) % 360.0 - 180.0


def _heading_after(w: carla.Waypoint) -> float:
    """The lane's heading 20 m on (where a junction's connecting lane has turned) [deg]."""
    ahead = w.next(20.0)
    return (ahead[0] if ahead else w).transform.rotation.yaw


def _route(world_map: carla.Map, start: carla.Waypoint, length: float, turn: bool) -> list[carla.Waypoint]:
    """Waypoints every 2 m from ``start``: at a fork the first successor that turns left or right
    (``turn``; not a U-turn). The lanes go on for ``DEAD_END_MARGIN`` after its end (autopilot cars
    queue at a dead end)."""
    route = [start]
    while 2.0 * len(route) < length + DEAD_END_MARGIN:
        nxt = route[-1].next(2.0)
        assert nxt, "the route ran into a dead end"
        heading = route[-1].transform.rotation.yaw
        turning = [w for w in nxt if 30.0 < abs(_turn(_heading_after(w) - heading)) < 120.0]
        route.append(turning[0] if turn and turning and len(nxt) > 1 else nxt[0])
    return route[: int(length / 2.0)]


def _stuck(world: carla.World, ego: carla.Vehicle, route: list, ticks: int) -> str:
    here = ego.get_location()
    m = world.get_map()
    w = m.get_waypoint(here)
    near = [f"ego on {w.road_id}/{w.lane_id} s {w.s:.1f} yaw {ego.get_transform().rotation.yaw:.0f}"] + [
        f"{a.id} at {a.get_location().distance(here):.1f} m, {a.get_velocity().length():.1f} m/s"
        f" on {m.get_waypoint(a.get_location()).road_id}/{m.get_waypoint(a.get_location()).lane_id}"
        f" yaw {a.get_transform().rotation.yaw:.0f} {a.get_location()}"
        for a in world.get_actors().filter("vehicle.*")
        if a.id != ego.id and a.get_location().distance(here) < 25.0
    ]
    short = here.distance(route[-1].transform.location)
    return f"{short:.1f} m short after {ticks} ticks at {here}; near: {near}"


@pytest.mark.parametrize(
    ("agent_kind", "network", "length", "turn"),
    [
        (LaneAgent, "junction.xodr", 400.0, False),
        (LaneAgent, "junction.xodr", 400.0, True),
        (BehaviorStyleAgent, "junction.xodr", 400.0, False),
        (BehaviorStyleAgent, "junction.xodr", 400.0, True),
        (LaneAgent, "rural.xodr", 300.0, False),
    ],
    ids=[
        "basic-junction-straight",
        "basic-junction-turn",
        "behavior-junction-straight",
        "behavior-junction-turn",
        "basic-rural",
    ],
)
def test_an_agents_style_driver_reaches_its_destination_among_autopilot_cars(
    agent_kind, network, length, turn
):
    server = start_server("--map", str(ROADS / network))
    try:
        client = server.client()
        world = client.get_world()
        world_map = world.get_map()
        with synchronous(world, STEP_S):
            starts = []
            for p in world_map.get_spawn_points():
                wp = world_map.get_waypoint(p.location)
                try:
                    starts.append((p, _route(world_map, wp, length, turn)))
                except AssertionError:
                    continue
            spawn, route = next(
                (p, r) for p, r in starts if "junction" not in network or any(w.is_junction for w in r)
            )
            ego = world.spawn_actor(world.get_blueprint_library().find("vehicle.tesla.model3"), spawn)
            hits = Collector()
            sensor = world.spawn_actor(
                world.get_blueprint_library().find("sensor.other.collision"), carla.Transform(), attach_to=ego
            )
            sensor.listen(hits)
            others = _traffic(client, world, spawn.location, seed=3)
            world.tick()
            agent = agent_kind(ego, list(route))
            limit = int(3.0 * length / TARGET_SPEED / STEP_S)
            ticks = 0
            while not agent.done() and ticks < limit:
                ego.apply_control(agent.run_step())
                world.tick()
                ticks += 1
            moving = sum(world.get_actor(i).get_velocity().length() > 0.5 for i in others)
            sensor.stop()
            assert agent.done(), _stuck(world, ego, route, ticks)
            assert hits.items == []  # no collision of the ego
            assert moving > 0  # the traffic drives
    finally:
        stop_server(server)
