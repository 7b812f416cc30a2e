"""The scenario engine: runs a loaded scenario's storyboard against a world, as a loop node.

Each step (100 Hz by default): take the ego's state from the vehicle (when a stack drives it),
evaluate triggers and run actions, move the storyboard-driven entities, place every entity in
the world, and publish each storyboard transition on ``scenario/events``.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable

import numpy as np

from dil.bus.codec import Encoder
from dil.bus.graph import NodeSpec, Port
from dil.bus.messages import SCENARIO_EVENTS
from dil.bus.transport import Bus
from dil.realtime.clock import Clock
from dil.road.lookup import R_HEADING, R_INSIDE, R_LANE, R_OFFSET, R_ROAD, R_S, R_TYPE
from dil.road.tables import LANE_TYPES
from dil.world.actors import ActorKind, ActorSpec
from dil.world.embedded import EmbeddedWorld

from .context import STATE_CHECKS, Context, EgoLink  # noqa: F401  (re-exported)
from .controllers import perceive_all
from .ego_place import DeferredPlace, defer_place
from .element_names import identity
from .entities import TWO_PI, Entity, LaneStep
from .kernels import P_OK, lane_stepper
from .loader import Scenario
from .mover import CompiledMover, MovedEntity
from .storyboard import Element
from .trailers import Towing

NOT_TAKEN = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
"""A lane-step result row (``P_*``) of a step the kernel did not take."""
NO_TRANSITIONS: frozenset[tuple[str, str, str]] = frozenset()
"""The transitions of a step in which there were none (``Context.transitions`` is only read)."""
NO_LANE_TYPE = LANE_TYPES.index("none")
"""Lane type code of OpenDRIVE's 'none': the space beside the road, not road."""


