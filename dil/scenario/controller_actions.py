"""OpenSCENARIO controller actions: assigning and activating controllers (a driving stack takes the
ego; any other entity keeps following its storyboard) and overriding a controller's values
(throttle, brake, clutch, parking brake, steering wheel, gear), which are recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from .actions import Action, ActivateController
from .xml import Reader, children

if TYPE_CHECKING:
    from .engine import Context

OVERRIDES = {
    "OverrideThrottleAction": "throttle",
    "OverrideBrakeAction": "brake",
    "OverrideClutchAction": "clutch",
    "OverrideParkingBrakeAction": "parking_brake",
    "OverrideSteeringWheelAction": "steering_wheel",
    "OverrideGearAction": "gear",
}
"""Override element -> the value it sets (pedals 0..1, steering wheel [rad], gear number)."""


@dataclass
class OverrideValues(Action):
    """OverrideControllerValueAction: ``values`` maps a control (see OVERRIDES) to (active, value).
    Recorded per entity in ``log`` as (time [s], entity, control, active, value)."""

    values: dict[str, tuple[bool, float]]
    log: list[tuple[float, str, str, bool, float]] = field(default_factory=list)

    def start(self, ctx: Context, actors: list[str]) -> None:
        for n in actors:
            ctx.entity(n)
            for control, (active, value) in self.values.items():
                self.log.append((ctx.t, n, control, active, value))


@dataclass
class Together(Action):
    """Several actions of one ControllerAction, started together, complete when all are."""

    parts: list[Action]

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        for a in self.parts:
            a.start(ctx, actors)
        self.done = [False] * len(self.parts)

    def step(self, ctx: Context) -> bool:
        for i, a in enumerate(self.parts):
            if not self.done[i]:
                self.done[i] = a.step(ctx)
        return all(self.done)


def _override_value(r: Reader, el: etree._Element) -> float:
    """The value of one override: the attribute (1.0/1.1) or the 1.2 child element's."""
    if el.get("value") is not None:
        return r.num(el, "value")
    if el.get("number") is not None:  # OverrideGearAction 1.0/1.1
        return r.num(el, "number")
    kids = children(el)
    if len(kids) != 1:
        raise r.error(el, "needs a value attribute or one value element")
    k = kids[0]
    if k.tag in ("ManualGear", "AutomaticGear"):
        g = r.raw(k, "gear") if k.tag == "ManualGear" else r.choice(k, "gear", ("p", "r", "n", "d"))
        return float({"p": -2, "r": -1, "n": 0, "d": 1}.get(g, g))
    if k.tag not in ("BrakePercent", "BrakeForce"):
        raise r.unsupported(k, "override value")
    return r.num(k, "value")


def parse_controller_action(r: Reader, node: etree._Element) -> Action:
    """A ``<ControllerAction>`` (1.0 to 1.3) or a 1.1 ``<ActivateControllerAction>`` private action."""
    if node.tag == "ActivateControllerAction":
        return _activate(r, node, "longitudinal", "lateral")
    parts: list[Action] = []
    for inner in children(node):
        if inner.tag == "AssignControllerAction":
            ctl = next((c for c in children(inner) if c.tag in ("Controller", "CatalogReference")), None)
            if ctl is not None and ctl.tag == "CatalogReference":
                r.catalogs.entry(ctl)  # a missing entry is an error naming the reference
            parts.append(_activate(r, inner, "activateLongitudinal", "activateLateral"))
        elif inner.tag == "ActivateControllerAction":
            parts.append(_activate(r, inner, "longitudinal", "lateral"))
        elif inner.tag == "OverrideControllerValueAction":
            values: dict[str, tuple[bool, float]] = {}
            for o in children(inner):
                if o.tag not in OVERRIDES:
                    raise r.unsupported(o, "controller override")
                values[OVERRIDES[o.tag]] = (r.boolean(o, "active"), _override_value(r, o))
            r.warn(
                inner,
                "is recorded but changes nothing: a storyboard-driven entity has no pedals or steering "
                "wheel, and dil's stacks are not overridden",
            )
            parts.append(OverrideValues(values))
        else:
            raise r.unsupported(inner, "controller action")
    if not parts:
        raise r.error(node, "holds no controller action")
    return parts[0] if len(parts) == 1 else Together(parts)


def _activate(r: Reader, el: etree._Element, lon: str, lat: str) -> ActivateController:
    a = ActivateController(r.boolean(el, lon, True), r.boolean(el, lat, True))
    a.line = el.sourceline or 0
    return a
