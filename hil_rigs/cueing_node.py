"""The runtime's side of the rig: motion cueing of the vehicle state, the platform pose brought
inside the stroke, ``rig/command`` out at 1 kHz. It asks the rig to engage, follows with ``run``
once the rig reports engaged, and parks it when the loop stops."""

from __future__ import annotations

import logging

import numpy as np

from dil.bus.codec import Encoder
from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import RIG_COMMAND, RIG_FEEDBACK, VEHICLE_STATE
from dil.bus.transport import Bus
from dil.realtime.clock import Clock

from .cueing import MotionCueing
from .stewart import Platform, rate_limit

log = logging.getLogger("dil.rig")

AXES = ("surge", "sway", "heave", "roll", "pitch", "yaw")


class CueingNode:
    rate_hz = 1000.0

    def __init__(
        self,
        bus: Bus,
        drops: Drops,
        clock: Clock,
        platform: Platform | None = None,
        cueing: MotionCueing | None = None,
        *,
        name: str = "cueing",
    ) -> None:
        self.clock = clock
        self.platform = platform or Platform()
        self.cueing = cueing or MotionCueing()
        self._state = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops)
        self._feedback = Inbox(bus.subscriber(RIG_FEEDBACK.topic, conflate=True), drops)
        self._pub = bus.publisher(RIG_COMMAND.topic)
        self._enc = Encoder(RIG_COMMAND, name, check=False)
        self.spec = NodeSpec(
            name,
            inputs=(Port("state", VEHICLE_STATE.topic), Port("feedback", RIG_FEEDBACK.topic)),
            outputs=(Port("command", RIG_COMMAND.topic, self.rate_hz),),
        )
        self.rig_state = "unknown"
        self.rig_held = ""
        """Why the rig server holds the rig parked until an operator re-arms it ('' when it does not):
        this node's ``engage`` is ignored meanwhile."""
        self.heartbeat_losses = 0
        self._last_feedback_ns = 0
        self._silence_ns = 200_000_000
        self.limited = 0
        """Commands whose pose had to be scaled into the stroke."""
        self.rate_limited = 0
        """Commands whose actuator speeds or accelerations had to be limited."""
        self._pose_buf = np.zeros(6)
        self._last_lengths = self.platform.neutral.copy()
        self._last_speeds = np.zeros(6)
        self.pose = np.zeros(6)

    def start(self, t_sim_ns: int) -> None:
        self.cueing.step(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        self.cueing.reset()

        self.platform.limit(np.zeros(6))
        rate_limit(self.platform.neutral, self.platform.neutral.copy(), np.zeros(6), 0.0, 9.0, 1.0, 1.0, 1e-3)

    def tick(self, t_sim_ns: int) -> None:
        fb = self._feedback.latest()
        if fb is not None:
            self._last_feedback_ns = t_sim_ns
            if fb["state"] == "engaged" and self.rig_state != "engaged":
                self.cueing.reset()  # cue from neutral: no jump to what accumulated while engaging
                self.pose[:] = 0.0
            self.rig_state = fb["state"]
            held = fb["fault"] if fb.get("rearm_required") else ""
            if held != self.rig_held:
                self.rig_held = held
                if held:
                    log.warning(
                        "the rig is held parked (%s): an operator must re-arm it at the console", held
                    )
                else:
                    log.warning("the rig was re-armed")
        elif (
            self.rig_state not in ("unknown", "lost") and t_sim_ns - self._last_feedback_ns > self._silence_ns
        ):
            # rig/feedback is the server's heartbeat: without it the rig's state is unknown
            log.warning(
                "no rig/feedback for %.0f ms: the rig server is gone or unreachable", self._silence_ns / 1e6
            )
            self.rig_state = "lost"
            self.heartbeat_losses += 1
        st = self._state.latest()
        if st is not None and self.rig_state == "engaged":
            self.pose[:] = self.cueing.step(
                st["ax"], st["ay"], 0.0, st["roll_rate"], st["pitch_rate"], st["yaw_rate"]
            )
        pose = self._pose_buf
        pose[:] = self.pose
        if self.platform.limit(pose) < 1.0:
            self.limited += 1
        if self.rig_state == "engaged":
            pose = self._rate_limit(pose)
            self._send(t_sim_ns, "run", pose)
        else:
            self._last_lengths[:] = self.platform.neutral
            self._last_speeds[:] = 0.0
            self._send(t_sim_ns, "engage", pose)

    def _rate_limit(self, pose: np.ndarray) -> np.ndarray:
        """Keep the actuators within their speed and acceleration limits from one command to the
        next; when they had to be limited, the pose sent is the one the limited lengths give."""
        g = self.platform.geometry
        wanted = self.platform.inverse(pose)
        if rate_limit(
            wanted,
            self._last_lengths,
            self._last_speeds,
            g.min_length,
            g.max_length,
            g.max_speed,
            g.max_accel,
            1.0 / self.rate_hz,
        ):
            self.rate_limited += 1
            return self.platform.forward(self._last_lengths, pose)
        return pose

    def stop(self, t_sim_ns: int) -> None:
        self._send(t_sim_ns, "park", np.zeros(6))

    def _send(self, t_sim_ns: int, mode: str, pose: np.ndarray) -> None:
        lengths = self.platform.inverse(pose)
        fields = {k: float(v) for k, v in zip(AXES, pose, strict=True)}
        self._pub.send(
            self._enc.encode(
                t_sim_ns,
                self.clock.wall_ns(t_sim_ns),
                {"mode": mode, **fields, "actuator_lengths": [float(v) for v in lengths]},
            )
        )
