"""Test tiers: the markers ``realtime``, ``subprocess``, ``browser`` and ``slow``, applied at collection.

A test gets a tier marker from where it lives (:data:`BY_PATH`), from what its code and its fixtures'
code call (a test or fixture that starts a process, paces against the wall clock or drives a browser,
directly or through a helper of the test suite), or from its module's ``pytestmark``. The
deterministic tier is ``-m "not realtime and not subprocess and not browser"``.

The markers are checked while the tests run: a test that starts a process without the ``subprocess``
marker fails, naming the command, so the deterministic tier stays free of processes.
"""

from __future__ import annotations

import inspect
import linecache
import os
import re
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

# the `dil run` processes of the tests are fresh ones, never handed to a run-worker of the developer's
# (tests/cli/test_run_worker.py starts its own)
os.environ["DIL_RUN_WORKER"] = "off"
# the test modules' rewritten bytecode is kept for the next worker and run even where the environment
# asks Python to write none (PYTHONDONTWRITEBYTECODE): collecting compiled them anew in every worker
sys.dont_write_bytecode = False

# Markers by place under tests/ (a directory, a file, or file::test for all its parameters): what every
# test there does.
BY_PATH: dict[str, tuple[str, ...]] = {
    "carla_lite": ("subprocess",),  # every test talks to its own `dil carla-lite` process
    "console/test_browser.py": ("browser", "slow"),
    "conform/test_conform.py": ("subprocess", "slow"),  # `dil conform` runs each file as `dil run`
    # the slowest measured (more than 30 s each on a loaded 2-core machine)
    "cli/test_startup.py::test_a_cold_kernel_cache_is_compiled_before_the_loop_with_a_notice"
    "_and_a_warm_one_silently": ("slow",),
    "campaign/test_campaign.py::test_a_killed_campaign_resumes_without_duplicates_or_gaps": ("slow",),
    "campaign/test_campaign.py::test_ray_and_local_engines_give_identical_tables": ("slow",),
    "fuzz/test_fuzz_commands.py::test_commands_on_hostile_input_exit_cleanly": ("slow",),
}

# What a test's code (or a fixture's, or a helper's from the test suite) calls that puts it in a tier.
BY_CODE: dict[str, re.Pattern[str]] = {
    "subprocess": re.compile(
        r"\bsubprocess\.(?:run|Popen|check_output|check_call|call)\b|\bPopen\(|\.Process\(|\bray\.init\b"
        r"|engine=\"ray\"|AiOptions\(model="  # the library starts them: a Ray cluster, a local inference node
    ),
    "realtime": re.compile(r"\bWallClock\b"),  # a loop paced by the wall clock, in this process
    "browser": re.compile(r"\bsync_playwright\b|\bchromium\.launch\b"),
}


def _own_code(obj: object) -> bool:
    """Whether ``obj`` is a function or class defined in the test suite (helpers are followed)."""
    if isinstance(obj, types.FunctionType):
        path = obj.__code__.co_filename
    elif isinstance(obj, type):
        path = getattr(sys.modules.get(obj.__module__), "__file__", None) or ""
    else:
        return False
    return _in_suite(path)


_SUITE_FILES: dict[str, bool] = {}


def _in_suite(path: str) -> bool:
    """Whether the file ``path`` is one of the test suite's, this file excepted (memoised by path)."""
    known = _SUITE_FILES.get(path)
    if known is None:
        where = Path(path).resolve() if path else None
        known = where is not None and where.is_relative_to(TESTS) and where != Path(__file__).resolve()
        _SUITE_FILES[path] = known
    return known


def _source(obj: object) -> str:
    """The lines of a function's or class's code (from its first line, decorators included, to the last
    line its code objects name): what ``inspect.getsource`` gives, without tokenizing the file."""
    if isinstance(obj, types.FunctionType):
        codes = [obj.__code__]
    elif isinstance(obj, type):
        codes = [v.__code__ for v in vars(obj).values() if isinstance(v, types.FunctionType)]
    else:
        return ""
    lines: list[str] = []
    for code in codes:
        last, todo = code.co_firstlineno, [code]
        while todo:
            c = todo.pop()
            last = max([last, *(line for _s, _e, line in c.co_lines() if line is not None)])
            todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        lines += linecache.getlines(code.co_filename)[code.co_firstlineno - 1 : last]
    return "".join(lines)


def _names(obj: object) -> Iterator[str]:
    """Global names a function or class refers to, nested code included."""
    codes = []
    if isinstance(obj, types.FunctionType):
        codes.append(obj.__code__)
    else:
        codes.extend(v.__code__ for v in vars(obj).values() if isinstance(v, types.FunctionType))
    while codes:
        code = codes.pop()
        yield from code.co_names
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))


