"""``world/actors`` handed over as the actor table: a reader in the process gets the table itself, a
reader of messages and a recorder get the records the world has always sent (destroyed actors left
out), and the KPI observer reading either scores the same."""

import math

import numpy as np

from dil.bus import Drops, Encoder, Inbox, LocalBus, decode
from dil.bus.messages import WORLD_ACTORS, WORLD_EVENTS
from dil.realtime.clock import SimClock
from dil.run.kpi import KpiNode
from dil.world.actor_set import ActorSet, actor_records
from dil.world.actors import A_X, A_Y, A_YAW, A_Z, ActorSpec
from dil.world.embedded import EmbeddedWorld
from dil.world.node import WorldNode

from ..road.helpers import ROADS


def _world() -> EmbeddedWorld:
    world = EmbeddedWorld(ROADS / "highway.xodr", ActorSpec("ego", length=4.6, width=1.85))
    net = world.network
    for k, s in enumerate((30.0, 60.0, 90.0)):
        world.spawn_in_lane(ActorSpec(f"car{k}", length=4.5, width=1.8), "1", -1, s, speed=10.0)
    world.set_pose(0, net.lane_to_world("1", -1, 20.0), 20.0)
    world.destroy(2)
    return world


def test_readers_get_the_table_or_the_records_the_world_sends():
    world = _world()
    bus = LocalBus()
    tapped: list[bytes] = []
    bus.tap(tapped.append)
    values = Inbox(bus.subscriber(WORLD_ACTORS.topic), Drops())
    messages = Inbox(bus.subscriber(WORLD_ACTORS.topic), Drops())
    node = WorldNode(bus, Drops(), world, SimClock(), ego_from_state=False)
    node.start(0)
    node.tick(0)
    table = values.latest_value()
    assert type(table) is ActorSet
    state, names = world.actor_state()
    assert np.array_equal(table.state, state) and table.state is not state  # a copy: the world moves on
    assert list(table.live()) == [0, 1, 3]
    records = actor_records(state, names)
    assert [r["id"] for r in records] == [0, 1, 3]
    frame = Encoder(WORLD_ACTORS, "world", check=False).encode(0, 0, {"actors": records})
    assert tapped[-1] == frame
    assert messages.latest() == decode(frame)[1]


def test_the_kpi_observer_scores_a_table_as_it_scores_its_records():
    kpis = []
    for as_frames in (False, True):
        world = _world()
        bus = LocalBus()
        node = WorldNode(bus, Drops(), world, SimClock(), ego_from_state=False)
        # as from another process: the KPI's bus gets the frames, never the table
        kpi_bus = LocalBus() if as_frames else bus
        kpi = KpiNode(kpi_bus, Drops(), with_state=False)
        relay = [(bus.subscriber(t), kpi_bus.publisher(t)) for t in (WORLD_ACTORS.topic, WORLD_EVENTS.topic)]
        node.start(0)
        for k in range(100):  # the ego closes in on the car ahead (crashing into it)
            x, y, z, yaw = world.actors.state[0, [A_X, A_Y, A_Z, A_YAW]].tolist()
            world.set_pose(0, (x + 0.6 * math.cos(yaw), y + 0.6 * math.sin(yaw), z, yaw), 30.0 - 0.1 * k)
            node.tick(k * 20_000_000)
            for sub, pub in relay if as_frames else ():
                while (frame := sub.recv()) is not None:
                    pub.send(frame)
            kpi.tick(k * 20_000_000)
        kpis.append(kpi.kpis)
    assert kpis[0] == kpis[1]
    assert kpis[0].collision and kpis[0].collision_with == "car0"
    assert kpis[0].min_distance < 1.0
