"""A learned driving stack on inference nodes, kept safe by deadlines and the built-in stack.

Every ``1 / rate_hz`` the stack sends the newest camera frame, object list and ego state to an
inference node (``dil node serve``) and applies the command the node answers, if the answer comes
within ``deadline_ms`` of sending; a later answer is discarded (a command older than its deadline
is never applied). While answers are missing the last applied command is held; after ``hold_ms``
without one the built-in stack, which has been computing all along, takes control for the rest
of the run (the fallback is latched: control does not flap back to a node that has just failed).
Each change is an event on ``stack/events``; latencies, misses and the takeover are the run's KPIs.

With a simulated clock (batch runs) the loop waits for each answer up to the deadline in wall
time, so a healthy node gives the same commands at the same simulated times on every run; with
the wall clock it never waits.

Several nodes: frames go round-robin to the nodes still alive; a node that misses
``lost_after`` deadlines in a row, or answers with errors that often, is dropped (``node_lost``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from dil.bus.codec import Encoder, decode
from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import (
    AI_COMMAND,
    CONSOLE_COMMAND,
    DRIVER_INPUT,
    INFERENCE_REQUEST,
    SERVICE_SCHEMAS,
    STACK_EVENTS,
    VEHICLE_STATE,
    sensor_schema,
)
from dil.bus.schema import MessageError
from dil.bus.transport import Bus
from dil.realtime.clock import Clock

from .builtin import BuiltinStack

STATE_FIELDS = tuple(f.name for f in VEHICLE_STATE.fields if f.kind.name == "F64")
EGO_FIELDS = (*STATE_FIELDS, "cruise_speed")
"""The ego values sent with every frame: the vehicle state's numbers and the scenario's cruise speed."""
OBJECT_KEYS = ("x", "y", "yaw", "speed", "length", "width", "height")


class StackError(RuntimeError):
    """The AI stack cannot start: no node answers, or a node's model needs what the run lacks."""


@dataclass(frozen=True)
class RemoteOptions:
    nodes: tuple[str, ...]
    """Node addresses (``tcp://host:port``; a node started for the run: ``ipc://PATH``)."""
    rate_hz: float = 25.0
    deadline_ms: float = 100.0
    hold_ms: float = 300.0
    camera: str = "front"
    camera_size: tuple[int, int] = (640, 360)
    jpeg_quality: int = 0
    """0 sends raw BGR rows; 1..100 JPEG-encodes the frame (for nodes across a network)."""
    lost_after: int = 5
    probe_timeout_s: float = 30.0
    wait: bool = False
    """Wait for each answer up to the deadline (simulated clock)."""
    driver_seat: bool = False
    """A person sits at the wheel (``dil drive``): their input takes control from the AI."""
    takeover_brake: float = 0.1
    """Brake pedal travel at which the driver takes control."""
    takeover_steer: float = 0.35
    """Steering-wheel angle away from the AI's command at which the driver takes control [rad]."""
    driver_timeout_ms: float = 200.0
    """With the driver in control: no driver input for this long [ms] and nobody is in control
    (control ``none``): throttle released, ``fallback_brake`` applied until input comes back."""
    fallback_brake: float = 0.3
    """Brake pedal travel [0..1] while nobody is in control."""


@dataclass
class _Node:
    address: str
    requester: object
    identity: str = ""
    alive: bool = True
    misses_in_row: int = 0


@dataclass
class StackStats:
    sent: int = 0
    applied: int = 0
    deadline_misses: int = 0
    late_replies: int = 0
    node_errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    fallback_at_s: float | None = None
    nodes_lost: list[str] = field(default_factory=list)

    def kpis(self) -> dict:
        lat = np.array(self.latencies_ms) if self.latencies_ms else np.zeros(0)
        return {
            "ai_frames_sent": self.sent,
            "ai_commands_applied": self.applied,
            "ai_deadline_misses": self.deadline_misses,
            "ai_late_replies": self.late_replies,
            "ai_node_errors": self.node_errors,
            "ai_latency_p50_ms": float(np.percentile(lat, 50)) if lat.size else None,
            "ai_latency_p99_ms": float(np.percentile(lat, 99)) if lat.size else None,
            "ai_latency_max_ms": float(lat.max()) if lat.size else None,
            "ai_fallback_at_s": self.fallback_at_s,
            "ai_nodes_lost": list(self.nodes_lost),
        }


