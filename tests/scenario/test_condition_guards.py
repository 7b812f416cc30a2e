"""A trigger skips the test of a condition that cannot hold yet (its guard: the simulation time before
a time condition's value, an entity's speed, travelled distance or standstill time below its bound,
no pair of actors touching): the storyboard runs as it does with every test evaluated, to the bit."""

from __future__ import annotations

import math
from operator import attrgetter
from pathlib import Path
from types import SimpleNamespace

from dil.scenario.conditions import Condition, Trigger
from tests.scenario.engine_harness import EngineHarness
from tests.scenario.helpers import CATALOG, action, event, scenario, sim_time, speed

COLLISION_WITH_EGO = '<CollisionCondition><EntityRef entityRef="Ego"/></CollisionCondition>'


def _entity(name: str, entity_condition: str, edge: str = "rising", delay: str = "0") -> str:
    return (
        f'<Condition name="{name}" delay="{delay}" conditionEdge="{edge}"><ByEntityCondition>'
        '<TriggeringEntities triggeringEntitiesRule="any"><EntityRef entityRef="Car"/></TriggeringEntities>'
        f"<EntityCondition>{entity_condition}</EntityCondition></ByEntityCondition></Condition>"
    )


def _guarded_scenario(tmp: Path) -> Path:
    """Car speeds up, runs a distance, stops, stands, and is teleported onto the ego: every guarded
    kind of condition starts an event, some with edges none and falling, one with a delay."""
    events = (
        event("fast", action("a1", speed("30", "linear", "rate", "5")), sim_time("1.0", name="t1"))
        + event(
            "far",
            action("a2", speed("10", "linear", "rate", "4")),
            _entity("d", '<TraveledDistanceCondition value="120"/>'),
            priority="parallel",
        )
        + event(
            "quick",
            action("a3", speed("0", "linear", "rate", "8")),
            _entity("v", '<SpeedCondition value="29.5" rule="greaterThan"/>', edge="falling"),
            priority="parallel",
        )
        + event(
            "stood",
            action(
                "a4",
                "<PrivateAction><TeleportAction><Position>"
                '<RelativeObjectPosition entityRef="Ego" dx="0" dy="0"/>'
                "</Position></TeleportAction></PrivateAction>",
            ),
            _entity("s", '<StandStillCondition duration="0.5"/>'),
            priority="parallel",
        )
        + event(
            "hit",
            action("a5", speed("3")),
            _entity("c", COLLISION_WITH_EGO, delay="0.2"),
            priority="parallel",
        )
        + event(
            "late",
            action("a6", speed("5")),
            sim_time("9.0", name="t2", rule="greaterOrEqual", edge="none"),
            priority="parallel",
        )
    )
    return scenario(tmp, events)


def _run(path: Path, guarded: bool, ego=None, until: float = 12.0) -> EngineHarness:
    """The engine stepped with its world (which finds the actors that touch), with its conditions'
    guards or without them."""
    h = EngineHarness(path, ego=ego)
    if not guarded:
        for c in h.scenario.storyboard.conditions():
            c.guard = None
    while not h.ended and h.t < until:
        h.step()
        h.world.step(round(h.t * 1e9), 1.0 / h.rate_hz)
    return h


def test_guarded_tests_change_nothing(tmp_path):
    path = _guarded_scenario(tmp_path)
    guarded = _run(path, True)
    bound = [c.name for c in guarded.scenario.storyboard.conditions() if c.guard is not None]
    # every kind of guard is made (the act's go and the edge-none time condition included)
    assert {"t1", "d", "v", "s", "c", "t2", "go", "end"} <= set(bound)
    plain = _run(path, False)
    assert guarded.transitions() == plain.transitions()
    assert guarded.tracks == plain.tracks
    started = {name for _t, kind, name, tr in guarded.transitions() if kind == "event" and tr == "start"}
    assert started == {"fast", "far", "quick", "stood", "hit", "late"}


def test_catalog_collisions_and_time_outs_as_without_guards():
    """CCRs and the ALKS cut-in with the ego moved by the test (it drives into the target): the
    collision, standstill and time conditions of their stop triggers as without guards."""
    for name in ("ccrs", "alks_cutin"):
        h0 = EngineHarness(CATALOG / f"{name}.xosc")
        e = h0.scenario.entities[h0.scenario.ego]
        x0, y0, yaw, v = e.x, e.y, e.yaw, max(e.speed, 10.0)

        def ego(t: float, x0=x0, y0=y0, yaw=yaw, v=v):
            return x0 + v * t * math.cos(yaw), y0 + v * t * math.sin(yaw), yaw, v, 0.0

        guarded, plain = (
            _run(CATALOG / f"{name}.xosc", True, ego, 30.0),
            _run(CATALOG / f"{name}.xosc", False, ego, 30.0),
        )
        assert guarded.ended and guarded.ended == plain.ended
        assert guarded.transitions() == plain.transitions()
        assert guarded.tracks == plain.tracks


def test_a_trigger_whose_tests_are_all_skipped_holds_only_by_an_empty_group():
    """A trigger whose every condition is skipped by its guard does not fire and changes nothing; one
    with an empty condition group beside them fires (an empty group holds); once a guard lets its test
    through, the test decides (here its rising edge)."""
    ctx = SimpleNamespace(t=0.5)
    c = Condition("t", 0.0, "rising", lambda ctx: ctx.t > 1.0)
    c.guard = (attrgetter("t"), ctx, math.nextafter(1.0, math.inf))
    c.previous = False
    quiet, with_empty = Trigger([[c]]), Trigger([[c], []])
    assert not quiet.fired(ctx) and c.previous is False and not c.history
    assert with_empty.fired(ctx)
    ctx.t = 1.5
    assert quiet.fired(ctx) and c.previous is True
    assert not quiet.fired(ctx)  # (no rising edge now)
