"""``dil bench startup``: how long the command line takes to start, each case a fresh process.

``python -c pass`` (the interpreter alone) is measured in the same run as the baseline. For the
warm ``dil run`` the run's own loop time (``wall_s`` in its result.json) is taken out: what is
left is the start-up, scenario loading and the writing of results [s].
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dil.bench.report import format_table, write_json
from dil.paths import catalog_dir

CATALOG = catalog_dir()
TARGET_CLI_S = 0.15
"""``dil --version`` and ``dil --help``, whole process [s]."""
TARGET_RUN_BEYOND_LOOP_S = 0.3
"""A warm ``dil run``: whole process minus its loop [s]."""
COLUMNS = ("case", "median s", "min s", "beyond baseline s", "loop s", "beyond loop s", "target s", "meets")


def _dil() -> list[str]:
    """The ``dil`` console script beside this interpreter, else ``python -m dil``."""
    script = Path(sys.executable).parent / "dil"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "dil"]


def _time(cmd: list[str]) -> float:
    """Wall time of one process from start to exit [s]; a failure stops the benchmark."""
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode not in (0, 1):  # 1: a run whose verdict is fail still measures start-up
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()[-400:]}")
    return wall


def bench(args: argparse.Namespace) -> int:
    scenario = Path(args.scenario) if Path(args.scenario).exists() else CATALOG / f"{args.scenario}.xosc"
    dil = _dil()
    samples: dict[str, list[float]] = {"python -c pass": [], "dil --version": [], "dil --help": []}
    run_case = f"dil run {scenario.name} --no-record"
    runs: list[tuple[float, float]] = []  # (whole process, loop) [s]
    with tempfile.TemporaryDirectory(prefix="dil-bench-startup-") as out:
        run_cmd = [*dil, "run", str(scenario), "--no-record", "--out", out]
        _time(run_cmd)  # kernels compiled and cached, files in the page cache: what follows is warm
        for _ in range(args.repeat):  # interleaved, so that a busy moment hits every case alike
            samples["python -c pass"].append(_time([sys.executable, "-c", "pass"]))
            samples["dil --version"].append(_time([*dil, "--version"]))
            samples["dil --help"].append(_time([*dil, "--help"]))
            whole = _time(run_cmd)
            result = json.loads((Path(out) / scenario.stem / "result.json").read_text())
            runs.append((whole, float(result["wall_s"])))
    base = statistics.median(samples["python -c pass"])
    rows: list[tuple[object, ...]] = []
    for case, s in samples.items():
        med = statistics.median(s)
        target = None if case == "python -c pass" else TARGET_CLI_S
        meets = None if target is None else ("yes" if med <= target else "no")
        rows.append((case, med, min(s), med - base, None, None, target, meets))
    whole = statistics.median(w for w, _ in runs)
    loop = statistics.median(lp for _, lp in runs)
    beyond = statistics.median(w - lp for w, lp in runs)
    meets = "yes" if beyond <= TARGET_RUN_BEYOND_LOOP_S else "no"
    rows.append(
        (
            run_case,
            whole,
            min(w for w, _ in runs),
            whole - base,
            loop,
            beyond,
            TARGET_RUN_BEYOND_LOOP_S,
            meets,
        )
    )
    print(format_table(COLUMNS, rows))
    print(
        f"targets: dil --version and --help <= {TARGET_CLI_S:g} s; a warm dil run <= "
        f"{TARGET_RUN_BEYOND_LOOP_S:g} s beyond its loop ({args.repeat} processes each, median; "
        f"{os.cpu_count()} cpus)"
    )
    write_json(Path(args.json), "startup", COLUMNS, rows, {"repeat": args.repeat, "command": dil})
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "startup", help="start-up time of dil --version, dil --help and a warm dil run beside python -c pass"
    )
    p.add_argument(
        "--scenario",
        default="ccrs",
        help="catalog name or .xosc path of the run measured (default %(default)s)",
    )
    p.add_argument("--repeat", type=int, default=5, help="processes per case; the median is reported")
    p.add_argument("--json", default="bench-startup.json", help="where to write the JSON report")
    p.set_defaults(func=bench)
