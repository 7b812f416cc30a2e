"""What a scenario controller is: it drives one entity in the domains it is active on
(longitudinal: the speed; lateral: the lane), sees the other entities each scenario step, and hands
a domain back to the storyboard when deactivated. Pedal and steering overrides
(OverrideControllerValueAction) act on what it decides."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lead import Lead, find_lead

if TYPE_CHECKING:
    from ..entities import Entity


class Controller:
    """Base of the controllers; a subclass decides ``acceleration`` [m/s^2] and may keep its lane.

    ``set_speed`` [m/s] is what the driver asked for: the controller's property, or the speed the
    storyboard last set (a SpeedAction on a controller-driven entity sets its set speed, as the
    reference player does)."""

    name = "controller"
    keeps_lane = False
    """Active on the lateral domain, it keeps the entity in its lane (storyboard lane changes and
    offsets are ignored until it is deactivated)."""

    def __init__(self, properties: dict[str, str], source: str = "") -> None:
        self.properties = properties
        self.source = source
        self.label = self.name
        """The controller's name in the file (its catalog entry or ``esminiController``)."""
        """Where it was declared (file:line), for messages."""
        self.longitudinal = False
        self.lateral = False
        self.set_speed: float | None = None
        self.lead: Lead | None = None
        """What it saw ahead at the last perception (None: a free road)."""
        self.overrides: dict[str, tuple[bool, float]] = {}
        """OverrideControllerValueAction: control -> (active, value)."""
        self._commanded: float | None = None
        """The speed it set at its last step [m/s] (None while the storyboard has the speed)."""
        self.min_gap_seen = float("inf")
        """Smallest gap [m] to a lead it has seen while active (for reports)."""

    # activation ---------------------------------------------------------------------------------
    def activate(self, entity: Entity, longitudinal: bool, lateral: bool) -> None:
        """Take (True) or hand back (False) each domain. A newly taken longitudinal domain starts
        from the entity's current speed."""
        if longitudinal and not self.longitudinal:
            self._commanded = entity.speed
            self.on_activate(entity)
        elif not longitudinal:
            self._commanded = None
        self.longitudinal, self.lateral = longitudinal, lateral
        if lateral and self.keeps_lane:
            entity.lateral = None

    def on_activate(self, entity: Entity) -> None:
        """Longitudinal domain taken: the set speed is the property's, else the current speed."""
        if self.set_speed is None:
            self.set_speed = entity.speed

    @property
    def active(self) -> bool:
        return self.longitudinal or self.lateral

    # each scenario step ------------------------------------------------------------------------
    def perceive(self, entity: Entity, others: list[Entity]) -> None:
        """Look at the world as it is at the start of the step (before anyone moves)."""
        if not self.longitudinal:
            self.lead = None
            return
        self.lead = find_lead(entity, others, self.lateral_margin(entity), self.prediction_time(entity))
        if self.lead is not None:
            self.min_gap_seen = min(self.min_gap_seen, self.lead.gap)

    def lateral_margin(self, entity: Entity) -> float:
        """How far beside the entity's own width an object still counts as in its path [m]."""
        return 0.2

    def prediction_time(self, entity: Entity) -> float:
        """How far ahead [s] objects moving sideways are predicted into the path (0: not at all)."""
        return 0.0

    def drive(self, entity: Entity, storyboard_speed: float, old_speed: float, dt: float) -> None:
        """Set the entity's speed [m/s] for this step. ``storyboard_speed`` is what the storyboard
        asked for this step, ``old_speed`` the speed at the step's start; dt [s]."""
        if self.lateral and self.keeps_lane:
            entity.lateral = None
        if not self.longitudinal:
            return
        v = self._commanded if self._commanded is not None else old_speed
        if abs(storyboard_speed - v) > 1e-6:
            # the storyboard set a speed (at once or by a transition): that is the driver's wish now
            self.set_speed = storyboard_speed
        a = self.acceleration(entity, v, dt)
        a = self._overridden(entity, a)
        a = min(max(a, -entity.max_decel), entity.max_accel)
        entity.speed = self._commanded = max(0.0, v + a * dt)

    def acceleration(self, entity: Entity, v: float, dt: float) -> float:
        """The acceleration [m/s^2] it wants at speed ``v`` [m/s]."""
        raise NotImplementedError

    def _overridden(self, entity: Entity, a: float) -> float:
        """Pedal overrides: throttle 0..1 of the maximum acceleration, brake 0..1 of the maximum
        deceleration (the brake wins); an engaged parking brake brakes fully."""
        o = self.overrides
        throttle, brake = o.get("throttle"), o.get("brake")
        park = o.get("parking_brake")
        if throttle is not None and throttle[0]:
            a = max(throttle[1], 0.0) * entity.max_accel
        if brake is not None and brake[0] and brake[1] > 0.0:
            a = -min(brake[1], 1.0) * entity.max_decel
        if park is not None and park[0] and park[1] > 0.0:
            a = -entity.max_decel
        return a
