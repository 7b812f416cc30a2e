"""A pure-pursuit driver steers a car along the served lane using the client's own waypoints: the
frames (CARLA's mirrored y, yaw and steer signs) agree between the server and the client's map."""

from __future__ import annotations

import math

from .conftest import ROADS, carla, start_server, stop_server, synchronous

LOOKAHEAD = 8.0
"""[m]"""
SPEED = 12.0
"""Target speed [m/s]."""
WHEELBASE = 0.6 * 4.79
MAX_STEER = math.radians(70.0)


def _steer(car: carla.Vehicle, target: carla.Location) -> float:
    t = car.get_transform()
    yaw = math.radians(t.rotation.yaw)
    dx, dy = target.x - t.location.x, target.y - t.location.y
    # CARLA's frame: y to the right, so a positive lateral offset is a right turn, steer > 0
    lateral = -math.sin(yaw) * dx + math.cos(yaw) * dy
    distance = math.hypot(dx, dy)
    curvature = 2.0 * lateral / (distance * distance)
    return max(-1.0, min(1.0, math.atan(WHEELBASE * curvature) / MAX_STEER))


def test_pure_pursuit_follows_a_curved_lane():
    server = start_server("--map", str(ROADS / "rural.xodr"))
    try:
        world = server.client().get_world()
        world_map = world.get_map()
        # the right-hand lane before the bends (rural.xodr: straight to s = 100 m, then curves)
        lanes = [(world_map.get_waypoint(p.location), p) for p in world_map.get_spawn_points()]
        start, spawn = min(((wp, p) for wp, p in lanes if wp.lane_id < 0), key=lambda c: abs(c[0].s - 60.0))
        with synchronous(world, 0.05):
            car = world.spawn_actor(world.get_blueprint_library().find("vehicle.tesla.model3"), spawn)
            travelled, worst, heading_change = 0.0, 0.0, 0.0
            last = spawn.location
            for _ in range(200):
                here = world_map.get_waypoint(car.get_location())
                ahead = here.next(LOOKAHEAD)[0].transform.location
                speed = car.get_velocity().length()
                throttle = max(0.0, min(1.0, 0.5 * (SPEED - speed)))
                car.apply_control(carla.VehicleControl(throttle=throttle, steer=_steer(car, ahead)))
                world.tick()
                loc = car.get_location()
                travelled += loc.distance(last)
                last = loc
                on = world_map.get_waypoint(loc)
                assert on.road_id == start.road_id and on.lane_id == start.lane_id, "left the lane"
                worst = max(
                    worst,
                    on.transform.location.distance(carla.Location(loc.x, loc.y, on.transform.location.z)),
                )
            heading_change = abs(
                (car.get_transform().rotation.yaw - spawn.rotation.yaw + 180.0) % 360.0 - 180.0
            )
            car.destroy()
        assert travelled > 80.0
        assert worst < 0.6, f"strayed {worst:.2f} m from the lane centre"
        assert heading_change > 5.0, "the stretch driven should have been curved"
    finally:
        stop_server(server)