class ScenarioNode:
    """The engine in the loop. ``on_end`` is called once when the storyboard stops or completes."""

    def __init__(
        self,
        bus: Bus,
        scenario: Scenario,
        world: EmbeddedWorld,
        clock: Clock,
        ego_link: EgoLink,
        *,
        rate_hz: float = 100.0,
        on_end: Callable[[str], None] = lambda why: None,
        name: str = "scenario",
    ) -> None:
        if world.network is None:
            raise ValueError("the scenario needs a road network")
        self.scenario = scenario
        self.world = world
        self.clock = clock
        self.rate_hz = rate_hz
        self.on_end = on_end
        self.ctx = Context(
            world.network,
            scenario.params,
            scenario.entities,
            world,
            ego_link,
            dt=1.0 / rate_hz,
            elements=scenario.storyboard.elements,
        )
        self.spec = NodeSpec(name, outputs=(Port("events", SCENARIO_EVENTS.topic),))
        self._pub = bus.publisher(SCENARIO_EVENTS.topic)
        self._enc = Encoder(SCENARIO_EVENTS, name)
        self._now: set[tuple[str, str, str]] = set()
        self._seq_step = 0
        """``ctx.seq`` when this step's storyboard step began."""
        self.log: list[tuple[float, str, str, str]] = []
        """(time, kind, name, transition) of every storyboard transition."""
        self.ended = ""
        """How the storyboard ended ('' while it runs): "stop trigger" or "storyboard complete"."""
        self.aborted = ""
        """Why the run was ended from outside before the storyboard ended ('' if it was not)."""
        self._t_ns = -1
        """The last tick's time [ns]; -1 before the first."""
        self.towing = Towing(scenario.entities)
        """Moves connected trailers after their tractors."""
        self._entities = list(scenario.entities.values())
        self._vehicles = [e for e in self._entities if e.kind is ActorKind.VEHICLE]
        self._signals = scenario.environment.signals
        """What the environment brings to each step's time by itself (see ``EnvironmentLog.step``)."""
        self._track_off = any("off_road" in c.looks_at for c in scenario.storyboard.conditions())
        """Some condition looks at how long an entity has been off the road: track it each step."""
        self._notify_earlier = lambda el, transition: self._notify(el, transition, earlier=True)
        self._stepper = lane_stepper(world.network)
        """Steps the storyboard-driven entities along their lanes (see :meth:`_move_all`)."""
        self._ego = scenario.entities[scenario.ego]
        if ego_link.state is not None:  # a stack may drive the ego: its lane place looked up on need
            defer_place(self._ego, self._look_up_ego)
        self._lane_memo: dict[str, tuple[tuple, tuple[float, ...]]] = {}
        """Entity name -> its last lane-step request row and the kernel's result row for it."""
        self._placed: list[int] = []
        """World ids of the entities the last :meth:`_place_all` placed, in order."""
        self._placed_ids = np.zeros(0, dtype=np.int64)
        self._poses = np.zeros((0, 5))
        """Their poses as the world takes them (box-centre x, y, z [m], heading [rad], speed [m/s])."""
        self._pack_poses: Callable[..., None] = struct.Struct("").pack_into
        """Writes the rows into :attr:`_poses` (``struct``: quicker than filling it from a list)."""
        self._pack_pose: Callable[..., None] = struct.Struct("5d").pack_into
        """Writes one row into :attr:`_poses` (at its offset in bytes)."""
        self.mover: CompiledMover | None = (
            None if self.towing.able else CompiledMover(self._entities, self._stepper)
        )
        """Moves the entities in the common state in one kernel call a step (see
        :mod:`dil.scenario.mover`); None: the Python path moves every entity (a scenario that can tow
        a trailer moves its entities there, after their tractors)."""
        self._outside_rows: list[tuple[Entity, int]] = []
        """The entities outside the mover and their rows of :attr:`_poses` (-1: not placed), as the last
        full :meth:`_place_all` found them, for the mover's :attr:`~CompiledMover.outside` list
        :attr:`_outside_of` (None: none)."""
        self._outside_of: list[Entity] | None = None

    def abort(self, why: str) -> None:
        """The run ends for ``why`` (an emergency stop, an operator's stop) before the storyboard
        has ended: the run's outcome is ``aborted``. After the storyboard's end it changes nothing."""
        if not self.ended and not self.aborted:
            self.aborted = why

    def start(self, t_sim_ns: int) -> None:
        ctx = self.ctx
        ctx.net.locate_into(0.0, 0.0)  # compile (or load) the lookup kernel before the first tick
        if self.mover is not None:
            self.mover.load()
        for e in self.scenario.entities.values():
            spec = ActorSpec(e.name, e.kind, e.length, e.width, e.height)
            if e.is_ego:
                self.world.actors.names[0] = e.name
                st = self.world.actors.state[0]
                st[5], st[6], st[7], st[8] = e.length, e.width, e.height, int(e.kind)
                e.world_id = 0
            else:
                e.world_id = self.world.spawn(spec, (0.0, 0.0, 0.0, 0.0))
        ego = self.scenario.entities[self.scenario.ego]
        if ctx.ego_link.stack_active:
            ego.stack_driven = True
        for actors, action in self.scenario.init:
            action.start(ctx, actors)
        ctx.init = False
        perceive_all(self.scenario.entities)  # a controller taken in Init holds what it took
        if ego.stack_driven:
            ctx.ego_link.place(ego.x, ego.y, ego.yaw, ego.speed)
            ctx.ego_link.cruise(ego.speed)
            if ego.controller is not None:
                ctx.ego_link.configure(ego.controller)
        self._place_all()
        for c in self.scenario.storyboard.conditions():
            c.bind(ctx)  # the guards that let a trigger skip a test that cannot hold yet
        self.scenario.storyboard.start(ctx, self._notify)

    def tick(self, t_sim_ns: int) -> None:
        ctx = self.ctx
        first = self._t_ns < 0
        self._t_ns = t_sim_ns
        ctx.t = t_sim_ns * 1e-9
        # first bring the storyboard-driven entities to time t (what the actions started at t - dt
        # asked for), so that after this tick every entity's state is the state at t
        entities = self._entities
        mover = self.mover
        if first:
            self._sync_ego()
        elif mover is not None and not mover._touched[0] and mover.holds_the_rest():
            # every motion is the mover's (no controller, follower or newcomer): its step alone, and
            # the lookup of a stack's ego made now or left waiting (as in _move_all)
            ego = self._ego_pose() if self._ego.stack_driven else None
            mover.move_held(ctx.dt, self._poses)
            if ego is not None and (
                type(ego) is not DeferredPlace or not ego.defer_unless_read(ego.x, ego.y, ego.yaw)
            ):
                self._locate_ego(ego)
        else:
            t, dt = ctx.t, ctx.dt
            # every entity in the mover, none written to since its step: no controller or follower
            if mover is None or mover.outside or mover._touched[0]:
                for e in entities:
                    if e.controller is not None or e.speed_follow is not None:
                        self._before_moves(t, dt)
                        break
            self._move_all(t, dt, self._ego_pose() if self._ego.stack_driven else None)
        if self._track_off:
            self._track_off_road()
        if self._signals.controllers:
            self.scenario.environment.step(ctx.t)  # (what it brings to t: the signals' phases)
        now = self._now
        if now:
            ctx.transitions = now
            self._now = set()
        else:  # (no transition since the last step's storyboard step: nothing to hand on)
            ctx.transitions = NO_TRANSITIONS
        ctx.seq_window, self._seq_step = self._seq_step, ctx.seq
        board = self.scenario.storyboard
        # after the first: what the motion to t completed ended in the step that began at t - dt
        board.step(ctx, self._notify, None if first else self._notify_earlier)
        if self._now:
            ctx.transitions = ctx.transitions | self._now
        # a teleport of this step lands in the next; none waits in an entity of the mover that was not
        # written to since its step
        for e in entities if mover is None or mover._touched[0] else mover.outside:
            if e.before_teleport is not None:
                e.defer_teleport()
        # no entity in the mover was written to since its step, and none came in or left: who is in the
        # world changed only if one outside came or went, and only the rows of those are left to write
        if mover is None or mover._touched[0] or mover.outside is not self._outside_of:
            self._place_all()
        elif not self._outside_rows:  # (as _place_outside with none outside: the mover's rows alone)
            self.world.set_poses(self._placed_ids, self._poses)
        elif not self._place_outside():
            self._place_all()
        # the stop trigger ends a run; without one, the end of the last story does
        done_by_stories = board.stop_trigger is None and board.stories and board.complete
        if not self.ended and (board.stopped or done_by_stories):
            self.ended = "stop trigger" if board.stopped else "storyboard complete"
            self.on_end(self.ended)

    def stop(self, t_sim_ns: int) -> None:
        pass

    def _before_moves(self, t: float, dt: float) -> None:
        """What comes before anyone moves to ``t`` [s] (``dt`` [s] after the last step): controllers
        see the world, and continuous actions that follow another entity work out their speeds."""
        entities = self._entities
        for e in entities:
            if e.controller is not None:
                perceive_all(self.scenario.entities)
                break
        for e in entities:
            if not e.stack_driven and e.speed_follow is not None:
                e.plan(t, dt)

    def _notify(self, el: Element, transition: str, earlier: bool = False) -> None:
        """Record and publish a transition; ``earlier``: it belongs to the previous step (logged at
        t - dt, published now)."""
        t, t_ns = self.ctx.t - (self.ctx.dt if earlier else 0.0), max(self._t_ns, 0)
        self._now.add((el.kind, el.name, transition))
        self._now.add((el.kind, identity(el), transition))  # for qualified references
        self.ctx.seq += 1
        self.ctx.transition_seq[(el.kind, el.name, transition)] = self.ctx.seq
        self.ctx.transition_seq[(el.kind, identity(el), transition)] = self.ctx.seq
        self.log.append((t, el.kind, el.name, transition))
        kind = {"maneuverGroup": "maneuver_group"}.get(el.kind, el.kind)
        self._pub.send(
            self._enc.encode(
                t_ns,
                self.clock.wall_ns(t_ns),
                {"element": el.name, "element_type": kind, "transition": transition, "state": el.state},
            )
        )

    def _move_all(self, t: float, dt: float, ego: Entity | None) -> None:
        """Move the storyboard-driven entities to time ``t`` [s] by ``dt`` [s]: their steps along
        their lanes in one kernel call (each entity's step depends on its own state only), with the
        lane lookup of the ``ego`` the vehicle moved (None: no such ego) in the same call; a single
        lane step with no ego to look up goes to the one-step kernel as it is. An entity that stands
        and asks for the step it asked for last takes that step's result again (the kernel's result
        depends on the request alone). The ``ego``'s lookup is made in that call where its place was
        read in each of the last two steps, else left waiting until something reads it (see
        :mod:`dil.scenario.ego_place`)."""
        net = self.ctx.net
        stepper = self._stepper
        waiting: list[tuple[Entity, LaneStep]] = []
        mover = self.mover
        moving = self._entities if mover is None else mover.move(dt, self._poses)
        if not moving and ego is None:
            return  # (the mover moved them all)
        for e in moving:
            if not e.stack_driven:
                lane_step = e.move_start(net, t, dt)
                if lane_step is not None:
                    waiting.append((e, lane_step))
        # (after the others' moves, which may read its last place)
        if ego is not None and type(ego) is DeferredPlace and ego.defer_unless_read(ego.x, ego.y, ego.yaw):
            ego = None
        if ego is None and len(waiting) < 2 and (not waiting or waiting[0][1][0] != 0.0):
            for e, lane_step in waiting:  # no request rows to fill for one step alone
                assert e.road is not None
                e.move_finish(
                    net, lane_step, stepper.step(e.road, e.lane, e.s, e.offset, lane_step[0], e.forward)
                )
            return
        rows, road_row, memo = stepper.rows, stepper.road_row, self._lane_memo
        asked: list[tuple[Entity, LaneStep]] = []  # those whose steps the kernel makes
        flat: list[float] = []  # their request rows (``S_*``), one after the other
        for e, lane_step in waiting:
            row = rows.get(e.road)  # type: ignore[arg-type]
            if row is None:
                row = road_row(e.road)  # type: ignore[arg-type]
            q = (row, e.lane, e.s, e.offset, lane_step[0], 1.0 if e.forward else 0.0)
            if lane_step[0] == 0.0:  # it stands: the step may be the one it asked for last
                last = memo.get(e.name)
                if last is not None and last[0] == q:
                    r = last[1]
                    if r[P_OK] and lane_step[1] == 0.0 and e.lateral is None:  # as below
                        e.s, e.x, e.y, e.z, h_ref = r[1:6]
                        e.yaw = (h_ref + e.h_rel + math.pi) % TWO_PI - math.pi
                    else:
                        e.move_finish(net, lane_step, r[1:6] if r[P_OK] else None)
                    continue
                memo[e.name] = (q, ())  # the result row follows from the kernel
            asked.append((e, lane_step))
            flat += q
        n = len(asked)
        if ego is None and n == 1:  # one step alone: the one-step kernel, no rows to pack
            e, lane_step = asked[0]
            pose = stepper.step_row(flat[0], e.lane, e.s, e.offset, lane_step[0], e.forward)
            if lane_step[0] == 0.0:
                memo[e.name] = (memo[e.name][0], NOT_TAKEN if pose is None else (1.0, *pose))
            if pose is not None and lane_step[1] == 0.0 and e.lateral is None:  # as below
                e.s, e.x, e.y, e.z, h_ref = pose
                e.yaw = (h_ref + e.h_rel + math.pi) % TWO_PI - math.pi
            else:
                e.move_finish(net, lane_step, pose)
            return
        if ego is not None:
            results, found = stepper.step_flat_and_locate(flat, n, ego.x, ego.y)
        elif n:
            results, found = stepper.step_flat(flat, n), False
        else:
            return
        pi = math.pi
        k = 0  # the entity's result row, the ``P_*`` columns from results[k]
        for e, lane_step in asked:
            if lane_step[0] == 0.0:
                memo[e.name] = (memo[e.name][0], results[k : k + 6])
            if results[k + P_OK] and lane_step[1] == 0.0 and e.lateral is None:
                # the common step, as Entity.move_finish makes it (inline: once per entity per step)
                e.s, e.x, e.y, e.z, h_ref = results[k + 1 : k + 6]
                e.yaw = (h_ref + e.h_rel + pi) % TWO_PI - pi
            else:  # the new s, x, y, z, heading (None: the Python path makes the step)
                e.move_finish(net, lane_step, results[k + 1 : k + 6] if results[k + P_OK] else None)
            k += 6
        if ego is not None:
            self._ego_lane(ego, found, stepper.found)

    def _locate_ego(self, ego: Entity) -> None:
        """The ``ego``'s lane place from the lookup of its pose, made as :meth:`_move_all` makes it in a
        step with no lane step to make (in the lane-step kernel's call, with no rows)."""
        stepper = self._stepper
        _, found = stepper.step_flat_and_locate([], 0, ego.x, ego.y)
        self._ego_lane(ego, found, stepper.found)

    def _sync_ego(self) -> None:
        """Take the ego's state from the vehicle (when a stack drives it) and look up its lane."""
        ego = self._ego_pose()
        if ego is not None:
            net = self.ctx.net
            self._ego_lane(ego, net.locate_into(ego.x, ego.y), net.result)

    def _ego_pose(self) -> Entity | None:
        """The ego with its pose, speed and acceleration taken from the vehicle (None: no stack drives
        it, it is the storyboard's)."""
        link = self.ctx.ego_link
        ego = self._ego
        if not ego.stack_driven or link.state is None:
            return None
        cx, cy, yaw, speed, accel = link.state()
        old = ego.speed
        ego.x, ego.y, ego.yaw = cx - ego.centre_x * math.cos(yaw), cy - ego.centre_x * math.sin(yaw), yaw
        step = 0.5 * (old + speed) * self.ctx.dt
        ego.odometer += step
        ego.speed, ego.accel = speed, accel
        ego.standstill = (
            (ego.standstill + self.ctx.dt if ego.standstill > 0.0 else 1e-9) if abs(speed) < 1e-3 else 0.0
        )
        return ego

    def _ego_lane(self, ego: Entity, found: bool, r: np.ndarray) -> None:
        """The ego's lane place from its lookup ``r`` (``dil.road.lookup.R_*``; ``found``: a road is
        near), kept where it is off the lanes."""
        if not found:
            return
        v = r.tolist()  # Python floats: quicker to read than the array's items
        if v[R_INSIDE] > 0.5 and v[R_LANE] != 0.0:
            ego.road, ego.lane = self.ctx.net.roads[int(v[R_ROAD])].id, int(v[R_LANE])
            ego.s, ego.offset = v[R_S], v[R_OFFSET]
            ego.forward = math.cos(ego.yaw - v[R_HEADING]) > 0.0

    def _look_up_ego(self, ego: Entity, x: float, y: float, yaw: float) -> bool:
        """:meth:`_ego_lane` of the lookup of a pose of the ``ego`` (``x``, ``y`` [m], ``yaw`` [rad]) that
        waited (see :mod:`dil.scenario.ego_place`): True when the pose is inside a lane (its place
        written), False when the place stays as it was."""
        stepper = self._stepper
        if not stepper.locate(x, y):
            return False
        v = stepper.found.tolist()
        if v[R_INSIDE] > 0.5 and v[R_LANE] != 0.0:
            d = ego.__dict__  # not through the fields' settling
            d["road"], d["lane"] = self.ctx.net.roads[int(v[R_ROAD])].id, int(v[R_LANE])
            d["s"], d["offset"] = v[R_S], v[R_OFFSET]
            d["forward"] = math.cos(yaw - v[R_HEADING]) > 0.0
            return True
        return False

    def _track_off_road(self) -> None:
        net = self.ctx.net
        for e in self._vehicles:
            # OffroadCondition: the reference point outside the road's lanes (a lane of type none
            # is not road); the time off counts from the first step off (0 s then, 1e-9 marks it)
            found = net.locate_into(e.x, e.y)
            on = found and net.result[R_INSIDE] > 0.5 and int(net.result[R_TYPE]) != NO_LANE_TYPE
            was = self.ctx.off_road.get(e.name, 0.0)
            self.ctx.off_road[e.name] = 0.0 if on else (was + self.ctx.dt if was > 0.0 else 1e-9)

    def _place_all(self) -> None:
        """Put every storyboard entity in the world (its box centre, heading and speed) with one
        batched call; the world node places the ego from the vehicle state, and a deleted entity is not
        in the world. The rows of the entities the compiled mover moved in this step, untouched since,
        are those it wrote; the others' are written here. (A step in which only the entities outside
        the mover may have changed takes :meth:`_place_outside` instead.)"""
        if self.towing.able:
            self.towing.step(self.ctx.net)
        mover = self.mover
        self._outside_of = None
        ids: list[int] = []
        others: list[tuple[int, Entity]] = []  # (row, entity) of the rows to write here
        for e in self._entities:
            if e.stack_driven or not e.present:
                continue
            if type(e) is not MovedEntity or not e.__dict__["_fresh"]:
                others.append((len(ids), e))
            ids.append(e.world_id)
        if not ids:
            return
        cos, sin = math.cos, math.sin
        if ids != self._placed:  # who is in the world changed (the first step, a delete or an add)
            self._placed = ids
            self._placed_ids = np.array(ids, dtype=np.int64)
            self._poses = np.zeros((len(ids), 5))
            self._pack_poses = struct.Struct(f"{5 * len(ids)}d").pack_into
            if mover is not None:
                mover.set_slots(ids)
            rows: list[float] = []
            for e in self._entities:
                if e.stack_driven or not e.present:
                    continue
                yaw, c = e.yaw, e.centre_x
                rows += (e.x + c * cos(yaw), e.y + c * sin(yaw), e.z, yaw, e.speed)  # as Entity.box_centre
            self._pack_poses(self._poses, 0, *rows)
        else:
            poses, pack = self._poses, self._pack_pose
            for k, e in others:
                yaw, c = e.yaw, e.centre_x
                pack(poses, 40 * k, e.x + c * cos(yaw), e.y + c * sin(yaw), e.z, yaw, e.speed)
        self.world.set_poses(self._placed_ids, self._poses)
        if mover is not None:
            row_of = {id(e): k for k, e in others}
            self._outside_rows = [(e, row_of.get(id(e), -1)) for e in mover.outside]
            self._outside_of = mover.outside

    def _place_outside(self) -> bool:
        """:meth:`_place_all` where only the entities outside the mover may have changed: their rows
        written and the world's poses set; False (nothing done) when one of them came or went."""
        poses, pack = self._poses, self._pack_pose
        cos, sin = math.cos, math.sin
        for e, k in self._outside_rows:
            if e.stack_driven or not e.present:
                if k < 0:
                    continue
                return False
            if k < 0:
                return False
            yaw, c = e.yaw, e.centre_x
            pack(poses, 40 * k, e.x + c * cos(yaw), e.y + c * sin(yaw), e.z, yaw, e.speed)
        self.world.set_poses(self._placed_ids, poses)
        return True
