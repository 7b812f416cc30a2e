"""``dil bench inference``: per backend and execution provider available here, the model's own
latency, the inference node's round-trip overhead beyond the model on loopback, and frames per
second with and without batching.

- model latency: ``Session.run`` on one pre-processed frame, p50 and p99 over ``--frames`` calls;
- node overhead: a real ``dil node serve`` process on tcp loopback; one request at a time, the
  round trip seen by the client minus the model time the node reports (decoding, pre-processing,
  post-processing, encoding and both socket hops) for a full camera frame, and the round trip of
  an empty probe (the transport and codecs alone);
- baselines for the overhead, in the same run: the same request bytes echoed by a bare ZeroMQ
  ROUTER on tcp loopback (the transport's floor for a frame that size) and the manifest's
  pre-processing of one frame alone;
- throughput: ``--burst`` requests sent back to back to the node, frames per second with
  ``max_batch`` 1 and with the manifest's ``max_batch``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import yaml

from dil.bench.report import format_table, write_json
from dil.bus.codec import Encoder, decode
from dil.bus.messages import INFERENCE_REQUEST, SERVICE_SCHEMAS
from dil.bus.zmq_bus import Endpoints, ZmqBus
from dil.inference.backend import BackendError, load_backend
from dil.inference.manifest import Manifest, load_manifest
from dil.inference.preprocess import feeds
from dil.stack.ai import free_port

COLUMNS = ("backend", "what", "p50 ms", "p99 ms", "frames/s", "target", "meets target")
DEFAULT_MANIFEST = Path(__file__).resolve().parents[1] / "inference" / "models" / "lane_keeper.yaml"
PROVIDERS = ("tensorrt", "cuda", "cpu")


def _frame(manifest: Manifest) -> np.ndarray:
    cams = [i for i in manifest.inputs if i.kind == "camera"]
    w, h = cams[0].source_size if cams else (640, 360)
    return np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _ego(manifest: Manifest) -> dict[str, float]:
    """An ego state holding every value the manifest's ego inputs read: 15 m/s straight ahead at a
    cruise speed of 15 m/s, every other named value 0 (SI units, as ``vehicle/state``)."""
    ego = {"speed": 15.0, "cruise_speed": 15.0, "yaw_rate": 0.0, "vx": 15.0, "vy": 0.0, "ax": 0.0, "ay": 0.0}
    for inp in manifest.inputs:
        if inp.kind == "ego":
            for f in inp.fields:
                ego.setdefault(f, 0.0)
    return ego


def _transport_floor(frame: bytes, n: int) -> tuple[float, float]:
    """Round trip of ``frame`` to a bare ROUTER that answers a few bytes, tcp loopback [ms]."""
    import zmq

    ctx = zmq.Context()
    router, dealer = ctx.socket(zmq.ROUTER), ctx.socket(zmq.DEALER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer.connect(f"tcp://127.0.0.1:{port}")

    def echo() -> None:
        for _ in range(n + 20):
            peer, _ = router.recv_multipart()
            router.send_multipart([peer, b"ok"])

    t = threading.Thread(target=echo, daemon=True)
    t.start()
    out = np.empty(n)
    for k in range(-20, n):
        t0 = time.perf_counter_ns()
        dealer.send(frame)
        dealer.recv()
        if k >= 0:
            out[k] = (time.perf_counter_ns() - t0) * 1e-6
    t.join(10)
    dealer.close(0)
    router.close(0)
    ctx.term()
    return float(np.percentile(out, 50)), float(np.percentile(out, 99))


def _preprocessing(manifest: Manifest, session: object, img: np.ndarray, n: int) -> tuple[float, float]:
    """The manifest's pre-processing of one request, alone [ms]."""
    req = {"images": {c: img for c in manifest.cameras}, "ego": _ego(manifest), "objects": []}
    out = np.empty(n)
    for k in range(-20, n):
        t0 = time.perf_counter_ns()
        feeds(manifest, session, [req])
        if k >= 0:
            out[k] = (time.perf_counter_ns() - t0) * 1e-6
    return float(np.percentile(out, 50)), float(np.percentile(out, 99))


