"""The storyboard entities in the common state, moved by one kernel call a step.

Most storyboard-driven entities spend most of a run in one state: present, on a road or on a
trajectory followed at their speed, with no controller, no follower, no sideways motion other than a
lane change by time and no pending teleport, at a speed that is constant or follows a speed
transition. :class:`CompiledMover`
keeps such entities' state in rows (one per entity) and moves them all with
:func:`~dil.scenario.mover_kernel.move_rows`, which also writes their world pose rows; the fields the
rest of the engine reads (s, pose, speed, acceleration, odometer, standstill, the lane offset, the
transitions' and the trajectory's progress) are written back from the rows after each call.

An entity in the mover is a :class:`MovedEntity` (the same object, its class swapped): any write to
one of its attributes from outside the mover (an action, a teleport, the Python path) marks it stale.
At the next step a stale entity's row is loaded again from its attributes where it is still in the
common state, else it leaves the mover (its class back to :class:`Entity`) and the Python path moves
it; each step, an entity outside that is in the common state again comes in.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable

import numpy as np

from dil.realtime.entry_points import entry_point

from .entities import Entity
from .kernels import LaneStepper
from .mover_kernel import (
    M_PATH,
    M_SLOT,
    O_COMMON,
    O_MOVING,
    OUT,
    ROLLED,
    ROW,
    SHAPES,
    STOOD,
    move_rows,
    path_block,
)

SHAPE_CODES = {name: float(code) for code, name in enumerate(SHAPES)}


class MovedEntity(Entity):
    """An entity whose motion the :class:`CompiledMover` makes: a write to any of its attributes marks
    it stale (``_fresh`` False) and tells the mover (``_touched``), so the mover takes its state from
    its attributes again."""

    def __setattr__(self, name: str, value: object) -> None:
        d = self.__dict__
        d[name] = value
        d["_fresh"] = False
        d["_touched"][0] = True


def in_common_state(e: Entity) -> bool:
    """The entity moves as :func:`~dil.scenario.mover_kernel.move_rows` moves it (a plain
    :class:`Entity` in the common state; see the module's note)."""
    return type(e) is Entity and _common(e)


def _common(e: Entity) -> bool:
    """The entity's fields say it is in the common state."""
    if (
        e.stack_driven
        or not e.present
        or e.speed_follow is not None
        or e.controller is not None
        or e.pending_place is not None
        or e.before_teleport is not None
        or e.end_of_road != 0.0
    ):
        return False
    path = e.trajectory  # one followed at its speed (not by times), with no lane change beside
    if path is not None:
        if path.times is not None or e.lateral is not None or path.points.dtype != np.float64:
            return False
    elif e.road is None:
        return False
    lat = e.lateral  # a lane change by time (not a lane offset on top of the speed, nor one by distance)
    if lat is not None and (lat.on_top or lat.distance > 0.0 or lat.shape not in SHAPE_CODES):
        return False
    tr = e.speed_transition
    return tr is None or (tr.shape in SHAPE_CODES and not tr.on_top)


class CompiledMover:
    """Moves the entities in the common state of one scenario (see the module's note)."""

    def __init__(self, entities: list[Entity], stepper: LaneStepper) -> None:
        self.entities = entities
        """Every entity of the scenario, in the engine's order."""
        self.moved: list[MovedEntity] = []
        """The entities in the mover, in their rows' order."""
        self.outside: list[Entity] = list(entities)
        """The others, in the engine's order: the Python path moves them."""
        self._touched = [True]
        """Set when an entity in the mover was written to from outside (see :class:`MovedEntity`)."""
        self._stepper = stepper
        self._packed = stepper.net.packed
        self._scratch = stepper._work.size
        """Values of the kernel's work array the lane lookup uses (the trajectories' arrays follow)."""
        self._work = np.zeros(self._scratch + OUT)
        self._rows = np.zeros((0, ROW))
        self._transitions: list[object] = []
        """Each row's speed transition (None: none), whose progress is written back after each step."""
        self._laterals: list[object] = []
        """Each row's lane change (None: none), whose progress is written back after each step."""
        self._paths: list[object] = []
        """Each row's trajectory (None: none), whose progress is written back after each step."""
        self._paths_packed = True
        """The work array holds the arrays of the rows' trajectories (see :meth:`_pack_paths`)."""
        self._pack_row: Callable[..., None] = struct.Struct(f"{ROW}d").pack_into
        self._unpack: Callable[..., tuple[float, ...]] = struct.Struct("").unpack_from
        """The first :data:`O_COMMON` columns of every row (``struct``: the others skipped)."""
        self._unpack_extra: Callable[..., tuple[float, ...]] = struct.Struct(
            f"{O_MOVING - O_COMMON}d"
        ).unpack_from
        """The columns from :data:`O_COMMON` to :data:`O_MOVING` of a row (at its offset in bytes)."""
        self._slots: list[int] = []
        """World ids in the order of the world's pose rows (see :meth:`set_slots`)."""
        self._dicts: list[dict[str, object]] = []
        """The attribute dictionaries of :attr:`moved`, in their order (the write-back's targets)."""
        self._move_rows: Callable[..., None] = move_rows
        """:func:`~dil.scenario.mover_kernel.move_rows`, its entry point once :meth:`load` took it."""

    def load(self) -> None:
        """Load (or compile) the kernel with the types of the steps, before the loop's first tick, and
        take its entry point for them (see :func:`~dil.realtime.entry_points.entry_point`: the rows, the
        work array and the engine's pose rows are always C-contiguous float64 arrays made here and
        there, of the same ranks)."""
        args = (*self._packed, self._rows, 0, 0.01, self._work, np.zeros((0, 5)))
        move_rows(*args)
        self._move_rows = entry_point(move_rows, *args)

    def move(self, dt: float, poses: np.ndarray) -> list[Entity]:
        """Move the entities in the common state by ``dt`` [s], their pose rows into ``poses`` (at the
        rows :meth:`set_slots` gave); the entities left to the Python path, in the engine's order (a
        list the caller only reads)."""
        if self._touched[0]:
            self._admit()
        else:
            for e in self.outside:
                if not e.stack_driven and in_common_state(e):  # (a stack's ego never is: no call)
                    self._admit()
                    break
        self.move_held(dt, poses)
        return self.outside

    def move_held(self, dt: float, poses: np.ndarray) -> None:
        """:meth:`move` of the entities in the mover now, for a caller that knows none outside comes in
        (each is a stack's: see :meth:`holds_the_rest`)."""
        n = len(self.moved)
        if not n:
            return
        if not self._paths_packed:
            self._pack_paths()
        fbuf, ibuf, where = self._packed
        self._move_rows(fbuf, ibuf, where, self._rows, n, dt, self._work, poses)
        rows = self._rows
        v = self._unpack(rows)
        extra = self._unpack_extra
        transitions, laterals, paths = self._transitions, self._laterals, self._paths
        k = 0  # the row's first value in v (its index: k // O_COMMON, where it is needed)
        for d in self._dicts:
            done = v[k]  # (O_OK, then O_S to O_TRAVELLED): only what the step changed is written
            if done == ROLLED:
                d["s"], d["x"], d["y"], d["z"], d["yaw"], d["odometer"] = v[k + 1 : k + 7]
                k += O_COMMON
                continue
            if done == STOOD:
                d["standstill"] = v[k + 9]
                k += O_COMMON
                continue
            if done:
                d["s"], d["x"], d["y"], d["z"], d["yaw"], d["odometer"] = v[k + 1 : k + 7]
            else:
                d["odometer"] = v[k + 6]
            d["speed"], d["accel"], d["standstill"] = v[k + 7 : k + 10]
            i = k // O_COMMON
            tr = transitions[i]
            if tr is not None:
                tr.elapsed, tr.travelled = v[k + 11], v[k + 12]  # type: ignore[attr-defined]
                if not v[k + 10]:  # it ended: the speed is its end speed
                    d["speed_transition"] = transitions[i] = None
            lat, path = laterals[i], paths[i]
            x = None  # the row's columns from O_COMMON to O_MOVING, where they are needed
            if lat is not None:
                x = extra(rows, 8 * (ROW * i + O_COMMON))
                d["offset"] = x[0]
                lat.elapsed = x[2]  # type: ignore[attr-defined]
                if not x[1]:  # it ended (at its end offset)
                    d["lateral"] = laterals[i] = None
                    if done:
                        d["h_rel"] = x[5]
            if path is not None:
                x = x or extra(rows, 8 * (ROW * i + O_COMMON))
                path.along = x[7]  # type: ignore[attr-defined]
                if not x[6]:  # the step reached its end: the rest of the step and the lane lookup
                    paths[i] = None
                    self.moved[i].end_trajectory(self._stepper.net)
            if not done:  # the lane step the kernel left (a road's end, lane sections): the Python path's
                x = x or extra(rows, 8 * (ROW * i + O_COMMON))
                self.moved[i].move_finish(self._stepper.net, (x[3], x[4], d["speed"] * dt), None)
                d["_fresh"] = False
                self._touched[0] = True
            k += O_COMMON

    def holds_the_rest(self) -> bool:
        """Every entity outside the mover is driven by a stack and has no controller: the mover's step
        is every storyboard motion of a step in which no entity in it was written to (none outside
        can come in, and no controller looks at the world before the moves)."""
        for e in self.outside:  # noqa: SIM110  (a loop, not all() over a generator: once a step)
            if not e.stack_driven or e.controller is not None:
                return False
        return True

    def set_slots(self, ids: list[int]) -> None:
        """The world's pose rows are for the actors ``ids``, in order: each entity's pose goes to its
        actor's row (none where it is not placed)."""
        self._slots = ids
        for i, e in enumerate(self.moved):
            self._rows[i, M_SLOT] = self._slot(e)

    def _slot(self, e: Entity) -> float:
        try:
            return float(self._slots.index(e.world_id))
        except ValueError:
            return -1.0

    def _admit(self) -> None:
        """Take each entity's state from its attributes where it was written to (it stays where it is
        still in the common state, else leaves), and take in those outside that are in it now."""
        self._touched[0] = False
        changed = False
        outside: list[Entity] = []
        for e in self.entities:
            if type(e) is MovedEntity:
                if e.__dict__["_fresh"]:
                    continue
                if _common(e):
                    self._load(self.moved.index(e), e)
                    continue
                _leave(e)
                changed = True
                outside.append(e)
            elif in_common_state(e):
                changed = True
            else:
                outside.append(e)
        self.outside = outside
        if changed:
            self._rebuild()

    def _rebuild(self) -> None:
        """Rows for the entities in the mover now (those in the common state), in the engine's order."""
        self.moved = moved = []
        self._dicts = []
        for e in self.entities:
            if type(e) is MovedEntity or in_common_state(e):
                if type(e) is not MovedEntity:
                    e.__class__ = MovedEntity
                    e.__dict__["_touched"] = self._touched
                moved.append(e)  # type: ignore[arg-type]
                self._dicts.append(e.__dict__)
        n = len(moved)
        self._rows = np.zeros((n, ROW))
        self._transitions = [None] * n
        self._laterals = [None] * n
        self._paths = [None] * n
        skip = f"{8 * (ROW - O_COMMON)}x"
        self._unpack = struct.Struct(f"{O_COMMON}d{skip}" * n).unpack_from
        for i, e in enumerate(moved):
            self._load(i, e)

    def _load(self, i: int, e: MovedEntity) -> None:
        """Row ``i`` from the attributes of ``e``."""
        tr, lat, path = e.speed_transition, e.lateral, e.trajectory
        progress = (0.0, 0.0, 0.0) if tr is None else (1.0, tr.elapsed, tr.travelled)
        shape = (
            (0.0,) * 6
            if tr is None
            else (1.0, SHAPE_CODES[tr.shape], tr.start, tr.end, tr.duration, tr.distance)
        )
        change = (0.0, 0.0) if lat is None else (1.0, lat.elapsed)
        lat_shape = (0.0,) * 4 if lat is None else (SHAPE_CODES[lat.shape], lat.start, lat.end, lat.duration)
        following = (0.0, 0.0) if path is None else (1.0, path.along)
        shape_of_path = (
            (-1.0, 0.0, 0.0)
            if path is None
            else (-1.0, 1.0 if path.reverse else 0.0, 0.0 if path.headings is None else 1.0)
        )
        self._pack_row(
            self._rows,
            8 * ROW * i,
            0.0,  # (its pose is not one the kernel's lane step made: a step of 0 makes it anew)
            e.s,
            e.x,
            e.y,
            e.z,
            e.yaw,
            e.odometer,
            e.speed,
            e.accel,
            e.standstill,
            *progress,
            e.offset,
            *change,
            0.0,
            0.0,
            e.h_rel,
            *following,
            -1.0 if e.road is None else float(self._stepper.road_row(e.road)),
            float(e.lane),
            1.0 if e.forward else 0.0,
            e.centre_x,
            e.max_speed,
            e.max_accel,
            e.max_decel,
            self._slot(e),
            *shape,
            *lat_shape,
            *shape_of_path,
            math.nan,
        )
        self._laterals[i] = lat
        if path is not None or self._paths[i] is not None:
            self._paths_packed = False
        self._paths[i] = path
        self._transitions[i] = tr
        e.__dict__["_fresh"] = True

    def _pack_paths(self) -> None:
        """The work array with the arrays of the rows' trajectories (between the lane lookup's scratch
        and the lane step's result), and each row's place of them (column ``M_PATH``)."""
        blocks = [np.zeros(self._scratch)]
        at = self._scratch
        for i, path in enumerate(self._paths):
            if path is None:
                continue
            block = path_block(path)
            self._rows[i, M_PATH] = float(at)
            blocks.append(block)
            at += block.size
        blocks.append(np.zeros(OUT))
        self._work = np.concatenate(blocks)
        self._paths_packed = True


def _leave(e: Entity) -> None:
    """Back to a plain :class:`Entity`, moved by the Python path."""
    object.__setattr__(e, "__class__", Entity)  # (not through MovedEntity.__setattr__)
    e.__dict__.pop("_fresh", None)
    e.__dict__.pop("_touched", None)
