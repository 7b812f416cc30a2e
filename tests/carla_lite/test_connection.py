"""Connecting, settings and ticking through the real carla client."""

from __future__ import annotations

import pytest

from .conftest import CLIENT_TIMEOUT_S as WAIT_S
from .conftest import carla, synchronous


def test_version_world_and_asynchronous_ticks(client):
    assert client.get_server_version() == "0.9.16"
    world = client.get_world()
    first = world.wait_for_tick(WAIT_S)
    later = world.wait_for_tick(WAIT_S)
    assert later.frame > first.frame
    assert later.timestamp.elapsed_seconds > first.timestamp.elapsed_seconds


def test_settings_round_trip_and_synchronous_tick(client):
    world = client.get_world()
    assert world.get_settings().synchronous_mode is False
    assert world.get_settings().fixed_delta_seconds is None
    with synchronous(world, 0.04):
        settings = world.get_settings()
        assert settings.synchronous_mode is True
        assert settings.fixed_delta_seconds == pytest.approx(0.04)
        before = world.get_snapshot()
        frame = world.tick()
        after = world.get_snapshot()
        assert frame == before.frame + 1 == after.frame
        assert after.timestamp.elapsed_seconds - before.timestamp.elapsed_seconds == pytest.approx(0.04)
        assert after.timestamp.delta_seconds == pytest.approx(0.04)
        for _ in range(5):
            world.tick()
        assert world.get_snapshot().frame == after.frame + 5
    restored = world.get_settings()
    assert restored.synchronous_mode is False and restored.fixed_delta_seconds is None
    assert world.wait_for_tick(WAIT_S).frame > after.frame + 5  # the server ticks on its own again


def test_a_second_client_sees_the_same_world(server):
    a = server.client().get_world()
    b = server.client().get_world()
    assert a.id == b.id
    assert isinstance(b.get_spectator(), carla.Actor)