def _request(enc: Encoder, fid: int, manifest: Manifest, img: np.ndarray) -> bytes:
    cams = sorted({i.camera for i in manifest.inputs if i.kind == "camera"})
    images = [
        {
            "camera": c,
            "width": img.shape[1],
            "height": img.shape[0],
            "encoding": "bgr8",
            "data": img.tobytes(),
        }
        for c in cams
    ]
    ego = _ego(manifest)
    fields = {
        "frame_id": fid,
        "deadline_ns": 0,
        "images": images,
        "objects": [],
        "ego": list(ego.values()),
        "ego_fields": ",".join(ego),
    }
    return enc.encode(fid, time.time_ns(), fields)


def _model_latency(manifest: Manifest, backend: str, options: dict, n: int) -> tuple[float, float]:
    s = load_backend(backend).open(manifest.model_path, options)
    img = _frame(manifest)
    req = {"images": {c: img for c in manifest.cameras}, "ego": _ego(manifest), "objects": []}
    x = feeds(manifest, s, [req])
    for _ in range(20):
        s.run(x)
    t = np.empty(n)
    for k in range(n):
        t0 = time.perf_counter_ns()
        s.run(x)
        t[k] = (time.perf_counter_ns() - t0) * 1e-6
    s.close()
    return float(np.percentile(t, 50)), float(np.percentile(t, 99))


