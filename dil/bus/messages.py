"""The message contract: one schema per topic, defined here once.

Frames: ``world`` is the map frame (x east, y north, z up; heading counter-clockwise from x);
``vehicle`` is fixed to the car at its reference point (x forward, y left, z up; ISO 8855);
``platform`` is the motion platform's moving frame at its neutral pose (x forward, y left, z up).
``docs/messages.md`` is generated from this module (``dil messages --markdown``).
"""

from __future__ import annotations

import functools

from .schema import Field, Kind, Schema

F, K = Field, Kind

GEARS = "gear selector: -1 reverse, 0 neutral; manual 1..n selects the gear, otherwise 1 is drive"


def _pedal(name: str, doc: str) -> Field:
    return F(name, K.F64, "1", doc=doc, lo=0.0, hi=1.0)


def _driving_command() -> tuple[Field, ...]:
    return (
        F(
            "steering_wheel_angle",
            K.F64,
            "rad",
            "steering wheel",
            "steering-wheel angle, positive turns left (counter-clockwise seen by the driver)",
            lo=-20.0,
            hi=20.0,
        ),
        _pedal("throttle", "accelerator pedal, 0 released to 1 floored"),
        _pedal("brake", "brake pedal, 0 released to 1 full"),
        F("gear", K.INT, doc=GEARS, lo=-1, hi=12),
    )


DRIVER_INPUT = Schema(
    "driver/input",
    1,
    "The driver's cockpit inputs (wheel, pedals, gear selector), from a rig's input devices or a script.",
    _driving_command(),
    rate="100 Hz to 1 kHz",
    conflate=True,
)

DRIVER_FEEDBACK = Schema(
    "driver/feedback",
    1,
    "Force feedback for the driver's steering wheel: the torque a wheel with a force-feedback "
    "motor should apply, and its parts. Zero when the loop stops (the wheel is released).",
    (
        F("torque", K.F64, "N m", "steering wheel", "torque to apply, positive turns left, saturated"),
        F("level", K.F64, "1", "steering wheel", "torque / the device's peak torque", lo=-1.0, hi=1.0),
        F("aligning", K.F64, "N m", "steering wheel", "the vehicle's aligning torque, scaled"),
        F("damping", K.F64, "N m", "steering wheel", "viscous damping and column friction"),
        F("end_stop", K.F64, "N m", "steering wheel", "soft end stop beyond the lock"),
    ),
    rate="1 kHz",
    conflate=True,
)

STACK_EVENTS = Schema(
    "stack/events",
    1,
    "Who drives, and why it changed: an AI stack's missed deadlines, the hold of its last command, "
    "the hand-over to the built-in safety fallback, a lost or failing inference node, a driver's "
    "takeover and hand-back.",
    (
        F(
            "kind",
            K.ENUM,
            values=("deadline_miss", "hold", "fallback", "node_lost", "node_error", "takeover", "handback"),
        ),
        F(
            "control",
            K.ENUM,
            values=("ai", "fallback", "driver", "none"),
            doc="who is in control after the event; none: nobody (no driver input, the fallback brake "
            "holds the car)",
        ),
        F("node", K.STR, doc="the inference node concerned, if any"),
        F("frame_id", K.INT, doc="the frame concerned, -1 if none", lo=-1),
        F("latency_ms", K.F64, "ms", doc="the frame's age when the event was decided, 0 if none", lo=0.0),
        F("detail", K.STR, doc="free text"),
    ),
    rate="as they happen",
)

AI_COMMAND = Schema(
    "ai/command",
    1,
    "A driving stack's command, in the same terms as the driver's inputs.",
    (
        *_driving_command(),
        F("frame_id", K.INT, doc="id of the sensor frame the command was computed from", lo=0),
        F("inference_ns", K.INT, "ns", doc="the model's own compute time for this command", lo=0),
    ),
    rate="20 to 50 Hz",
    conflate=True,
)

