"""The operator's actions: what each one needs, which ask for confirmation, when each is refused.

An action becomes one ``console/command`` message. ``start`` carries the scenario and its
parameters in ``argument`` as ``NAME [PARAM=VALUE ...] [+no-motion]`` (a catalog name, overrides of
its declared parameters, and the operator's choice to run with the rig left where it is), which
:func:`parse_start` and :func:`wants_no_motion` read back on the runtime's side.

The e-stop is not an ordinary action: :func:`parse_estop` takes whatever came with it and never
refuses (no token, operator name, confirmation or field stands in its way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dil.bus.messages import CONSOLE_COMMAND

COMMANDS: tuple[str, ...] = next(f.values for f in CONSOLE_COMMAND.fields if f.name == "command")
"""Every action, as the ``console/command`` schema lists them."""

CONFIRM = frozenset({"start", "resume", "stop", "engage", "handover"})
"""Actions that move the rig or change who drives: the page asks first, the API wants ``confirmed``."""

NO_MOTION = "+no-motion"
"""The last word of a ``start`` argument when the operator chose to run without motion."""
READY_RIG = ("engaged",)
"""Rig states in which a run may start with motion (besides a parked rig that is armed)."""

OPERATOR = re.compile(r"[A-Za-z0-9._@-]{1,40}")
NAME = re.compile(r"[A-Za-z0-9_.-]{1,80}")
VALUE = re.compile(r"[A-Za-z0-9_.+-]{1,40}")
HANDOVER = ("driver", "ai")


class ActionError(ValueError):
    """An action refused, with the HTTP status that says why: 400 malformed, 401 not authorised,
    409 not possible in the present state, 428 confirmation missing."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Action:
    command: str
    argument: str
    operator: str
    no_motion: bool = False
    """``start`` only: the operator chose to run without moving the rig."""


@dataclass(frozen=True)
class Situation:
    """What the console knows of the run and the rig when an action arrives."""

    run_state: str | None
    """``run/status`` state, None when no runtime has published one recently."""
    rig_state: str | None
    """``rig/feedback`` state, None when no rig server has answered recently."""
    run_age_s: float | None = None
    rig_age_s: float | None = None
    rig_reason: str = ""
    """Why the rig is parked, parking or in fault (``rig/feedback`` ``reason`` or ``fault``)."""
    rig_rearm_required: bool | None = None
    """``rig/feedback`` ``rearm_required``; None when the rig server does not say."""


def parse_action(body: Any, catalog: dict[str, dict[str, str]]) -> Action:
    """The action in a request body, checked field by field (``ActionError`` 400 or 428).

    ``catalog``: scenario name -> its declared parameters (name -> default value)."""
    if not isinstance(body, dict):
        raise ActionError(400, "the body must be a JSON object")
    unknown = set(body) - {"command", "argument", "operator", "confirmed", "scenario", "params", "no_motion"}
    if unknown:
        raise ActionError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    command = body.get("command")
    if command not in COMMANDS:
        raise ActionError(400, f"command {command!r}: must be one of {', '.join(COMMANDS)}")
    operator = body.get("operator")
    if not isinstance(operator, str) or not OPERATOR.fullmatch(operator):
        raise ActionError(
            400, "operator: give who acts, 1 to 40 letters, digits or . _ @ - (no spaces), e.g. 'jane'"
        )
    argument = body.get("argument", "")
    if not isinstance(argument, str):
        raise ActionError(400, "argument must be a string")
    if command == "start":
        argument = _start_argument(body, catalog)
    elif command == "handover":
        if argument not in HANDOVER:
            raise ActionError(400, f"handover: argument {argument!r} must be 'driver' or 'ai'")
    elif argument:
        raise ActionError(400, f"{command} takes no argument (got {argument!r})")
    no_motion = body.get("no_motion", False)
    if not isinstance(no_motion, bool) or (no_motion and command != "start"):
        raise ActionError(400, f"no_motion must be true or false, and only with start (got {no_motion!r})")
    if no_motion:
        argument = f"{argument} {NO_MOTION}"
    if command in CONFIRM and body.get("confirmed") is not True:
        raise ActionError(428, f'{command} must be confirmed ("confirmed": true)')
    return Action(command, argument, operator, no_motion)


def parse_estop(body: Any) -> Action:
    """The e-stop in whatever body came with it: never refused. The operator's name is kept when it
    is a usable one, else left empty (the bus message then says "the console")."""
    who = body.get("operator") if isinstance(body, dict) else None
    operator = who.strip() if isinstance(who, str) and OPERATOR.fullmatch(who.strip()) else ""
    return Action("estop", "", operator)


