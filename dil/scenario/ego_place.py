"""The lane place of the ego a driving stack moves, looked up when something reads it.

The vehicle moves that ego, and the engine finds its lane place (road, lane, s, offset, forward)
from its pose each step: a lane lookup of a few microseconds, whose answer only the storyboard's
conditions and actions that look at the ego's road coordinates, and the trace, read. A
:class:`DeferredPlace` entity keeps each step's pose instead (:meth:`DeferredPlace.defer`) and makes
the lookups when one of those five fields is read or written, with the answer the step-by-step
lookups would have left:

- a lookup inside a lane takes the place found; one off the lanes (or off the roads) leaves the
  place as it was. So the place after several steps is that of the newest pose whose lookup is
  inside a lane, found by looking the poses up newest first, or the place before them when none is.
- a pose is looked up with the same kernel and the same numbers as the engine's step would have, so
  the answers are the same to the bit.

At most :data:`KEEP` poses wait: the oldest is settled alone before a further one is kept.
"""

from __future__ import annotations

from collections.abc import Callable

from .entities import Entity

PLACE = ("road", "lane", "s", "offset", "forward")
"""The fields a lane lookup writes."""

KEEP = 16
"""Poses kept waiting at most (the oldest is looked up before a further one is kept)."""

Lookup = Callable[[Entity, float, float, float], bool]
"""Look up world ``(x, y)`` [m] with heading [rad] and write the entity's place fields when the point
is inside a lane (through ``entity.__dict__``); True when it was."""


def _field(name: str) -> property:
    def get(self: DeferredPlace) -> object:
        d = self.__dict__
        if d["_waiting"]:
            self.settle()
        d["_read"] = True
        return d[name]

    def put(self: DeferredPlace, value: object) -> None:
        d = self.__dict__
        if d.get("_waiting"):
            self.settle()
        d[name] = value

    return property(get, put, doc=f"The entity's {name} (its waiting lookups made first).")


class DeferredPlace(Entity):
    """An entity whose lane place may wait for the lookups of its poses (see the module's note)."""

    road = _field("road")  # type: ignore[assignment]
    lane = _field("lane")  # type: ignore[assignment]
    s = _field("s")  # type: ignore[assignment]
    offset = _field("offset")  # type: ignore[assignment]
    forward = _field("forward")  # type: ignore[assignment]

    def defer(self, x: float, y: float, yaw: float) -> None:
        """This step's lane lookup of the pose ``(x, y)`` [m], ``yaw`` [rad], made when needed."""
        d = self.__dict__
        waiting = d["_waiting"]
        if len(waiting) == KEEP:
            first = waiting.pop(0)
            d["_lookup"](self, *first)
        waiting.append((x, y, yaw))

    def settle(self) -> None:
        """Make the waiting lookups: newest first, until one is inside a lane."""
        d = self.__dict__
        waiting, lookup = d["_waiting"], d["_lookup"]
        while waiting:
            x, y, yaw = waiting.pop()
            if lookup(self, x, y, yaw):
                waiting.clear()

    def defer_unless_read(self, x: float, y: float, yaw: float) -> bool:
        """:meth:`defer` this step's pose, unless its place was read in each of the last two steps (a
        reader that reads it every step, for which the engine looks the pose up at once, in its step's
        kernel call). Called once a step; True when the pose waits."""
        d = self.__dict__
        read = d["_read"]
        each = read and d["_read_before"]
        d["_read_before"], d["_read"] = read, False
        if each:
            return False
        waiting = d["_waiting"]  # as defer (inline: once a step)
        if len(waiting) == KEEP:
            first = waiting.pop(0)
            d["_lookup"](self, *first)
        waiting.append((x, y, yaw))
        return True


def defer_place(entity: Entity, lookup: Lookup) -> DeferredPlace:
    """Turn ``entity`` into a :class:`DeferredPlace` (the same object, its fields kept) whose waiting
    poses ``lookup`` looks up."""
    entity.__class__ = DeferredPlace
    entity.__dict__.update(_waiting=[], _lookup=lookup, _read=False, _read_before=False)
    return entity  # type: ignore[return-value]