def _model_batched(manifest: Manifest, backend: str, options: dict, batch: int, n: int) -> float:
    """Frames per second of ``Session.run`` on batches of ``batch`` pre-processed frames (the model
    alone, no node): what an accelerator gains from batching the frames of several runtimes."""
    s = load_backend(backend).open(manifest.model_path, options)
    img = _frame(manifest)
    req = {"images": {c: img for c in manifest.cameras}, "ego": _ego(manifest), "objects": []}
    x = feeds(manifest, s, [req] * batch)
    for _ in range(5):
        s.run(x)
    calls = max(5, n // batch)
    t0 = time.perf_counter()
    for _ in range(calls):
        s.run(x)
    fps = calls * batch / (time.perf_counter() - t0)
    s.close()
    return fps


def _device(manifest: Manifest, backend: str, options: dict) -> str:
    """What the backend's session runs on (onnxruntime: the providers it actually uses)."""
    s = load_backend(backend).open(manifest.model_path, options)
    device = str(getattr(s, "device", backend))
    s.close()
    return device


class _Node:
    """A ``dil node serve`` child process and a client socket to it."""

    def __init__(self, manifest_path: Path, backend: str, options: list[str]) -> None:
        self.address = f"tcp://127.0.0.1:{free_port()}"
        cmd = [sys.executable, "-m", "dil", "node", "serve", str(manifest_path), "--bind", self.address]
        cmd += ["--backend", backend] + [a for o in options for a in ("--option", o)]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        self.bus = ZmqBus(Endpoints.default("tcp"))
        self.req = self.bus.requester("inference", self.address)
        self.enc = Encoder(INFERENCE_REQUEST, "bench")
        probe = {"frame_id": 0, "deadline_ns": 0, "images": [], "objects": [], "ego": [], "ego_fields": ""}
        self.req.send(self.enc.encode(0, 0, probe))
        if self.req.recv(120_000) is None:
            self.close()
            raise BackendError(f"the node for {manifest_path} did not start")

    def round_trips(self, manifest: Manifest, n: int) -> tuple[float, float]:
        img = _frame(manifest)
        over = np.empty(n)
        for k in range(-20, n):
            frame = _request(self.enc, k + 100, manifest, img)
            t0 = time.perf_counter_ns()
            self.req.send(frame)
            _, r = decode(self.req.recv(30_000), SERVICE_SCHEMAS)
            rtt = time.perf_counter_ns() - t0
            if r["error"]:
                raise BackendError(f"node error: {r['error']}")
            if k >= 0:
                over[k] = (rtt - r["inference_ns"]) * 1e-6
        return float(np.percentile(over, 50)), float(np.percentile(over, 99))

    def probes(self, n: int) -> tuple[float, float]:
        probe = {"frame_id": 0, "deadline_ns": 0, "images": [], "objects": [], "ego": [], "ego_fields": ""}
        t = np.empty(n)
        for k in range(-20, n):
            t0 = time.perf_counter_ns()
            self.req.send(self.enc.encode(0, 0, probe))
            self.req.recv(30_000)
            if k >= 0:
                t[k] = (time.perf_counter_ns() - t0) * 1e-6
        return float(np.percentile(t, 50)), float(np.percentile(t, 99))

    def throughput(self, manifest: Manifest, burst: int) -> float:
        img = _frame(manifest)
        frames = [_request(self.enc, 10_000 + k, manifest, img) for k in range(burst)]
        t0 = time.perf_counter()
        for f in frames:
            self.req.send(f)
        for _ in frames:
            if self.req.recv(60_000) is None:
                raise BackendError("the node stopped answering")
        return burst / (time.perf_counter() - t0)

    def close(self) -> None:
        self.bus.close()
        self.proc.terminate()
        self.proc.wait(10)


def _variant(manifest_path: Path, tmp: Path, name: str, **changes: object) -> Path:
    """The manifest with some fields changed, beside a copy pointing at the same model."""
    doc = yaml.safe_load(manifest_path.read_text())
    doc["model"] = str((manifest_path.parent / doc["model"]).resolve())
    doc.update(changes)
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def run(args: argparse.Namespace) -> int:
    manifest_path = Path(args.manifest)
    manifest = load_manifest(manifest_path)
    rows = []
    configs = [("onnx", f"providers={p}") for p in PROVIDERS]
    for backend, option in configs + [(b, "") for b in args.backend]:
        opts = dict([option.split("=", 1)]) if option else {}
        label = f"{backend} {option.split('=', 1)[1]}" if option else backend
        try:
            p50, p99 = _model_latency(manifest, backend, opts, args.frames)
        except BackendError as e:
            print(f"{label}: not available here ({str(e).splitlines()[0][:100]})", file=sys.stderr)
            continue
        print(f"{label}: runs on {_device(manifest, backend, opts)}", file=sys.stderr)
        rows.append((label, "model latency, batch 1", p50, p99, 1e3 / p50, "-", "-"))
        for batch in sorted({manifest.max_batch, args.model_batch}):
            if batch > 1:
                fps = _model_batched(manifest, backend, opts, batch, args.frames)
                rows.append((label, f"model throughput, batch {batch}", None, None, fps, "-", "-"))
        node_opts = [option] if option else []
        with tempfile.TemporaryDirectory() as tmp:
            single = _variant(manifest_path, Path(tmp), "single", max_batch=1)
            node = _Node(manifest_path, backend, node_opts)
            try:
                o50, o99 = node.round_trips(manifest, args.frames)
                ok = "yes" if o50 <= 0.3 else "no"
                rows.append(
                    (label, "node overhead beyond the model, camera frame", o50, o99, None, "<= 0.3 ms", ok)
                )
                img = _frame(manifest)
                f50, f99 = _transport_floor(_request(node.enc, 1, manifest, img), args.frames)
                rows.append(
                    (label, "  baseline: bare ZeroMQ round trip, same bytes", f50, f99, None, "-", "-")
                )
                session = load_backend(backend).open(manifest.model_path, opts)
                p50_, p99_ = _preprocessing(manifest, session, img, args.frames)
                session.close()
                rows.append((label, "  baseline: pre-processing alone", p50_, p99_, None, "-", "-"))
                t50, t99 = node.probes(args.frames)
                ok = "yes" if t50 <= 0.3 else "no"
                rows.append((label, "node round trip, empty probe", t50, t99, None, "<= 0.3 ms", ok))
                batched = node.throughput(manifest, args.burst)
            finally:
                node.close()
            node = _Node(single, backend, node_opts)
            try:
                unbatched = node.throughput(manifest, args.burst)
            finally:
                node.close()
        rows.append((label, "throughput, max_batch 1", None, None, unbatched, "-", "-"))
        rows.append((label, f"throughput, max_batch {manifest.max_batch}", None, None, batched, "-", "-"))
    print(format_table(COLUMNS, rows))
    write_json(Path(args.json), "inference", COLUMNS, rows)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inference", help="model latency, node round-trip overhead, batched throughput")
    p.add_argument("--manifest", default=str(DEFAULT_MANIFEST), help="the model to measure (its manifest)")
    p.add_argument("--frames", type=int, default=300, help="calls per latency measurement")
    p.add_argument("--burst", type=int, default=128, help="requests per throughput measurement")
    p.add_argument(
        "--model-batch", type=int, default=32, help="also measure the model alone on batches this large"
    )
    p.add_argument(
        "--backend", action="append", default=[], help="also measure this backend (furiosa, rebellions)"
    )
    p.add_argument("--json", default="bench-inference.json", help="where to write the JSON report")
    p.set_defaults(func=run)