def _start_argument(body: dict, catalog: dict[str, dict[str, str]]) -> str:
    scenario = body.get("scenario")
    if not isinstance(scenario, str) or scenario not in catalog:
        raise ActionError(
            400, f"start: scenario {scenario!r} is not in the catalog (known: {', '.join(sorted(catalog))})"
        )
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise ActionError(400, "start: params must be an object of NAME: VALUE")
    declared = catalog[scenario]
    words = [scenario]
    for name, value in sorted(params.items()):
        if name not in declared:
            raise ActionError(
                400,
                f"start: {scenario} declares no parameter {name!r} "
                f"(declared: {', '.join(sorted(declared)) or 'none'})",
            )
        text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not VALUE.fullmatch(text):
            raise ActionError(400, f"start: parameter {name} = {value!r} is not a plain value")
        words.append(f"{name}={text}")
    return " ".join(words)


def wants_no_motion(argument: str) -> bool:
    """Whether a ``start`` argument carries the operator's choice to run without motion."""
    words = argument.split()
    return bool(words) and words[-1] == NO_MOTION


def parse_start(argument: str) -> tuple[str, dict[str, str]]:
    """``NAME [PARAM=VALUE ...] [+no-motion]`` -> (scenario name, parameters); ValueError names what
    is wrong."""
    words = argument.split()
    if words and words[-1] == NO_MOTION:
        words.pop()
    if not words or not NAME.fullmatch(words[0]) or words[0].startswith("."):
        raise ValueError(f"start {argument!r}: the argument must begin with a catalog scenario name")
    params: dict[str, str] = {}
    for w in words[1:]:
        name, sep, value = w.partition("=")
        if not sep or not NAME.fullmatch(name) or not VALUE.fullmatch(value):
            raise ValueError(f"start {argument!r}: {w!r} is not PARAM=VALUE")
        params[name] = value
    return words[0], params


def check_situation(action: Action, now: Situation) -> None:
    """Refuse (``ActionError`` 409) an action the run or the rig cannot take now. The e-stop is
    never refused."""
    c, run, rig = action.command, now.run_state, now.rig_state
    if c == "estop":
        return
    if c in ("engage", "park"):
        if rig is None:
            raise ActionError(409, f"{c}: no rig server answers (no rig/feedback{_age(now.rig_age_s)})")
        if c == "engage" and rig in ("engaging", "engaged"):
            raise ActionError(409, f"engage: the rig is already {rig}")
        return
    if run is None:
        raise ActionError(
            409,
            f"{c}: no runtime answers (no run/status{_age(now.run_age_s)}); "
            "start one with `dil drive --console`",
        )
    active = run in ("starting", "running", "paused", "stopping")
    if c == "start" and active:
        raise ActionError(409, f"start: a run is {run}; stop it first")
    if c == "start" and not action.no_motion:
        why = rig_not_ready(now.rig_state, now.rig_reason, now.rig_rearm_required, now.rig_age_s)
        if why:
            remedy = (
                "re-arm it"
                if now.rig_rearm_required
                else {
                    None: "start `dil rig serve`",
                    "engaging": "wait until it is engaged",
                    "parking": "wait until it is parked",
                }.get(now.rig_state, "re-arm it")
            )
            raise ActionError(409, f"start: {why}; {remedy} or choose run without motion")
    if c == "pause" and run != "running":
        raise ActionError(409, f"pause: the run is {run}, not running")
    if c == "resume" and run != "paused":
        raise ActionError(409, f"resume: the run is {run}, not paused")
    if c in ("stop", "handover") and run not in ("running", "paused"):
        raise ActionError(409, f"{c}: no run is in progress (state {run})")


def rig_not_ready(
    state: str | None, reason: str = "", rearm_required: bool | None = None, age_s: float | None = None
) -> str:
    """Why a run may not start with motion now ('' when it may): the rig must be engaged, or parked
    and armed (the runtime engages it when the run starts). ``state`` None: no fresh feedback."""
    if state is None:
        if age_s is None:
            return "no rig server answers (no rig/feedback)"
        return f"rig feedback lost ({age_s:.1f} s without rig/feedback)"
    held = rearm_required if rearm_required is not None else bool(reason)
    if state in READY_RIG or (state == "parked" and not held):
        return ""
    if state == "parked":
        return f"rig is parked: {reason or 'waiting for an operator re-arm'}"
    if state == "fault":
        return f"rig is in fault: {reason or 'no reason given'}"
    return f"rig is {state}" + (f": {reason}" if reason else "")


def _age(age_s: float | None) -> str:
    return "" if age_s is None else f" for {age_s:.1f} s"
