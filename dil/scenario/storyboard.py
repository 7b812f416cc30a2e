"""The storyboard's elements and their state machine (standby, running, complete; start, end, stop,
skip), stepped by the engine once per scenario step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .actions import Action
from .conditions import Condition, Trigger

if TYPE_CHECKING:
    from .context import Context

STANDBY, RUNNING, COMPLETE = "standby", "running", "complete"

Notify = Callable[["Element", str], None]
"""Called with the element and the transition (start, end, stop, skip)."""


@dataclass(eq=False)
class Element:
    name: str
    kind: str
    """story, act, maneuverGroup, maneuver, event, action (OpenSCENARIO's storyboardElementType)."""
    state: str = STANDBY
    executions: int = 0

    def go(self, transition: str, notify: Notify) -> None:
        self.state = {
            "start": RUNNING,
            "end": COMPLETE,
            "stop": COMPLETE,
            "skip": STANDBY,
            "restart": STANDBY,
        }[transition]
        if transition != "restart":
            notify(self, transition)


@dataclass(eq=False)
class ActionNode(Element):
    action: Action | None = None
    actors: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Event(Element):
    priority: str = "override"
    max_executions: int = 1
    actions: list[ActionNode] = field(default_factory=list)
    start_trigger: Trigger | None = None


@dataclass(eq=False)
class Maneuver(Element):
    events: list[Event] = field(default_factory=list)


@dataclass(eq=False)
class ManeuverGroup(Element):
    max_executions: int = 1
    actors: list[str] = field(default_factory=list)
    maneuvers: list[Maneuver] = field(default_factory=list)


@dataclass(eq=False)
class Act(Element):
    groups: list[ManeuverGroup] = field(default_factory=list)
    start_trigger: Trigger | None = None
    stop_trigger: Trigger | None = None


@dataclass(eq=False)
class Story(Element):
    acts: list[Act] = field(default_factory=list)


class Storyboard:
    """Runs the stories; ``stop_trigger`` ends the simulation."""

    def __init__(self, stories: list[Story], stop_trigger: Trigger | None) -> None:
        self.stories = stories
        self.stop_trigger = stop_trigger
        self.elements: dict[tuple[str, str], Element] = {}
        for story in stories:
            self._index(story)
            for act in story.acts:
                self._index(act)
                for g in act.groups:
                    self._index(g)
                    for m in g.maneuvers:
                        self._index(m)
                        for ev in m.events:
                            self._index(ev)
                            for a in ev.actions:
                                self._index(a)
        self.stopped = False
        self._fired: dict[Event, bool] = {}
        self._seq = 0
        self._version = 0
        """Counts element transitions (see :meth:`_counting`): what is cached from the elements'
        states holds while it is unchanged."""
        self._cached = -1
        """``_version`` when :attr:`_waiting` and :attr:`_movers` were worked out (-1: never)."""
        self._waiting: list[Event] = []
        self._counted: dict[Notify, Notify] = {}
        """Each notify given -> its counting wrapper (see :meth:`_counting`)."""
        self._idle = False
        """No act waits to start or has a stop trigger, and every running action is one of
        :attr:`_movers` whose step only says whether the motion ended it: while no waiting event's
        trigger fires and none of them has ended, a walk through the stories would change nothing (see
        :meth:`step`)."""
        self._walked = -1
        """``_version`` when the last walk through the stories ended (-1: none yet)."""
        self._movers: list[ActionNode] = []
        """Running actions that the entities' motion can complete (their ``moved_to_end`` is their own)."""

    def conditions(self) -> Iterator[Condition]:
        """Every condition of every trigger: the storyboard's stop trigger, acts' and events'."""
        triggers = [self.stop_trigger]
        for story in self.stories:
            for act in story.acts:
                triggers += [act.start_trigger, act.stop_trigger]
                for g in act.groups:
                    for m in g.maneuvers:
                        triggers += [ev.start_trigger for ev in m.events]
        for trigger in triggers:
            if trigger is not None:
                for group in trigger.groups:
                    yield from group

    def _index(self, e: Element) -> None:
        self.elements.setdefault((e.kind, e.name), e)

    def start(self, ctx: Context, notify: Notify) -> None:
        notify = self._counting(notify)
        for story in self.stories:
            story.go("start", notify)

    def settle(self, ctx: Context, notify: Notify) -> None:
        """End the actions that the entities' motion of the step just made has completed (and the
        events, maneuvers, groups, acts and stories they complete), before any trigger looks: the
        reference player ends them in the step that moved the entities, so an element waiting for
        one of their ends starts in this step. Actions that move their entities themselves end in
        ``step``, seen by the triggers of the next step, as there."""
        if self.stopped:
            return
        if self._cached != self._version:
            self._cache()
        for a in self._movers:  # (moved_to_end only reads): nothing to settle unless one has ended
            if a.action.moved_to_end(ctx):  # type: ignore[union-attr]
                break
        else:
            return
        notify = self._counting(notify)
        for story in self.stories:
            if story.state != RUNNING:
                continue
            acts = [a for a in story.acts if a.state == RUNNING]
            for act in acts:
                groups = [g for g in act.groups if g.state == RUNNING]
                for g in groups:
                    ended = [self._settle_maneuver(m, ctx, notify) for m in g.maneuvers if m.state == RUNNING]
                    if any(ended):
                        self._end_group_if_done(g, notify)
                if groups and _complete(act.groups):
                    act.go("end", notify)
            if acts and _complete(story.acts):
                story.go("end", notify)

    def _settle_maneuver(self, m: Maneuver, ctx: Context, notify: Notify) -> bool:
        """End what the motion completed in ``m``; True if any event ended."""
        ended = False
        for ev in m.events:
            if ev.state != RUNNING:
                continue
            moved = [a for a in ev.actions if a.state == RUNNING and a.action and a.action.moved_to_end(ctx)]
            for a in moved:
                a.go("end", notify)
            if moved and _complete(ev.actions):
                _end_event(ev, notify)
                ended = True
        if ended and _complete(m.events):
            m.go("end", notify)
        return ended

    def step(self, ctx: Context, notify: Notify, notify_earlier: Notify | None = None) -> None:
        """One step: triggers, transitions, running actions; with ``notify_earlier``, first
        :meth:`settle` with it (a step of the engine after its first: one call for both)."""
        if self.stopped:
            return
        if self._cached != self._version:
            self._cache()
        if notify_earlier is not None:
            for a in self._movers:  # as settle: nothing to settle unless one has ended
                if a.action.moved_to_end(ctx):  # type: ignore[union-attr]
                    self.settle(ctx, notify_earlier)
                    if self._cached != self._version:
                        self._cache()
                    break
        # the start triggers of waiting events see one state: an action that one of them starts
        # (a teleport, say) takes effect for the triggers of the next step, not for its neighbours
        some = False  # some waiting event's trigger fired
        if self._waiting:
            fired = self._fired  # (empty: cleared at the end of each step, kept from step to step)
            for ev in self._waiting:
                fired[ev] = now = ev.start_trigger is None or ev.start_trigger.fired(ctx)
                some = some or now
        self._seq = ctx.seq
        quiet = not some and self._idle and self._walked == self._version
        if quiet and notify_earlier is None:  # (else looked at above: none has ended)
            for a in self._movers:
                if a.action.moved_to_end(ctx):  # type: ignore[union-attr]
                    quiet = False
                    break
        if not quiet:
            notify = self._counted.get(notify) or self._counting(notify)
            for story in self.stories:
                if story.state == RUNNING:
                    self._story(story, ctx, notify)
            self._walked = self._version
        if self._fired:
            self._fired.clear()
        stop = self.stop_trigger  # as _stop_fired, inline
        if stop is not None and stop.groups and stop.fired(ctx):
            self.stopped = True

    def _counting(self, notify: Notify) -> Notify:
        """``notify`` that also counts the transition in :attr:`_version` (every change of an
        element's state comes with one: a restart follows a start or an end in the same step)."""

        counted = self._counted.get(notify)
        if counted is None:

            def counted(el: Element, transition: str) -> None:
                self._version += 1
                notify(el, transition)

            self._counted[notify] = counted
        return counted

    def _cache(self) -> None:
        """Work out what depends only on the elements' states (once per change of them)."""
        self._waiting = self._events_in(STANDBY)
        base = Action.moved_to_end
        running = self._events_in(RUNNING)
        self._movers = [
            a
            for ev in running
            for a in ev.actions
            if a.state == RUNNING and a.action is not None and type(a.action).moved_to_end is not base
        ]
        acts = [act for story in self.stories if story.state == RUNNING for act in story.acts]
        self._idle = (
            all(
                a.action.step_is_motion() and type(a.action).moved_to_end is not base
                for ev in running
                for a in ev.actions
                if a.state == RUNNING and a.action is not None
            )
            and not any(act.state == STANDBY for act in acts)
            and not any(act.state == RUNNING and act.stop_trigger is not None for act in acts)
        )
        self._cached = self._version

    def _events_in(self, state: str) -> list[Event]:
        """The events in ``state`` under running stories, acts, groups and maneuvers."""
        return [
            ev
            for story in self.stories
            if story.state == RUNNING
            for act in story.acts
            if act.state == RUNNING
            for g in act.groups
            if g.state == RUNNING
            for m in g.maneuvers
            if m.state == RUNNING
            for ev in m.events
            if ev.state == state
        ]

    @property
    def complete(self) -> bool:
        return _complete(self.stories)

    def _story(self, story: Story, ctx: Context, notify: Notify) -> None:
        for act in story.acts:
            if act.state == STANDBY and (act.start_trigger is None or act.start_trigger.fired(ctx)):
                act.go("start", notify)
                for g in act.groups:
                    self._start_group(g, notify)
            if act.state == RUNNING:
                stop = act.stop_trigger  # as _stop_fired, inline
                if stop is not None and stop.groups and stop.fired(ctx):
                    self._stop_all(act, notify)
                    continue
                for g in act.groups:
                    if g.state == RUNNING:
                        self._group(g, ctx, notify)
                if _complete(act.groups):
                    act.go("end", notify)
        if _complete(story.acts):
            story.go("end", notify)

    def _start_group(self, g: ManeuverGroup, notify: Notify) -> None:
        g.go("start", notify)
        for m in g.maneuvers:
            m.go("start", notify)
            for ev in m.events:
                if ev.state != STANDBY:
                    ev.go("restart", notify)
                ev.executions = 0
                for a in ev.actions:
                    a.go("restart", notify)

    def _group(self, g: ManeuverGroup, ctx: Context, notify: Notify) -> None:
        for m in g.maneuvers:
            if m.state == RUNNING:
                self._maneuver(m, g, ctx, notify)
        self._end_group_if_done(g, notify)

    def _end_group_if_done(self, g: ManeuverGroup, notify: Notify) -> None:
        if _complete(g.maneuvers):
            g.executions += 1
            g.go("end", notify)
            if g.executions < g.max_executions:
                self._start_group(g, notify)

    def _maneuver(self, m: Maneuver, g: ManeuverGroup, ctx: Context, notify: Notify) -> None:
        # start triggers of waiting events, in order: priorities decide what happens to the others
        for ev in m.events:
            if ev.state != STANDBY:
                continue
            fired = self._fired.pop(ev) if ev in self._fired else None
            # looked at again when waiting since earlier in this step (its act, group or event
            # started or restarted), or when a storyboard transition has happened since: it is seen
            # as soon as it happens
            if fired is None or (not fired and ctx.seq > self._seq):
                fired = ev.start_trigger is None or ev.start_trigger.fired(ctx)
            if not fired:
                continue
            others = [o for o in m.events if o is not ev and o.state == RUNNING]
            if ev.priority == "skip" and others:
                ev.go("skip", notify)
                continue
            if ev.priority in ("override", "overwrite"):
                for o in others:
                    self._stop_event(o, notify)
            ev.go("start", notify)
            for a in ev.actions:
                a.go("start", notify)
                assert a.action is not None
                a.action.start(ctx, a.actors or g.actors)
        for ev in m.events:
            if ev.state != RUNNING:
                continue
            for a in ev.actions:
                if a.state == RUNNING and a.action is not None and a.action.step(ctx):
                    a.go("end", notify)
            if _complete(ev.actions):
                _end_event(ev, notify)
        if _complete(m.events):
            m.go("end", notify)

    def _stop_event(self, ev: Event, notify: Notify) -> None:
        for a in ev.actions:
            if a.state == RUNNING:
                a.go("stop", notify)
        ev.go("stop", notify)

    def _stop_all(self, act: Act, notify: Notify) -> None:
        for g in act.groups:
            for m in g.maneuvers:
                for ev in m.events:
                    if ev.state != COMPLETE:
                        self._stop_event(ev, notify)
                if m.state != COMPLETE:
                    m.go("stop", notify)
            if g.state != COMPLETE:
                g.go("stop", notify)
        act.go("stop", notify)


def _complete(elements: list) -> bool:
    """Every one of ``elements`` is complete (a loop: quicker than ``all`` over a generator)."""
    for e in elements:  # noqa: SIM110  (a loop, not all() over a generator: once per element per step)
        if e.state != COMPLETE:
            return False
    return True


def _end_event(ev: Event, notify: Notify) -> None:
    """All of ``ev``'s actions are complete: it ends, and waits again if it may run again."""
    ev.executions += 1
    ev.go("end", notify)
    if ev.executions < ev.max_executions:
        ev.go("restart", notify)
        for a in ev.actions:
            a.go("restart", notify)


def _stop_fired(trigger: Trigger | None, ctx: Context) -> bool:
    """A stop trigger fires when one of its condition groups holds: an empty ``<StopTrigger/>``
    never does (an empty start trigger, by contrast, starts its element at once)."""
    return trigger is not None and bool(trigger.groups) and trigger.fired(ctx)
