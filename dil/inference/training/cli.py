"""``dil node train``: record, train, export and evaluate the shipped lane-keeping model."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .common import MODELS, NAME
from .data import Frames, collect, plan
from .evaluate import COLUMNS, evaluate, format_table
from .model import build_model, export, train


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=MODELS, help="where to write lane_keeper.onnx and .yaml")
    p.add_argument("--episodes", type=int, default=40, help="episodes of the built-in stack with noise")
    p.add_argument("--dagger-episodes", type=int, default=16, help="episodes the model drives (0: none)")
    p.add_argument("--epochs", type=int, default=8, help="training epochs on the first data set")
    p.add_argument(
        "--dagger-epochs", type=int, default=4, help="epochs on the data set with the model's drives"
    )
    p.add_argument(
        "--seed",
        type=int,
        default=1,
        help="seed of the episodes' noise and of training (default %(default)s)",
    )
    p.add_argument("--jobs", type=int, default=2, help="processes recording episodes")
    p.add_argument("--evaluate-only", action="store_true", help="only drive the existing model")


def run(args: argparse.Namespace) -> int:
    manifest = Path(args.out) / f"{NAME}.yaml"
    t0 = time.perf_counter()
    if not args.evaluate_only:
        import torch

        torch.set_num_threads(max(1, args.jobs))
        torch.use_deterministic_algorithms(True)
        torch.manual_seed(args.seed)
        print(f"recording {args.episodes} episodes of the built-in stack with steering noise ...")
        data = collect(plan(args.episodes, args.seed), args.jobs)
        print(f"  {len(data)} frames ({time.perf_counter() - t0:.0f} s)")
        net = build_model()
        params = sum(p.numel() for p in net.parameters())
        print(f"training the model ({params} parameters) ...")
        train(net, data, args.epochs, args.seed)
        manifest = export(net, Path(args.out))
        if args.dagger_episodes > 0:
            print(f"recording {args.dagger_episodes} episodes driven by the model (DAgger) ...")
            extra = collect(plan(args.dagger_episodes, args.seed + 1, str(manifest)), args.jobs)
            data = Frames.join([data, extra])
            print(f"  {len(extra)} more frames, {len(data)} in all ({time.perf_counter() - t0:.0f} s)")
            train(net, data, args.dagger_epochs, args.seed + 1, lr=5e-4)
            manifest = export(net, Path(args.out))
        onnx_size = (Path(args.out) / f"{NAME}.onnx").stat().st_size
        print(
            f"wrote {manifest} and {NAME}.onnx ({onnx_size / 1e6:.2f} MB) ({time.perf_counter() - t0:.0f} s)"
        )
    print("closed-loop evaluation ...")
    results = evaluate(manifest)
    print(format_table(COLUMNS, [r.row() for r in results]))
    print(f"done in {time.perf_counter() - t0:.0f} s")
    kept = not results[0].left_lane and results[0].lane_invasions == 0 and results[0].off_road == 0
    return 0 if kept else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p)
    return run(p.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
