"""The Traffic Manager through the real client: tutorial.py- and generate_traffic.py-style code.

Vehicles go on autopilot through ``client.get_trafficmanager(port)`` and ``set_autopilot`` (one by
one and in ``apply_batch_sync`` with ``SetAutopilot``), the world ticks synchronously, and they drive
along their lanes without touching each other; destroying them leaves the world empty.
"""

from __future__ import annotations

import math
import random
import time

import pytest

from ..ports import free_port
from .conftest import ROADS, Collector, carla, start_server, stop_server, synchronous

STEP_S = 0.05


def _boxes_overlap(a: carla.Actor, b: carla.Actor) -> bool:
    """Ground-plane oriented boxes of two vehicles overlap (separating axes)."""
    boxes = []
    for v in (a, b):
        t = v.get_transform()
        yaw = math.radians(t.rotation.yaw)
        e = v.bounding_box.extent
        boxes.append((t.location.x, t.location.y, yaw, e.x, e.y))
    for _x, _y, yaw, _ex, _ey in boxes:
        for axis in ((math.cos(yaw), math.sin(yaw)), (-math.sin(yaw), math.cos(yaw))):
            spans = []
            for x, y, y2, ex, ey in boxes:
                c, s = math.cos(y2), math.sin(y2)
                centre = x * axis[0] + y * axis[1]
                radius = abs(ex * (c * axis[0] + s * axis[1])) + abs(ey * (-s * axis[0] + c * axis[1]))
                spans.append((centre - radius, centre + radius))
            if spans[0][1] < spans[1][0] or spans[1][1] < spans[0][0]:
                return False
    return True


def _spawn_traffic(client: carla.Client, world: carla.World, tm_port: int, count: int, seed: int) -> list:
    """generate_traffic.py's way: one batch of SpawnActor(...).then(SetAutopilot(FutureActor, ...))."""
    library = world.get_blueprint_library()
    blueprints = [bp for bp in library.filter("vehicle.*") if int(bp.get_attribute("number_of_wheels")) == 4]
    points = world.get_map().get_spawn_points()
    rng = random.Random(seed)
    rng.shuffle(points)
    batch = []
    for point in points[:count]:
        bp = rng.choice(blueprints)
        bp.set_attribute("role_name", "autopilot")
        batch.append(
            carla.command.SpawnActor(bp, point).then(
                carla.command.SetAutopilot(carla.command.FutureActor, True, tm_port)
            )
        )
    responses = client.apply_batch_sync(batch, True)
    assert [r.error for r in responses] == [""] * count
    return [r.actor_id for r in responses]