_STATE_FIELDS = (
    F("x", K.F64, "m", "world", "position of the vehicle's reference point"),
    F("y", K.F64, "m", "world", "position of the vehicle's reference point"),
    F("z", K.F64, "m", "world", "position of the vehicle's reference point (body heave for two_track)"),
    F("roll", K.F64, "rad", "world", "roll angle (0 for models without body roll)"),
    F("pitch", K.F64, "rad", "world", "pitch angle (0 for models without body pitch)"),
    F("yaw", K.F64, "rad", "world", "heading, counter-clockwise from world x"),
    F("vx", K.F64, "m/s", "vehicle", "longitudinal velocity"),
    F("vy", K.F64, "m/s", "vehicle", "lateral velocity, positive to the left"),
    F("vz", K.F64, "m/s", "vehicle", "vertical velocity (body heave rate for two_track)"),
    F("roll_rate", K.F64, "rad/s", "vehicle", "angular velocity about x"),
    F("pitch_rate", K.F64, "rad/s", "vehicle", "angular velocity about y"),
    F("yaw_rate", K.F64, "rad/s", "vehicle", "angular velocity about z"),
    F("ax", K.F64, "m/s^2", "vehicle", "longitudinal acceleration of the reference point"),
    F("ay", K.F64, "m/s^2", "vehicle", "lateral acceleration of the reference point"),
    F("speed", K.F64, "m/s", "vehicle", "speed over ground"),
    F("steering_wheel_angle", K.F64, "rad", "steering wheel", "steering-wheel angle applied"),
    F("road_wheel_angle", K.F64, "rad", "vehicle", "mean front road-wheel steer angle"),
    F(
        "steering_torque",
        K.F64,
        "N m",
        "steering wheel",
        "aligning torque felt at the steering wheel (force-feedback reference), positive turns left",
    ),
    F(
        "wheel_speed_fl",
        K.F64,
        "rad/s",
        "wheel",
        "front-left wheel spin (axle value for single-track models)",
    ),
    F("wheel_speed_fr", K.F64, "rad/s", "wheel", "front-right wheel spin"),
    F("wheel_speed_rl", K.F64, "rad/s", "wheel", "rear-left wheel spin"),
    F("wheel_speed_rr", K.F64, "rad/s", "wheel", "rear-right wheel spin"),
    F("shaft_speed", K.F64, "rad/s", doc="engine or motor speed"),
    F("shaft_torque", K.F64, "N m", doc="engine or motor torque"),
    F("throttle", K.F64, "1", doc="accelerator pedal applied", lo=0.0, hi=1.0),
    F("brake", K.F64, "1", doc="brake pedal applied", lo=0.0, hi=1.0),
    F("gear", K.INT, doc="gear engaged (automatic: the transmission's current gear)"),
)

VEHICLE_STATE = Schema(
    "vehicle/state",
    1,
    "The ego vehicle's state after each physics step. Every field is a number, so the runtime "
    "encodes it from a fixed template without building a map per tick.",
    _STATE_FIELDS,
    rate="1 kHz",
    conflate=True,
)

ACTOR_KINDS = ("vehicle", "pedestrian", "cyclist", "object")

WORLD_ACTORS = Schema(
    "world/actors",
    1,
    "Every actor of the world, the ego vehicle first (id 0), at the world rate: the ground truth.",
    (
        F(
            "actors",
            K.RECORDS,
            doc="one record per actor",
            record=(
                F("id", K.INT, doc="actor id, stable for the run", lo=0),
                F("kind", K.ENUM, values=ACTOR_KINDS),
                F("name", K.STR, doc="scenario entity name", max_len=256),
                F("x", K.F64, "m", "world", "bounding-box centre"),
                F("y", K.F64, "m", "world", "bounding-box centre"),
                F("z", K.F64, "m", "world", "bounding-box centre"),
                F("yaw", K.F64, "rad", "world", "heading"),
                F("speed", K.F64, "m/s", "actor", "speed along the heading"),
                F("length", K.F64, "m", doc="bounding box", lo=0.0),
                F("width", K.F64, "m", doc="bounding box", lo=0.0),
                F("height", K.F64, "m", doc="bounding box", lo=0.0),
            ),
        ),
    ),
    rate="world rate, 20 to 100 Hz",
    conflate=True,
)

WORLD_EVENTS = Schema(
    "world/events",
    1,
    "One event detected by the world: a collision, a lane-marking crossing, leaving the road.",
    (
        F("kind", K.ENUM, values=("collision", "lane_invasion", "off_road")),
        F("actor_id", K.INT, doc="the actor the event happened to (0 is the ego vehicle)", lo=0),
        F("other_id", K.INT, doc="the other actor of a collision, -1 if none", lo=-1),
        F("x", K.F64, "m", "world", "where"),
        F("y", K.F64, "m", "world", "where"),
        F("relative_speed", K.F64, "m/s", doc="closing speed at a collision, else 0", lo=0.0),
        F("detail", K.STR, doc="free text, e.g. the marking crossed"),
    ),
    rate="as they happen",
)

