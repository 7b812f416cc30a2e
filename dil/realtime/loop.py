"""The tick loop: nodes at integer multiples of the physics step, paced by a clock.

Each tick ``k`` (simulation time ``k * step_ns``) calls the nodes due at ``k`` in the order given.
The loop measures each tick's lateness, publishes its health on ``run/status`` at 10 Hz, and logs
late ticks as one summary line with counts at most every ``late_log_s`` (30 s), at once only when
the lateness gets worse (the first late tick after a quiet spell, the first missed deadline); never
per tick. A stop request (a signal, an
operator, a duration) ends the loop after the current tick; then every node's ``stop`` runs (the
rig node parks the rig there), then the stop hooks (recorders flush), then a last ``run/status``.

Pause (:meth:`Loop.pause`, an operator's action): simulation time stands still; the clock keeps
pacing, ``run/status`` says ``paused``, and only the nodes whose ``runs_while_paused`` is true tick,
at the frozen time (the rig's command stream, which feeds its watchdog, and the operator's
controls, which must be able to resume).
"""

from __future__ import annotations

import gc
import logging
import math
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from dil.bus.codec import Encoder
from dil.bus.graph import NodeSpec, Port, validate
from dil.bus.inbox import Drops
from dil.bus.messages import RUN_STATUS, SCHEMAS
from dil.bus.transport import Bus

from .clock import Clock
from .stats import S_MAX, S_P50, S_P99, S_P999, Ring, summary_us

log = logging.getLogger("dil.loop")

LATE_LOG_S = 30.0
"""Late ticks are summarised in one log line at most this often [s] (sooner when they get worse)."""


PLAN_SLOTS = 100_000
"""Largest hyperperiod (in loop iterations) whose schedule of due nodes is laid out in advance."""


class Node(Protocol):
    """A part of the runtime stepped by the loop."""

    spec: NodeSpec
    rate_hz: float
    """How often ``tick`` runs [Hz]; the period must be a whole number of physics steps."""

    def start(self, t_sim_ns: int) -> None:
        """Prepare (compile kernels, connect) before the first tick."""

    def tick(self, t_sim_ns: int) -> None:
        """Do one period's work for simulation time ``t_sim_ns``."""

    def stop(self, t_sim_ns: int) -> None:
        """Leave things safe: called once after the last tick, also after an error."""


@dataclass
class LoopReport:
    """How a run of the loop went."""

    ticks: int = 0
    t_sim_ns: int = 0
    wall_s: float = 0.0
    late_ticks: int = 0
    missed_ticks: int = 0
    dropped_messages: int = 0
    lateness_us: dict[str, float] = field(default_factory=dict)
    """p50, p99, p99.9, max over the whole run (wall clock; empty when not recorded)."""
    tick_cost_us: dict[str, float] = field(default_factory=dict)
    """Time from a tick's start to its end: p50, p99, p99.9, max (when recorded)."""
    scheduling: str = ""
    error: str = ""
    cpu_s: float = 0.0
    """CPU time of the loop's thread from the first tick to the last [s] (on a loaded machine a
    steadier measure of the loop's cost than ``wall_s``)."""