class RemoteStack:
    """The node in the loop: polls at ``POLL_HZ``, sends frames at ``options.rate_hz``."""

    POLL_HZ = 200.0

    def __init__(
        self,
        bus: Bus,
        drops: Drops,
        clock: Clock,
        fallback: BuiltinStack,
        options: RemoteOptions,
        *,
        node_bus: Bus | None = None,
        name: str = "ai-stack",
    ) -> None:
        self.rate_hz = self.POLL_HZ
        self.clock = clock
        self.fallback = fallback
        self.o = options
        self._send_every = round(self.POLL_HZ / options.rate_hz)
        self._fallback_every = round(self.POLL_HZ / fallback.rate_hz)
        cam = sensor_schema(options.camera, "camera")
        objects = sensor_schema("objects", "objects")
        self._camera = Inbox(bus.subscriber(cam.topic, conflate=True), drops, {cam.topic: cam})
        self._objects = Inbox(bus.subscriber(objects.topic, conflate=True), drops, {objects.topic: objects})
        self._state = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops)
        self._driver = (
            Inbox(bus.subscriber(DRIVER_INPUT.topic, conflate=True), drops) if options.driver_seat else None
        )
        self._console = Inbox(bus.subscriber(CONSOLE_COMMAND.topic), drops) if options.driver_seat else None
        self._driver_input: dict | None = None
        self._driver_t = 0
        self._nobody_since: int | None = None
        self._nobody_ns = 0
        self._now = 0
        self._events = bus.publisher(STACK_EVENTS.topic)
        self._ev = Encoder(STACK_EVENTS, name)
        self._req = Encoder(INFERENCE_REQUEST, name)
        nb = node_bus or bus
        self.nodes = [_Node(a, nb.requester("inference", a)) for a in options.nodes]
        if not self.nodes:
            raise StackError("an AI stack needs at least one inference node address")
        self.spec = NodeSpec(
            name,
            inputs=(
                Port("camera", cam.topic),
                Port("objects", objects.topic),
                Port("state", VEHICLE_STATE.topic),
            ),
            outputs=(Port("command", AI_COMMAND.topic, None), Port("events", STACK_EVENTS.topic)),
        )
        self.schemas = {STACK_EVENTS.topic: STACK_EVENTS}
        self.control = "ai"
        self.stats = StackStats()
        self._tick = 0
        self._frame = 0
        self._next_node = 0
        self._pending: dict[int, tuple[int, int, _Node]] = {}  # frame -> (t_sim, t_wall sent, node)
        self._last_cmd = (0.0, 0.0, 0.0)
        self._last_cmd_t = 0
        self._last_camera: dict | None = None
        self._camera_new = False
        self._objects_list: list[dict] = []
        self._ego: list[float] | None = None
        self._fallback_cmd: tuple[float, float, float] | None = None

    # the scenario sets these on the stack; the fallback must follow them too
    @property
    def cruise_speed(self) -> float:
        return self.fallback.cruise_speed

    @cruise_speed.setter
    def cruise_speed(self, v: float) -> None:
        self.fallback.cruise_speed = v

    @property
    def target_lane(self) -> tuple[str, int] | None:
        return self.fallback.target_lane

    @target_lane.setter
    def target_lane(self, lane: tuple[str, int] | None) -> None:
        self.fallback.target_lane = lane

    # --- start: every node answers a probe, and its model needs only what this run has -------------

    def start(self, t_sim_ns: int) -> None:
        probe = self._req.encode(
            0,
            time.time_ns(),
            {"frame_id": 0, "deadline_ns": 0, "images": [], "objects": [], "ego": [], "ego_fields": ""},
        )
        for n in self.nodes:
            n.requester.send(probe)
        end = time.monotonic() + self.o.probe_timeout_s
        for n in self.nodes:
            while True:
                left_ms = int((end - time.monotonic()) * 1000)
                frame = n.requester.recv(min(max(left_ms, 0), 100))
                if frame is None:
                    if left_ms <= 0:
                        waited = f"waited {self.o.probe_timeout_s:g} s"
                        raise StackError(
                            f"no inference node answers at {n.address} ({waited}); "
                            "start one with `dil node serve MANIFEST --bind ADDRESS`"
                        )
                    time.sleep(0.001)  # transports whose recv does not wait
                    continue
                _, reply = decode(frame, SERVICE_SCHEMAS)
                if reply["frame_id"] == 0:
                    break
            n.identity = reply["node"]
            self._check_needs(n, reply["needs"])
        self._last_cmd_t = t_sim_ns

    def _check_needs(self, n: _Node, needs: str) -> None:
        w, h = self.o.camera_size
        for part in filter(None, needs.split(",")):
            bits = part.split(":")
            if bits[0] == "camera":
                if bits[1] != self.o.camera or bits[2] != f"{w}x{h}":
                    raise StackError(
                        f"the model on {n.identity} at {n.address} reads camera {bits[1]!r} at {bits[2]}; "
                        f"this run has camera {self.o.camera!r} at {w}x{h}"
                    )
            elif bits[0] == "ego":
                unknown = [f for f in bits[1:] if f not in EGO_FIELDS]
                if unknown:
                    raise StackError(
                        f"the model on {n.identity} reads ego values {unknown} that vehicle/state lacks"
                    )

    def stop(self, t_sim_ns: int) -> None:
        pass

    # --- the loop --------------------------------------------------------------------------------

    def tick(self, t_sim_ns: int) -> None:
        self._read_inputs()
        if self._driver is not None:
            self._driver_seat(t_sim_ns)
        if self._tick % self._fallback_every == 0:
            self._fallback_cmd = self.fallback.command()  # always computed: ready to take over
        if self.control == "ai" and self._tick % self._send_every == 0:
            self._send_frame(t_sim_ns)
        self._receive(t_sim_ns)
        self._expire(t_sim_ns)
        if self.control == "ai" and t_sim_ns - self._last_cmd_t > self.o.hold_ms * 1e6:
            self._take_over(t_sim_ns)
        if self._tick % self._fallback_every == 0:
            if self.control == "driver":
                d = self._driver_input
                if self._driver_lost(t_sim_ns):  # nobody at the wheel: never the last input held
                    steer = d["steering_wheel_angle"] if d is not None else 0.0
                    self.fallback.publish(t_sim_ns, steer, 0.0, self.o.fallback_brake)
                elif d is not None:
                    self.fallback.publish(t_sim_ns, d["steering_wheel_angle"], d["throttle"], d["brake"])
            elif self.control == "fallback":
                if self._fallback_cmd is not None:
                    self.fallback.publish(t_sim_ns, *self._fallback_cmd)
            else:
                self.fallback.publish(t_sim_ns, *self._last_cmd)  # the last AI command, held
        self._tick += 1

    def _driver_seat(self, t_sim_ns: int) -> None:
        """The person at the wheel overrides the AI (and the fallback) by braking or steering
        against it; the console hands control back to the AI (``handover ai``) or to the driver."""
        d = self._driver.latest()
        self._now = t_sim_ns
        if d is not None:
            self._driver_input = d
            self._driver_t = t_sim_ns
        while (c := self._console.next()) is not None:
            if (
                c["command"] == "handover"
                and c["argument"] in ("ai", "driver")
                and c["argument"] != self.control
            ):
                if c["argument"] == "ai":
                    if self._nobody_since is not None:  # the AI drives again: somebody is in control
                        self._nobody_ns += t_sim_ns - self._nobody_since
                        self._nobody_since = None
                    self.control = "ai"
                    self._last_cmd_t = t_sim_ns
                    for n in self.nodes:
                        n.misses_in_row = 0
                    self._event(t_sim_ns, "handback", None, -1, 0.0, f"by {c['operator'] or 'the console'}")
                else:
                    self.control = "driver"
                    self._event(
                        t_sim_ns,
                        "takeover",
                        None,
                        -1,
                        0.0,
                        f"handed over by {c['operator'] or 'the console'}",
                    )
        if self.control == "driver" or self._driver_input is None:
            return
        d = self._driver_input
        current = self._last_cmd if self.control == "ai" else (self._fallback_cmd or self._last_cmd)
        why = ""
        if d["brake"] >= self.o.takeover_brake:
            why = f"brake pedal at {d['brake']:.2f}"
        elif abs(d["steering_wheel_angle"] - current[0]) >= self.o.takeover_steer:
            why = f"steering {d['steering_wheel_angle']:.2f} rad against the command's {current[0]:.2f} rad"
        if why:
            self.control = "driver"
            self._pending.clear()
            self._event(t_sim_ns, "takeover", None, -1, 0.0, "the driver took control: " + why)

    def _read_inputs(self) -> None:
        msg = self._camera.latest()
        if msg is not None:
            self._last_camera, self._camera_new = msg, True
        msg = self._objects.latest()
        if msg is not None:
            self._objects_list = [{k: o[k] for k in OBJECT_KEYS} for o in msg["objects"]]
        st = self._state.latest()
        if st is not None:
            self._ego = [float(st[f]) for f in STATE_FIELDS]
            self._ego.append(float(self.cruise_speed))

    def _send_frame(self, t_sim_ns: int) -> None:
        cam = self._last_camera
        if cam is None or not self._camera_new or self._ego is None:
            return
        alive = [n for n in self.nodes if n.alive]
        if not alive:
            return
        node = alive[self._next_node % len(alive)]
        self._next_node += 1
        self._frame += 1
        data, encoding = cam["data"], cam["encoding"]
        if self.o.jpeg_quality and encoding == "bgr8":
            import cv2

            img = np.frombuffer(data, np.uint8).reshape(cam["height"], cam["width"], 3)
            _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.o.jpeg_quality])
            data, encoding = buf.tobytes(), "jpeg"
        fields = {
            "frame_id": self._frame,
            "deadline_ns": t_sim_ns + int(self.o.deadline_ms * 1e6),
            "images": [
                {
                    "camera": self.o.camera,
                    "width": cam["width"],
                    "height": cam["height"],
                    "encoding": encoding,
                    "data": data,
                }
            ],
            "objects": self._objects_list,
            "ego": self._ego,
            "ego_fields": ",".join(EGO_FIELDS),
        }
        node.requester.send(self._req.encode(t_sim_ns, self.clock.wall_ns(t_sim_ns), fields))
        self._pending[self._frame] = (t_sim_ns, time.perf_counter_ns(), node)
        self._camera_new = False
        self.stats.sent += 1

    def _receive(self, t_sim_ns: int) -> None:
        for n in self.nodes:
            wait_ms = 0
            if self.o.wait and n.alive and any(p[2] is n for p in self._pending.values()):
                sent = min(p[1] for p in self._pending.values() if p[2] is n)
                wait_ms = max(0, int(self.o.deadline_ms - (time.perf_counter_ns() - sent) * 1e-6) + 1)
            while (frame := n.requester.recv(wait_ms)) is not None:
                wait_ms = 0
                self._answer(t_sim_ns, n, frame)

    def _answer(self, t_sim_ns: int, n: _Node, frame: bytes) -> None:
        try:
            _, r = decode(frame, SERVICE_SCHEMAS)
        except MessageError as e:
            self.stats.node_errors += 1
            self._event(t_sim_ns, "node_error", n, -1, 0.0, f"malformed reply: {e}")
            return
        pending = self._pending.pop(r["frame_id"], None)
        if pending is None:
            if r["frame_id"] != 0:
                self.stats.late_replies += 1  # already counted as a miss
            return
        latency_ms = (time.perf_counter_ns() - pending[1]) * 1e-6
        if r["error"]:
            self.stats.node_errors += 1
            n.misses_in_row += 1
            self._event(t_sim_ns, "node_error", n, r["frame_id"], latency_ms, r["error"])
            self._maybe_lost(t_sim_ns, n)
            return
        self.stats.latencies_ms.append(latency_ms)
        if latency_ms > self.o.deadline_ms:
            self._miss(t_sim_ns, n, r["frame_id"], latency_ms)
            return
        n.misses_in_row = 0
        if self.control == "ai":
            self._last_cmd = (r["steering_wheel_angle"], r["throttle"], r["brake"])
            self._last_cmd_t = t_sim_ns
            self.stats.applied += 1
            self.fallback.publish(t_sim_ns, *self._last_cmd, inference_ns=r["inference_ns"])

    def _expire(self, t_sim_ns: int) -> None:
        now = time.perf_counter_ns()
        for fid, (_, sent, n) in list(self._pending.items()):
            age_ms = (now - sent) * 1e-6
            if age_ms > self.o.deadline_ms:
                del self._pending[fid]
                self._miss(t_sim_ns, n, fid, age_ms)

    def _miss(self, t_sim_ns: int, n: _Node, fid: int, age_ms: float) -> None:
        self.stats.deadline_misses += 1
        n.misses_in_row += 1
        self._event(t_sim_ns, "deadline_miss", n, fid, age_ms, f"deadline {self.o.deadline_ms:g} ms")
        if self.control == "ai" and n.misses_in_row == 1:
            self._event(
                t_sim_ns, "hold", n, fid, age_ms, f"holding the last command for up to {self.o.hold_ms:g} ms"
            )
        self._maybe_lost(t_sim_ns, n)

    def _maybe_lost(self, t_sim_ns: int, n: _Node) -> None:
        if n.alive and n.misses_in_row >= self.o.lost_after:
            n.alive = False
            self.stats.nodes_lost.append(n.address)
            self._event(
                t_sim_ns, "node_lost", n, -1, 0.0, f"{n.misses_in_row} frames in a row unanswered or failed"
            )

    def _take_over(self, t_sim_ns: int) -> None:
        self.control = "fallback"
        self.stats.fallback_at_s = t_sim_ns * 1e-9
        self._pending.clear()
        why = f"no AI command applied for {(t_sim_ns - self._last_cmd_t) * 1e-6:.0f} ms"
        self._event(t_sim_ns, "fallback", None, -1, 0.0, why + ": the built-in stack drives")

    @property
    def no_driver_s(self) -> float:
        """Time so far with the driver in control but no driver input [s] (nobody in control)."""
        open_ns = self._now - self._nobody_since if self._nobody_since is not None else 0
        return (self._nobody_ns + open_ns) * 1e-9

    def _driver_lost(self, t_sim_ns: int) -> bool:
        """With the driver in control: whether their input has stopped (announced once each way)."""
        lost = t_sim_ns - self._driver_t > self.o.driver_timeout_ms * 1e6
        if lost and self._nobody_since is None:
            self._nobody_since = t_sim_ns
            self._event(
                t_sim_ns,
                "fallback",
                None,
                -1,
                0.0,
                f"no driver input for {self.o.driver_timeout_ms:g} ms: the fallback brake holds the car",
                control="none",
            )
        elif not lost and self._nobody_since is not None:
            gap = t_sim_ns - self._nobody_since
            self._nobody_ns += gap
            self._nobody_since = None
            self._event(
                t_sim_ns,
                "takeover",
                None,
                -1,
                0.0,
                f"driver input back after {gap * 1e-9:.2f} s with nobody in control",
            )
        return lost

    def _event(
        self,
        t_sim_ns: int,
        kind: str,
        n: _Node | None,
        fid: int,
        latency_ms: float,
        detail: str,
        control: str | None = None,
    ) -> None:
        fields = {
            "kind": kind,
            "control": control or self.control,
            "node": "" if n is None else (n.identity or n.address),
            "frame_id": fid,
            "latency_ms": float(latency_ms) if math.isfinite(latency_ms) else 0.0,
            "detail": detail,
        }
        self._events.send(self._ev.encode(t_sim_ns, self.clock.wall_ns(t_sim_ns), fields))

    def kpis(self) -> dict:
        return {**self.stats.kpis(), "ai_control_at_end": self.control}
