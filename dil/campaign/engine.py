"""Running a campaign's runs: a local process pool (default) or Ray tasks; results stored run by
run, atomically, so a killed campaign resumes where it stopped."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path

from .pool import run_local, stall_s
from .runs import RunSpec
from .worker import execute, execute_many

ENGINES = ("local", "ray")

RAY_TASKS_PER_WORKER = 4
"""Ray tasks per worker a campaign is cut into (at least): runs are grouped into tasks of several runs
so that the cluster's cost per task (scheduling, transfer of arguments and results) is shared, while
enough tasks remain to balance the load."""
RAY_MAX_RUNS_PER_TASK = 16
"""The most runs one Ray task carries (results arrive task by task)."""


def ray_chunk(n_runs: int, workers: int) -> int:
    """Runs per Ray task for ``n_runs`` runs on ``workers`` workers."""
    return max(1, min(RAY_MAX_RUNS_PER_TASK, n_runs // max(1, workers * RAY_TASKS_PER_WORKER)))


def result_path(out: Path, run_id: str) -> Path:
    return out / "runs" / run_id / "result.json"


def store(out: Path, spec: RunSpec, row: dict) -> None:
    """Write one run's result atomically (a reader never sees half a file)."""
    path = result_path(out, spec.run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"spec": spec.as_dict(), **row}, indent=1, default=str))
    os.replace(tmp, path)


def done_ids(out: Path) -> set[str]:
    """Runs already complete in ``out`` (resume skips them)."""
    return {p.parent.name for p in (out / "runs").glob("*/result.json")} if (out / "runs").is_dir() else set()


def _ray(
    specs: list[RunSpec], out: Path, keep: bool, timeout: float, address: str | None, workers: int, osi: bool
) -> Iterator[tuple[RunSpec, dict]]:
    try:
        import ray
    except ImportError:
        raise RuntimeError("the ray engine needs Ray: pip install 'dil[ray]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(
            address=address,
            num_cpus=None if address else workers,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    task = ray.remote(execute_many)
    size = ray_chunk(len(specs), workers)
    chunks = [specs[i : i + size] for i in range(0, len(specs), size)]
    try:
        refs = {task.remote([s.as_dict() for s in c], str(out), keep, timeout, osi): c for c in chunks}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for r in ready:
                chunk = refs.pop(r)
                try:
                    got = ray.get(r)
                except Exception as e:
                    got = [
                        {
                            "run_id": spec.run_id,
                            "status": "error",
                            "error": f"ray: {type(e).__name__}: {e}",
                            "kpis": {},
                            "verdict": {},
                            "log": "",
                        }
                        for spec in chunk
                    ]
                yield from zip(chunk, got, strict=True)
    finally:
        if started:
            ray.shutdown()


def run_campaign(
    specs: list[RunSpec],
    out: Path,
    *,
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    keep_passing_logs: bool = False,
    osi: bool = False,
    timeout: float = 600.0,
    progress: Callable[[int, int, int, float], None] | None = None,
) -> tuple[int, int]:
    """Run what is not done yet; returns (runs done now, runs skipped as already done). ``osi``: each
    run's log also holds ASAM OSI ground truth."""
    out.mkdir(parents=True, exist_ok=True)
    done = done_ids(out)
    todo = [s for s in specs if s.run_id not in done]
    workers = workers or os.cpu_count() or 1
    if engine == "local":
        play = partial(
            execute, out_dir=str(out), keep_passing_logs=keep_passing_logs, timeout_s=timeout, osi=osi
        )
        stream: Iterable = run_local(todo, play, workers, stall_s(timeout))
    elif engine == "ray":
        stream = _ray(todo, out, keep_passing_logs, timeout, address, workers, osi)
    else:
        raise ValueError(f"engine {engine!r}: must be one of {', '.join(ENGINES)}")
    t0 = time.perf_counter()
    failures = 0
    n = 0
    for spec, row in stream:
        store(out, spec, row)
        n += 1
        failures += row["status"] != "pass"
        if progress is not None:
            progress(n, len(todo), failures, time.perf_counter() - t0)
    return n, len(specs) - len(todo)
