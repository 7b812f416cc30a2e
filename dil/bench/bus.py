"""``dil bench bus``: latency, throughput and codec cost of ``vehicle/state`` on each transport.

- latency: a 1 kHz stream of vehicle/state frames from one process to another (tcp, ipc), from a
  thread to another (ZeroMQ inproc) or within one thread (local bus); publish (encode + send) to
  frame received, both ends reading the same monotonic clock.
- throughput: one encoded frame sent as fast as the sender can, counted at the receiver: raw
  frames, and frames the receiver also decodes and checks.
- codec: encode (fixed template, generic map) and decode-and-check per message.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import socket
import threading
import time
from pathlib import Path

import numpy as np

from dil.bench.report import format_table, write_json
from dil.bus import SCHEMAS, Encoder, Endpoints, FixedEncoder, LocalBus, ZmqBus, decode
from dil.realtime.stats import summary_us

TOPIC = "vehicle/state"
TARGET_P99_US = 50.0
TARGET_RATE = 200_000.0
HWM = 2_000_000
TRANSPORTS = {
    "kernel": "baseline: Unix datagram socket pair, no ZeroMQ",
    "tcp": "ZeroMQ tcp://127.0.0.1, another process",
    "ipc": "ZeroMQ ipc://, another process",
    "inproc": "ZeroMQ inproc://, another thread",
    "local": "local bus, same thread",
}
COLUMNS = (
    "transport",
    "p50 us",
    "p99 us",
    "p99.9 us",
    "max us",
    "lost",
    "msgs/s raw",
    "msgs/s decoded",
    "meets p99",
    "meets rate",
)


def _encoder() -> FixedEncoder:
    enc = FixedEncoder(SCHEMAS[TOPIC], "bench")
    enc.floats[:] = np.linspace(-3.0, 3.0, enc.floats.size).clip(0.0, 1.0)
    enc.ints[:] = 1
    enc.warm_up()
    return enc


def _endpoints(kind: str, port: int, directory: Path) -> Endpoints:
    if kind == "tcp":
        return Endpoints.default("tcp", port=port)
    if kind == "ipc":
        return Endpoints.default("ipc", directory=directory)
    return Endpoints.default("inproc", name="bench")


# --- the receiving side ------------------------------------------------------------------------


def _receive_latency(sub, n: int, timeout_s: float) -> np.ndarray:
    """Latency [ns] of each frame received (send time is in the header's t_wall_ns)."""
    out = np.zeros(n, dtype=np.int64)
    got = 0
    perf = time.perf_counter_ns
    end = time.monotonic() + timeout_s
    while got < n and time.monotonic() < end:
        frame = sub.recv(100)
        if frame is None:
            continue
        t = perf()
        out[got] = t - decode(frame)[1]["t_wall_ns"]
        got += 1
    return out[:got]


def _receive_count(sub, n: int, timeout_s: float, check: bool) -> tuple[int, float]:
    """Frames received and the seconds from the first to the last."""
    got = 0
    first = last = 0.0
    end = time.monotonic() + timeout_s
    while got < n:
        frame = sub.recv(200)
        if frame is None:
            if time.monotonic() > end or got:  # a pause after the stream started: the sender is done
                break
            continue
        last = time.perf_counter()
        if got == 0:
            first = last
        if check:
            decode(frame)
        got += 1
    return got, last - first


def _peer(kind: str, port: int, directory: str, mode: str, n: int, ready, results) -> None:
    """The receiving process (tcp, ipc)."""
    bus = ZmqBus(_endpoints(kind, port, Path(directory)), hwm=HWM)
    sub = bus.subscriber(TOPIC)
    try:
        ready.set()
        if mode == "latency":
            results.put(_receive_latency(sub, n, 60.0).tobytes())
        else:
            results.put(_receive_count(sub, n, 60.0, mode == "decoded"))
    finally:
        bus.close()


# --- the sending side --------------------------------------------------------------------------


def _send_paced(send, stamp, n: int, rate_hz: float, spin_ns: int = 100_000) -> None:
    """``send(stamp())`` n times at ``rate_hz``: sleep, then spin the last ``spin_ns`` (0 for a
    receiver thread in this process, which needs the interpreter while the sender waits)."""
    period = int(1e9 / rate_hz)
    perf = time.perf_counter_ns
    nxt = perf() + period
    for _ in range(n):
        ahead = nxt - perf() - spin_ns
        if ahead > 0:
            time.sleep(ahead * 1e-9)
        while perf() < nxt:
            pass
        send(stamp())
        nxt += period


def _send_burst(pub, frame: bytes, n: int) -> None:
    send = pub.send
    for _ in range(n):
        send(frame)


def _run_zmq_process(kind: str, port: int, directory: Path, mode: str, n: int, rate_hz: float):
    ctx = mp.get_context("spawn")
    ready, results = ctx.Event(), ctx.Queue()
    bus = ZmqBus(_endpoints(kind, port, directory), hwm=HWM)
    pub = bus.publisher(TOPIC)
    enc = _encoder()
    # the peer subscribes, says so, and gets half a second to connect before the stream starts
    proc = ctx.Process(target=_peer, args=(kind, port, str(directory), mode, n, ready, results), daemon=True)
    proc.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the receiving process did not start")
        time.sleep(0.5)  # connect and subscribe
        if mode == "latency":
            _send_paced(pub.send, lambda: enc.encode(0, time.perf_counter_ns()), n, rate_hz)
        else:
            _send_burst(pub, bytes(enc.encode(0, 0)), n)
        result = results.get(timeout=120)
    finally:
        proc.join(10)
        bus.close()
    return result


def _run_inproc(mode: str, n: int, rate_hz: float):
    bus = ZmqBus(_endpoints("inproc", 0, Path()), hwm=HWM)
    pub = bus.publisher(TOPIC)
    sub = bus.subscriber(TOPIC)
    enc = _encoder()
    out: list = []
    # inproc connects synchronously once bound: no join phase needed
    if mode == "latency":
        th = threading.Thread(target=lambda: out.append(_receive_latency(sub, n, 60.0)))
    else:
        th = threading.Thread(target=lambda: out.append(_receive_count(sub, n, 60.0, mode == "decoded")))
    th.start()
    time.sleep(0.1)
    if mode == "latency":
        _send_paced(pub.send, lambda: enc.encode(0, time.perf_counter_ns()), n, rate_hz, spin_ns=0)
    else:
        _send_burst(pub, bytes(enc.encode(0, 0)), n)
    th.join()
    bus.close()
    return out[0].tobytes() if mode == "latency" else out[0]


def _run_local(mode: str, n: int) -> object:
    bus = LocalBus()
    pub = bus.publisher(TOPIC)
    sub = bus.subscriber(TOPIC)
    enc = _encoder()
    perf = time.perf_counter_ns
    if mode == "latency":
        lat = np.zeros(n, dtype=np.int64)
        for i in range(n):
            t0 = perf()
            pub.send(enc.encode(0, t0))
            frame = sub.recv()
            lat[i] = perf() - t0
            if frame is None:
                raise RuntimeError("local bus lost a frame")
        return lat.tobytes()
    frame = bytes(enc.encode(0, 0))
    check = mode == "decoded"
    t0 = time.perf_counter()
    for _ in range(n):
        pub.send(frame)
        f = sub.recv()
        if check:
            decode(f)
    return n, time.perf_counter() - t0


def _baseline_peer(sock: socket.socket, mode: str, n: int, results) -> None:
    if mode == "latency":
        out = np.zeros(n, dtype=np.int64)
        for i in range(n):
            frame = sock.recv(4096)
            out[i] = time.perf_counter_ns() - int.from_bytes(frame[-8:], "little")
        results.put(out.tobytes())
    else:
        sock.settimeout(30.0)
        got, first, last = 0, 0.0, 0.0
        try:
            while got < n:
                sock.recv(4096)
                last = time.perf_counter()
                if not got:
                    first = last
                    sock.settimeout(0.5)  # the stream has started: a pause means it is over
                got += 1
        except TimeoutError:
            pass
        results.put((got, last - first))


def _run_baseline(mode: str, n: int, rate_hz: float):
    """The kernel alone: a Unix datagram socket pair between two processes, blocking receive."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
    b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    ctx = mp.get_context("fork")  # the socket pair is inherited
    results = ctx.Queue()
    proc = ctx.Process(target=_baseline_peer, args=(b, mode, n, results), daemon=True)
    proc.start()
    time.sleep(0.3)
    body = bytes(_encoder().encode(0, 0))[:-8]
    try:
        if mode == "latency":
            _send_paced(a.send, lambda: body + time.perf_counter_ns().to_bytes(8, "little"), n, rate_hz)
        else:
            frame = body + bytes(8)
            for _ in range(n):
                a.send(frame)
        return results.get(timeout=120)
    finally:
        proc.join(10)
        a.close()
        b.close()


def measure(kind: str, mode: str, n: int, rate_hz: float, port: int, directory: Path):
    if kind == "kernel":
        return _run_baseline(mode, n, rate_hz)
    if kind == "local":
        return _run_local(mode, n)
    if kind == "inproc":
        return _run_inproc(mode, n, rate_hz)
    return _run_zmq_process(kind, port, directory, mode, n, rate_hz)


def codec_costs(n: int = 100_000) -> dict[str, float]:
    """ns per message: fixed-template encode, generic encode, decode and check."""
    fixed = _encoder()
    generic = Encoder(SCHEMAS[TOPIC], "bench", check=False)
    fields = dict(zip(fixed.float_names, fixed.floats.tolist(), strict=True))
    fields.update(zip(fixed.int_names, fixed.ints.tolist(), strict=True))
    frame = bytes(fixed.encode(0, 0))

    def per(fn) -> float:
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter_ns()
            for _ in range(n):
                fn()
            best = min(best, (time.perf_counter_ns() - t0) / n)
        return best

    return {
        "encode fixed template ns": per(lambda: fixed.encode(1, 2)),
        "encode generic map ns": per(lambda: generic.encode(1, 2, fields)),
        "decode and check ns": per(lambda: decode(frame)),
        "frame bytes": float(len(frame)),
    }


def run(args: argparse.Namespace) -> int:
    directory = Path(args.ipc_dir)
    rows = []
    for i, kind in enumerate(args.transports):
        port = args.port + 16 * i
        lat = np.frombuffer(
            measure(kind, "latency", args.messages, args.rate, port, directory), dtype=np.int64
        )
        raw_n, raw_s = measure(kind, "raw", args.burst, 0, port + 100, directory)
        dec_n, dec_s = (
            (0, 0.0) if kind == "kernel" else measure(kind, "decoded", args.burst, 0, port + 200, directory)
        )
        s = (
            summary_us(lat)
            if lat.size
            else {"p50_us": None, "p99_us": None, "p99.9_us": None, "max_us": None}
        )
        raw_rate = raw_n / raw_s if raw_s > 0 else 0.0
        rows.append(
            (
                kind,
                s["p50_us"],
                s["p99_us"],
                s["p99.9_us"],
                s["max_us"],
                args.messages - lat.size,
                raw_rate,
                dec_n / dec_s if dec_s > 0 else 0.0,
                "yes" if s["p99_us"] is not None and s["p99_us"] <= TARGET_P99_US else "no",
                "yes" if raw_rate >= TARGET_RATE else "no",
            )
        )
        if kind == "kernel":
            rows[-1] = (*rows[-1][:7], None, "-", "-")
    codec = codec_costs(args.codec_messages)
    print(
        f"vehicle/state on the bus: latency at {args.rate:g} Hz over {args.messages} messages, "
        f"throughput over {args.burst} frames"
    )
    print(format_table(COLUMNS, rows))
    print("\ncodec per message: " + ", ".join(f"{k} {v:.0f}" for k, v in codec.items()))
    for kind in args.transports:
        print(f"  {kind:7s} {TRANSPORTS[kind]}")
    print(f"targets: p99 <= {TARGET_P99_US:g} us on loopback, >= {TARGET_RATE:,.0f} msgs/s one way")
    write_json(
        Path(args.json),
        "bus",
        COLUMNS,
        rows,
        {"codec": codec, "rate_hz": args.rate, "messages": args.messages, "burst": args.burst},
    )
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bus", help="vehicle/state latency and throughput over tcp, ipc, inproc, local")
    p.add_argument(
        "--transports",
        nargs="+",
        default=list(TRANSPORTS),
        choices=list(TRANSPORTS),
        help="what to measure (default: all): " + "; ".join(f"{k}: {v}" for k, v in TRANSPORTS.items()),
    )
    p.add_argument("--messages", type=int, default=5000, help="latency samples (default %(default)s)")
    p.add_argument(
        "--codec-messages", type=int, default=100_000, help="messages per codec timing (default %(default)s)"
    )
    p.add_argument("--rate", type=float, default=1000.0, help="latency stream rate [Hz]")
    p.add_argument("--burst", type=int, default=300_000, help="frames per throughput run")
    p.add_argument("--port", type=int, default=5700, help="first tcp port")
    p.add_argument("--ipc-dir", default="/tmp/dil-bench", help="directory of ipc sockets")
    p.add_argument("--json", default="bench-bus.json", help="where to write the JSON report")
    p.set_defaults(func=run)
