"""The vehicle node's tick in one compiled call gives the states and vehicle/state messages of the
model's own kernels called one by one, for every registered model."""

import numpy as np
import pytest

from dil.bus import Drops, Inbox, LocalBus
from dil.bus.fixed import FixedEncoder
from dil.bus.messages import AI_COMMAND, VEHICLE_STATE
from dil.realtime.clock import SimClock
from dil.vehicle.node import VehicleNode
from dil.vehicle.state_message import gather, gather_ints, gather_table
from dil.vehicle.tick_kernel import tick_for
from vehicle_models import MODELS, Vehicle


@pytest.mark.parametrize("model", sorted(MODELS))
def test_fused_tick_matches_the_kernels_one_by_one(model: str) -> None:
    bus, drops = LocalBus(), Drops()
    car, ref = Vehicle(model, speed=15.0, gear=1), Vehicle(model, speed=15.0, gear=1)
    node = VehicleNode(bus, drops, car, SimClock(), input_topic=AI_COMMAND.topic, substeps=10)
    assert node._kernel is tick_for(model, car.model.simulate) is not None
    reader = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops)
    enc = FixedEncoder(VEHICLE_STATE, "vehicle")
    table, scale = gather_table(ref, enc.float_names)
    int_table, _ = gather_table(ref, enc.int_names)
    node.start(0)
    for k in range(30):
        for v in (car, ref):
            v.set_inputs(0.3 * np.sin(k / 5), 0.4, 0.0, 1)
        node.tick(k * 10_000_000)
        ref.advance(10)
        rhs = ref.evaluate()
        gather(ref.x, rhs, ref.u, table, scale, enc.floats)
        gather_ints(ref.x, rhs, ref.u, int_table, enc.ints)
        assert np.array_equal(car.x, ref.x)
    msg = reader.latest()
    assert msg is not None and msg["t_sim_ns"] == 300_000_000
    expected = dict(zip(enc.float_names, enc.floats.tolist(), strict=True))
    expected.update(zip(enc.int_names, enc.ints.tolist(), strict=True))
    assert {k: msg[k] for k in expected} == expected
    assert drops.total == 0


def test_a_model_from_outside_the_registry_has_no_fused_tick() -> None:
    assert tick_for("single_track", lambda *a: 0) is None
    assert tick_for("a_model_of_my_own", lambda *a: 0) is None
