"""Scenario controllers: ObjectController / AssignControllerAction on any entity, mapped to dil's
driving logic (ACC and an ALKS-like lane keeper from the built-in stack). An interactive or external
controller with no driver connected holds its entity still (no_driver.py). A controller the runtime
does not simulate (SUMO, follow ghost, ...) leaves the entity to its storyboard, with one warning
naming the file, line and controller.

``controller_for(r, el, entity)`` reads an ``<ObjectController>`` or ``<AssignControllerAction>``;
``activate`` is what ActivateControllerAction does on an entity; ``perceive_all`` runs once per
scenario step before the entities move.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from ..xml import Reader, children
from .acc import AccController
from .alks import AlksController
from .base import Controller
from .no_driver import EXTERNAL, INTERACTIVE, NoClientController, NoDriverController

if TYPE_CHECKING:
    from ..entities import Entity

KINDS: dict[str, type[Controller]] = {
    "ACCController": AccController,
    "ACC": AccController,
    "acc": AccController,
    "ALKSController": AlksController,
    "ALKS_R157SM_Controller": AlksController,
    "ECE_ALKS_RefDriverController": AlksController,
    "ALKS": AlksController,
    "alks": AlksController,
    **dict.fromkeys(INTERACTIVE, NoDriverController),
    **dict.fromkeys(EXTERNAL, NoClientController),
}
"""Controller names (the ``esminiController`` property, the Controller's name, or its catalog
entry's) -> the controller that simulates them."""

STORYBOARD = frozenset({"", "DefaultController", "default"})
"""Names that mean "the storyboard drives it": no controller, no warning."""

__all__ = ["KINDS", "Controller", "activate", "controller_for", "perceive_all"]


def controller_for(r: Reader, el: etree._Element, entity: str) -> Controller | None:
    """The controller an ``<ObjectController>`` or ``<AssignControllerAction>`` gives ``entity``
    (None: the storyboard drives it, with a warning when the file meant a controller dil does not
    simulate). Bad property values are errors naming the file, line and property."""
    ctl = next((c for c in children(el) if c.tag in ("Controller", "CatalogReference")), None)
    if ctl is None:
        return None
    sub, names = r, []
    if ctl.tag == "CatalogReference":
        names.append(r.raw(ctl, "entryName"))
        ctl, sub = r.catalogs.entry(ctl)
    decl = ctl.find("ParameterDeclarations")
    if decl is not None and not names:  # a catalog entry's are read (with its assignments) by the catalog
        params = dict(sub.params)
        for d in decl.iterfind("ParameterDeclaration"):
            params[sub.raw(d, "name")] = sub.scoped(params).raw(d, "value")
        sub = sub.scoped(params)
    props: dict[str, str] = {}
    holder = ctl.find("Properties")
    if holder is not None:
        for p in holder.iterfind("Property"):
            props[sub.raw(p, "name")] = sub.raw(p, "value")
    names[:0] = [props.get("esminiController", ""), sub.raw(ctl, "name", "")]
    kind = next((KINDS[n] for n in names if n in KINDS), None)
    label = next((n for n in names if n), "")
    if kind is None:
        if label not in STORYBOARD:
            r.warn(
                el,
                f"controller {label!r} of {entity!r} is not simulated by dil: {entity!r} follows its "
                "storyboard actions (dil simulates ACCController, ALKS_R157SM_Controller, "
                "ECE_ALKS_RefDriverController, ALKSController, and interactive and external controllers)",
            )
        return None
    try:
        c = kind(props, f"{r.source}:{el.sourceline}")
    except ValueError as exc:
        raise sub.error(ctl, f"of {entity!r}: {exc}") from None
    c.label = label
    if isinstance(c, NoDriverController):
        c.warnings = r.warnings  # it says so when it takes an entity, in the run
    return c


def activate(entity: Entity, longitudinal: bool, lateral: bool) -> bool:
    """ActivateControllerAction on an entity driven by the storyboard or a scenario controller:
    its assigned controller takes (or hands back) each domain. False if it has none."""
    c = entity.controller
    if c is None:
        return False
    c.activate(entity, longitudinal, lateral)
    return True


def perceive_all(entities: dict[str, Entity]) -> None:
    """Each active controller looks at the world as it is before anyone moves this step (so the
    order in which entities move changes nothing)."""
    others: list[Entity] | None = None  # made only when some controller looks
    for e in entities.values():
        c = e.controller
        if c is not None and c.active and e.present and not e.stack_driven:
            if others is None:
                others = [o for o in entities.values() if o.present]
            c.perceive(e, others)
