"""``apply_batch``: CARLA's command lists (``carla.command.*``).

A command is ``[[type, fields]]`` (``layouts.CommandType``); SpawnActor's fields are ``[description,
transform, optional parent, attachment type, socket name, [commands to run after]]``, and an actor id 0
in those later commands means the actor just spawned (``carla.command.FutureActor``). The reply is a
bare list (no Response wrapper) of one ``Response<ActorId>`` per command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from .controls import VehicleExtras
from .layouts import CommandType, error, ok, parse_optional, parse_transform
from .physics import PhysicsControls
from .traffic_manager import DEFAULT_TM_PORT, TrafficManagers
from .world import LiteWorld

FUTURE_ACTOR = 0


class BatchTarget(Protocol):
    world: LiteWorld
    extras: VehicleExtras
    physics: PhysicsControls
    traffic: TrafficManagers

    def apply_control(self, actor_id: int, control: list) -> None: ...

    def spawn(self, description: list, transform: tuple[float, ...], parent: int) -> int: ...

    def destroy_actor(self, actor_id: int) -> bool: ...


def run_batch(target: BatchTarget, commands: list) -> list:
    """Run ``commands`` in order; one response (the actor id, or an error) each."""
    return [_run(target, cmd, FUTURE_ACTOR) for cmd in commands]


def _run(target: BatchTarget, command: Any, future: int) -> list:
    try:
        (kind, fields), *_ = command
        kind = CommandType(kind)
    except (TypeError, ValueError) as exc:
        return error(f"apply_batch: cannot decode the command {command!r}: {exc}")
    handler = _HANDLERS.get(kind)
    if handler is None:
        return error(f"carla-lite does not support the batch command {_camel(kind)}")
    try:
        return ok(handler(target, fields, future))
    except Exception as exc:
        return error(f"{_camel(kind)}: {exc}")


def _actor(fields: list, future: int) -> int:
    actor_id = int(fields[0])
    return future if actor_id == FUTURE_ACTOR else actor_id


def _spawn(target: BatchTarget, fields: list, _future: int) -> int:
    description, transform, parent = fields[0], parse_transform(fields[1]), parse_optional(fields[2])
    actor_id = target.spawn(description, transform, int(parent or 0))
    later = fields[5] if len(fields) > 5 else []
    for cmd in later:
        response = _run(target, cmd, actor_id)
        if response[0][0] == 0:
            raise RuntimeError(response[0][1][0])
    return actor_id


def _destroy(target: BatchTarget, fields: list, future: int) -> int:
    actor_id = _actor(fields, future)
    target.destroy_actor(actor_id)
    return actor_id


def _setter(apply: Callable[[LiteWorld, int, Any], None]) -> Callable[[BatchTarget, list, int], int]:
    def run(target: BatchTarget, fields: list, future: int) -> int:
        actor_id = _actor(fields, future)
        apply(target.world, actor_id, fields[1])
        return actor_id

    return run


def _vec(v: list) -> tuple[float, float, float]:
    return float(v[0]), float(v[1]), float(v[2])


def _extra(apply: Callable[[BatchTarget, int, Any], None]) -> Callable[[BatchTarget, list, int], int]:
    def run(target: BatchTarget, fields: list, future: int) -> int:
        actor_id = _actor(fields, future)
        apply(target, actor_id, fields[1])
        return actor_id

    return run


_HANDLERS: dict[CommandType, Callable[[BatchTarget, list, int], int]] = {
    CommandType.SPAWN_ACTOR: _spawn,
    CommandType.DESTROY_ACTOR: _destroy,
    CommandType.APPLY_VEHICLE_CONTROL: _extra(lambda t, i, c: t.apply_control(i, list(c))),
    CommandType.APPLY_WALKER_CONTROL: _setter(lambda w, i, c: w.apply_walker_control(i, list(c))),
    CommandType.APPLY_VEHICLE_ACKERMANN_CONTROL: _extra(lambda t, i, c: t.extras.apply_ackermann(i, list(c))),
    CommandType.SET_VEHICLE_LIGHT_STATE: _extra(lambda t, i, s: t.extras.set_light_state(i, s)),
    CommandType.APPLY_IMPULSE: _extra(lambda t, i, v: t.extras.add_impulse(i, _vec(v))),
    CommandType.APPLY_FORCE: _extra(lambda t, i, v: t.extras.add_force(i, _vec(v))),
    CommandType.APPLY_ANGULAR_IMPULSE: _extra(lambda t, i, v: t.extras.add_angular_impulse(i, _vec(v))),
    CommandType.APPLY_TORQUE: _extra(lambda t, i, v: t.extras.add_angular_impulse(i, _vec(v))),
    CommandType.APPLY_TRANSFORM: _setter(lambda w, i, t: w.set_transform(i, parse_transform(t))),
    CommandType.APPLY_TARGET_VELOCITY: _setter(lambda w, i, v: w.set_velocity(i, _vec(v))),
    CommandType.APPLY_TARGET_ANGULAR_VELOCITY: _setter(lambda w, i, v: w.set_angular_velocity(i, _vec(v))),
    CommandType.SET_SIMULATE_PHYSICS: _setter(lambda w, i, on: w.set_physics(i, bool(on))),
}


def _autopilot(target: BatchTarget, fields: list, future: int) -> int:
    """``[actor, enabled]`` (a port after them when the client sends one; CARLA's default otherwise)."""
    actor_id = _actor(fields, future)
    target.world.info(actor_id)
    port = int(fields[2]) if len(fields) > 2 else DEFAULT_TM_PORT
    target.traffic.set_autopilot(actor_id, bool(fields[1]), port)
    return actor_id


_HANDLERS[CommandType.SET_AUTOPILOT] = _autopilot


def _walker_state(target: BatchTarget, fields: list, future: int) -> int:
    """``[actor, transform, speed]``: where CARLA's client-side AI walker controller put a walker."""
    actor_id = _actor(fields, future)
    target.world.set_walker_state(actor_id, parse_transform(fields[1]), float(fields[2]))
    return actor_id


_HANDLERS[CommandType.APPLY_WALKER_STATE] = _walker_state
_HANDLERS[CommandType.APPLY_VEHICLE_PHYSICS_CONTROL] = _extra(lambda t, i, c: t.physics.apply(i, c))


def _camel(kind: CommandType) -> str:
    """The client's name of a command (``SetAutopilot``)."""
    return kind.name.title().replace("_", "")
