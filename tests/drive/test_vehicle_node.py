import vehicle_models
from dil.bus import SCHEMAS, Drop, Drops, Encoder, LocalBus, decode
from dil.realtime.clock import SimClock
from dil.vehicle.node import VehicleNode


def _setup(params="sedan_bmw320i", timeout_ms=200.0):
    bus = LocalBus()
    clock = SimClock()
    drops = Drops()
    vehicle = vehicle_models.Vehicle("single_track", params, speed=15.0, gear=1)
    node = VehicleNode(bus, drops, vehicle, clock, input_timeout_ms=timeout_ms, fallback_brake=0.3)
    states = bus.subscriber("vehicle/state")
    driver = bus.publisher("driver/input")
    enc = Encoder(SCHEMAS["driver/input"], "wheel")
    node.start(0)
    return node, vehicle, drops, states, driver, enc


def _inputs(steer=0.0, throttle=0.2, brake=0.0, gear=1):
    return {"steering_wheel_angle": steer, "throttle": throttle, "brake": brake, "gear": gear}


def test_inputs_drive_the_vehicle_and_state_describes_it():
    node, vehicle, _drops, states, driver, enc = _setup()
    for k in range(500):
        if k % 10 == 0:  # a 100 Hz wheel
            driver.send(enc.encode(k, 0, _inputs(steer=0.3)))
        node.tick(k * 1_000_000)
    last = None
    while (f := states.recv()) is not None:
        last = decode(f)[1]
    assert last["seq"] == 500 and last["t_sim_ns"] == 500_000_000  # the initial state, then 500 steps
    assert last["steering_wheel_angle"] == 0.3 and last["throttle"] == 0.2
    assert last["x"] == vehicle["x"] and last["yaw_rate"] == vehicle["yaw_rate"]
    assert last["speed"] == vehicle.output("speed") and last["ay"] > 0.5
    assert last["wheel_speed_fl"] == last["wheel_speed_fr"] == vehicle["omega_f"]
    assert last["roll"] == 0.0 and last["gear"] == round(vehicle["gear"]) >= 1


def test_a_gear_the_vehicle_lacks_is_dropped_and_the_last_inputs_stay():
    node, vehicle, drops, _states, driver, enc = _setup("compact_ev")  # single ratio: gear 1 is drive
    driver.send(enc.encode(0, 0, _inputs(throttle=0.3)))
    node.tick(0)
    driver.send(enc.encode(1, 0, _inputs(throttle=0.9, gear=5)))
    node.tick(1_000_000)
    assert vehicle.u[1] == 0.3  # throttle kept
    assert drops.of("driver/input", Drop.OUT_OF_RANGE) == 1


def test_without_inputs_the_vehicle_releases_throttle_and_brakes():
    node, vehicle, _drops, _states, driver, enc = _setup(timeout_ms=50.0)
    driver.send(enc.encode(0, 0, _inputs(throttle=0.6)))
    for k in range(50):
        node.tick(k * 1_000_000)
    assert not node.timed_out and vehicle.u[1] == 0.6
    for k in range(50, 120):
        node.tick(k * 1_000_000)
    assert node.timed_out and node.input_timeouts == 1
    assert vehicle.u[1] == 0.0 and vehicle.u[2] == 0.3
    driver.send(enc.encode(120, 0, _inputs(throttle=0.1)))
    node.tick(120_000_000)
    assert not node.timed_out and vehicle.u[1] == 0.1


def test_before_the_first_input_the_vehicle_is_held():
    node, vehicle, *_ = _setup()
    node.tick(0)
    assert vehicle.u[1] == 0.0 and vehicle.u[2] == 0.3


def test_the_first_state_is_published_at_start_and_holds_the_initial_state():
    _node, vehicle, _drops, states, *_ = _setup()
    first = decode(states.recv())[1]
    assert first["seq"] == 0 and first["t_sim_ns"] == 0
    assert abs(first["speed"] - 15.0) < 1e-9 and first["x"] == vehicle["x"]
    assert states.recv() is None  # nothing else before the first tick


def test_nobody_is_in_control_after_the_input_timeout_without_input():
    node, _vehicle, _drops, _states, driver, enc = _setup(timeout_ms=50.0)
    assert not node.input_lost(50_000_000)  # the driver has the timeout to send a first input
    assert node.input_lost(51_000_000)
    driver.send(enc.encode(0, 0, _inputs()))
    node.tick(60_000_000)
    assert not node.input_lost(60_000_000) and not node.input_lost(110_000_000)
    for k in range(61, 112):
        node.tick(k * 1_000_000)
    assert node.input_lost(111_000_000)
