"""The message contract as text: ``docs/messages.md`` is this module's output, checked by a test."""

from __future__ import annotations

from .messages import SCHEMAS, SENSOR_FIELDS, SERVICE_SCHEMAS
from .schema import HEADER, Field, Kind, Schema
from .zmq_bus import SENSORS, SERVICES, Endpoints

_INTRO = """\
# Message contract

This page is generated from `dil/bus/messages.py` by `dil messages --markdown`; a test fails when
the two differ. It is the contract a rig vendor, an input-device driver or an AI-stack team
implements against.

## Frames
Every message is one ZeroMQ frame: the topic's name in UTF-8, one zero byte, then a
[msgpack](https://msgpack.org) map. The map holds the header fields below, then the topic's
fields, keyed by name. Numbers are msgpack floats (any width) or integers; a float field accepts
an integer. Extra keys are ignored, so a newer writer can add fields without breaking older
readers; removing or changing a field raises the topic's `schema_version`.

| field | type | unit | frame | meaning |
|---|---|---|---|---|
{header}

Frames: `world` is the map frame (x east, y north, z up; angles counter-clockwise about z from x);
`vehicle` is fixed to the car at its reference point (x forward, y left, z up, ISO 8855; the
reference point is the centre of gravity for `single_track` and `two_track`, the rear axle
centre for `kinematic`); `platform` is the motion platform's moving frame at its neutral pose
(x forward, y left, z up). Simulation time is an integer count of nanoseconds from the start of
the run; the physics step is 1 ms.

## Transport
- Streams are ZeroMQ PUB/SUB. Each topic has one address; its single producer binds it and
  consumers connect and subscribe to the prefix `topic NUL`. Default addresses (`dil ... --bus
  tcp --port 5600`) are consecutive tcp ports from 5600 in the order of the topics below
  (then the services), or ipc sockets `/tmp/dil/<topic with / as _>.sock` with `--bus ipc`:
{addresses}
- Topics marked *conflate* carry states: a reader wants only the newest (ZMQ_CONFLATE) and a
  stale value is worse than a lost one. The others carry events: read every message.
- Request-reply services (`{services}`) are ROUTER (server, binds) and DEALER (clients): a request
  is one frame as above, and so is the reply.
- Links that leave the machine can use CURVE encryption and authentication (`dil keys NAME`,
  then `--curve-secret`, `--curve-server-key`, `--curve-authorized`).

## What a reader does with a bad message
A frame that is not `topic NUL msgpack-map`, a `schema_version` other than the one below, a
missing field, a value of the wrong type, NaN or infinity in a number, or a value out of its
range is dropped. dil counts drops per topic and reason (`run/status` field
`dropped_messages`), logs the first of each kind and then at most one summary per kind every
10 s, and never acts on the message. A vehicle driven by `driver/input` keeps its last valid
inputs; after 200 ms without one it releases the throttle and brakes gently.

## Topics
"""


def _type(f: Field) -> str:
    if f.kind is Kind.ENUM:
        return "enum: " + ", ".join(f"`{v}`" for v in f.values)
    if f.kind is Kind.F64_LIST and f.length is not None:
        return f"float[{f.length}]"
    return f.kind.value


def _range(f: Field) -> str:
    if f.lo is None and f.hi is None:
        return ""
    lo = "-inf" if f.lo is None else f"{f.lo:g}"
    hi = "inf" if f.hi is None else f"{f.hi:g}"
    return f" [{lo}, {hi}]"


def _rows(fields: tuple[Field, ...], prefix: str = "") -> list[str]:
    rows = []
    for f in fields:
        rows.append(f"| `{prefix}{f.name}` | {_type(f)}{_range(f)} | {f.unit} | {f.frame} | {f.doc} |")
        if f.kind is Kind.RECORDS:
            rows += _rows(f.record, f"{prefix}{f.name}[].")
    return rows


def _topic(s: Schema) -> str:
    kind = "request-reply" if s.topic in SERVICE_SCHEMAS else "conflate" if s.conflate else "events"
    lines = [
        f"### `{s.topic}` (version {s.version}, {s.rate}, {kind})",
        "",
        s.doc,
        "",
        "| field | type | unit | frame | meaning |",
        "|---|---|---|---|---|",
        *_rows(s.fields),
        "",
    ]
    return "\n".join(lines)


_SERVICES = """
## Services
The `inference` service: an inference node (`dil node serve`) binds a ROUTER; runtimes connect
DEALERs and send `inference/request` frames; the node answers each with one `inference/reply`
frame (in the order it received them from that runtime). A node serves several runtimes, and a
runtime may use several nodes (`--node ADDRESS`, repeatable).

"""

_SENSORS = """
## Sensors
A world publishes each configured sensor on `sensor/<name>` (conflate), with the schema of the
sensor's kind. The sensors of a run (`sensor/objects`, `sensor/lanes`, `sensor/front`) get
addresses after the services; further sensors are named with `Endpoints.default(...,
extra=(...))`.
"""


def _sensor(kind: str) -> str:
    fields, doc = SENSOR_FIELDS[kind]
    lines = [
        f"### kind `{kind}` (version 1)",
        "",
        doc,
        "",
        "| field | type | unit | frame | meaning |",
        "|---|---|---|---|---|",
        *_rows(fields),
        "",
    ]
    return "\n".join(lines)


def markdown() -> str:
    """The whole contract page."""
    tcp = Endpoints.default("tcp")
    addresses = "\n".join(f"  - `{name}`: `{tcp[name]}`" for name in (*SCHEMAS, *SERVICES, *SENSORS))
    text = _INTRO.format(header="\n".join(_rows(HEADER)), addresses=addresses, services="`, `".join(SERVICES))
    text += "\n".join(_topic(s) for s in SCHEMAS.values())
    text += _SERVICES + "\n".join(_topic(s) for s in SERVICE_SCHEMAS.values())
    return text + _SENSORS + "\n" + "\n".join(_sensor(k) for k in SENSOR_FIELDS)


def summary() -> str:
    """One line per topic."""
    return "".join(
        f"{s.topic:16s} v{s.version}  {len(s.fields):2d} fields  {s.rate}\n" for s in SCHEMAS.values()
    )
