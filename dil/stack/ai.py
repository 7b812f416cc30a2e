"""Wiring an AI stack into a run: the inference node(s) it talks to (addresses, or a local node
process started for the run from a model manifest), the camera its model reads, and the built-in
stack as its safety fallback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dil.bus.inbox import Drops
from dil.bus.transport import Bus, LocalBus
from dil.bus.zmq_bus import Endpoints, ZmqBus
from dil.realtime.clock import Clock
from dil.world.camera import CameraSpec
from dil.world.sensors import CameraSensor

from .builtin import BuiltinStack, StackParameters
from .remote import RemoteOptions, RemoteStack


@dataclass(frozen=True)
class AiOptions:
    nodes: tuple[str, ...] = ()
    """Addresses of running inference nodes."""
    model: str | None = None
    """A model manifest: start a local node process for the run."""
    backend: str = "onnx"
    backend_options: tuple[str, ...] = ()
    """``KEY=VALUE`` options of the local node's backend (e.g. ``providers=cuda,cpu``)."""
    rate_hz: float = 25.0
    deadline_ms: float = 100.0
    hold_ms: float = 300.0
    jpeg_quality: int = 0
    probe_timeout_s: float = 30.0
    """How long to wait for every node to answer before the run starts."""
    driver_seat: bool = False
    """A person at the wheel can take control from the AI (``dil drive``)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_local_node(
    manifest: str, backend: str, options: tuple[str, ...], directory: Path
) -> tuple[str, subprocess.Popen]:
    """``dil node serve`` in a child process, bound on an ipc socket in ``directory`` (a folder of
    this run's own: no port to pick, so none another process can take while the node starts); its
    address and process."""
    if not Path(manifest).is_file():
        raise FileNotFoundError(f"--model {manifest}: no such manifest")
    address = f"ipc://{directory / 'node'}"
    cmd = [sys.executable, "-m", "dil", "node", "serve", manifest, "--bind", address, "--backend", backend]
    if backend == "onnx":
        # the node shares this machine's CPUs with the 1 kHz loop: one thread that sleeps when idle,
        # unless the options say otherwise
        given = {o.split("=", 1)[0] for o in options}
        options = (*(d for d in ("threads=1", "spin=0") if d.split("=")[0] not in given), *options)
    for o in options:
        cmd += ["--option", o]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=None, env={**os.environ}, preexec_fn=_die_with_parent
    )
    return address, proc


def _die_with_parent() -> None:
    """In the child: a SIGTERM when the runtime process ends, however it ends (Linux)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class AiStackSetup:
    """Owns what the AI stack needs beyond the run's bus; :meth:`close` releases it."""

    def __init__(
        self, bus: Bus, drops: Drops, clock: Clock, vehicle_params: object, o: AiOptions, *, wait: bool
    ):
        self.proc: subprocess.Popen | None = None
        self.node_bus: ZmqBus | None = None
        self._node_dir: Path | None = None
        try:
            self._setup(bus, drops, clock, vehicle_params, o, wait)
        except BaseException:
            self.close()
            raise

    def _setup(
        self, bus: Bus, drops: Drops, clock: Clock, vehicle_params: object, o: AiOptions, wait: bool
    ) -> None:
        nodes = list(o.nodes)
        if o.model:
            self._node_dir = Path(tempfile.mkdtemp(prefix="dil-node-"))
            address, self.proc = start_local_node(o.model, o.backend, o.backend_options, self._node_dir)
            nodes.append(address)
        if not nodes:
            raise ValueError("--stack ai needs --model MANIFEST (a local node) or --node ADDRESS")
        # the requests travel over ZeroMQ even when the run's own bus is in-process
        self.node_bus = ZmqBus(Endpoints.default("tcp")) if isinstance(bus, LocalBus) else None
        self.camera_spec = CameraSpec()
        fallback = BuiltinStack(bus, drops, clock, vehicle_params, params=StackParameters(acc=True))
        self.stack = RemoteStack(
            bus,
            drops,
            clock,
            fallback,
            RemoteOptions(
                tuple(nodes),
                rate_hz=o.rate_hz,
                deadline_ms=o.deadline_ms,
                hold_ms=o.hold_ms,
                camera="front",
                camera_size=(self.camera_spec.width, self.camera_spec.height),
                jpeg_quality=o.jpeg_quality,
                probe_timeout_s=o.probe_timeout_s,
                driver_seat=o.driver_seat,
                wait=wait,
            ),
            node_bus=self.node_bus,
        )

    def camera(self, net: object) -> CameraSensor:
        return CameraSensor(net, "front", rate_hz=self.stack.o.rate_hz, spec=self.camera_spec)

    def close(self) -> None:
        if self.node_bus is not None:
            self.node_bus.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self._node_dir is not None:
            shutil.rmtree(self._node_dir, ignore_errors=True)