def test_generate_traffic_style_30_vehicles_drive_30_s_without_collisions(server, client):
    world = client.get_world()
    tm_port = free_port()
    with synchronous(world, STEP_S):
        tm = client.get_trafficmanager(tm_port)
        assert tm.get_port() == tm_port
        tm.set_synchronous_mode(True)
        tm.set_global_distance_to_leading_vehicle(2.5)
        tm.set_hybrid_physics_mode(True)
        tm.set_hybrid_physics_radius(70.0)
        tm.set_respawn_dormant_vehicles(True)
        tm.set_random_device_seed(3)
        tm.global_percentage_speed_difference(-30.0)  # 30 % above the limit: some catch up
        ids = _spawn_traffic(client, world, tm_port, 30, seed=3)
        world.tick()
        vehicles = [world.get_actor(i) for i in ids]
        for i, v in enumerate(vehicles[:10]):  # per-vehicle settings, as generate_traffic.py sets them
            tm.vehicle_percentage_speed_difference(v, float(10 * (i % 3)))
            tm.auto_lane_change(v, False)
            tm.ignore_lights_percentage(v, 0.0)
            tm.random_left_lanechange_percentage(v, 0.0)
            tm.random_right_lanechange_percentage(v, 0.0)
            tm.update_vehicle_lights(v, True)
        hits = Collector()
        collision = world.get_blueprint_library().find("sensor.other.collision")
        sensors = [world.spawn_actor(collision, carla.Transform(), v) for v in vehicles]
        for s in sensors:
            s.listen(hits)
        start = {v.id: v.get_location() for v in vehicles}
        closest = math.inf
        for step in range(int(30.0 / STEP_S)):
            world.tick()
            if step % 10 == 0:
                snapshot = [(v, v.get_location()) for v in vehicles]
                for k, (a, la) in enumerate(snapshot):
                    for b, lb in snapshot[k + 1 :]:
                        d = la.distance(lb)
                        closest = min(closest, d)
                        if d < 8.0:
                            assert not _boxes_overlap(a, b), f"{a.id} and {b.id} overlap at step {step}"
        moved = sorted(v.get_location().distance(start[v.id]) for v in vehicles)
        assert moved[len(moved) // 2] > 60.0  # the median car drove (speed limit 30 km/h, +30 %)
        carla_map = world.get_map()
        for v in vehicles:  # each the way its lane goes (the client's own waypoints say which)
            lane = carla_map.get_waypoint(v.get_location()).transform.get_forward_vector()
            assert lane.dot(v.get_transform().get_forward_vector()) > 0.9
        assert hits.items == []
        speeds = [v.get_velocity().length() for v in vehicles]
        assert max(speeds) < 30.0 / 3.6 * 1.3 + 0.5
        for s in sensors:
            s.stop()
            assert s.destroy()
        client.apply_batch_sync([carla.command.DestroyActor(v) for v in vehicles], True)
        world.tick()
    left = [a for a in world.get_actors() if a.type_id.startswith(("vehicle.", "sensor."))]
    assert left == []


def test_tutorial_style_autopilot_keeps_its_gap_behind_a_stopped_car(server, client):
    """tutorial.py: ``vehicle.set_autopilot(True)``; the car stops behind a parked car in its lane."""
    world = client.get_world()
    tm_port = free_port()
    library = world.get_blueprint_library()
    points = world.get_map().get_spawn_points()
    start = min((p for p in points if abs(p.rotation.yaw) < 1.0), key=lambda p: p.location.x)
    with synchronous(world, STEP_S):
        tm = client.get_trafficmanager(tm_port)
        tm.set_synchronous_mode(True)
        ahead = carla.Transform(start.location + 500.0 * start.get_forward_vector(), start.rotation)
        parked = world.spawn_actor(library.find("vehicle.audi.a2"), ahead)
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), start)
        world.tick()
        car.set_autopilot(True, tm_port)
        tm.set_desired_speed(car, 50.0)
        tm.distance_to_leading_vehicle(car, 4.0)
        tm.auto_lane_change(car, False)  # else it overtakes the parked car
        peak = 0.0
        for _ in range(int(60.0 / STEP_S)):
            world.tick()
            peak = max(peak, car.get_velocity().length())
        assert peak == pytest.approx(50.0 / 3.6, abs=0.3)  # set_desired_speed acts [km/h]
        assert car.get_velocity().length() < 0.05
        gap = car.get_location().distance(parked.get_location())
        gap -= car.bounding_box.extent.x + parked.bounding_box.extent.x
        assert 3.0 < gap < 6.0  # distance_to_leading_vehicle acts (bumper to bumper at standstill)
        assert abs(car.get_location().y - start.location.y) < 0.05  # on its lane's centre
        car.set_autopilot(False, tm_port)  # handed back: its own controls move it again
        car.apply_control(carla.VehicleControl(throttle=1.0, steer=0.3))
        for _ in range(10):
            world.tick()
        assert car.get_velocity().length() > 1.0
        for actor in (car, parked):
            assert actor.destroy()
        world.tick()
    assert [a for a in world.get_actors() if a.type_id.startswith("vehicle.")] == []