SCENARIO_EVENTS = Schema(
    "scenario/events",
    1,
    "A storyboard element changing state (OpenSCENARIO element state machine).",
    (
        F("element", K.STR, doc="the element's name in the scenario file"),
        F(
            "element_type",
            K.ENUM,
            values=("storyboard", "story", "act", "maneuver_group", "maneuver", "event", "action"),
        ),
        F("transition", K.ENUM, values=("start", "end", "stop", "skip")),
        F("state", K.ENUM, doc="state after the transition", values=("standby", "running", "complete")),
    ),
    rate="as they happen",
)

RIG_MODES = ("park", "engage", "run", "estop")

_POSE = (
    F("surge", K.F64, "m", "platform", "platform translation along x"),
    F("sway", K.F64, "m", "platform", "platform translation along y"),
    F("heave", K.F64, "m", "platform", "platform translation along z from the neutral height"),
    F("roll", K.F64, "rad", "platform", "rotation about x"),
    F("pitch", K.F64, "rad", "platform", "rotation about y"),
    F("yaw", K.F64, "rad", "platform", "rotation about z"),
)

RIG_COMMAND = Schema(
    "rig/command",
    1,
    "What the runtime asks of the motion platform: a mode and, while running, the cued pose and "
    "its actuator lengths. A rig must park on a missing, late or invalid command.",
    (
        F(
            "mode",
            K.ENUM,
            values=RIG_MODES,
            doc="park: go to the parked pose; engage: rise to neutral; run: follow the pose; estop: stop now",
        ),
        *_POSE,
        F(
            "actuator_lengths",
            K.F64_LIST,
            "m",
            "platform",
            "the six actuator lengths for the pose",
            length=6,
            lo=0.0,
        ),
    ),
    rate="1 kHz",
    conflate=True,
)

RIG_FEEDBACK = Schema(
    "rig/feedback",
    1,
    "The rig server's state and measured pose.",
    (
        F("state", K.ENUM, values=("parked", "engaging", "engaged", "parking", "fault")),
        *_POSE,
        F("actuator_lengths", K.F64_LIST, "m", "platform", "measured actuator lengths", length=6, lo=0.0),
        F("watchdog_trips", K.INT, doc="times the command stream went silent and the rig parked", lo=0),
        F("fault", K.STR, doc="why the rig is in fault or held parked, else empty"),
        F(
            "rearm_required",
            K.BOOL,
            doc="true while a fault (watchdog, e-stop, bad commands) or the operator holds the rig "
            "parked: only the console's engage re-arms it, the runtime's engage is ignored",
        ),
        F(
            "link_failures",
            K.INT,
            doc="failed handshakes on the rig server's links since it started (a peer without CURVE or "
            "with a key refused); the server connects again after each",
            lo=0,
        ),
        F("link_error", K.STR, doc="the latest failed handshake: topic, address, what failed, UTC time"),
    ),
    rate="100 Hz to 1 kHz",
    conflate=True,
)

RUN_STATUS = Schema(
    "run/status",
    1,
    "The loop's health, published at 10 Hz and once more when the loop stops.",
    (
        F("state", K.ENUM, values=("starting", "running", "paused", "stopping", "stopped", "error")),
        F("clock", K.ENUM, values=("simulated", "wall")),
        F("tick", K.INT, doc="physics steps done", lo=0),
        F(
            "rate_hz",
            K.F64,
            "Hz",
            doc="ticks per wall second since the last status (wall clock; 0 for the simulated "
            "clock, so that repeated runs publish identical messages)",
            lo=0.0,
        ),
        F("lateness_p50_us", K.F64, "us", doc="tick start after its deadline, last window (wall clock)"),
        F("lateness_p99_us", K.F64, "us", doc="99th percentile"),
        F("lateness_p999_us", K.F64, "us", doc="99.9th percentile"),
        F("lateness_max_us", K.F64, "us", doc="maximum"),
        F(
            "late_ticks",
            K.INT,
            doc="ticks started more than the late threshold after their deadline, since the start",
            lo=0,
        ),
        F("missed_ticks", K.INT, doc="deadlines that passed with no tick at all, since the start", lo=0),
        F("dropped_messages", K.INT, doc="received messages rejected as invalid, since the start", lo=0),
        F("scheduling", K.STR, doc="real-time settings in force, e.g. 'SCHED_FIFO 80, cpu 1, mlockall'"),
    ),
    rate="10 Hz",
    conflate=True,
)

