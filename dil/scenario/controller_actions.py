"""OpenSCENARIO controller actions: assigning and activating controllers (a driving stack takes the
ego; a scenario controller, see dil/scenario/controllers, any entity) and overriding a controller's
values (throttle, brake, clutch, parking brake, steering wheel, gear): they act on the stack that
drives the ego and on a controller-driven entity's pedals, and are recorded."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from .actions import Action, ActivateController
from .controllers import Controller, controller_for
from .controllers import activate as activate_controller
from .xml import Reader, children

if TYPE_CHECKING:
    from .context import Context

OVERRIDES = {
    "Throttle": "throttle",
    "Brake": "brake",
    "Clutch": "clutch",
    "ParkingBrake": "parking_brake",
    "SteeringWheel": "steering_wheel",
    "Gear": "gear",
}
"""Override element (the schema's names) -> the value it sets (pedals 0..1, steering wheel [rad],
gear number). Files that name the elements by their types (``OverrideThrottleAction``) are read too."""
OVERRIDES.update({f"Override{tag}Action": control for tag, control in list(OVERRIDES.items())})


@dataclass
class OverrideValues(Action):
    """OverrideControllerValueAction: ``values`` maps a control (see OVERRIDES) to (active, value).
    Recorded per entity in ``log`` as (time [s], entity, control, active, value)."""

    values: dict[str, tuple[bool, float]]
    log: list[tuple[float, str, str, bool, float]] = field(default_factory=list)

    def start(self, ctx: Context, actors: list[str]) -> None:
        for n in actors:
            e = ctx.entity(n)
            for control, (active, value) in self.values.items():
                self.log.append((ctx.t, n, control, active, value))
            if e.stack_driven:
                ctx.ego_link.override(dict(self.values))
            elif e.controller is not None:
                e.controller.overrides.update(self.values)


@dataclass
class AssignController(Action):
    """AssignControllerAction: the entity gets ``controller`` (None: the storyboard drives it) and,
    as 1.1 and later say, the domains it is activated on."""

    controller: Controller | None
    longitudinal: bool
    lateral: bool
    line: int = 0

    def start(self, ctx: Context, actors: list[str]) -> None:
        for n in actors:
            e = ctx.entity(n)
            if e.controller is not None and e.controller.active:
                e.controller.activate(e, False, False)
            # each actor drives with its own copy (its own set speed and state)
            e.controller = copy.deepcopy(self.controller)
            if e.controller is not None and (self.longitudinal or self.lateral):
                activate_controller(e, self.longitudinal, self.lateral)
            if e.is_ego and ctx.ego_link.state is not None and (self.longitudinal or self.lateral):
                ctx.activate_stack(n, self.longitudinal, self.lateral)
            if e.stack_driven and e.controller is not None:
                ctx.ego_link.configure(e.controller)


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
        if k.tag == "ManualGear":  # the schema's attribute is number (gear: as some files write it)
            g = r.raw(k, "number") if k.get("number") is not None else r.raw(k, "gear")
        else:
            g = r.choice(k, "gear", ("p", "r", "n", "d"))
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
            ctl = controller_for(r, inner, "its actors")
            lon = r.boolean(inner, "activateLongitudinal", False)
            lat = r.boolean(inner, "activateLateral", False)
            a = AssignController(ctl, lon, lat)
            a.line = inner.sourceline or 0
            parts.append(a)
        elif inner.tag == "ActivateControllerAction":
            parts.append(_activate(r, inner, "longitudinal", "lateral"))
        elif inner.tag == "OverrideControllerValueAction":
            values: dict[str, tuple[bool, float]] = {}
            for o in children(inner):
                if o.tag not in OVERRIDES:
                    raise r.unsupported(o, "controller override")
                values[OVERRIDES[o.tag]] = (r.boolean(o, "active"), _override_value(r, o))
            parts.append(OverrideValues(values))
        else:
            raise r.unsupported(inner, "controller action")
    if not parts:
        raise r.error(node, "holds no controller action")
    return parts[0] if len(parts) == 1 else Together(parts)


def _activate(r: Reader, el: etree._Element, lon: str, lat: str) -> ActivateController:
    """Per domain: true takes it, false hands it back, absent leaves it as it is (``lighting`` and
    ``animation`` are accepted: dil has no lights or animations to control)."""
    a = ActivateController(
        r.boolean(el, lon) if el.get(lon) is not None else None,
        r.boolean(el, lat) if el.get(lat) is not None else None,
    )
    a.line = el.sourceline or 0
    return a