def test_traffic_manager_is_reported_running_and_deterministic_with_its_seed(server, client):
    world = client.get_world()
    tm_port = free_port()
    traces = []
    for _run in range(2):
        with synchronous(world, STEP_S):
            tm = client.get_trafficmanager(tm_port)
            tm.set_random_device_seed(11)
            ids = _spawn_traffic(client, world, tm_port, 8, seed=5)
            vehicles = [world.get_actor(i) for i in ids]
            tm.ignore_vehicles_percentage(vehicles[0], 50.0)
            for _ in range(100):
                world.tick()
            traces.append([(round(v.get_location().x, 4), round(v.get_location().y, 4)) for v in vehicles])
            client.apply_batch_sync([carla.command.DestroyActor(i) for i in ids], True)
            world.tick()
    assert traces[0] == traces[1]


def test_autopilot_drives_in_asynchronous_mode(server, client):
    """tutorial.py's flow: asynchronous mode, ``set_autopilot`` and the script waits on the clock."""
    world = client.get_world()
    tm_port = free_port()
    points = world.get_map().get_spawn_points()
    car = world.spawn_actor(world.get_blueprint_library().find("vehicle.audi.a2"), points[7])
    start = car.get_location()
    car.set_autopilot(True, tm_port)
    assert client.get_trafficmanager(tm_port).get_port() == tm_port
    moved = 0.0
    for _ in range(400):  # at most 20 s of world time at the default 20 Hz
        world.wait_for_tick(5.0)
        moved = car.get_location().distance(start)
        if moved > 10.0:
            break
    assert moved > 10.0
    heading = car.get_transform().get_forward_vector()
    assert heading.x * (car.get_location().x - start.x) + heading.y * (car.get_location().y - start.y) > 0.0
    assert car.get_control().throttle > 0.0 or car.get_velocity().length() > 1.0
    assert car.destroy()


def test_a_traffic_manager_call_for_a_destroyed_vehicle_fails_in_one_log_line(server, client):
    world = client.get_world()
    tm_port = free_port()
    tm = client.get_trafficmanager(tm_port)
    car = world.spawn_actor(
        world.get_blueprint_library().find("vehicle.audi.a2"), world.get_map().get_spawn_points()[4]
    )
    gone = world.get_actor(car.id)
    assert car.destroy()
    with pytest.raises(RuntimeError, match="set_desired_speed"):
        tm.set_desired_speed(gone, 30.0)
    tm.set_global_distance_to_leading_vehicle(3.0)  # the TM goes on serving
    assert server.process.poll() is None
    deadline = time.monotonic() + 60.0  # the server's output is read on another thread
    while time.monotonic() < deadline and not any("set_desired_speed refused" in x for x in server.log):
        time.sleep(0.05)
    refused = [line for line in server.log if "rpc set_desired_speed refused" in line]
    assert len(refused) == 1 and f"no live actor with id {car.id}" in refused[0]
    assert not any("Traceback" in line for line in server.log)


