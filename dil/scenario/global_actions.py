"""OpenSCENARIO global actions beyond parameters: the environment (kept as the run's environment),
adding and deleting entities, traffic signal states and controller phases, and the traffic
actions dil's worlds cannot carry out (parsed, recorded, and named in a warning)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from dil.world.actors import A_ALIVE

from .actions import Action
from .appearance import Appearance
from .positions import Position, parse_position
from .signals import TrafficSignals
from .xml import Reader, children

if TYPE_CHECKING:
    from .context import Context

TRAFFIC = ("TrafficSourceAction", "TrafficSinkAction", "TrafficSwarmAction", "TrafficStopAction")


@dataclass
class EnvironmentLog:
    """The environment of a run: ``current`` holds the values the last EnvironmentAction set
    (``"Weather.Fog.visualRange"``-style keys; numbers as floats, the rest as text), ``changes``
    every (time [s], values) an EnvironmentAction set, and as well every traffic signal state
    (``"TrafficSignal.<id>"``), entity visibility, lamp and animation change
    (``"Entity.<name>.Visibility.sensors"``, ``"Entity.<name>.Light.lowBeam.mode"``, ...)."""

    current: dict[str, float | str] = field(default_factory=dict)
    changes: list[tuple[float, dict[str, float | str]]] = field(default_factory=list)
    appearance: Appearance = field(default_factory=Appearance)
    signals: TrafficSignals = field(default_factory=TrafficSignals)

    def __post_init__(self) -> None:
        self.signals.changes = self.changes

    def step(self, t: float) -> None:
        """Bring what changes by itself (traffic signal phases) to ``t`` [s]."""
        if self.signals.controllers:
            self.signals.observe(t)


@dataclass
class SetEnvironment(Action):
    values: dict[str, float | str]
    log: EnvironmentLog

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.log.current.update(self.values)
        self.log.changes.append((ctx.t, dict(self.values)))


@dataclass
class AddEntity(Action):
    """Brings a deleted entity back into the world at ``position``."""

    entity: str
    position: Position

    def start(self, ctx: Context, actors: list[str]) -> None:
        e = ctx.entity(self.entity)
        p = self.position.resolve(ctx)
        if p.road is not None:
            e.place_in_lane(ctx.net, p.road, p.lane, p.s, p.offset, yaw=p.yaw)
        else:
            e.place(ctx.net, p.x, p.y, p.z, p.yaw)
        if not e.present:
            ctx.world.actors.state[e.world_id, A_ALIVE] = 1.0
            e.present = True
            e.speed = e.held_speed
        ctx.world.set_pose(e.world_id, (*e.box_centre(), e.z, e.yaw), e.speed)


@dataclass
class DeleteEntity(Action):
    """Takes an entity out of the world: it no longer moves, collides or is seen, its actions end and
    it stands (speed 0) while out; an AddEntityAction brings it back moving at the speed it had (as
    esmini does; the standard says nothing of the speed)."""

    entity: str

    def start(self, ctx: Context, actors: list[str]) -> None:
        e = ctx.entity(self.entity)
        if e.present:
            ctx.world.destroy(e.world_id)
            e.present = False
            e.held_speed, e.speed = e.speed, 0.0
            e.speed_transition = e.lateral = e.trajectory = e.speed_follow = None


@dataclass
class SetSignalState(Action):
    """A TrafficSignalStateAction: ``signal``'s state (text, as the file writes it) from now on."""

    signal: str
    state: str
    signals: TrafficSignals

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.signals.set_state(self.signal, self.state, ctx.t)


@dataclass
class SetSignalPhase(Action):
    """A TrafficSignalControllerAction: ``controller`` jumps to the start of ``phase``."""

    controller: str
    phase: str
    signals: TrafficSignals

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.signals.set_phase(self.controller, self.phase, ctx.t)


@dataclass
class Recorded(Action):
    """An action dil's world cannot carry out, kept for the record (its values by name)."""

    what: str
    values: dict[str, float | str]


def attribute_values(r: Reader, el: etree._Element, prefix: str = "") -> dict[str, float | str]:
    """Every attribute in ``el``'s subtree, parameters resolved, keyed by element path."""
    out: dict[str, float | str] = {}
    for name in el.attrib:
        text = r.raw(el, name)
        try:
            out[f"{prefix}{name}"] = float(text)
        except ValueError:
            out[f"{prefix}{name}"] = text
    for c in children(el):
        out.update(attribute_values(r, c, f"{prefix}{c.tag}."))
    return out


def parse_global(r: Reader, node: etree._Element, environment: EnvironmentLog) -> Action:
    """A ``<GlobalAction>``'s content other than ParameterAction."""
    tag = node.tag
    if tag == "EnvironmentAction":
        env = r.one_child(node, ("Environment", "CatalogReference"))
        sub = r
        if env.tag == "CatalogReference":
            env, sub = r.catalogs.entry(env)
            if env.tag != "Environment":
                raise sub.error(env, "is not an Environment (the catalog reference must name one)")
        elif env.find("ParameterDeclarations") is not None:  # an inline Environment's own parameters
            params = r.catalogs.declarations(r.scoped(dict(r.params)), env.find("ParameterDeclarations"))
            sub = r.scoped(params)
        for c in children(env):
            if c.tag not in ("ParameterDeclarations", "TimeOfDay", "Weather", "RoadCondition"):
                raise sub.unsupported(c, "environment element")
        values: dict[str, float | str] = {}
        for c in children(env):
            if c.tag != "ParameterDeclarations":
                values.update(attribute_values(sub, c, f"{c.tag}."))
        return SetEnvironment(values, environment)
    if tag == "VariableAction":
        from .variables import parse_variable_action

        return parse_variable_action(r, node)
    if tag == "EntityAction":
        who = r.raw(node, "entityRef")
        inner = r.one_child(node, ("AddEntityAction", "DeleteEntityAction"))
        if inner.tag == "DeleteEntityAction":
            if who == r.ego:
                raise r.error(inner, f"deletes the ego {who!r}: dil's runs keep the ego in the world")
            return DeleteEntity(who)
        return AddEntity(who, parse_position(r, r.child(inner, "Position")))
    if tag == "InfrastructureAction":
        sig = r.one_child(node, ("TrafficSignalAction",))
        inner = r.one_child(sig, ("TrafficSignalStateAction", "TrafficSignalControllerAction"))
        signals = environment.signals
        if inner.tag == "TrafficSignalStateAction":
            return SetSignalState(r.raw(inner, "name"), r.raw(inner, "state"), signals)
        ref, phase = r.raw(inner, "trafficSignalControllerRef"), r.raw(inner, "phase")
        c = signals.controllers.get(ref)
        if c is None:
            raise r.error(
                inner,
                f"trafficSignalControllerRef={ref!r} names no TrafficSignalController of the RoadNetwork "
                f"(controllers: {', '.join(signals.controllers) or 'none'})",
            )
        if phase not in (p.name for p in c.phases):
            raise r.error(
                inner, f"phase={phase!r}: controller {ref!r} has phases {', '.join(p.name for p in c.phases)}"
            )
        return SetSignalPhase(ref, phase, signals)
    if tag == "TrafficAction":
        inner = r.one_child(node, TRAFFIC)
        r.warn(
            inner,
            "generates no traffic in dil (sources, sinks and swarms are not simulated): the run has only "
            "the entities the file declares",
        )
        return Recorded(inner.tag, {})
    raise r.unsupported(node, "global action")
