"""Traffic signals of a run: the RoadNetwork's TrafficSignalControllers stepping through their
phases, and the states TrafficSignalStateAction and TrafficSignalControllerAction set.

A signal's state is OpenSCENARIO's text (``"off;off;on"``: one word per lamp, as the file writes
it); states compare as text. A controller cycles through its phases for ever, each lasting its
``duration`` [s]; its first phase starts at 0 s, or ``delay`` [s] after its ``reference``
controller's first phase. A TrafficSignalStateAction holds a signal's state until the controller
that sets that signal next changes phase.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from lxml import etree

from .xml import Reader, children


@dataclass
class Phase:
    name: str
    duration: float
    """[s]"""
    states: dict[str, str]
    """Signal id -> state while the phase lasts."""


@dataclass
class SignalController:
    name: str
    phases: list[Phase]
    start: float = 0.0
    """Simulation time at which a cycle's first phase starts [s] (any cycle: it repeats)."""
    delay: float = 0.0
    reference: str = ""

    @property
    def cycle(self) -> float:
        """Length of one cycle of the phases [s]."""
        return sum(p.duration for p in self.phases)

    def phase_at(self, t: float) -> tuple[int, float]:
        """Index of the phase running at ``t`` [s] and the time it started [s]."""
        cycle = self.cycle
        if cycle <= 0.0:
            return 0, -math.inf
        into = (t - self.start) % cycle
        begun = t - into
        for i, p in enumerate(self.phases):
            if into < p.duration - 1e-9:
                return i, begun
            into -= p.duration
            begun += p.duration
        return len(self.phases) - 1, begun - self.phases[-1].duration


@dataclass
class TrafficSignals:
    """Every signal's state over a run; each change is appended to ``changes`` as (time [s],
    ``{"TrafficSignal.<id>": state}``) when ``observe`` sees it."""

    controllers: dict[str, SignalController] = field(default_factory=dict)
    held: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Signal id -> (state, time [s]) a TrafficSignalStateAction set."""
    changes: list[tuple[float, dict[str, float | str]]] = field(default_factory=list)
    _seen: dict[str, str] = field(default_factory=dict)

    def state(self, signal: str, t: float) -> str:
        """The state of ``signal`` at ``t`` [s] ('' when nothing set it yet)."""
        state, since = self.held.get(signal, ("", -math.inf))
        for c in self.controllers.values():
            i, begun = c.phase_at(t)
            phase = c.phases[i] if c.phases else None
            # an action's state holds until the next phase change (at the same instant it wins)
            if phase is not None and signal in phase.states and begun > since + 1e-9:
                state, since = phase.states[signal], begun
        return state

    def phase(self, controller: str, t: float) -> str:
        c = self._controller(controller)
        return c.phases[c.phase_at(t)[0]].name if c.phases else ""

    def set_state(self, signal: str, state: str, t: float) -> None:
        self.held[signal] = (state, t)
        self.observe(t)

    def set_phase(self, controller: str, phase: str, t: float) -> None:
        """Jump ``controller`` to the start of ``phase`` at ``t`` [s]."""
        c = self._controller(controller)
        names = [p.name for p in c.phases]
        if phase not in names:
            raise ValueError(
                f"TrafficSignalControllerAction: controller {controller!r} has no phase {phase!r} "
                f"(phases: {', '.join(names)})"
            )
        c.start = t - sum(p.duration for p in c.phases[: names.index(phase)])
        self.observe(t)

    def observe(self, t: float) -> None:
        """Record every signal whose state differs from what was last recorded."""
        ids = set(self.held)
        for c in self.controllers.values():
            for p in c.phases:
                ids.update(p.states)
        for sid in sorted(ids):
            now = self.state(sid, t)
            if now and self._seen.get(sid) != now:
                self._seen[sid] = now
                self.changes.append((t, {f"TrafficSignal.{sid}": now}))

    def _controller(self, name: str) -> SignalController:
        try:
            return self.controllers[name]
        except KeyError:
            known = ", ".join(self.controllers) or "none"
            raise ValueError(f"no traffic signal controller {name!r} (controllers: {known})") from None


def parse_signals(
    r: Reader, road_network: etree._Element | None, changes: list[tuple[float, dict[str, float | str]]]
) -> TrafficSignals:
    """The controllers of ``<RoadNetwork><TrafficSignals>``, their delays resolved; state changes
    will be appended to ``changes``."""
    out = TrafficSignals(changes=changes)
    ts = road_network.find("TrafficSignals") if road_network is not None else None
    if ts is None:
        return out
    for c_el in ts.iterfind("TrafficSignalController"):
        name = r.raw(c_el, "name")
        if name in out.controllers:
            raise r.error(c_el, f"traffic signal controller {name!r} is declared twice")
        phases = []
        for p_el in c_el.iterfind("Phase"):
            duration = r.num(p_el, "duration")
            if duration < 0.0:
                raise r.error(p_el, f"attribute duration={duration:g} is negative")
            states = {
                r.raw(s, "trafficSignalId"): r.raw(s, "state") for s in p_el.iterfind("TrafficSignalState")
            }
            for g in children(p_el):
                if g.tag not in ("TrafficSignalState", "TrafficSignalGroupState"):
                    raise r.unsupported(g, "phase element")
            phases.append(Phase(r.raw(p_el, "name"), duration, states))
        out.controllers[name] = SignalController(
            name, phases, delay=r.num(c_el, "delay", 0.0), reference=r.raw(c_el, "reference", "")
        )
    for c in out.controllers.values():
        c.start = _start(r, out.controllers, c, ts, set())
    return out


def _start(
    r: Reader, controllers: dict[str, SignalController], c: SignalController, el: etree._Element, seen: set
) -> float:
    """When ``c``'s first phase starts [s], following its chain of references."""
    if not c.reference:
        return c.delay
    if c.reference not in controllers:
        raise r.error(
            el, f"controller {c.name!r}: reference={c.reference!r} is not a traffic signal controller"
        )
    if c.name in seen:
        raise r.error(el, f"controller {c.name!r}: its references form a loop")
    return c.delay + _start(r, controllers, controllers[c.reference], el, seen | {c.name})
