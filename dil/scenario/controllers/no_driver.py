"""A controller that waits for a driver who is not there: the file hands an entity to a person
(``InteractiveController``, ``interactiveDriver``, ``HIDController``) or to an outside program
(``ExternalController``), and no such driver or client is connected to the run.

Nobody moves the entity, as the reference player plays it headless. Taken at a standstill (the
usual case: activated in Init) it holds still. Taken while moving, an interactive one is a car with
nobody pressing a pedal: it rolls on in its lane, slowed by engine braking (``COAST_DECAY`` of its
speed per second); an external one stays where the absent client last put it (speed 0 at once).
While it holds a domain, the storyboard's actions in that domain (speed changes, lane changes and
offsets) do not move the entity, as the standard says of a controller's domains.

The ego under ``dil drive`` (or any ``--stack``) is driven by that driver or stack instead: this
controller then never takes it. One warning, when it takes an entity, names the file, line and
controller.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from .base import Controller

if TYPE_CHECKING:
    from ..entities import Entity

COAST_DECAY = 0.1
"""Engine braking of a car rolling with no pedal pressed [1/s]: the fraction of its speed lost per
second (the reference player's vehicle model loses 0.1 % per 10 ms step)."""

INTERACTIVE = ("InteractiveController", "interactiveDriver", "HIDController")
"""Controller names (the ``esminiController`` property, the Controller's name or its catalog
entry's) that stand for a person at the wheel."""
EXTERNAL = ("ExternalController", "externalController")
"""Controller names that stand for an outside program placing the entity."""


class NoDriverController(Controller):
    """An interactive or external controller with nobody connected: holds still or coasts."""

    name = "no driver"
    keeps_lane = True
    coasts = True
    """Taken while moving it rolls to a stop (False: it stops where it is)."""
    nobody = "no driver is connected"

    def __init__(
        self, properties: dict[str, str], source: str = "", warnings: list[str] | None = None
    ) -> None:
        super().__init__(properties, source)
        self.warnings: list[str] = [] if warnings is None else warnings
        """The scenario's warnings (shared, not copied: see ``__deepcopy__``)."""

    def __deepcopy__(self, memo: dict) -> Controller:
        # an AssignControllerAction copies its controller per entity; the warnings stay the run's
        c = type(self)(dict(self.properties), self.source, self.warnings)
        c.label = self.label
        memo[id(self)] = c
        c.__dict__.update({k: copy.deepcopy(v, memo) for k, v in self.__dict__.items() if k != "warnings"})
        return c

    def activate(self, entity: Entity, longitudinal: bool, lateral: bool) -> None:
        """Take (True) or hand back (False) each domain; one warning when it first takes any."""
        if (longitudinal or lateral) and not self.active:
            self._announce(entity, longitudinal)
        super().activate(entity, longitudinal, lateral)

    def on_activate(self, entity: Entity) -> None:
        """Longitudinal domain taken: the storyboard's speed changes stop."""
        entity.speed_transition = None
        entity.speed_follow = None
        self.set_speed = None
        if not self.coasts:
            self._commanded = 0.0

    def _announce(self, entity: Entity, longitudinal: bool) -> None:
        who = entity.name
        does = "holds still"
        if not longitudinal:
            does = "keeps its lane (nobody steers; its speed stays the storyboard's)"
        elif entity.speed > 0.0:
            does = "rolls to a stop (nobody at the pedals)" if self.coasts else "stops where it is"
        if entity.is_ego:
            what = f"{self.nobody} in a batch run: {who} {does}; run it with `dil drive` to drive it"
        else:
            what = f"{self.nobody} for {who} (`dil drive` gives only the ego to a driver): {who} {does}"
        text = f"{self.source}: controller {self.label!r}: {what}"
        if text not in self.warnings:
            self.warnings.append(text)

    def perceive(self, entity: Entity, others: list[Entity]) -> None:
        """It looks at nothing. The storyboard may have set a speed or started a change since the
        last step: the held domain undoes it before anything moves (or any condition looks)."""
        if self.longitudinal:
            if self._commanded is not None:
                entity.speed = self._commanded
            entity.speed_transition = None
            entity.speed_follow = None
            entity.planned_speed = None

    def drive(self, entity: Entity, storyboard_speed: float, old_speed: float, dt: float) -> None:
        """Speed [m/s]: the speed it had, less engine braking; the storyboard's is ignored."""
        if self.lateral:
            entity.lateral = None
            entity.lateral_follow = None
        if not self.longitudinal:
            return
        if self.lateral:
            entity.trajectory = None  # a trajectory is both domains: nobody follows it
        v = self._commanded if self._commanded is not None else old_speed
        a = self._overridden(entity, -COAST_DECAY * v if self.coasts else 0.0)
        entity.speed = self._commanded = max(0.0, v + a * dt)
        entity.speed_transition = None
        entity.speed_follow = None


class NoClientController(NoDriverController):
    """An external controller with no client connected: the entity stays where it is."""

    coasts = False
    nobody = "no external client is connected"