class _Scanner:
    """Finds the tiers of test functions and fixtures from their source, following the suite's helpers."""

    def __init__(self) -> None:
        self._memo: dict[object, frozenset[str]] = {}

    def tiers(self, obj: object) -> frozenset[str]:
        key = obj
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = frozenset()  # recursion guard
        source = _source(obj)
        found = {tier for tier, pattern in BY_CODE.items() if pattern.search(source)}
        scope = getattr(obj, "__globals__", None) or vars(inspect.getmodule(obj) or types.ModuleType("_"))
        for name in set(_names(obj)):
            ref = scope.get(name)
            if ref is not None and ref is not obj and _own_code(ref):
                found |= self.tiers(ref)
        self._memo[key] = frozenset(found)
        return self._memo[key]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    scanner = _Scanner()
    for item in items:
        rel = Path(item.path).resolve().relative_to(TESTS).as_posix()
        tiers: set[str] = set()
        test = rel + "::" + item.nodeid.split("::", 1)[1].split("[", 1)[0] if "::" in item.nodeid else rel
        for place, marks in BY_PATH.items():
            if place in (rel, test) or rel.startswith(place + "/"):
                tiers.update(marks)
        function = getattr(item, "function", None)
        if function is not None:
            tiers |= scanner.tiers(function)
        info = getattr(item, "_fixtureinfo", None)
        for defs in info.name2fixturedefs.values() if info is not None else ():
            for fixturedef in defs:
                func = getattr(fixturedef.func, "__wrapped__", fixturedef.func)
                if _own_code(func):
                    tiers |= scanner.tiers(func)
        for tier in sorted(tiers - {m.name for m in item.iter_markers()}):
            item.add_marker(tier)
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the order its files are handed out in
        items[:] = costliest_files_first(items)


# --- the order files are handed to xdist's workers: the costliest first ---------------------------

MEASURED_S: dict[str, float] = {
    "cli/test_readme_commands.py": 330,
    "carla_lite/test_traffic_manager.py": 84,
    "console/test_browser.py": 71,
    "conform/test_conform.py": 65,
    "campaign/test_campaign.py": 64,
    "campaign/test_bench.py": 63,
    "drive/test_verdicts.py": 60,
    "carla_lite/test_agent_in_traffic.py": 48,
    "hil_rigs/test_server.py": 40,
    "cli/test_run_worker.py": 39,
    "hil_rigs/test_rig_latching.py": 32,
    "cli/test_startup.py": 30,
    "inference/test_ai_stack.py": 23,
    "recording/test_foxglove_export.py": 23,
    "console/test_api.py": 23,
    "console/test_scene.py": 21,
    "inference/test_node.py": 18,
    "campaign/test_worker.py": 18,
    "scenario/test_catalog.py": 18,
    "drive/test_two_processes.py": 17,
    "test_import_contract.py": 17,
    "world/test_carla_backend.py": 16,
    "cli/test_quiet.py": 15,
}
"""The costliest files as measured (``--junitxml``, summed per file, fresh clone, ``-n 2`` on a 2-core
machine at load average 5-7, 15 min in all; the cold kernel cache and the catalog warning tests as
they are now) [s]: where the order starts. A file not listed is estimated from its tiers."""
COST_S = {"slow": 20.0, "browser": 10.0, "subprocess": 3.0, "realtime": 2.0}
"""A test's rough cost by its costliest tier [s]; a test of the deterministic tier costs
:data:`DETERMINISTIC_S`. A file's estimate is capped below the listed ones (:data:`ESTIMATE_CAP_S`)."""
DETERMINISTIC_S = 0.3
ESTIMATE_CAP_S = 30.0


def _cost(item: pytest.Item) -> float:
    return max((COST_S.get(m.name, 0.0) for m in item.iter_markers()), default=0.0) or DETERMINISTIC_S


def file_cost(path: Path, tests: list[pytest.Item]) -> float:
    """The measured or estimated cost of a test file's tests [s]."""
    measured = MEASURED_S.get(path.resolve().relative_to(TESTS).as_posix())
    return measured if measured is not None else min(ESTIMATE_CAP_S, sum(_cost(t) for t in tests))


