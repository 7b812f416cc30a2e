"""Nodes declare their ports; the graph is checked once, before the loop starts.

A port names a topic, the schema version it reads or writes, and its period: how often the node
produces or consumes it. Periods are integer multiples of the physics step; event ports (no
period) carry messages as they happen. The checks: every topic consumed has exactly one producer,
every period is a whole number of physics steps, and producer and consumer agree on the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .messages import SCHEMAS
from .schema import Schema

PHYSICS_STEP_NS = 1_000_000
"""The physics step [ns]."""


class GraphError(ValueError):
    """The node graph is invalid; the message lists every problem with its node and port."""


@dataclass(frozen=True)
class Port:
    """One input or output of a node."""

    name: str
    topic: str
    rate_hz: float | None = None
    """How often the node writes or reads it [Hz]; None for events."""
    version: int | None = None
    """The schema version the node speaks; None for the version defined in this runtime."""

    def schema_version(self, schemas: dict[str, Schema]) -> int | None:
        if self.version is not None:
            return self.version
        schema = schemas.get(self.topic)
        return schema.version if schema else None

    def period_ns(self) -> Fraction | None:
        """The period [ns], exact; None for events."""
        if self.rate_hz is None:
            return None
        return Fraction(10**9) / Fraction(self.rate_hz)

    def steps(self, step_ns: int = PHYSICS_STEP_NS) -> int | None:
        """The period in physics steps; None for events (valid ports only)."""
        period = self.period_ns()
        return None if period is None else int(period / step_ns)


@dataclass(frozen=True)
class NodeSpec:
    """What a node consumes and produces."""

    name: str
    inputs: tuple[Port, ...] = ()
    outputs: tuple[Port, ...] = ()


def validate(
    nodes: list[NodeSpec], *, step_ns: int = PHYSICS_STEP_NS, schemas: dict[str, Schema] = SCHEMAS
) -> None:
    """Raise :class:`GraphError` listing every problem of the graph, each naming node and port."""
    problems: list[str] = []
    producers: dict[str, list[tuple[NodeSpec, Port]]] = {}
    names = [n.name for n in nodes]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"node {dup!r} is declared {names.count(dup)} times")

    for node in nodes:
        for direction, ports in (("input", node.inputs), ("output", node.outputs)):
            for port in ports:
                where = f"node {node.name!r} {direction} {port.name!r} ({port.topic})"
                if port.topic not in schemas:
                    problems.append(f"{where}: unknown topic (known: {', '.join(schemas)})")
                problems += _rate_problems(port, step_ns, where)
        for port in node.outputs:
            producers.setdefault(port.topic, []).append((node, port))

    for node in nodes:
        for port in node.inputs:
            where = f"node {node.name!r} input {port.name!r} ({port.topic})"
            found = producers.get(port.topic, [])
            if not found:
                problems.append(f"{where}: no node produces {port.topic}")
                continue
            if len(found) > 1:
                who = ", ".join(f"{n.name!r} output {p.name!r}" for n, p in found)
                problems.append(
                    f"{where}: {len(found)} producers of {port.topic} ({who}); must be exactly one"
                )
                continue
            producer, out = found[0]
            v_in, v_out = port.schema_version(schemas), out.schema_version(schemas)
            if v_in != v_out:
                problems.append(
                    f"{where}: reads schema version {v_in} but node {producer.name!r} output "
                    f"{out.name!r} writes version {v_out}"
                )
    if problems:
        raise GraphError("invalid node graph:\n  " + "\n  ".join(problems))


def _rate_problems(port: Port, step_ns: int, where: str) -> list[str]:
    if port.rate_hz is None:
        return []
    if not port.rate_hz > 0:
        return [f"{where}: rate {port.rate_hz!r} Hz must be > 0"]
    period = port.period_ns()
    assert period is not None
    steps = period / step_ns
    if steps.denominator != 1 or steps < 1:
        return [
            f"{where}: rate {port.rate_hz:g} Hz has a period of {float(period) / 1e6:.6g} ms, not an "
            f"integer multiple of the {step_ns / 1e6:g} ms physics step"
        ]
    return []