CONSOLE_COMMAND = Schema(
    "console/command",
    1,
    "An operator's action at the console.",
    (
        F(
            "command",
            K.ENUM,
            values=("start", "pause", "resume", "stop", "estop", "engage", "park", "handover"),
        ),
        F("argument", K.STR, doc="e.g. the scenario to start or who takes control ('driver', 'ai')"),
        F("operator", K.STR, doc="who acted"),
    ),
    rate="as they happen",
)

SCHEMAS: dict[str, Schema] = {
    s.topic: s
    for s in (
        DRIVER_INPUT,
        AI_COMMAND,
        VEHICLE_STATE,
        WORLD_ACTORS,
        WORLD_EVENTS,
        SCENARIO_EVENTS,
        RIG_COMMAND,
        RIG_FEEDBACK,
        RUN_STATUS,
        CONSOLE_COMMAND,
        DRIVER_FEEDBACK,
        STACK_EVENTS,
    )
}
"""Every topic's schema, by topic."""


# --- services: request and reply frames of the request-reply services -------------------------

INFERENCE_REQUEST = Schema(
    "inference/request",
    1,
    "A frame for an inference node (`dil node serve`): the sensors and ego state a driving model "
    "reads. Sent by the runtime's AI stack over DEALER to the node's ROUTER.",
    (
        F("frame_id", K.INT, doc="the runtime's frame counter; the reply carries it back", lo=0),
        F("deadline_ns", K.INT, "ns", doc="t_sim_ns after which the runtime will not apply the answer", lo=0),
        F(
            "images",
            K.RECORDS,
            doc="camera images, one per camera the model reads",
            record=(
                F("camera", K.STR, doc="the sensor name (sensor/<camera>)"),
                F("width", K.INT, "px", lo=1),
                F("height", K.INT, "px", lo=1),
                F("encoding", K.ENUM, values=("bgr8", "jpeg")),
                F("data", K.BYTES),
            ),
        ),
        F(
            "objects",
            K.RECORDS,
            doc="object list around the ego (vehicle frame), as sensor kind `objects`",
            record=(
                F("x", K.F64, "m", "vehicle"),
                F("y", K.F64, "m", "vehicle"),
                F("yaw", K.F64, "rad", "vehicle"),
                F("speed", K.F64, "m/s", "actor"),
                F("length", K.F64, "m", lo=0.0),
                F("width", K.F64, "m", lo=0.0),
                F("height", K.F64, "m", lo=0.0),
            ),
        ),
        F("ego", K.F64_LIST, doc="the ego values named in `ego_fields`, in that order"),
        F(
            "ego_fields",
            K.STR,
            doc="comma-separated names of `ego`: vehicle/state fields and cruise_speed (the scenario's, m/s)",
        ),
    ),
    rate="the stack's rate, e.g. 20 Hz",
)

INFERENCE_REPLY = Schema(
    "inference/reply",
    1,
    "The node's answer to one request: a driving command, or an error and no command.",
    (
        F("frame_id", K.INT, doc="the request's frame_id", lo=0),
        F("steering_wheel_angle", K.F64, "rad", "steering wheel", "positive turns left"),
        F("throttle", K.F64, "1", lo=0.0, hi=1.0),
        F("brake", K.F64, "1", lo=0.0, hi=1.0),
        F(
            "inference_ns",
            K.INT,
            "ns",
            doc="the model's own compute time for the batch this frame was in",
            lo=0,
        ),
        F(
            "node_ns",
            K.INT,
            "ns",
            doc="time in the node from receiving the request to sending this reply",
            lo=0,
        ),
        F("batch", K.INT, doc="frames computed together with this one", lo=0),
        F("node", K.STR, doc="the node's identity: name, backend and device"),
        F(
            "needs",
            K.STR,
            doc="what the model reads, e.g. `camera:front:640x360,ego:speed,objects`, so a runtime can "
            "check its sensors before it starts (a request with frame_id 0 and no payload is a probe)",
        ),
        F("error", K.STR, doc="why there is no command (bad request, model failure); empty when fine"),
    ),
    rate="one per request",
)

