"""The cleanup most CARLA scripts end with: ``apply_batch_sync([DestroyActor(x) ...], True)`` over
listening sensors and their cars in synchronous mode, repeated, never timing out.

The client runs sensor callbacks on the threads that also read world states, and ``apply_batch_sync``
holds Python's GIL while it waits for the state of its tick: sensor data still arriving then would
take those threads and the state would never land (a time-out). So does freeing the callback of a
sensor just stopped: the client frees it on one of those threads, under the GIL.
"""

from __future__ import annotations

import time

import numpy as np

from .conftest import CLIENT_TIMEOUT_S, Collector, carla, synchronous

ROUNDS = 10
CARS = 10
SENSORS = (
    "sensor.camera.rgb",
    "sensor.camera.depth",
    "sensor.lidar.ray_cast",
    "sensor.other.imu",
    "sensor.other.gnss",
)


def _keep(store: Collector):
    """A callback that does what scripts do with the data: copy it out."""

    def keep(data: carla.SensorData) -> None:
        raw = getattr(data, "raw_data", None)
        store(np.frombuffer(raw, dtype=np.uint8).copy() if raw is not None else data.frame)

    return keep


def hold(world: carla.World, frame: int) -> None:
    """Wait until the client holds ``frame``'s state. The batch's call may return before: where the
    client's stream threads wait for the GIL the call holds, the server names a frame the client
    already has, and the state of the batch's tick is read once the call has returned."""
    deadline = time.monotonic() + CLIENT_TIMEOUT_S
    while world.get_snapshot().frame < frame:
        assert time.monotonic() < deadline, f"the client never took the state of frame {frame}"
        time.sleep(0.001)  # lets the client's threads have the GIL


def test_batch_destroy_of_listening_sensors_and_cars_never_times_out(server, client):
    world = client.get_world()
    library = world.get_blueprint_library()
    points = world.get_map().get_spawn_points()
    command = carla.command
    with synchronous(world):
        for round_ in range(ROUNDS):
            cars = [world.spawn_actor(library.find("vehicle.tesla.model3"), points[i]) for i in range(CARS)]
            for car in cars:
                car.apply_control(carla.VehicleControl(throttle=0.5))
            sensors, stores = [], []
            for k, blueprint in enumerate(SENSORS):
                sensor = world.spawn_actor(
                    library.find(blueprint), carla.Transform(carla.Location(z=2.0)), attach_to=cars[k]
                )
                store = Collector()
                sensor.listen(_keep(store))
                sensors.append(sensor)
                stores.append(store)
            for _ in range(3):
                before = world.tick()
            responses = client.apply_batch_sync([command.DestroyActor(x) for x in sensors + cars], True)
            assert [r.error for r in responses if r.error] == [], round_
            hold(world, before + 1)
            assert [a.type_id for a in world.get_actors() if a.type_id != "spectator"] == [], round_
            for k, store in enumerate(stores):
                assert store.wait_for(3), (round_, SENSORS[k])  # data flowed before the cleanup
    assert not [line for line in server.log if "Traceback" in line or "ERROR" in line]


def test_batch_sync_right_after_stopping_sensors_never_times_out(server):
    """``sensor.stop()`` then at once ``apply_batch_sync(..., True)``: the client frees each stopped
    sensor's Python callback on its stream threads, which wait for the GIL that the batch's call holds
    until it has its tick's state, and those threads read states. With one such thread
    (``worker_threads=1``) the state is never read: the server names a frame the client holds."""
    client = carla.Client(server.host, server.port, worker_threads=1)
    client.set_timeout(CLIENT_TIMEOUT_S)
    world = client.get_world()
    library = world.get_blueprint_library()
    points = world.get_map().get_spawn_points()
    with synchronous(world):
        for round_ in range(4):
            car = world.spawn_actor(library.find("vehicle.tesla.model3"), points[round_])
            gnss = library.find("sensor.other.gnss")
            sensors = [world.spawn_actor(gnss, carla.Transform(), attach_to=car) for _ in range(3)]
            stores = [Collector() for _ in sensors]
            for sensor, store in zip(sensors, stores, strict=True):
                sensor.listen(store)
            for _ in range(3):
                before = world.tick()
            for sensor in sensors:
                sensor.stop()
            ids = [s.id for s in sensors] + [car.id]
            responses = client.apply_batch_sync([carla.command.DestroyActor(i) for i in ids], True)
            assert [r.error for r in responses] == [""] * len(ids), round_
            hold(world, before + 1)
            assert [a.type_id for a in world.get_actors() if a.type_id != "spectator"] == [], round_
            assert all(store.wait_for(3) for store in stores), round_  # data flowed before the stop
            frame = world.tick()  # the next tick is told its own frame, and the client holds it
            assert world.get_snapshot().frame == frame, round_


def test_a_tick_right_after_a_batch_is_told_its_own_frame(server, client):
    """``apply_batch_sync(cmds)`` without a tick, then ``world.tick()``: the tick's frame, not a held one
    (scripts match sensor data to the frame ``world.tick()`` returns)."""
    world = client.get_world()
    library = world.get_blueprint_library()
    with synchronous(world):
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), world.get_map().get_spawn_points()[0])
        camera = world.spawn_actor(library.find("sensor.camera.rgb"), carla.Transform(), attach_to=car)
        frames = Collector()
        camera.listen(lambda image: frames(image.frame))
        ticked = [world.tick()]
        throttle = carla.command.ApplyVehicleControl(car.id, carla.VehicleControl(throttle=1.0))
        for _ in range(5):
            client.apply_batch_sync([throttle])
            frame = world.tick()
            assert frame == ticked[-1] + 1
            assert world.get_snapshot().frame == frame
            ticked.append(frame)
        assert set(ticked) <= set(frames.wait_for(len(ticked)))  # each tick's image, by its frame
        camera.stop()
        assert camera.destroy() and car.destroy()
