"""Running one campaign run in a worker process (local pool or Ray task)."""

from __future__ import annotations

import json
import shutil
import signal
import time
import traceback
from pathlib import Path

from .runs import RunSpec


class RunTimeout(Exception):  # noqa: N818 (the run's outcome is named, not an error of ours)
    pass


def warm_up() -> None:
    """Compile or load every kernel once per worker, not per run."""
    import logging

    logging.disable(logging.WARNING)
    from dil.campaign.runs import RunSpec  # noqa: F401 (import the modules runs use)
    from dil.paths import catalog_dir
    from dil.run import spec as run
    from dil.run.runner import run as play

    catalog = catalog_dir() / "ccrs.xosc"
    if catalog.is_file():
        play(run.RunSpec(run.ScenarioChoice(catalog), timing=run.Timing(max_time=0.2)))


def execute(
    run_spec: dict, out_dir: str, keep_passing_logs: bool, timeout_s: float, osi: bool = False
) -> dict:
    """One run; never raises: an exception or a timeout is the run's result. ``osi``: the log
    also holds ASAM OSI ground truth (channel ``ground_truth``)."""
    from dil.run import spec as run
    from dil.run.criteria import Criteria
    from dil.run.runner import run as play

    spec = RunSpec.from_dict(run_spec)
    run_dir = Path(out_dir) / "runs" / spec.run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    log = run_dir / "run.mcap"
    row: dict = {"run_id": spec.run_id, "status": "error", "error": "", "log": "", "kpis": {}, "verdict": {}}
    t0 = time.perf_counter()

    def alarm(signum: int, frame: object) -> None:
        raise RunTimeout(f"the run took longer than {timeout_s:g} s of wall time")

    previous = signal.signal(signal.SIGALRM, alarm) if timeout_s > 0 else None
    if timeout_s > 0:
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        criteria = Criteria.for_scenario(Path(spec.scenario))
        if spec.criteria:
            criteria = criteria.with_overrides({k: str(json.loads(v)) for k, v in spec.criteria})
        result = play(
            run.RunSpec(
                run.ScenarioChoice(Path(spec.scenario), dict(spec.params)),
                run.DriverChoice(spec.stack),
                vehicle=run.VehicleChoice(spec.vehicle, spec.model),
                outputs=run.Outputs(record=log, osi_in_log=osi),
                timing=run.Timing(max_time=spec.max_time),
                criteria=criteria,
            )
        )
        row.update(
            status=result.outcome,  # pass, fail, aborted or incomplete
            kpis=result.kpis,
            verdict=result.verdict,
            end=result.end,
            simulated_s=result.simulated_s,
            loop_s=result.wall_s,
        )
    except BaseException as e:  # the run's failure, recorded; the campaign goes on
        row.update(error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc(limit=6))
    finally:
        if timeout_s > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    row["wall_s"] = time.perf_counter() - t0
    if log.exists():
        if row["status"] == "pass" and not keep_passing_logs:
            log.unlink()
        else:
            row["log"] = str(log)
    if not any(run_dir.iterdir()):
        shutil.rmtree(run_dir, ignore_errors=True)
    return row
