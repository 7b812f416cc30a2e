"""Running campaign runs in a worker process (a local pool worker or a Ray task).

A worker lives for the whole campaign and runs many runs: kernels load once (:func:`warm_up`), and
each run is built and played in the same process, on the road network, vehicle parameter set and
criteria the worker's earlier runs already read (one :class:`~dil.run.reuse.Reuse` per worker
process, :func:`process_reuse`; local pool workers and Ray workers alike). A run records its log
only where the log is kept: every run when passing logs are kept, else a run that did not pass is
played again with the recorder on. Batch runs are deterministic, so the second play is the same
run, bit for bit; recording costs about as much as the loop itself, and most runs of a campaign
pass.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
import traceback
from pathlib import Path

from dil.run.reuse import Reuse

from .runs import RunSpec

_reuse: list[Reuse] = []
"""This worker process's :class:`Reuse` (made on first use): a process is one worker."""


def process_reuse() -> Reuse:
    """The set-up parts this worker process's runs share (road networks, parameter sets, criteria)."""
    if not _reuse:
        _reuse.append(Reuse())
    return _reuse[0]


class RunTimeout(Exception):  # noqa: N818 (the run's outcome is named, not an error of ours)
    pass


def warm_up() -> None:
    """Compile or load every kernel once per worker, not per run."""
    import logging

    logging.disable(logging.WARNING)
    from dil.numba_setup import prepare_process

    prepare_process()  # before the first kernel loads
    from dil.campaign.runs import RunSpec  # noqa: F401 (import the modules runs use)
    from dil.paths import catalog_dir
    from dil.run import spec as run
    from dil.run.runner import run as play

    catalog = catalog_dir() / "ccrs.xosc"
    if catalog.is_file():
        play(run.RunSpec(run.ScenarioChoice(catalog), timing=run.Timing(max_time=0.2)))


def _play(spec: RunSpec, log: Path | None, osi: bool) -> dict:
    """One play of the run; ``log``: where to record it (None: no recorder). Raises what the run raises."""
    from dil.run import spec as run
    from dil.run.runner import run as play

    reuse = process_reuse()
    criteria = reuse.criteria(Path(spec.scenario))
    if spec.criteria:
        criteria = criteria.with_overrides({k: str(json.loads(v)) for k, v in spec.criteria})
    result = play(
        run.RunSpec(
            run.ScenarioChoice(Path(spec.scenario), dict(spec.params)),
            run.DriverChoice(spec.stack),
            vehicle=run.VehicleChoice(spec.vehicle, spec.model),
            outputs=run.Outputs(record=log, osi_in_log=osi and log is not None),
            timing=run.Timing(max_time=spec.max_time),
            criteria=criteria,
        ),
        reuse=reuse,
    )
    return {
        "status": result.outcome,  # pass, fail, aborted or incomplete
        "kpis": result.kpis,
        "verdict": result.verdict,
        "end": result.end,
        "simulated_s": result.simulated_s,
        "loop_s": result.wall_s,
        "loop_cpu_s": result.loop_cpu_s,
    }


def _attempt(spec: RunSpec, log: Path | None, osi: bool, timeout_s: float) -> tuple[dict, bool]:
    """One play under the wall-time limit ``timeout_s`` [s] (0: none); never raises. Returns the row's
    fields and whether the limit ended it."""
    fields: dict = {"status": "error", "error": ""}

    def alarm(signum: int, frame: object) -> None:
        raise RunTimeout(f"the run took longer than {timeout_s:g} s of wall time")

    previous = signal.signal(signal.SIGALRM, alarm) if timeout_s > 0 else None
    if timeout_s > 0:
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
    timed_out = False
    try:
        fields.update(_play(spec, log, osi))
    except BaseException as e:  # the run's failure, recorded; the campaign goes on
        timed_out = isinstance(e, RunTimeout)
        fields.update(error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc(limit=6))
    finally:
        if timeout_s > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return fields, timed_out


def execute(
    run_spec: dict, out_dir: str, keep_passing_logs: bool, timeout_s: float, osi: bool = False
) -> dict:
    """One run; never raises: an exception or a timeout is the run's result. A run that did not pass
    keeps its log; ``keep_passing_logs``: every run does. ``osi``: a kept log also holds ASAM OSI
    ground truth (channel ``ground_truth``). ``wall_s``: wall time of the run [s], a second play
    to record it included; ``plays``: 1, or 2 when the run was played again to record its log;
    ``cpu_s``: this process's CPU time for the run [s] (``loop_cpu_s`` of it in the loops of its
    plays); ``reused``: set-up parts taken from the worker's earlier runs instead of read again."""
    spec = RunSpec.from_dict(run_spec)
    reuse = process_reuse()
    hits, cpu0 = reuse.hits, time.process_time()
    run_dir = Path(out_dir) / "runs" / spec.run_id
    log = run_dir / "run.mcap"
    row: dict = {"run_id": spec.run_id, "status": "error", "error": "", "log": "", "kpis": {}, "verdict": {}}
    t0 = time.perf_counter()
    if keep_passing_logs:
        run_dir.mkdir(parents=True, exist_ok=True)
    fields, timed_out = _attempt(spec, log if keep_passing_logs else None, osi, timeout_s)
    plays = 1
    if fields["status"] != "pass" and not keep_passing_logs and not timed_out:
        run_dir.mkdir(parents=True, exist_ok=True)  # the same run again, recorded: its log is kept
        first_loop_cpu = fields.get("loop_cpu_s", 0.0)
        fields, _ = _attempt(spec, log, osi, timeout_s)
        fields["loop_cpu_s"] = fields.get("loop_cpu_s", 0.0) + first_loop_cpu  # both plays' loops
        plays = 2
    row.update(fields)
    row["wall_s"] = time.perf_counter() - t0
    row["plays"] = plays
    row["reused"] = reuse.hits - hits
    if log.exists():
        if row["status"] == "pass" and not keep_passing_logs:
            log.unlink()
        else:
            row["log"] = str(log)
    if run_dir.is_dir() and not any(run_dir.iterdir()):
        shutil.rmtree(run_dir, ignore_errors=True)
    row["cpu_s"] = time.process_time() - cpu0
    row["pid"] = os.getpid()  # the worker process, and its CPU time so far (its start-up included)
    row["process_cpu_s"] = time.process_time()
    return row


def execute_many(
    run_specs: list[dict], out_dir: str, keep_passing_logs: bool, timeout_s: float, osi: bool = False
) -> list[dict]:
    """Several runs in one task, in order (:func:`execute` for each): one Ray task carries a few
    runs so that the per-task cost of the cluster is shared."""
    return [execute(s, out_dir, keep_passing_logs, timeout_s, osi) for s in run_specs]
