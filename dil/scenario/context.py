"""What the storyboard's conditions and actions see of a running scenario (:class:`Context`), and how
the scenario engine reaches the ego's vehicle and driving stack (:class:`EgoLink`)."""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dil.world.actors import ActorKind

from .element_names import SEPARATOR, identity, qualified
from .storyboard import COMPLETE, RUNNING, STANDBY

if TYPE_CHECKING:
    from dil.road.network import RoadNetwork
    from dil.world.embedded import EmbeddedWorld

    from .controllers import Controller
    from .entities import Entity
    from .storyboard import Element

STATE_CHECKS = {"completeState": COMPLETE, "runningState": RUNNING, "standbyState": STANDBY}


@dataclass
class EgoLink:
    """How the engine talks to the ego's vehicle and driving stack (set by the runner)."""

    place: Callable[[float, float, float, float], None] = lambda x, y, yaw, speed: None
    """Put the vehicle at a reference-point pose [m, rad] and speed [m/s] (Init)."""
    state: Callable[[], tuple[float, float, float, float, float]] | None = None
    """The vehicle's box-centre x, y, heading, speed and longitudinal acceleration now."""
    cruise: Callable[[float], None] = lambda v: None
    lane: Callable[[str, int], None] = lambda road, lane: None
    stack_active: bool = False
    configure: Callable[[Controller], None] = lambda controller: None
    """Hand the ego's ObjectController (set speed, time gap) to the stack that drives it."""
    override: Callable[[dict[str, tuple[bool, float]]], None] = lambda values: None
    """Override the stack's pedals, steering wheel, gear: control -> (active, value)."""


@dataclass
class Context:
    """What conditions and actions see."""

    net: RoadNetwork
    params: dict[str, str]
    entities: dict[str, Entity]
    world: EmbeddedWorld
    ego_link: EgoLink
    t: float = 0.0
    dt: float = 0.01
    elements: dict[tuple[str, str], Element] = field(default_factory=dict)
    transitions: Set[tuple[str, str, str]] = field(default_factory=set)
    """(kind, name, transition) of this and the previous step."""
    transition_seq: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """(kind, name, transition) -> the number of its latest occurrence (counting all transitions)."""
    seq: int = 0
    """How many transitions there have been."""
    seq_window: int = 0
    """``seq`` when the previous step's storyboard step began: older transitions are not news."""
    off_road: dict[str, float] = field(default_factory=dict)
    init: bool = True
    """The Init actions are running (a teleport then places its entity at once, not at t + dt)."""

    def entity(self, name: str) -> Entity:
        try:
            return self.entities[name]
        except KeyError:
            raise ValueError(f"no entity {name!r} (entities: {', '.join(self.entities)})") from None

    def element_state(self, kind: str, name: str, state: str, since: int | None = None) -> bool:
        """A state now, or a transition: in this or the previous step, or (``since``) after the
        transition numbered ``since`` (so a condition sees one as soon as it happens, once)."""
        e = self.elements.get((kind, name))
        if e is None and SEPARATOR in name:
            e = self.elements[(kind, name)] = qualified(self.elements, kind, name)
        if e is None:
            raise ValueError(f"StoryboardElementStateCondition: no {kind} named {name!r}")
        if state in STATE_CHECKS:
            return e.state == STATE_CHECKS[state]
        key = identity(e) if SEPARATOR in name else name
        if since is not None:
            last = self.transition_seq.get((kind, key, state.removesuffix("Transition")), -1)
            return last > max(since, self.seq_window)
        return (kind, key, state.removesuffix("Transition")) in self.transitions

    def duration(self, e: Entity, attr: str) -> float:
        if attr == "off_road":
            return self.off_road.get(e.name, 0.0)
        return float(getattr(e, attr))

    def touching(self, a: str, b: str) -> bool:
        i, j = self.entity(a).world_id, self.entity(b).world_id
        return ((i, j) if i < j else (j, i)) in self.world.events.touching

    def touching_type(self, a: str, kind: str) -> bool:
        me = self.entity(a).world_id
        kinds = {
            "vehicle": ActorKind.VEHICLE,
            "pedestrian": ActorKind.PEDESTRIAN,
            "miscellaneous": ActorKind.OBJECT,
        }
        for i, j in self.world.events.touching:
            other = j if i == me else i if j == me else None
            if other is not None:
                e = next(x for x in self.entities.values() if x.world_id == other)
                if e.kind == kinds.get(kind, e.kind):
                    return True
        return False

    def teleported(self, e: Entity) -> None:
        if e.stack_driven:
            self.ego_link.place(e.x, e.y, e.yaw, e.speed)

    def set_cruise_speed(self, v: float) -> None:
        self.ego_link.cruise(v)

    def set_target_lane(self, road: str, lane: int) -> None:
        self.ego_link.lane(road, lane)

    def activate_stack(self, name: str, longitudinal: bool, lateral: bool) -> None:
        e = self.entity(name)
        if not e.is_ego:
            raise ValueError(f"a driving stack can take only the ego entity, not {name!r}")
        if self.ego_link.state is None:
            return  # no stack in this run: the storyboard keeps moving the ego
        e.stack_driven = longitudinal or lateral
        self.ego_link.place(e.x, e.y, e.yaw, e.speed)