def _lane_pair(world: carla.World) -> tuple[carla.Transform, carla.Transform]:
    """The first spawn point driving +x on the highway's middle lane, and one 40 m ahead of it."""
    points = [p for p in world.get_map().get_spawn_points() if abs(p.rotation.yaw) < 1.0]
    lanes = sorted({round(p.location.y, 1) for p in points})
    middle = lanes[len(lanes) // 2]
    start = min((p for p in points if round(p.location.y, 1) == middle), key=lambda p: p.location.x)
    return start, carla.Transform(start.location + 40.0 * start.get_forward_vector(), start.rotation)


def test_autopilot_overtakes_a_slower_car_and_a_forced_lane_change_moves_over(server, client):
    world = client.get_world()
    tm_port = free_port()
    library = world.get_blueprint_library()
    start, ahead = _lane_pair(world)
    with synchronous(world, STEP_S):
        tm = client.get_trafficmanager(tm_port)
        slow = world.spawn_actor(library.find("vehicle.audi.a2"), ahead)
        fast = world.spawn_actor(library.find("vehicle.tesla.model3"), start)
        world.tick()
        for car, kmh in ((slow, 15.0), (fast, 45.0)):
            car.set_autopilot(True, tm_port)
            tm.set_desired_speed(car, kmh)
        hits = Collector()
        sensor = world.spawn_actor(library.find("sensor.other.collision"), carla.Transform(), fast)
        sensor.listen(hits)
        for _ in range(int(30.0 / STEP_S)):
            world.tick()
        assert fast.get_location().x > slow.get_location().x + 10.0  # passed it
        assert abs(fast.get_location().y - start.location.y) > 2.5  # in another lane
        assert fast.get_velocity().length() > 40.0 / 3.6
        assert hits.items == []

        tm.auto_lane_change(slow, False)
        y0 = slow.get_location().y
        tm.force_lane_change(slow, True)  # to the left of travel: y falls driving +x (CARLA's frame)
        for _ in range(int(8.0 / STEP_S)):
            world.tick()
        assert slow.get_location().y - y0 == pytest.approx(-3.5, abs=0.3)
        assert abs(slow.get_transform().rotation.yaw) < 1.0  # settled on the new lane's centre line
        sensor.stop()
        for actor in (sensor, slow, fast):
            assert actor.destroy()


@pytest.mark.parametrize("network", ["junction", "rural"])
def test_traffic_crosses_the_junction_and_follows_curves_without_collisions(network):
    """The junction's right of way (one path at a time, no entry into a full exit lane) and gaps
    kept along the lanes, 30 cars for 40 s."""
    server = start_server("--map", str(ROADS / f"{network}.xodr"))
    try:
        client = server.client()
        world = client.get_world()
        tm_port = free_port()
        with synchronous(world, STEP_S):
            tm = client.get_trafficmanager(tm_port)
            tm.global_percentage_speed_difference(-40.0)
            count = min(30, len(world.get_map().get_spawn_points()))
            vehicles = [world.get_actor(i) for i in _spawn_traffic(client, world, tm_port, count, seed=1)]
            hits = Collector()
            collision = world.get_blueprint_library().find("sensor.other.collision")
            sensors = [world.spawn_actor(collision, carla.Transform(), v) for v in vehicles]
            for s in sensors:
                s.listen(hits)
            start = {v.id: v.get_location() for v in vehicles}
            for _ in range(int(40.0 / STEP_S)):
                world.tick()
            moved = sorted(v.get_location().distance(start[v.id]) for v in vehicles)
            assert moved[len(moved) // 2] > 50.0
            assert hits.items == []
            for s in sensors:
                s.stop()
                s.destroy()
            client.apply_batch_sync([carla.command.DestroyActor(v) for v in vehicles], True)
    finally:
        stop_server(server)


def test_an_autopilot_car_ahead_is_seen_by_agents_style_checks(server, client):
    """CARLA's agents take a car as ahead when ``0 < angle < 90`` between their heading and the car:
    one exactly on the ego's straight line (angle 0) would be invisible, so autopilot cars keep off it."""
    world = client.get_world()
    tm_port = free_port()
    library = world.get_blueprint_library()
    start, ahead = _lane_pair(world)
    with synchronous(world, STEP_S):
        ego = world.spawn_actor(library.find("vehicle.tesla.model3"), start)
        car = world.spawn_actor(library.find("vehicle.audi.a2"), ahead)
        world.tick()
        car.set_autopilot(True, tm_port)
        for _ in range(20):
            world.tick()
        e, c = ego.get_transform(), car.get_transform()
        forward = e.get_forward_vector()
        dx, dy = c.location.x - e.location.x, c.location.y - e.location.y
        cosine = (forward.x * dx + forward.y * dy) / math.hypot(dx, dy)
        angle = math.degrees(math.acos(max(-1.0, min(1.0, cosine))))
        assert 0.0 < angle < 90.0
        assert abs(c.location.y - start.location.y) < 0.05  # still on its lane
        for actor in (car, ego):
            assert actor.destroy()
