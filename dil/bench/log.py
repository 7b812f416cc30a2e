"""``dil bench log``: recording and reading throughput for a realistic driver-in-the-loop run:
``vehicle/state`` at 1 kHz plus a 640x360 camera at 20 Hz.

- write, as fast as possible: messages and MB per second into the MCAP file (the recorder in the
  caller's thread, as batch runs use it);
- write in real time: the same stream paced by the wall clock through the threaded recorder
  (bounded queue), counting frames dropped because the queue was full;
- read: messages and MB per second with dil's fast reader (its own uncompressed logs), its
  generic reader and the ``mcap`` package's own.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from mcap.reader import make_reader

from dil.bench.report import format_table, write_json
from dil.bus.codec import Encoder
from dil.bus.fixed import FixedEncoder
from dil.bus.messages import VEHICLE_STATE, sensor_schema
from dil.recording.fast import fast_records
from dil.recording.reader import records
from dil.recording.recorder import Recorder

COLUMNS = ("what", "messages", "MB", "seconds", "msgs/s", "MB/s", "dropped", "target", "meets target")
TARGET_READ = 1_000_000.0


def _frames(seconds: float) -> tuple[list[tuple[int, bytes]], int]:
    """(t_ns, frame) of the stream in time order, and its size in bytes."""
    state = FixedEncoder(VEHICLE_STATE, "vehicle")
    state.floats[:] = np.linspace(0.0, 1.0, state.floats.size)
    cam_schema = sensor_schema("front", "camera")
    cam = Encoder(cam_schema, "world", check=False)
    image = np.random.default_rng(0).integers(0, 255, (360, 640, 3), dtype=np.uint8).tobytes()
    out = []
    for k in range(int(seconds * 1000)):
        t = k * 1_000_000
        out.append((t, bytes(state.encode(t, t))))
        if k % 50 == 0:
            out.append(
                (
                    t,
                    cam.encode(
                        t,
                        t,
                        {
                            "frame_id": k // 50,
                            "width": 640,
                            "height": 360,
                            "encoding": "bgr8",
                            "data": image,
                            "fov_deg": 90.0,
                            "mount": [0.2, 0.0, 1.3],
                            "pitch_deg": 0.0,
                            "yaw_deg": 0.0,
                        },
                    ),
                )
            )
    return out, sum(len(f) for _, f in out)


def run(args: argparse.Namespace) -> int:
    frames, size = _frames(args.seconds)
    mb = size / 1e6
    n = len(frames)
    rows = []
    schemas = {"sensor/front": sensor_schema("front", "camera")}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.mcap"
        now = [0]
        rec = Recorder(path, lambda: now[0], schemas=schemas)
        t0 = time.perf_counter()
        for t, f in frames:
            now[0] = t
            rec(f)
        rec.close()
        dt = time.perf_counter() - t0
        rows.append(("write, as fast as possible", n, mb, dt, n / dt, mb / dt, 0, "-", "-"))

        live = Path(tmp) / "live.mcap"
        rec = Recorder(live, lambda: now[0], schemas=schemas, threaded=True, queue_size=args.queue)
        t0 = time.perf_counter()
        start = time.perf_counter_ns()
        for t, f in frames:  # paced at the stream's own times: the real-time loop's view
            while time.perf_counter_ns() - start < t:
                pass
            now[0] = t
            rec(f)
        rec.close()
        dt = time.perf_counter() - t0
        rows.append(
            (
                "write in real time (threaded)",
                n,
                mb,
                dt,
                n / dt,
                mb / dt,
                rec.dropped,
                "no loss",
                "yes" if rec.dropped == 0 else "no",
            )
        )

        for label, reader in (("read, dil fast reader", fast_records), ("read, dil generic reader", records)):
            t0 = time.perf_counter()
            count = sum(1 for _ in reader(path))
            dt = time.perf_counter() - t0
            ok = "yes" if count / dt >= TARGET_READ else "no"
            rows.append((label, count, mb, dt, count / dt, mb / dt, 0, ">= 1,000,000 msgs/s", ok))
        # the same state stream without the camera: message parsing rather than bytes dominates
        small = Path(tmp) / "states.mcap"
        rec = Recorder(small, lambda: now[0])
        for t, f in frames:
            if f.startswith(b"vehicle/state"):
                now[0] = t
                rec(f)
        rec.close()
        states = rec.count
        for _ in range(3):
            t0 = time.perf_counter()
            count = sum(1 for _ in fast_records(small))
            dt = time.perf_counter() - t0
        size_small = small.stat().st_size / 1e6
        ok = "yes" if count / dt >= TARGET_READ else "no"
        rows.append(
            (
                "read, dil fast reader, states only",
                states,
                size_small,
                dt,
                count / dt,
                size_small / dt,
                0,
                ">= 1,000,000 msgs/s",
                ok,
            )
        )
        t0 = time.perf_counter()
        with path.open("rb") as f:
            count = sum(1 for _ in make_reader(f).iter_messages())
        dt = time.perf_counter() - t0
        rows.append(
            (
                "read, mcap make_reader",
                count,
                mb,
                dt,
                count / dt,
                mb / dt,
                0,
                ">= 1,000,000 msgs/s",
                "yes" if count / dt >= TARGET_READ else "no",
            )
        )
    print(f"stream: vehicle/state at 1 kHz and a 640x360 bgr8 camera at 20 Hz for {args.seconds:g} s")
    print(format_table(COLUMNS, rows))
    write_json(Path(args.json), "log", COLUMNS, rows, {"seconds": args.seconds})
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("log", help="MCAP write and read throughput for a 1 kHz run with a camera")
    p.add_argument("--seconds", type=float, default=10.0, help="length of the stream (default %(default)s)")
    p.add_argument("--queue", type=int, default=100_000, help="the threaded recorder's queue length")
    p.add_argument("--json", default="bench-log.json", help="where to write the JSON report")
    p.set_defaults(func=run)
