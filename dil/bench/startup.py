"""``dil bench startup``: how long the command line takes to start, each case a fresh process.

``python -c pass`` (the interpreter alone) is measured in the same run as the baseline. For the
warm ``dil run`` the run's own loop time (``wall_s`` in its result.json) is taken out: what is
left is the start-up, scenario loading and the writing of results [s]. Each case's CPU time (user
and system of the process) is given beside its wall time: on a machine loaded by other work it is
the steadier figure. With ``--worker`` the same run is also handed to a ``dil run-worker`` that the
benchmark starts (its CPU time is then the client's alone; the run's is the worker child's).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
COLUMNS = (
    "case", "median s", "min s", "cpu s", "beyond baseline s", "loop s", "beyond loop s", "target s", "meets"
)  # fmt: skip


def _dil() -> list[str]:
    """The ``dil`` console script beside this interpreter, else ``python -m dil``."""
    script = Path(sys.executable).parent / "dil"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "dil"]


def _time(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall time of one process from start to exit and its CPU time, user and system [s]; a failure
    stops the benchmark."""
    r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: a run whose verdict is fail still measures start-up
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()[-400:]}")
    return wall, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime


def _worker(dil: list[str], folder: str) -> tuple[subprocess.Popen, dict[str, str]]:
    """A ``dil run-worker`` serving at a socket in ``folder`` once it says so; the environment that
    hands runs to it."""
    sock = str(Path(folder) / "run.sock")
    env = {k: v for k, v in os.environ.items() if k != "DIL_RUN_WORKER"}
    p = subprocess.Popen([*dil, "run-worker", "--socket", sock], stdout=subprocess.PIPE, text=True, env=env)
    line = p.stdout.readline() if p.stdout else ""
    if not line.startswith("serving"):
        p.kill()
        raise RuntimeError(f"dil run-worker did not start (exit {p.wait()})")
    return p, {**env, "DIL_RUN_WORKER": sock}


def bench(args: argparse.Namespace) -> int:
    scenario = Path(args.scenario) if Path(args.scenario).exists() else CATALOG / f"{args.scenario}.xosc"
    dil = _dil()
    samples: dict[str, list[tuple[float, float]]] = {
        "python -c pass": [],
        "dil --version": [],
        "dil --help": [],
    }
    run_case = f"dil run {scenario.name} --no-record --stack {args.stack}"
    cases = {run_case: {**os.environ, "DIL_RUN_WORKER": "off"}}  # a fresh process, where a worker listens too
    with tempfile.TemporaryDirectory(prefix="dil-bench-startup-") as out:
        worker = None
        if args.worker:
            worker, cases[f"{run_case} (run-worker)"] = _worker(dil, out)
        runs: dict[str, list[tuple[float, float, float]]] = {c: [] for c in cases}  # (wall, cpu, loop) [s]
        run_cmd = [*dil, "run", str(scenario), "--no-record", "--stack", args.stack, "--out", out]
        try:
            _time(run_cmd)  # kernels compiled and cached, files in the page cache: what follows is warm
            for _ in range(args.repeat):  # interleaved, so that a busy moment hits every case alike
                samples["python -c pass"].append(_time([sys.executable, "-c", "pass"]))
                samples["dil --version"].append(_time([*dil, "--version"]))
                samples["dil --help"].append(_time([*dil, "--help"]))
                for case, env in cases.items():
                    wall, cpu = _time(run_cmd, env)
                    result = json.loads((Path(out) / scenario.stem / "result.json").read_text())
                    runs[case].append((wall, cpu, float(result["wall_s"])))
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait()
    base = statistics.median(w for w, _ in samples["python -c pass"])
    rows: list[tuple[object, ...]] = []
    for case, s in samples.items():
        med = statistics.median(w for w, _ in s)
        target = None if case == "python -c pass" else TARGET_CLI_S
        meets = None if target is None else ("yes" if med <= target else "no")
        cpu = statistics.median(c for _, c in s)
        rows.append((case, med, min(w for w, _ in s), cpu, med - base, None, None, target, meets))
    for case, r in runs.items():
        whole = statistics.median(w for w, _, _ in r)
        beyond = statistics.median(w - lp for w, _, lp in r)
        meets = "yes" if beyond <= TARGET_RUN_BEYOND_LOOP_S else "no"
        rows.append(
            (
                case,
                whole,
                min(w for w, _, _ in r),
                statistics.median(c for _, c, _ in r),
                whole - base,
                statistics.median(lp for _, _, lp in r),
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
    write_json(
        Path(args.json),
        "startup",
        COLUMNS,
        rows,
        {"repeat": args.repeat, "command": dil, "stack": args.stack, "worker": args.worker},
    )
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
    p.add_argument("--stack", default="builtin", help="the run's driving stack (default %(default)s)")
    p.add_argument(
        "--worker",
        action="store_true",
        help="also hand the run to a dil run-worker started for the benchmark",
    )
    p.add_argument("--json", default="bench-startup.json", help="where to write the JSON report")
    p.set_defaults(func=bench)
