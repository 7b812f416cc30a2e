"""The cleanup most CARLA scripts end with: ``apply_batch_sync([DestroyActor(x) ...], True)`` over
listening sensors and their cars in synchronous mode, repeated, never timing out.

The client runs sensor callbacks on the threads that also read world states, and ``apply_batch_sync``
holds Python's GIL while it waits for the state of its tick: sensor data still arriving then would
take those threads and the state would never land (a time-out).
"""

from __future__ import annotations

import numpy as np

from .conftest import Collector, carla, synchronous

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
                world.tick()
            responses = client.apply_batch_sync([command.DestroyActor(x) for x in sensors + cars], True)
            assert [r.error for r in responses if r.error] == [], round_
            assert [a.type_id for a in world.get_actors() if a.type_id != "spectator"] == [], round_
            for k, store in enumerate(stores):
                assert store.wait_for(3), (round_, SENSORS[k])  # data flowed before the cleanup
    assert not [line for line in server.log if "Traceback" in line or "ERROR" in line]
