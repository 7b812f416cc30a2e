"""``dil node serve | check | train``: inference nodes for AI driving stacks."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from .backend import BACKENDS, BackendError, Session, load_backend
from .manifest import Manifest, ManifestError, check_against, load_manifest

log = logging.getLogger("dil.node")


def add_parser(sub: argparse._SubParsersAction) -> None:
    node = sub.add_parser("node", help="inference nodes: serve a driving model to runtimes over ZeroMQ")
    cmds = node.add_subparsers(dest="node_command", metavar="COMMAND", required=True)

    s = cmds.add_parser("serve", help="load a model by its manifest and answer inference requests")
    _model_arguments(s)
    s.add_argument("--bind", default="tcp://127.0.0.1:5700", help="ROUTER address (default %(default)s)")
    s.add_argument("--name", default="node", help="the node's name in replies")
    s.add_argument(
        "--delay-ms",
        type=float,
        default=0.0,
        help="hold every reply back this long (to demonstrate and test deadline handling)",
    )
    s.add_argument("--curve-secret", help="CURVE: this node's .key_secret file (clients then need its .key)")
    s.add_argument("--curve-authorized", help="CURVE: directory of the runtimes' public keys allowed in")
    s.set_defaults(func=_serve)

    c = cmds.add_parser("check", help="load a model by its manifest, check them against each other")
    _model_arguments(c)
    c.set_defaults(func=_check)

    t = cmds.add_parser("train", help="regenerate the shipped lane-keeping model (needs the train extra)")
    t.set_defaults(func=_train)
    try:
        from .training import cli as train

        train.add_arguments(t)
    except ImportError:  # the module is optional to the rest of the node
        pass


def _model_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("manifest", help="the model's manifest (YAML beside the model)")
    p.add_argument(
        "--backend",
        choices=list(BACKENDS),
        default="onnx",
        help="inference backend: onnx (ONNX Runtime; CPU, CUDA or TensorRT), furiosa or "
        "rebellions (NPU runtimes, where installed) (default %(default)s)",
    )
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="backend option, e.g. providers=tensorrt,cuda,cpu or threads=2 (repeatable)",
    )


def open_model(args: argparse.Namespace) -> tuple[Manifest, Session]:
    """Manifest and session, checked against each other; a clear error otherwise."""
    options = {}
    for kv in args.option:
        key, sep, value = kv.partition("=")
        if not sep:
            print(f"dil node: --option {kv!r}: expected KEY=VALUE", file=sys.stderr)
            raise SystemExit(2)
        options[key] = value
    try:
        manifest = load_manifest(args.manifest)
        session = load_backend(args.backend).open(manifest.model_path, options)
        check_against(manifest, session)
    except (ManifestError, BackendError) as e:
        print(f"dil node: {e}", file=sys.stderr)
        raise SystemExit(2) from None  # bad input
    return manifest, session


def _check(args: argparse.Namespace) -> int:
    manifest, session = open_model(args)
    where = f"{session.backend} on {session.device}"
    print(f"{manifest.path}: {manifest.name}, {where}, max batch {manifest.max_batch}")
    for t in session.inputs:
        print(f"  in  {t.name}: {list(t.shape)} {t.dtype}")
    for t in session.outputs:
        print(f"  out {t.name}: {list(t.shape)} {t.dtype}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dil.numba_setup import prepare_process

    prepare_process()  # before the preprocessing kernel loads
    from dil.bus.curve import Curve
    from dil.bus.zmq_bus import Endpoints, ZmqBus

    from .server import InferenceServer

    manifest, session = open_model(args)
    curve = None
    if args.curve_secret:
        curve = Curve(
            Path(args.curve_secret), None, Path(args.curve_authorized) if args.curve_authorized else None
        )
    bus = ZmqBus(Endpoints.default("tcp"), curve=curve)
    stop = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.append(True))
    try:
        replier = bus.replier("inference", args.bind)
    except OSError as e:
        raise SystemExit(f"dil node serve: {e}") from None
    server = InferenceServer(manifest, session, replier, name=args.name, delay_ms=args.delay_ms)
    print(f"dil node: {server.identity} serving {manifest.name} at {args.bind}", file=sys.stderr, flush=True)
    try:
        server.serve(lambda: bool(stop))
    finally:
        bus.close()
        session.close()
    st = server.stats
    print(f"dil node: {st.requests} requests, {st.batches} batches, {st.errors} errors", file=sys.stderr)
    return 0


def _train(args: argparse.Namespace) -> int:
    try:
        from .training import cli as train
    except ImportError as e:
        raise SystemExit(
            f"dil node train: {e} (install the train extra: pip install -e '.[train]')"
        ) from None
    return train.run(args)
