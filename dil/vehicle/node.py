"""The ego vehicle as a loop node: driver inputs in, one physics step per tick, ``vehicle/state`` out.

An input message that the vehicle cannot take (a gear the transmission does not have) is dropped
and counted like any bad message; the previous inputs stay. When no valid input arrives for
``input_timeout_ms`` the node releases the throttle and applies ``fallback_brake`` until inputs
come back: a disconnected wheel or script must not leave the car driving on.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from dil.bus.fixed import FixedEncoder, field_reader, position_reader
from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import DRIVER_INPUT, VEHICLE_STATE
from dil.bus.schema import Drop, MessageError, Schema
from dil.bus.transport import Bus
from dil.realtime.clock import Clock, SimClock
from dil.realtime.entry_points import entry_point
from vehicle_models import Vehicle
from vehicle_models.inputs import (
    N_INPUTS,
    U_BRAKE,
    U_THROTTLE,
    check_inputs,
    input_error,
)
from vehicle_models.models import METHODS

from .state_message import gather, gather_ints, gather_table
from .tick_kernel import pack_buffers, take_inputs, tick_for

log = logging.getLogger("dil.vehicle")


class VehicleNode:
    """Steps ``vehicle`` at 1 kHz from the newest ``driver/input``; publishes ``vehicle/state``."""

    def __init__(
        self,
        bus: Bus,
        drops: Drops,
        vehicle: Vehicle,
        clock: Clock,
        *,
        name: str = "vehicle",
        input_topic: str = DRIVER_INPUT.topic,
        input_timeout_ms: float = 200.0,
        fallback_brake: float = 0.3,
        substeps: int = 1,
    ) -> None:
        if not 0.0 <= fallback_brake <= 1.0:
            raise ValueError(f"fallback_brake = {fallback_brake!r}: must be within [0, 1]")
        if substeps < 1:
            raise ValueError(f"substeps = {substeps}: must be >= 1")
        self.vehicle = vehicle
        self.clock = clock
        self.drops = drops
        self.substeps = substeps
        self.rate_hz = 1000.0 / substeps
        """1 kHz; a batch run may step several physics steps per tick (inputs held between ticks)."""
        self.spec = NodeSpec(
            name,
            inputs=(Port("input", input_topic),),
            outputs=(Port("state", VEHICLE_STATE.topic, self.rate_hz),),
        )
        self._inbox = Inbox(bus.subscriber(input_topic, conflate=True), drops)
        self._pub = bus.publisher(VEHICLE_STATE.topic)
        self._encoder = FixedEncoder(VEHICLE_STATE, name)
        self._hand = getattr(self._pub, "hand", None)  # in-process: the state handed over as a value
        self._table, self._scale = gather_table(vehicle, self._encoder.float_names)
        self._int_table, _ = gather_table(vehicle, self._encoder.int_names)
        # one compiled call per tick: steps, outputs, message values and their check
        self._kernel = tick_for(vehicle.model.name, vehicle.model.simulate)
        self._kernel_inputs = tick_for(vehicle.model.name, vehicle.model.simulate, with_inputs=True)
        self._method = METHODS[vehicle.method]
        f_bounds, i_bounds = self._encoder.bounds()
        n_states = vehicle.model.n_states
        self._fwork, self._iwork = pack_buffers(
            n_states, self._scale, f_bounds, self._table, self._int_table, i_bounds
        )
        self._candidate = self._fwork[self._fwork.size - N_INPUTS :]
        """The inputs of the newest message, as checked (the tick kernel's candidate inputs)."""
        # the inputs read from the newest message: by position from a values tuple handed over in this
        # process, by name from a message's map
        self._read_inputs = field_reader(
            self._inbox.schema, ("steering_wheel_angle", "throttle", "brake", "gear")
        )
        self._read_source = field_reader(self._inbox.schema, ("source",))
        # a simulated clock's wall time is its epoch plus the simulated time: added here, no call
        self._epoch: int | None = clock.epoch_ns if type(clock) is SimClock else None
        self._timeout_ns = int(input_timeout_ms * 1e6)
        self._fallback_brake = fallback_brake
        self._last_input_ns = 0
        self.timed_out = True
        """No valid input within the timeout (true until the first input arrives)."""
        self.input_timeouts = 0
        self._step_ns = round(vehicle.dt * 1e9)
        self._advance_ns = self._step_ns * substeps
        """How far one tick moves the state [ns]."""
        self._inputs_at = position_reader(
            self._inbox.schema, ("steering_wheel_angle", "throttle", "brake", "gear")
        )
        self._args = self._kernel_args()
        # the tick kernels as called each tick: their entry points for these arguments from start on
        self._call, self._call_inputs = self._kernel, self._kernel_inputs
        # what the handing over of each state takes besides its values (bound once, not per tick)
        enc = self._encoder
        self._values, self._pack, self._make, self._view = enc.values, enc.pack_values, enc.make, enc.view
        if self._kernel is not None:  # the common path: one compiled call and the values handed over
            self.tick = self._tick_compiled  # type: ignore[method-assign]

    def _kernel_args(self) -> tuple:
        """The tick kernels' arguments before the inputs: the vehicle's arrays (changed in place only),
        its step and the node's buffers."""
        v, enc = self.vehicle, self._encoder
        return (
            v.x, v.u, v.p, v.dt, self.substeps, self._method, self._fwork, self._iwork, enc.floats, enc.ints
        )  # fmt: skip

    @property
    def input_timeout_ms(self) -> float:
        return self._timeout_ns / 1e6

    def input_lost(self, t_sim_ns: int) -> bool:
        """No valid input for longer than the timeout at ``t_sim_ns`` (counting from the start
        before the first input): the fallback holds the car, nobody is in control."""
        return self.timed_out and t_sim_ns - self._last_input_ns > self._timeout_ns

    def start(self, t_sim_ns: int) -> None:
        """Compile or load every kernel of the tick before the loop starts, and publish the initial
        state (the vehicle is placed by now): the first ``vehicle/state`` any node reads is where
        the car stands, not the origin. With a tick kernel the model's own entry points for Python
        (``Vehicle.step``, ``Vehicle.advance``) are never called, so only the tick kernels load."""
        if self._kernel is None:
            self.vehicle.warm_up()
        check_inputs(self.vehicle.u, self.vehicle.p)
        self._encoder.warm_up()
        if self._kernel is not None:  # compiled (or loaded) now; no step taken
            self._run_kernel(self.vehicle.x.copy(), self.vehicle.u.copy(), 0)
            v, enc = self.vehicle, self._encoder
            self._kernel_inputs(  # type: ignore[misc]
                v.x.copy(), v.u.copy(), v.p, v.dt, 0, self._method, self._fwork.copy(), self._iwork.copy(),
                enc.floats.copy(), enc.ints.copy(), *(float(a) for a in v.u[:4]),
            )  # fmt: skip
        self._args = self._kernel_args()
        if self._kernel is not None:  # the same arrays every tick: no dispatch by argument types
            self._call = entry_point(self._kernel, *self._args)
            self._call_inputs = entry_point(self._kernel_inputs, *self._args, 0.0, 0.0, 0.0, 0.0)
        self._publish_values()
        self._send(t_sim_ns, self._encoder.checked())
        self._apply_fallback()

    def _tick_compiled(self, t_sim_ns: int) -> None:
        """:meth:`tick` of a vehicle with tick kernels: the kernel (taking the newest inputs first,
        when a command came), then the values handed over; the same states and messages."""
        msg = self._inbox.latest_value()  # in-process: the command's values tuple (read by position)
        if msg is None:
            if not self.timed_out and t_sim_ns - self._last_input_ns > self._timeout_ns:
                self._time_out()
            code = self._call(*self._args)  # type: ignore[misc]
        else:
            steer, throttle, brake, gear = (
                self._inputs_at(msg) if type(msg) is tuple else self._read_inputs(msg)
            )
            code = self._call_inputs(  # type: ignore[misc]
                *self._args, float(steer), float(throttle), float(brake), float(gear)
            )
            taken = self._iwork.item(-1)
            if taken == 0 and not self.timed_out:  # the common case of _taken
                self._last_input_ns = t_sim_ns
            else:
                self._taken(msg, taken, t_sim_ns)
        if code > 0:
            v = self.vehicle
            raise input_error(code, v.u, f"vehicle {v.params.name}")
        t_state = t_sim_ns + self._advance_ns
        hand = self._hand
        if hand is None:
            self._send(t_state, None)
            return
        epoch = self._epoch
        hand(
            self._values(t_state, t_state + epoch if epoch is not None else self.clock.wall_ns(t_state)),
            self._pack,
            self._encoder.schema if code == 0 else None,
            self._make,
            self._view,
        )

    def _time_out(self) -> None:
        """No valid input for the timeout: the fallback holds the car."""
        self.timed_out = True
        self.input_timeouts += 1
        self._apply_fallback()
        log.warning(
            "no valid %s for %.0f ms: throttle released, brake %.2f",
            self._inbox.topic,
            self._timeout_ns / 1e6,
            self._fallback_brake,
        )

    def tick(self, t_sim_ns: int) -> None:
        msg = self._inbox.latest_value()  # in-process: the command's values tuple (read by position)
        kernel = self._kernel
        if msg is not None:
            inputs = self._read_inputs(msg)
            if kernel is None:
                self._take(msg, inputs, t_sim_ns)
        elif not self.timed_out and t_sim_ns - self._last_input_ns > self._timeout_ns:
            self._time_out()
        t_state = t_sim_ns + self._step_ns * self.substeps
        if kernel is None:  # a model from outside the registry: its kernels one by one
            if self.substeps == 1:
                self.vehicle.step()
            else:
                self.vehicle.advance(self.substeps)
            self._publish_values()
            self._send(t_state, self._encoder.checked())
            return
        # the common path inline (one Python call less each): the kernel (taking the new inputs
        # first), then the values handed over
        v, enc, iwork = self.vehicle, self._encoder, self._iwork
        if msg is None:
            code = kernel(
                v.x, v.u, v.p, v.dt, self.substeps, self._method, self._fwork, iwork, enc.floats, enc.ints
            )
        else:
            steer, throttle, brake, gear = inputs
            code = self._kernel_inputs(  # type: ignore[misc]
                v.x, v.u, v.p, v.dt, self.substeps, self._method, self._fwork, iwork, enc.floats, enc.ints,
                float(steer), float(throttle), float(brake), float(gear),
            )  # fmt: skip
            self._taken(msg, int(iwork[-1]), t_sim_ns)
        if code > 0:
            raise input_error(code, v.u, f"vehicle {v.params.name}")
        hand = self._hand
        if hand is None:
            self._send(t_state, None)
            return
        epoch = self._epoch
        hand(
            enc.values(t_state, t_state + epoch if epoch is not None else self.clock.wall_ns(t_state)),
            enc.pack_values,
            enc.schema if code == 0 else None,
            enc.make,
            enc.view,
        )

    def _run_kernel(self, x: np.ndarray, u: np.ndarray, n_steps: int) -> int:
        """``n_steps`` physics steps of ``x`` with ``u``, then the message values, in one call."""
        v, enc = self.vehicle, self._encoder
        return self._kernel(  # type: ignore[misc]
            x, u, v.p, v.dt, n_steps, self._method, self._fwork, self._iwork, enc.floats, enc.ints
        )

    def _send(self, t: int, checked: Schema | None) -> None:
        """Publish the gathered values as at ``t`` [ns]: in-process as values (the message is made
        only when a reader looks at it), else as a frame. ``checked``: the values pass the schema."""
        enc = self._encoder
        if self._hand is not None:
            self._hand(enc.values(t, self.clock.wall_ns(t)), enc.pack_values, checked, enc.make, enc.view)
        else:
            self._pub.send(enc.encode(t, self.clock.wall_ns(t)))

    def stop(self, t_sim_ns: int) -> None:
        pass

    def _take(self, msg: Any, inputs: tuple, t_sim_ns: int) -> None:
        """Take the ``inputs`` (steering-wheel angle, throttle, brake, gear) of message ``msg`` over
        the current ones, or drop the message (a model without a tick kernel)."""
        steer, throttle, brake, gear = inputs
        # one call: the inputs over the current ones into the candidate, checked, taken when valid
        code = take_inputs(
            self.vehicle.u,
            self._candidate,
            self.vehicle.p,
            float(steer),
            float(throttle),
            float(brake),
            float(gear),
        )
        self._taken(msg, code, t_sim_ns)

    def _taken(self, msg: Any, code: int, t_sim_ns: int) -> None:
        """After the check of message ``msg``'s inputs (``code`` 0: taken, else the check's code and
        the message dropped and counted)."""
        if code:
            source = self._read_source(msg)
            err = input_error(code, self._candidate, f"{self._inbox.topic} from {source}")
            self.drops.count(self._inbox.topic, MessageError(Drop.OUT_OF_RANGE, str(err)))
            return
        self._last_input_ns = t_sim_ns
        if self.timed_out:
            self.timed_out = False
            if self.input_timeouts:
                log.warning("%s is back", self._inbox.topic)

    def _apply_fallback(self) -> None:
        u = self.vehicle.u
        u[U_THROTTLE] = 0.0
        u[U_BRAKE] = self._fallback_brake

    def _publish_values(self) -> None:
        v = self.vehicle
        rhs = v.evaluate()
        enc = self._encoder
        gather(v.x, rhs, v.u, self._table, self._scale, enc.floats)
        gather_ints(v.x, rhs, v.u, self._int_table, enc.ints)
