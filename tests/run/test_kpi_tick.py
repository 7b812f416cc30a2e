"""The KPI observer's compiled tick gives the KPIs of the per-tick Python it replaced, to the bit: fed the
same messages on an in-process bus (the world's table handed over as a value, as in a live run, or as
records, as from a log), it ends with exactly the reference's numbers."""

import math

import numpy as np
import pytest

from dil.bus.codec import Encoder
from dil.bus.fixed import FixedEncoder
from dil.bus.handoff import Outlet
from dil.bus.inbox import Drops
from dil.bus.messages import VEHICLE_STATE, WORLD_ACTORS, WORLD_EVENTS
from dil.bus.transport import LocalBus
from dil.run.kpi import KpiNode
from dil.run.kpi_kernels import K_SIZE, ego_gaps
from dil.world.actor_set import ActorSet, actor_records
from dil.world.actors import A_ALIVE, A_HEIGHT, A_LENGTH, A_SIZE, A_SPEED, A_WIDTH, A_X, A_Y, A_YAW

RATE_HZ = 50.0
HALF = 1.2
PERIOD_NS = round(1e9 / RATE_HZ)


class Reference:
    """The observer's per-tick arithmetic as plain Python over actor records (what it computed
    before its tick was one compiled call)."""

    def __init__(self) -> None:
        self.k = dict(
            initial_speed=0.0,
            min_speed=math.inf,
            final_speed=0.0,
            max_decel=0.0,
            max_jerk=0.0,
            min_ttc=math.inf,
            min_headway=math.inf,
            min_distance=math.inf,
            speed_reduction=0.0,
            duration=0.0,
            collision=False,
        )
        self.actors: list[dict] = []
        self.speed = self.ax = self.last_speed = self.last_ax = None
        self.started = False

    def tick(self, t_ns: int, actors: list[dict] | None, state: tuple[float, float] | None, collide: bool):
        k = self.k
        if actors is not None:
            self.actors = actors
        if state is not None:
            self.speed, self.ax = state
        if collide and self.actors and not k["collision"]:
            k["collision"] = True
            k["speed_reduction"] = k["initial_speed"] - self.actors[0]["speed"]
        if not self.actors or self.actors[0]["id"] != 0:
            return
        rows = np.array(
            [[a["x"], a["y"], a["yaw"], a["speed"], a["length"], a["width"]] for a in self.actors]
        ).reshape(-1, K_SIZE)
        speed = self.actors[0]["speed"] if self.speed is None else self.speed
        rows[0, 3] = speed
        if not self.started:
            k["initial_speed"], self.started = speed, True
        dt = 1.0 / RATE_HZ
        ax = (
            self.ax
            if self.ax is not None
            else (0.0 if self.last_speed is None else (speed - self.last_speed) / dt)
        )
        self.last_speed = speed
        k["duration"] = t_ns * 1e-9
        k["min_speed"] = min(k["min_speed"], speed)
        k["final_speed"] = speed
        k["max_decel"] = max(k["max_decel"], -ax)
        if self.last_ax is not None:
            k["max_jerk"] = max(k["max_jerk"], abs(ax - self.last_ax) * RATE_HZ)
        self.last_ax = ax
        n = len(rows)
        if n > 1:
            gaps, least = np.zeros((n, 2)), np.array([k["min_ttc"], k["min_headway"]])
            ego_gaps(rows, n, HALF, gaps, least)
            for lon, lat in gaps[1:].tolist():
                k["min_distance"] = min(k["min_distance"], math.hypot(abs(lon), abs(lat)))
            k["min_ttc"], k["min_headway"] = least.tolist()
        if not k["collision"]:
            k["speed_reduction"] = k["initial_speed"] - k["min_speed"]


def _table(rng: np.random.Generator, t: float, n: int) -> np.ndarray:
    """An actor table at time ``t`` [s]: the ego at the origin's road, others ahead and beside it,
    closing in and receding, now and then one not alive."""
    s = np.zeros((n, A_SIZE))
    s[:, A_X] = 20.0 * t + np.concatenate(([0.0], rng.uniform(-40.0, 80.0, n - 1) - 4.0 * t))
    s[:, A_Y] = np.concatenate(
        ([0.0], rng.choice([0.0, 0.4, 3.5, -3.5], n - 1) + rng.normal(0.0, 0.3, n - 1))
    )
    s[:, A_YAW] = rng.normal(0.0, 0.05, n)
    s[:, A_SPEED] = np.concatenate(([20.0 - t], rng.uniform(0.0, 30.0, n - 1)))
    s[:, A_LENGTH], s[:, A_WIDTH], s[:, A_HEIGHT] = 4.5, 1.8, 1.5
    s[:, A_ALIVE] = (rng.random(n) > 0.1).astype(float)
    s[0, A_ALIVE] = 1.0 if rng.random() > 0.02 else 0.0  # the ego now and then not the first live actor
    return s


@pytest.mark.parametrize("as_values", [True, False], ids=["table handed over", "records"])
@pytest.mark.parametrize("with_state", [True, False], ids=["vehicle state", "speeds only"])
def test_kpis_equal_the_per_tick_python_bit_for_bit(as_values, with_state):
    rng = np.random.default_rng(11)
    bus = LocalBus()
    node = KpiNode(bus, Drops(), rate_hz=RATE_HZ, path_half_width=HALF, with_state=with_state)
    actors_out = Outlet(bus.publisher(WORLD_ACTORS.topic), Encoder(WORLD_ACTORS, "world"))
    events_out = Outlet(bus.publisher(WORLD_EVENTS.topic), Encoder(WORLD_EVENTS, "world"))
    state_pub, state_enc = bus.publisher(VEHICLE_STATE.topic), FixedEncoder(VEHICLE_STATE, "vehicle")
    i_speed, i_ax = state_enc.float_names.index("speed"), state_enc.float_names.index("ax")
    ref = Reference()
    names = tuple(f"actor{i}" for i in range(7))
    collided_at = 300
    for tick in range(600):
        t_ns = tick * PERIOD_NS
        records = state = None
        if rng.random() > 0.1:  # now and then no world message this tick
            table = _table(rng, t_ns * 1e-9, 7)
            records = actor_records(table, names)
            if as_values:
                actors_out.publish_value(t_ns, t_ns, ActorSet(table, names), ActorSet.fields, True)
            else:
                actors_out.publish(t_ns, t_ns, {"actors": records})
        if with_state and rng.random() > 0.3:
            state = (float(rng.uniform(0.0, 25.0)), float(rng.normal(0.0, 3.0)))
            state_enc.floats[i_speed], state_enc.floats[i_ax] = state
            state_pub.hand(
                state_enc.values(t_ns, t_ns),
                state_enc.pack_values,
                state_enc.schema,
                state_enc.make,
                state_enc.view,
            )
        collide = tick == collided_at
        if collide:
            event = {"kind": "collision", "actor_id": 0, "other_id": 1, "x": 0.0, "y": 0.0, "detail": ""}
            events_out.publish(t_ns, t_ns, {**event, "relative_speed": 3.0})
        node.tick(t_ns)
        ref.tick(t_ns, records, state, collide)
    got = node.kpis
    assert {name: getattr(got, name) for name in ref.k} == ref.k
    assert (
        got.collision
        and got.collision_with == "actor1"
        and got.collision_time == collided_at * PERIOD_NS * 1e-9
    )
    assert math.isfinite(got.min_ttc) and math.isfinite(got.min_distance) and got.max_jerk > 0.0
