"""The local engine's pool: a worker that dies or a run that never answers costs that run alone (an
error naming it) and never the campaign: every other run is played, once, and the pool never waits
without end. The workers here play stand-in runs (module functions below) on real worker processes."""

import os
import signal
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from dil.campaign.pool import run_local, stall_s
from dil.campaign.runs import RunSpec

from .procs import running

pytestmark = pytest.mark.subprocess  # the pool's worker processes

STALL_S = 5.0
"""The pool's stall limit here [s]: far beyond a stand-in run's time on a loaded machine."""


@pytest.fixture(autouse=True, scope="module")
def _forkserver_started():
    """Start this process's forkserver before any stall is timed: its start (and whatever preload
    another test module set for it, e.g. carla-lite's server modules) is not a run's time."""
    for _ in run_local(_specs(1), _row, 1, None, initializer=None):
        pass


def _specs(n: int) -> list[RunSpec]:
    return [RunSpec("s.xosc", "0" * 64, (("i", str(i)),), "none", 0, i, "car", "st", 1.0) for i in range(n)]


def _index(spec: dict) -> int:
    return int(dict(spec["params"])["i"])


def _row(spec: dict) -> dict:
    return {"run_id": spec["run_id"], "status": "pass", "pid": os.getpid()}


def play_dies_on_3(spec: dict) -> dict:
    if _index(spec) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return _row(spec)


def play_hangs_on_2(spec: dict) -> dict:
    if _index(spec) == 2:
        threading.Event().wait()  # stands for a run stuck where its own time limit cannot reach
    return _row(spec)


def play_dies_once_on_1(spec: dict, marks: str) -> dict:
    mark = Path(marks) / "died"
    if _index(spec) == 1 and not mark.exists():
        mark.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return _row(spec)


def _played(specs: list[RunSpec], play, workers: int = 2, stall: float | None = STALL_S) -> dict[int, dict]:
    rows: dict[int, dict] = {}
    for spec, row in run_local(specs, play, workers, stall, initializer=None):
        i = int(dict(spec.params)["i"])
        assert i not in rows, f"run {i} yielded twice"
        assert row["run_id"] == spec.run_id
        rows[i] = row
    assert sorted(rows) == list(range(len(specs)))
    return rows


def test_a_worker_that_dies_costs_its_run_alone():
    rows = _played(_specs(12), play_dies_on_3)
    assert rows[3]["status"] == "error"
    assert "BrokenProcessPool" in rows[3]["error"] and "played alone" in rows[3]["error"]
    assert all(rows[i]["status"] == "pass" for i in rows if i != 3)


def test_a_run_that_never_answers_is_named_and_the_pool_goes_on():
    t0 = time.monotonic()
    rows = _played(_specs(8), play_hangs_on_2)
    assert rows[2]["status"] == "error"
    assert f"no result in {STALL_S:g} s" in rows[2]["error"] and "its worker was ended" in rows[2]["error"]
    assert all(rows[i]["status"] == "pass" for i in rows if i != 2)
    assert time.monotonic() - t0 >= 2 * STALL_S  # once among the others, once alone


def test_a_run_whose_worker_died_once_is_played_again_and_counts(tmp_path):
    play = partial(play_dies_once_on_1, marks=str(tmp_path))
    rows = _played(_specs(6), play)
    assert (tmp_path / "died").exists()
    assert all(row["status"] == "pass" for row in rows.values())


def test_workers_start_from_a_forkserver_not_a_fork_of_the_campaign():
    """A fork of a process with threads can copy a lock another thread holds: the child would wait on
    it for ever. Workers are children of multiprocessing's forkserver, not of this process."""
    rows = _played(_specs(4), _row_with_parent, workers=2)
    assert all(row["parent"] != os.getpid() for row in rows.values())


def _row_with_parent(spec: dict) -> dict:
    return {**_row(spec), "parent": os.getppid()}


def test_the_stall_limit_covers_two_plays_and_a_start_up():
    assert stall_s(0) is None
    assert stall_s(10.0) > 20.0


def play_first_then_waits(spec: dict) -> dict:
    if _index(spec) > 0:
        threading.Event().wait()  # busy with a long run when the campaign stops
    return _row(spec)


def test_a_campaign_that_stops_takes_its_workers_along():
    """Ctrl-C in the campaign, or its caller gone: the pool's workers end, not run on."""
    plays = run_local(_specs(6), play_first_then_waits, 2, STALL_S, initializer=None)
    _spec, row = next(plays)
    assert running(row["pid"])
    plays.close()
    deadline = time.monotonic() + 30
    while running(row["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(row["pid"])
