"""Open-loop regression of a driving stack: feed a log's recorded sensor and state messages to a
stack and compare its commands with the recorded ones, channel by channel."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path

import msgpack

import vehicle_models
from dil.bus.inbox import Drops
from dil.bus.messages import AI_COMMAND
from dil.bus.transport import LocalBus
from dil.realtime.clock import SimClock
from dil.stack.builtin import BuiltinStack, StackParameters

from .fast import fast_records
from .reader import read_metadata

CHANNELS = ("steering_wheel_angle", "throttle", "brake")
INPUT_TOPICS = ("sensor/objects", "sensor/lanes", "vehicle/state")


@dataclass
class ChannelDiff:
    max_abs: float = 0.0
    rms: float = 0.0
    t_max: float = 0.0
    """When the largest difference occurred [s]."""


@dataclass
class OpenLoopResult:
    commands: int = 0
    channels: dict[str, ChannelDiff] = field(default_factory=dict)

    def report(self) -> str:
        lines = [f"{self.commands} commands compared"]
        for name, d in self.channels.items():
            lines.append(f"  {name:22s} max |diff| {d.max_abs:.6g} at t = {d.t_max:.2f} s, rms {d.rms:.6g}")
        return "\n".join(lines)


def stack_parameters(overrides: dict[str, str]) -> StackParameters:
    known = {f.name: f.type for f in fields(StackParameters)}
    values: dict[str, object] = {}
    for key, text in overrides.items():
        if key not in known:
            raise ValueError(f"--stack-param {key}: unknown (known: {', '.join(sorted(known))})")
        values[key] = text.lower() in ("1", "true", "yes") if known[key] in (bool, "bool") else float(text)
    return StackParameters(**values)  # type: ignore[arg-type]


def open_loop(log: str | Path, params: StackParameters) -> OpenLoopResult:
    """Run the built-in stack with ``params`` on ``log``'s inputs; compare with its ``ai/command``."""
    meta, _ = read_metadata(log)
    info = meta.get("dil.run", {})
    vehicle = vehicle_models.load(info.get("vehicle", "sedan_bmw320i"))
    bus = LocalBus()
    out = bus.subscriber(AI_COMMAND.topic)
    stack = BuiltinStack(bus, Drops(), SimClock(), vehicle, params=params)
    pubs = {t: bus.publisher(t) for t in INPUT_TOPICS}
    recorded: dict[int, dict] = {}
    inputs: list[tuple[int, str, bytes]] = []
    for topic, t_ns, data in fast_records(log):
        if topic == AI_COMMAND.topic:
            recorded[t_ns] = msgpack.unpackb(data)
        elif topic in pubs:
            inputs.append((t_ns, topic, bytes(data)))
        elif topic == "scenario/events":
            pass
    if not recorded:
        raise ValueError(f"{log}: no ai/command messages: the run had no stack to compare with")
    # the scenario's settings of the stack are not bus messages: the log keeps them
    cruise = json.loads(meta.get("dil.recording", {}).get("cruise_speeds", "[]"))
    stack.cruise_speed = cruise[0] if cruise else 0.0
    period = round(1e9 / stack.rate_hz)
    i = 0
    diffs = {c: [] for c in CHANNELS}
    result = OpenLoopResult()
    for t in sorted(recorded):
        # as in the loop: the world's sensors of this tick come before the stack, the vehicle's
        # state of this tick after it
        while i < len(inputs) and (
            inputs[i][0] < t or (inputs[i][0] == t and inputs[i][1] != "vehicle/state")
        ):
            _, topic, data = inputs[i]
            pubs[topic].send(topic.encode() + b"\0" + data)
            i += 1
        if t % period:
            continue
        stack.tick(t)
        frame = out.recv()
        if frame is None:
            continue
        mine = msgpack.unpackb(frame[frame.index(b"\0") + 1 :])
        theirs = recorded[t]
        result.commands += 1
        for c in CHANNELS:
            diffs[c].append((abs(mine[c] - theirs[c]), t * 1e-9))
    for c, values in diffs.items():
        if values:
            worst = max(values)
            rms = math.sqrt(sum(v * v for v, _ in values) / len(values))
            result.channels[c] = ChannelDiff(worst[0], rms, worst[1])
    return result
