"""``apply_batch_sync(cmds, True)`` in asynchronous mode while several sensors stream.

The 0.9.16 client holds Python's GIL from the batch until it holds the state of the frame its
``tick_cue`` names, and reads states on the threads that also run sensor callbacks; with two
sensors (a 2-core client has two such threads) nearly every call timed out. carla-lite names a
frame the client already holds, so no call waits for a state, however far behind the client's
callbacks are on a busy machine (a frame sent 20 ms before the batch timed out 13 of 20 calls,
10 s each, with 16 busy processes on 2 cores).
"""

from __future__ import annotations

import threading
import time

from .conftest import CLIENT_TIMEOUT_S, carla

CALLS = 20


def test_batch_with_tick_in_asynchronous_mode_while_four_sensors_stream(server):
    client = server.client()
    client.set_timeout(CLIENT_TIMEOUT_S)  # a call that waits on a state the client cannot read never returns
    world = client.get_world()
    library = world.get_blueprint_library()
    car = world.spawn_actor(library.find("vehicle.tesla.model3"), world.get_map().get_spawn_points()[0])
    received = [0]
    lock = threading.Lock()

    def callback(_data: object) -> None:
        with lock:
            received[0] += 1

    sensors = []
    for k in range(4):
        bp = library.find("sensor.camera.rgb" if k % 2 == 0 else "sensor.lidar.ray_cast")
        if bp.has_attribute("image_size_x"):
            bp.set_attribute("image_size_x", "160")
            bp.set_attribute("image_size_y", "120")
        sensor = world.spawn_actor(bp, carla.Transform(carla.Location(z=2.0)), attach_to=car)
        sensor.listen(callback)
        sensors.append(sensor)
    server.wait_for_readers(1 + len(sensors), timeout=20.0)
    for k in range(CALLS):
        try:
            responses = client.apply_batch_sync(
                [carla.command.ApplyVehicleControl(car.id, carla.VehicleControl(throttle=0.3))], True
            )
        except RuntimeError as exc:
            raise AssertionError(f"call {k + 1} of {CALLS}: {exc}") from None
        assert [r.error for r in responses] == [""]
        time.sleep(0.05)  # the script's own pace: sensor callbacks run meanwhile
    deadline = time.monotonic() + 10.0
    while received[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert received[0] > 0
    for sensor in sensors:
        sensor.stop()
    client.set_timeout(CLIENT_TIMEOUT_S)
    responses = client.apply_batch_sync([carla.command.DestroyActor(a.id) for a in [*sensors, car]], True)
    assert [r.error for r in responses] == [""] * 5