def costliest_files_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """``items`` with whole files in order of their cost (:func:`file_cost`), highest first, and each
    file's tests in their own order. xdist hands out files in this order (``--no-loadscope-reorder``),
    so the long ones start at once and the short ones fill in at the end: both workers finish together."""
    files: dict[Path, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(Path(item.path), []).append(item)
    ranked = sorted(files.items(), key=lambda kv: -file_cost(*kv))
    return [item for _path, tests in ranked for item in tests]


# --- the check while running: a process started by a test outside the subprocess tier fails it ----

_running: list[pytest.Item] = []  # the item being set up or run
_unmarked: list[str] = []  # processes started by it without its 'subprocess' marker


def _runs_python(args: object) -> bool:
    """Whether a command runs Python or ``dil`` (a library's own helper, such as ``ldconfig -p`` run by
    ``ctypes.util.find_library``, is no process of the test's)."""
    first = args if isinstance(args, (str, bytes, Path)) else next(iter(args), "")  # type: ignore[call-overload]
    name = Path(str(first).split()[0] if isinstance(first, str) else str(first)).name
    return name.startswith("python") or name == "dil"


class _CheckedPopen(subprocess.Popen):
    """Popen that notes a process started by a test not marked ``subprocess`` (from any thread)."""

    def __init__(self, args, *a, **kw) -> None:  # type: ignore[no-untyped-def]
        if _running and _running[-1].get_closest_marker("subprocess") is None and _runs_python(args):
            _unmarked.append(repr(args)[:200])
        super().__init__(args, *a, **kw)


def _watch(item: pytest.Item) -> Iterator[None]:
    _running.append(item)
    _unmarked.clear()
    try:
        yield
    finally:
        _running.pop()
    if _unmarked:
        started = "; ".join(_unmarked)
        _unmarked.clear()
        pytest.fail(
            f"{item.nodeid} starts a process ({started}) but is not marked 'subprocess': "
            "mark it (pytestmark or @pytest.mark.subprocess) or call the code in-process",
            pytrace=False,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    yield from _watch(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    yield from _watch(item)


def pytest_configure(config: pytest.Config) -> None:
    subprocess.Popen = _CheckedPopen  # type: ignore[misc]


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Iterator[object]:
    """With ``-n N``: compile the kernels of a run, and in a second process those of the rig and of
    every vehicle model, into the shared numba cache (``dil warm --all``) while the workers start and
    collect, before any test runs. A fresh clone's first tests would otherwise each compile the same
    kernels at once (``dil run`` processes, in-process runs, ``dil rig serve``, ``dil warm``); with a
    warm cache this costs about two seconds. Tests of a cold cache use caches of their own."""
    if getattr(session.config.option, "numprocesses", None) and not hasattr(session.config, "workerinput"):
        done = subprocess.run(
            [sys.executable, "-m", "dil", "warm", "--all"],
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        if done.returncode != 0:  # the tests then compile as they go, as before; say why
            print(f"dil warm: exit {done.returncode}: {done.stderr[-2000:]}", file=sys.stderr)
    return (yield)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop and wait for a ``multiprocessing`` forkserver the tests started (the zygote of
    ``tests/carla_lite``'s servers): it reaped the servers, so their CPU time counts in the run's."""
    from multiprocessing import forkserver

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if stop is not None:
        stop()


WORKERS_PER_CORE = 2.0
"""``-n auto``'s workers per core. Much of the suite waits rather than computes (real-time runs, server
start-ups, time-outs the harness tests provoke), and while one worker waits another computes: fresh
clones' suites on 2 cores took 6 min 04 s with 2 workers, 5 min 23 s with 3 and 4 min 59 s to 5 min 09 s
with 4 (docs/testing.md)."""


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """The workers of ``-n auto``: :data:`WORKERS_PER_CORE` per core this process may run on, or
    ``PYTEST_XDIST_AUTO_NUM_WORKERS`` where set (as pytest-xdist's own rule)."""
    named = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if named:
        return int(named)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, int(cores * WORKERS_PER_CORE))


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist picks its default, "load"
def pytest_cmdline_main(config: pytest.Config) -> None:
    """``-n N`` runs each test file on one worker (pytest-xdist's ``loadfile``): a module's expensive
    fixtures are set up once and its tests keep their order (the README commands build on each other).
    Files are handed out costliest first (:func:`costliest_files_first`)."""
    if getattr(config.option, "numprocesses", None) and config.option.dist == "no":
        config.option.dist = "loadfile"
        config.option.loadscopereorder = False  # the files in the order the workers collect them


SERIAL_PACKAGES = ("tests/carla_lite/",)
"""Test packages whose files one worker runs one after the other (with ``-n``): carla-lite servers
and their real clients side by side on a loaded 2-core machine can starve a client's sensor threads
so that ``apply_batch_sync`` hits its time-out (tests/carla_lite/test_batch_cleanup.py)."""


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):  # type: ignore[no-untyped-def]
    """pytest-xdist's ``loadfile`` hand-out, with each of :data:`SERIAL_PACKAGES` one unit."""
    from xdist.scheduler import LoadFileScheduling

    class FileOrPackage(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return next((p for p in SERIAL_PACKAGES if path.startswith(p)), path)

    return FileOrPackage(config, log) if config.option.dist == "loadfile" else None