SERVICE_SCHEMAS: dict[str, Schema] = {s.topic: s for s in (INFERENCE_REQUEST, INFERENCE_REPLY)}
"""Frames of the request-reply services, by name (not topics: they have no address of their own)."""


# --- sensors: topics ``sensor/<name>``, one schema per sensor kind ----------------------------

_IMAGE_FIELDS = (
    F("frame_id", K.INT, doc="frame counter of this sensor, from 0", lo=0),
    F("width", K.INT, "px", lo=1),
    F("height", K.INT, "px", lo=1),
    F("encoding", K.ENUM, values=("bgr8", "jpeg"), doc="bgr8: rows of B, G, R bytes, top row first"),
    F("data", K.BYTES, doc="the image"),
)

SENSOR_FIELDS: dict[str, tuple[tuple[Field, ...], str]] = {
    "camera": (
        (
            *_IMAGE_FIELDS,
            F("fov_deg", K.F64, "deg", doc="horizontal field of view", lo=1.0, hi=179.0),
            F(
                "mount",
                K.F64_LIST,
                "m",
                "vehicle",
                "camera position: forward, left, up from the box centre",
                length=3,
            ),
            F("pitch_deg", K.F64, "deg", "vehicle", "pitch down"),
            F("yaw_deg", K.F64, "deg", "vehicle", "yaw to the left (180: looking back)"),
        ),
        "A pinhole camera image rendered by the world (principal point at the image centre).",
    ),
    "bev": (
        (*_IMAGE_FIELDS, F("metres_per_pixel", K.F64, "m/px", lo=0.0)),
        "A bird's-eye raster centred on the ego vehicle, its heading pointing up the image.",
    ),
    "objects": (
        (
            F(
                "objects",
                K.RECORDS,
                doc="ground truth of every actor within range",
                record=(
                    F("id", K.INT, lo=0),
                    F("kind", K.ENUM, values=ACTOR_KINDS),
                    F("x", K.F64, "m", "vehicle", "box centre, ahead of the ego's box centre"),
                    F("y", K.F64, "m", "vehicle", "box centre, left of the ego's box centre"),
                    F("yaw", K.F64, "rad", "vehicle", "heading relative to the ego"),
                    F("speed", K.F64, "m/s", "actor", "speed along its heading"),
                    F("length", K.F64, "m", lo=0.0),
                    F("width", K.F64, "m", lo=0.0),
                    F("height", K.F64, "m", lo=0.0),
                ),
            ),
        ),
        "Ground-truth object list around the ego vehicle (what a modular stack's perception outputs).",
    ),
    "lanes": (
        (
            F(
                "lanes",
                K.RECORDS,
                doc="lane centre lines within range",
                max_len=256,
                record=(
                    F("road", K.STR, max_len=256),
                    F("lane", K.INT),
                    F("type", K.STR, doc="OpenDRIVE lane type", max_len=64),
                    F("points", K.F64_LIST, "m", "vehicle", "x0, y0, x1, y1, ... ahead/left of the ego"),
                ),
            ),
        ),
        "Ground-truth lane geometry around the ego vehicle, in its frame.",
    ),
}
"""Sensor kind -> (fields, description)."""


@functools.lru_cache(maxsize=1024)
def sensor_schema(name: str, kind: str, rate: str = "") -> Schema:
    """The schema of sensor ``name`` of ``kind`` (camera, bev, objects, lanes) on ``sensor/<name>``:
    the same object for the same arguments, so that a message its publisher checked (or vouched for)
    is known checked to its readers in the process, who hold the schema from :func:`with_sensors`."""
    if kind not in SENSOR_FIELDS:
        raise ValueError(f"sensor {name!r}: kind {kind!r} must be one of {', '.join(SENSOR_FIELDS)}")
    fields, doc = SENSOR_FIELDS[kind]
    return Schema(f"sensor/{name}", 1, doc, fields, rate=rate, conflate=True)


def with_sensors(sensors: dict[str, str]) -> dict[str, Schema]:
    """Every topic's schema plus ``sensor/<name>`` for each ``name: kind``."""
    out = dict(SCHEMAS)
    for name, kind in sensors.items():
        s = sensor_schema(name, kind)
        out[s.topic] = s
    return out
