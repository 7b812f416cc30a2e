"""CARLA's vehicle and prop names are in the library: client code that filters for one by name and
takes the first finds it, and the spawned actor has that blueprint's box."""

from __future__ import annotations

import pytest

from .conftest import carla, synchronous


@pytest.mark.parametrize(
    ("pattern", "wheels", "base_type"),
    [
        ("vehicle.lincoln.mkz_2017", 4, "car"),
        ("charger_2020", 4, "car"),  # visualize_multiple_sensors.py's filter
        ("vehicle.mitsubishi.fusorosa", 4, "bus"),
        ("vehicle.kawasaki.ninja", 2, "motorcycle"),
        ("vehicle.gazelle.omafiets", 2, "bicycle"),
    ],
)
def test_a_vehicle_filtered_by_name_spawns_with_its_box(client, pattern, wheels, base_type):
    world = client.get_world()
    found = world.get_blueprint_library().filter(pattern)
    assert len(found) == 1, [bp.id for bp in found]
    bp = found[0]
    assert bp.get_attribute("number_of_wheels").as_int() == wheels
    assert bp.get_attribute("base_type").as_str() == base_type
    with synchronous(world):
        actor = world.spawn_actor(bp, world.get_map().get_spawn_points()[0])
        world.tick()
        extent = actor.bounding_box.extent
        assert 2.0 * extent.x > 2.0 * extent.y > 0.0  # longer than wide
        if base_type in ("motorcycle", "bicycle"):
            assert 2.0 * extent.y < 1.0
        if base_type == "bus":
            assert 2.0 * extent.x > 9.0
        assert actor.type_id == bp.id
        actor.destroy()


def test_the_library_holds_every_generation_and_common_props(client):
    library = client.get_world().get_blueprint_library()
    vehicles = library.filter("vehicle.*")
    assert len(vehicles) >= 40
    generations = {bp.get_attribute("generation").as_int() for bp in vehicles}
    assert generations == {1, 2}
    emergency = {bp.id for bp in vehicles if bp.get_attribute("special_type").as_str() == "emergency"}
    assert "vehicle.ford.ambulance" in emergency
    for name in ("static.prop.streetbarrier", "static.prop.constructioncone", "static.prop.trafficwarning"):
        assert library.find(name).id == name
    world = client.get_world()
    spawn = world.get_map().get_spawn_points()[1]
    prop = world.spawn_actor(library.find("static.prop.streetbarrier"), spawn)
    assert prop.bounding_box.extent.z > 0.0
    prop.destroy()
    world.wait_for_tick()  # asynchronous mode: the actor list is the next world state's
    assert not world.get_actors().filter("static.prop.*")
    assert carla.ActorAttributeType.String == library.find("static.prop.barrel").get_attribute("size").type