class Loop:
    """Runs nodes against a clock. ``record`` keeps every tick's lateness and cost for a report."""

    def __init__(
        self,
        nodes: Sequence[Node],
        clock: Clock,
        bus: Bus,
        drops: Drops,
        *,
        external: Sequence[NodeSpec] = (),
        status_rate_hz: float = 10.0,
        late_threshold_ns: int = 100_000,
        record: int = 0,
        scheduling: str = "",
        source: str = "loop",
        publish_status: bool = True,
        late_log_s: float = LATE_LOG_S,
    ) -> None:
        self.nodes = list(nodes)
        self.late_log_s = late_log_s
        self.clock = clock
        self.drops = drops
        self.external = list(external)
        self.late_threshold_ns = late_threshold_ns
        self.scheduling = scheduling
        self.status_extra: dict[str, str] = {}
        """Added to every ``run/status`` (the run's ``scenario``, ``scenario_file``, ``run_id``)."""
        self.on_stop: list[Callable[[], None]] = []
        """Hooks run after the nodes have stopped (flush recorders)."""
        self.stop_requested = False
        self.paused = False
        """Set by :meth:`pause` and :meth:`resume`; read between ticks."""
        self.state = "starting"
        step = clock.step_ns
        self._status_every = self._steps(status_rate_hz, "run/status")
        status_port = (Port("status", RUN_STATUS.topic, status_rate_hz),) if publish_status else ()
        self.spec = NodeSpec(source, outputs=status_port)
        # one process per bus publishes run/status (the runtime); helpers such as a scripted driver or
        # the rig server keep their health to themselves
        self._status_pub = bus.publisher(RUN_STATUS.topic) if publish_status else None
        self._status = Encoder(RUN_STATUS, source)
        self._window = Ring(max(1000, int(1e9 / step)))
        self._record_late = np.zeros(record, dtype=np.int64)
        self._record_cost = np.zeros(record, dtype=np.int64)
        self.tick = 0
        self.late_ticks = 0
        # monotonic s, late ticks, missed ticks and severity (0 quiet, 1 late, 2 missed) at the last log
        self._last_log = (time.monotonic(), 0, 0, 0)
        self._late_max_ns = 0.0  # worst lateness since the last log
        self._last_rate = (0, 0)  # tick, perf ns at the last status
        self._every = [self._steps(n.rate_hz, n.spec.name) for n in self.nodes]
        self._paused_steps = 0
        self._keep: list[tuple[Node, int]] = []
        self.cpu_s = 0.0
        """CPU time of the last :meth:`run`'s ticks in the loop's thread [s] (as ``LoopReport.cpu_s``)."""

    def _steps(self, rate_hz: float, who: str) -> int:
        period = 1e9 / rate_hz
        steps = round(period / self.clock.step_ns)
        if steps < 1 or abs(steps * self.clock.step_ns - period) > 1e-6 * period:
            raise ValueError(
                f"{who}: rate {rate_hz:g} Hz is not a whole number of "
                f"{self.clock.step_ns / 1e6:g} ms physics steps"
            )
        return steps

    def validate(self) -> None:
        """Check the node graph (raises :class:`dil.bus.GraphError` naming node and port)."""
        schemas = dict(SCHEMAS)
        for n in self.nodes:  # nodes with topics of their own (sensors) say so
            schemas.update(getattr(n, "schemas", {}))
        validate(
            [n.spec for n in self.nodes] + self.external + [self.spec],
            step_ns=self.clock.step_ns,
            schemas=schemas,
        )

    def pause(self) -> None:
        """Hold simulation time from the next tick on (see the module's docstring)."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def run(self, max_ticks: int | None = None) -> LoopReport:
        """Validate, start the nodes, tick until stopped (or ``max_ticks``), stop everything."""
        # nodes may be added until the loop runs (an operator's controls, by whoever starts the run)
        self._every = [self._steps(n.rate_hz, n.spec.name) for n in self.nodes]
        self.validate()
        for node in self.nodes:
            node.start(0)
        self._window.warm_up()
        # objects made so far (modules, kernels, parameters) leave the collector's scope, so that a
        # full collection during the run has little to traverse
        gc.collect()
        gc.freeze()
        self.state = "running"
        error = ""
        wall0 = time.perf_counter()
        cpu0 = time.thread_time()
        try:
            self._ticks(max_ticks)
        except Exception as e:  # a node's bug or bad input met mid-run: stop safely, report, park
            if getattr(e, "is_bad_input", False):  # its message names the file, line and value
                log.error("loop stopped at tick %d: %s", self.tick, e)
            else:
                log.exception("loop stopped by an error at tick %d", self.tick)
            error = f"{type(e).__name__}: {e}"
            self.state = "error"
        wall = time.perf_counter() - wall0
        self.cpu_s = time.thread_time() - cpu0
        self._shutdown()
        report = self._report(wall, error)
        return report

    def _ticks(self, max_ticks: int | None) -> None:
        clock, nodes, every = self.clock, self.nodes, self._every
        window, threshold = self._window, self.late_threshold_ns
        rec_late, rec_cost, n_rec = self._record_late, self._record_cost, self._record_late.size
        step = clock.step_ns
        perf = time.perf_counter_ns
        limit = math.inf if max_ticks is None else max_ticks
        k = self.tick
        # a simulated clock skips ticks where no node is due: same results, fewer iterations
        paced = clock.kind != "simulated"
        stride = 1 if paced else math.gcd(*every, self._status_every)
        if not paced and not n_rec and self._simulated_ticks(k, limit, stride):
            return
        # the nodes due at each place of the hyperperiod, looked up once instead of k % every per node
        hyper = math.lcm(*every, stride)
        plan = (
            [
                tuple(n.tick for n, e in zip(nodes, every, strict=True) if j % e == 0)
                for j in range(0, hyper, stride)
            ]
            if hyper // stride <= PLAN_SLOTS and k % stride == 0
            else None
        )
        clock.start()
        self._last_rate = (0, perf())
        while not self.stop_requested and k < limit:
            late = clock.wait()
            t0 = perf()
            t = k * step
            if self.paused:
                self._paused_tick(t, late)
                continue
            if self.state == "paused":
                self.state = "running"
                log.info("resumed at tick %d", k)
            if plan is not None:
                for tick in plan[(k % hyper) // stride]:
                    tick(t)
            else:
                for i in range(len(nodes)):
                    if k % every[i] == 0:
                        nodes[i].tick(t)
            if paced:  # a simulated clock is never late: its window stays empty (all stats 0)
                window.add(late)
            if late > threshold:
                self.late_ticks += 1
            if k % self._status_every == 0:
                self._publish_status(t)
            if k < n_rec:
                rec_late[k] = late
                rec_cost[k] = perf() - t0
            k += stride
            self.tick = k

    def _simulated_ticks(self, k: int, limit: float, stride: int) -> bool:
        """The loop of a simulated clock (never late, nothing to measure): the calls of each place of
        the hyperperiod (the nodes due, then ``run/status`` when due) laid out in advance, so that a
        tick is a lookup and the calls, with no arithmetic or allocation of its own. False (nothing
        run): the hyperperiod is too long to lay out, or ``k`` is not on the stride."""
        every, status = self._every, self._status_every
        hyper = math.lcm(*every, stride, status)
        slots = hyper // stride
        if slots > PLAN_SLOTS or k % stride:
            return False
        plan = [
            tuple(n.tick for n, e in zip(self.nodes, every, strict=True) if j % e == 0)
            + ((self._publish_status,) if j % status == 0 else ())
            for j in range(0, hyper, stride)
        ]
        self.clock.start()
        self._last_rate = (0, time.perf_counter_ns())
        step = self.clock.step_ns
        dt = stride * step
        j = (k % hyper) // stride
        t = k * step
        while not self.stop_requested and k < limit:
            if self.paused:
                while self.paused and not self.stop_requested:
                    self._paused_tick(t, 0)
                if self.stop_requested:
                    break
                self.state = "running"
                log.info("resumed at tick %d", k)
            for call in plan[j]:
                call(t)
            k += stride
            self.tick = k
            t += dt
            j += 1
            if j == slots:
                j = 0
        return True

    def _paused_tick(self, t_sim_ns: int, late: int) -> None:
        """One clock step while paused: simulation time stays at ``t_sim_ns``."""
        if self.state != "paused":
            self.state = "paused"
            self._paused_steps = 0
            self._keep = [
                (n, e)
                for n, e in zip(self.nodes, self._every, strict=True)
                if getattr(n, "runs_while_paused", False)
            ]
            log.info("paused at tick %d", self.tick)
        i = self._paused_steps
        for node, every in self._keep:
            if i % every == 0:
                node.tick(t_sim_ns)
        self._window.add(late)
        if late > self.late_threshold_ns:
            self.late_ticks += 1
        if i % self._status_every == 0:
            self._publish_status(t_sim_ns)
        self._paused_steps = i + 1
        if self.clock.kind == "simulated":
            time.sleep(0.001)  # nothing paces a simulated clock: do not spin while waiting

    def _publish_status(self, t_sim_ns: int) -> None:
        pub = self._status_pub
        if self.clock.kind == "simulated" and (pub is None or not getattr(pub, "wanted", True)):
            # nobody would see it, and a simulated clock is never late (nothing to log) and reports
            # no rate: only the sequence goes on, as if it had been sent
            if pub is not None:
                self._status.seq += 1
            return
        now = time.perf_counter_ns()
        tick0, perf0 = self._last_rate
        # a simulated run's messages must not depend on the host: its speed is in the report instead
        wall = self.clock.kind == "wall"
        rate = (self.tick - tick0) * 1e9 / (now - perf0) if wall and now > perf0 else 0.0
        self._last_rate = (self.tick, now)
        s = self._window.compute()
        self._log_lateness(s[S_MAX])
        if self._status_pub is None:
            return
        if not getattr(self._status_pub, "wanted", True):  # nobody in this process would see it
            self._status.seq += 1  # the sequence goes on as if it had been sent
            return
        self._status_pub.send(
            self._status.encode(
                t_sim_ns,
                self.clock.wall_ns(t_sim_ns),
                {
                    **self.status_extra,
                    "state": self.state,
                    "clock": self.clock.kind,
                    "tick": self.tick,
                    "rate_hz": rate,
                    "lateness_p50_us": float(s[S_P50]) / 1e3,
                    "lateness_p99_us": float(s[S_P99]) / 1e3,
                    "lateness_p999_us": float(s[S_P999]) / 1e3,
                    "lateness_max_us": float(s[S_MAX]) / 1e3,
                    "late_ticks": self.late_ticks,
                    "missed_ticks": self.clock_missed,
                    "dropped_messages": self.drops.total,
                    "scheduling": self.scheduling,
                },
            )
        )

    @property
    def clock_missed(self) -> int:
        return int(getattr(self.clock, "missed", 0))

    def _log_lateness(self, window_max_ns: float) -> None:
        t, late0, missed0, severity0 = self._last_log
        now = time.monotonic()
        late, missed = self.late_ticks - late0, self.clock_missed - missed0
        if not (late or missed):
            if now - t >= self.late_log_s:  # a quiet spell: the next late tick is news again
                self._last_log = (now, late0, missed0, 0)
                self._late_max_ns = 0.0
            return
        self._late_max_ns = max(self._late_max_ns, window_max_ns)
        severity = 2 if missed else 1
        if severity <= severity0 and now - t < self.late_log_s:
            return
        log.warning(
            "%d late ticks (> %.0f us) and %d missed deadlines in the last %.1f s, max lateness %.0f us "
            "(%d late and %d missed since the start)",
            late,
            self.late_threshold_ns / 1e3,
            missed,
            now - t,
            self._late_max_ns / 1e3,
            self.late_ticks,
            self.clock_missed,
        )
        self._last_log = (now, self.late_ticks, self.clock_missed, max(severity, severity0))
        self._late_max_ns = 0.0

    def _shutdown(self) -> None:
        if self.state != "error":
            self.state = "stopping"
        t = self.tick * self.clock.step_ns
        for node in self.nodes:
            try:
                node.stop(t)
            except Exception:
                log.exception("node %s failed to stop cleanly", node.spec.name)
        for hook in self.on_stop:
            try:
                hook()
            except Exception:
                log.exception("stop hook %r failed", hook)
        if self.state != "error":
            self.state = "stopped"
        try:
            self._publish_status(t)
        except Exception:
            log.exception("could not publish the final run/status")

    def _report(self, wall_s: float, error: str) -> LoopReport:
        n = min(self.tick, self._record_late.size)
        report = LoopReport(
            ticks=self.tick,
            t_sim_ns=self.tick * self.clock.step_ns,
            wall_s=wall_s,
            late_ticks=self.late_ticks,
            missed_ticks=self.clock_missed,
            dropped_messages=self.drops.total,
            scheduling=self.scheduling,
            error=error,
            cpu_s=self.cpu_s,
        )
        if n and self.clock.kind == "wall":
            report.lateness_us = summary_us(self._record_late[:n])
        if n:
            report.tick_cost_us = summary_us(self._record_cost[:n])
        return report


@contextmanager
def stop_on_signals(loop: Loop) -> Iterator[None]:
    """SIGINT and SIGTERM ask ``loop`` to stop after its current tick (main thread only)."""

    def handler(signum: int, frame: object) -> None:
        loop.stop_requested = True

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
