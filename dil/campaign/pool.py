"""The local engine's process pool: runs on worker processes, results as they finish, and no wait
without end.

Workers start from multiprocessing's forkserver on Linux (``spawn`` elsewhere), never by ``fork`` of
the campaign's own process: a process with threads (a console, a test runner, a ZeroMQ context)
forked while one of them held a lock leaves a child that waits on that lock for ever.

Two things end a pool early, and both are survived: a worker that dies (a crash in native code, the
kernel's OOM killer) and a pool that gives no result for :func:`stall_s` (a run stuck where its own
time limit cannot reach, such as a native call). The runs that were handed to the workers then are
the suspects: they are played again one at a time in a pool of one worker, so a run that kills or
hangs its worker alone is named and recorded as an ``error``, and every other run is played as
usual (a run that failed only beside others, such as a lock copied by a fork, then passes). Runs not
yet handed out are never charged with another run's failure.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context

from .runs import RunSpec
from .worker import warm_up

PARENT_CHECK_S = 1.0
"""How often a pool worker checks that the campaign process still lives, in seconds (the fallback
where the kernel's parent-death signal is not available)."""
START_GRACE_S = 300.0
"""Time a worker may take beyond its runs' limits before a stall is declared [s]: its start-up
(kernels compiled on a cold cache) on a loaded machine."""

_PR_SET_PDEATHSIG = 1


def stall_s(timeout: float) -> float | None:
    """How long a pool may give no result before it counts as stalled [s]: a run plays at most twice
    (once more to record a failure's log), each under ``timeout``, after its worker's start-up.
    None where runs have no time limit (``timeout`` 0): then only a worker's death ends the pool."""
    return 2.0 * timeout + START_GRACE_S if timeout > 0 else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process took the pid: ours is gone
        return False
    return True


def _die_with_campaign(campaign_pid: int) -> None:
    """Make this worker end when the campaign process ends, even by SIGKILL. Its parent is the
    campaign or the campaign's forkserver, which ends with it: the kernel sends SIGKILL on the
    parent's death (Linux PR_SET_PDEATHSIG), and a daemon thread checks every ``PARENT_CHECK_S``
    seconds that the parent and the campaign still live, as a fallback (other systems, or a missed
    signal)."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the fallback below still ends the worker

    def watch() -> None:
        while os.getppid() == parent and _alive(campaign_pid):
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    if not _alive(campaign_pid) or os.getppid() != parent:  # gone before the signal was armed
        os._exit(1)
    threading.Thread(target=watch, name="campaign-watch", daemon=True).start()


def _init_worker(campaign_pid: int, then: Callable[[], None] | None) -> None:
    _die_with_campaign(campaign_pid)
    if then is not None:
        then()


def _context():  # type: ignore[no-untyped-def]
    return get_context("forkserver" if sys.platform.startswith("linux") else "spawn")


def _pool(workers: int, initializer: Callable[[], None] | None) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_context(),
        initializer=_init_worker,
        initargs=(os.getpid(), initializer),
    )


def _end(pool: ProcessPoolExecutor) -> None:
    """Kill a pool's workers and let it go (its futures then fail with BrokenProcessPool)."""
    kill = getattr(pool, "kill_workers", None)  # Python 3.14
    if kill is not None:
        kill()
    else:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)


def _error(run_id: str, message: str) -> dict:
    return {"run_id": run_id, "status": "error", "error": message, "kpis": {}, "verdict": {}, "log": ""}


Play = Callable[[dict], dict]
"""What a worker does with one run: its spec (:meth:`RunSpec.as_dict`) -> its result row. Picklable."""


def _one_by_one(
    specs: list[RunSpec], play: Play, stall: float | None, initializer: Callable[[], None] | None, why: str
) -> Iterator[tuple[RunSpec, dict]]:
    """Play ``specs`` one at a time on a pool of one worker (a new one after a failure): each row, or
    an error naming what its worker did on that run alone."""
    pool = None
    try:
        for spec in specs:
            pool = pool or _pool(1, initializer)
            future = pool.submit(play, spec.as_dict())
            try:
                row = future.result(timeout=stall)
            except TimeoutError:
                _end(pool)
                pool = None
                message = f"no result in {stall:g} s, also when played alone after {why}"
                row = _error(spec.run_id, f"worker: {message}; its worker was ended")
            except Exception as e:  # the worker died on this run alone
                _end(pool)
                pool = None
                message = f"{type(e).__name__}: {e}, also when played alone after {why}"
                row = _error(spec.run_id, f"worker: {message}")
            yield spec, row
    except BaseException:  # the campaign stops: so does the worker
        if pool is not None:
            _end(pool)
        raise
    if pool is not None:
        pool.shutdown(wait=True)


def run_local(
    specs: list[RunSpec],
    play: Play,
    workers: int,
    stall: float | None,
    initializer: Callable[[], None] | None = warm_up,
) -> Iterator[tuple[RunSpec, dict]]:
    """Play ``specs`` on ``workers`` worker processes (each runs ``initializer`` first, then ``play``
    on its runs); yields (spec, row) as each finishes, every run exactly once. ``stall``: how long the
    pool may give no result [s] (:func:`stall_s`; None: no limit). See the module's text for workers
    that die or stall."""
    todo = deque(specs)
    while todo:
        pool = _pool(workers, initializer)
        finished: queue.SimpleQueue[Future] = queue.SimpleQueue()
        order: list[tuple[Future, RunSpec]] = []  # submission order: how the pool hands runs out
        for spec in todo:
            future = pool.submit(play, spec.as_dict())
            future.add_done_callback(finished.put)  # one wake-up per result, whatever the campaign's size
            order.append((future, spec))
        todo.clear()
        by_future = dict(order)
        why = ""
        try:
            while by_future:
                try:
                    future = finished.get(timeout=stall)
                except queue.Empty:
                    why = f"no result from the pool in {stall:g} s"
                    break
                try:
                    row = future.result()
                except BaseException as e:  # a worker died: the runs handed out are suspects
                    why = f"a worker died ({type(e).__name__}: {e})"
                    break
                yield by_future.pop(future), row
        except BaseException:  # the campaign stops (Ctrl-C, its caller gone): so do its workers
            _end(pool)
            raise
        if not why:
            pool.shutdown(wait=True)
            return
        _end(pool)
        for future, spec in order:  # results that came in as the pool ended
            if future in by_future and not future.cancelled() and future.exception() is None:
                del by_future[future]
                yield spec, future.result()
        left = [spec for future, spec in order if future in by_future]
        # the pool hands runs out in submission order: one running on each worker and up to
        # `workers + 1` queued for them, so the first `2 * workers + 1` runs left hold every run it
        # may have been playing
        handed = 2 * workers + 1
        todo = deque(left[handed:])
        yield from _one_by_one(left[:handed], play, stall, initializer, why)
