"""Calls carla-lite does not serve fail in the client, naming the call; the server goes on."""

from __future__ import annotations

import time

import pytest

from .conftest import CLIENT_TIMEOUT_S, carla, synchronous


def test_unsupported_calls_raise_naming_the_call_and_the_server_keeps_serving(server, client):
    world = client.get_world()
    for _ in range(2):
        with pytest.raises(RuntimeError, match="start_recorder"):
            client.start_recorder("carla-lite.log")
    with pytest.raises(RuntimeError, match="load_map_layer"):  # a call answered as Response<void>
        world.load_map_layer(carla.MapLayer.Buildings)
    assert client.get_server_version() == "0.9.16"
    with synchronous(world):
        frame = world.get_snapshot().frame
        assert world.tick() == frame + 1
    deadline = time.monotonic() + CLIENT_TIMEOUT_S  # the server's output is read on another thread
    while time.monotonic() < deadline and not any("start_recorder" in line for line in server.log):
        time.sleep(0.05)
    logged = [line for line in server.log if "unsupported call 'start_recorder'" in line]
    assert len(logged) == 1, "each unsupported call is logged once"
    assert server.process.poll() is None
