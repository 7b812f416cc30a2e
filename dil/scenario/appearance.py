"""How entities appear: VisibilityAction (to graphics, sensors, traffic) and AppearanceAction
(LightStateAction, AnimationAction), kept per entity for the run and recorded.

dil's embedded world draws no lamps and plays no animations: the states are kept here (what a
world with vehicle lights would show) and each change goes to the run's record as
``{"Entity.<name>.<what>": value}`` entries. Conditions read ground truth, so an entity hidden
from sensors or traffic still counts in distance, time and collision conditions (as the standard
and the reference player have it); what it hides from are sensor models and traffic controllers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from .actions import Action
from .xml import Reader, children

if TYPE_CHECKING:
    from .context import Context

Record = list[tuple[float, dict[str, float | str]]]

VEHICLE_LIGHTS = (
    "daytimeRunningLights",
    "lowBeam",
    "highBeam",
    "fogLights",
    "fogLightsFront",
    "fogLightsRear",
    "brakeLights",
    "warningLights",
    "indicatorLeft",
    "indicatorRight",
    "reversingLights",
    "licensePlateIllumination",
    "specialPurposeLights",
)
LIGHT_MODES = ("on", "off", "flashing")


@dataclass
class Visibility:
    graphics: bool = True
    sensors: bool = True
    traffic: bool = True
    sensor_refs: tuple[str, ...] = ()
    """The sensors ``sensors`` applies to (empty: all of them)."""


@dataclass
class LightState:
    """One lamp of an entity: its mode, luminous intensity [cd] (None: the lamp's own) and, while
    it changes, the transition from the previous intensity over ``transition`` [s] from ``since``."""

    mode: str = "off"
    intensity: float | None = None
    flash_on: float | None = None
    """Time lit in each flash [s]."""
    flash_off: float | None = None
    since: float = 0.0
    transition: float = 0.0
    previous: float = 0.0


@dataclass
class Appearance:
    """Every entity's visibility, lamps and last animation in a run."""

    visibility: dict[str, Visibility] = field(default_factory=dict)
    lights: dict[tuple[str, str], LightState] = field(default_factory=dict)
    """(entity, light type) -> state."""
    animations: dict[str, dict[str, float | str]] = field(default_factory=dict)

    def visible(self, entity: str) -> Visibility:
        return self.visibility.get(entity, Visibility())

    def light(self, entity: str, light: str) -> LightState:
        return self.lights.get((entity, light), LightState())

    def intensity(self, entity: str, light: str, t: float, nominal: float = 1.0) -> float:
        """A lamp's luminous intensity at ``t`` [s] [cd]; ``nominal`` where the action set none.
        Flashing lamps count as lit (their mean is not modelled)."""
        s = self.light(entity, light)
        target = 0.0 if s.mode == "off" else (s.intensity if s.intensity is not None else nominal)
        if s.transition <= 0.0 or t >= s.since + s.transition:
            return target
        u = max(0.0, (t - s.since) / s.transition)
        return s.previous + (target - s.previous) * u


@dataclass
class SetVisibility(Action):
    visibility: Visibility
    store: Appearance
    record: Record

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        v = self.visibility
        for n in actors:
            ctx.entity(n)
            self.store.visibility[n] = v
            self.record.append(
                (
                    ctx.t,
                    {
                        f"Entity.{n}.Visibility.graphics": _text(v.graphics),
                        f"Entity.{n}.Visibility.sensors": _text(v.sensors),
                        f"Entity.{n}.Visibility.traffic": _text(v.traffic),
                    },
                )
            )


@dataclass
class SetLight(Action):
    """A LightStateAction: complete after its transition, except a flashing lamp, which keeps
    flashing while the action runs (as the reference player has it)."""

    light: str
    state: LightState
    store: Appearance
    record: Record
    color: dict[str, float | str] = field(default_factory=dict)

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        self.t0 = ctx.t
        for n in actors:
            ctx.entity(n)
            before = self.store.intensity(n, self.light, ctx.t)
            s = self.state
            self.store.lights[(n, self.light)] = LightState(
                s.mode, s.intensity, s.flash_on, s.flash_off, ctx.t, s.transition, before
            )
            prefix = f"Entity.{n}.Light.{self.light}"
            values: dict[str, float | str] = {f"{prefix}.mode": s.mode}
            if s.intensity is not None:
                values[f"{prefix}.luminousIntensity"] = s.intensity
            if s.transition > 0.0:
                values[f"{prefix}.transitionTime"] = s.transition
            values.update({f"{prefix}.Color.{k}": v for k, v in self.color.items()})
            self.record.append((ctx.t, values))

    def step(self, ctx: Context) -> bool:
        return self.state.mode != "flashing" and ctx.t >= self.t0 + self.state.transition - 1e-9


@dataclass
class Animate(Action):
    """An AnimationAction: recorded; complete at once (no world here plays animations)."""

    values: dict[str, float | str]
    store: Appearance
    record: Record

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        for n in actors:
            ctx.entity(n)
            self.store.animations[n] = dict(self.values)
            self.record.append((ctx.t, {f"Entity.{n}.Animation.{k}": v for k, v in self.values.items()}))


def _text(b: bool) -> str:
    return "true" if b else "false"


def parse_visibility(r: Reader, el: etree._Element) -> SetVisibility:
    refs = el.find("SensorReferenceSet")
    names = tuple(r.raw(s, "name") for s in refs.iterfind("SensorReference")) if refs is not None else ()
    v = Visibility(r.boolean(el, "graphics"), r.boolean(el, "sensors"), r.boolean(el, "traffic"), names)
    return SetVisibility(v, r.environment.appearance, r.environment.changes)


def parse_appearance(r: Reader, el: etree._Element) -> Action:
    """An ``<AppearanceAction>``: a LightStateAction or an AnimationAction."""
    from .global_actions import attribute_values

    inner = r.one_child(el, ("LightStateAction", "AnimationAction"))
    store, record = r.environment.appearance, r.environment.changes
    if inner.tag == "AnimationAction":
        r.child(inner, "AnimationType")
        return Animate(attribute_values(r, inner), store, record)
    kind = r.one_child(r.child(inner, "LightType"), ("VehicleLight", "UserDefinedLight"))
    if kind.tag == "VehicleLight":
        light = r.choice(kind, "vehicleLightType", VEHICLE_LIGHTS)
    else:
        light = r.raw(kind, "userDefinedLightType")
    st = r.child(inner, "LightState")
    transition = r.num(inner, "transitionTime", 0.0)
    if transition < 0.0:
        raise r.error(inner, f"attribute transitionTime={transition:g} is negative")
    intensity = r.num(st, "luminousIntensity") if st.get("luminousIntensity") is not None else None
    if intensity is not None and intensity < 0.0:
        raise r.error(st, f"attribute luminousIntensity={intensity:g} is negative")
    state = LightState(
        r.choice(st, "mode", LIGHT_MODES),
        intensity,
        r.num(st, "flashingOnDuration") if st.get("flashingOnDuration") is not None else None,
        r.num(st, "flashingOffDuration") if st.get("flashingOffDuration") is not None else None,
        transition=transition,
    )
    color: dict[str, float | str] = {}
    for c in children(st):
        if c.tag != "Color":
            raise r.unsupported(c, "light state element")
        color = attribute_values(r, c)
    return SetLight(light, state, store, record, color)
