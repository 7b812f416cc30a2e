"""The numba kernels compiled ahead of the first run, with a notice and progress while they compile.

Every kernel is ``@njit(cache=True)``: compiled once after install (about 40 kernels, some 40 s of
CPU), then loaded from numba's cache (``__pycache__`` beside the sources, or ``NUMBA_CACHE_DIR``)
by every later process. A run that found them compiling inside its loop would report a
meaningless real-time factor, so ``dil run`` calls :func:`warm` before its loop: when the cache is
cold it says so on stderr, compiles the kernels of a short catalog run and those of ``dil carla-lite``
with one progress line per kernel group and records which kernels they use (``dil-kernels.json`` in
the cache directory); when the cache is warm it only checks that record against the cache's index
files (a few ``stat`` calls). ``dil warm`` does the same ahead of time.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .numba_setup import LEAN_LOADS_FOR, lean_cache_loads, load_blas_alone, prepare_process

__all__ = ["LEAN_LOADS_FOR", "lean_cache_loads", "load_blas_alone", "prepare_process"]

COLD_COMPILE_S = 40.0
"""Time to compile the kernels of a run on a 2-core machine, as announced [s]."""
STAMP = "dil-kernels.json"
PACKAGES = ("dil.", "vehicle_models.", "hil_rigs.")
GROUPS = (
    ("vehicle_models", "vehicle dynamics"),
    ("hil_rigs", "motion cueing and rig"),
    ("dil.road", "road network"),
    ("dil.world", "world and sensors"),
    ("dil.carla_lite", "world and sensors"),
    ("dil.scenario", "scenario"),
    ("dil.stack", "driving stack"),
    ("dil.bus", "messages"),
    ("dil.vehicle", "messages"),
    ("dil.drive", "messages"),
    ("dil.realtime", "loop statistics"),
    ("dil.run", "KPI"),
)
"""Module prefix -> the kernel group its kernels are announced under."""


def group(module: str) -> str:
    """The kernel group of a module (the longest matching prefix of :data:`GROUPS`)."""
    best = max((p for p, _ in GROUPS if module == p or module.startswith(p + ".")), key=len, default=None)
    return dict(GROUPS)[best] if best else module


def _probe() -> None:
    """A function of this package: numba's cache locator says where dil's kernels are cached."""


def cache_dir() -> Path | None:
    """Where numba caches this package's kernels (None when there is no writable place)."""
    try:
        from numba.core.caching import FunctionCache

        return Path(FunctionCache(_probe)._cache_path)
    except Exception:  # numba found no writable cache directory: kernels compile in every process
        return None


def _used_kernels() -> list[dict[str, str]]:
    """The cached kernels compiled or loaded so far in this process: index file and source file."""
    import sys

    from numba.core.registry import CPUDispatcher

    found: dict[str, dict[str, str]] = {}
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(PACKAGES):
            continue
        for value in list(vars(module).values()):
            if not isinstance(value, CPUDispatcher) or not value.overloads:
                continue
            cache = getattr(value, "_cache", None)
            index = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
            if index and value.py_func.__code__.co_filename:
                found[index] = {"index": index, "source": value.py_func.__code__.co_filename}
    return sorted(found.values(), key=lambda k: k["index"])


def cold(where: Path | None = None) -> bool:
    """Whether a run would compile kernels: no record of them, a recorded kernel's cache index
    missing or older than its source file, or a kernel module changed since the record was made
    (:func:`sources_changed`)."""
    where = where if where is not None else cache_dir()
    if where is None:
        return True
    try:
        record = json.loads((where / STAMP).read_text())
        return any(_stale(k["index"], k["source"]) for k in record["kernels"]) or sources_changed(record)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return True


def sources_changed(record: dict) -> bool:
    """Whether a module with kernels changed since ``record`` (a :data:`STAMP`'s contents) was made:
    its time and size, then its SHA-256, against those recorded. numba keys a cached kernel on its
    own file alone, but a kernel's machine code holds the kernels it calls from other modules: after
    an edit (or a ``git pull``) of ``dil/road/lanes.py`` alone, numba would load every other module's
    cached kernels built with the old lane code. A record from before sources were recorded counts
    as changed. A few dozen ``stat`` calls when nothing changed."""
    import hashlib

    for path, (mtime_ns, size, digest) in record["sources"].items():
        try:
            st = os.stat(path)
        except OSError:
            return True
        if (st.st_mtime_ns, st.st_size) == (mtime_ns, size):
            continue
        if hashlib.sha256(Path(path).read_bytes()).hexdigest() != digest:
            return True
    return False


def kernel_sources(packages: tuple[str, ...] = ("dil", "vehicle_models", "hil_rigs")) -> dict[str, list]:
    """Every module of ``packages`` that uses numba: path -> [mtime_ns, size, SHA-256 hex]."""
    import hashlib

    found: dict[str, list] = {}
    for package in packages:
        folder = _find_package(package)
        if folder is None:
            continue
        for path in sorted(Path(folder).rglob("*.py")):
            data = path.read_bytes()
            if b"numba" in data:
                st = path.stat()
                found[str(path)] = [st.st_mtime_ns, st.st_size, hashlib.sha256(data).hexdigest()]
    return found


def purge(sources: dict[str, list] | list[str]) -> int:
    """Remove numba's cached kernels of the modules ``sources`` (in-tree ``__pycache__`` or under
    ``NUMBA_CACHE_DIR``, as numba places them); returns the number of files removed."""
    import types

    from numba.core.caching import FunctionCache

    removed = 0
    for source in sources:
        stand_in = types.FunctionType(_probe.__code__.replace(co_filename=source), _probe.__globals__, "x")
        try:
            where = Path(FunctionCache(stand_in)._cache_path)
        except Exception:  # no place numba would cache this module's kernels: nothing to remove
            continue
        stem = Path(source).stem
        for f in [*where.glob(f"{stem}.*.nbi"), *where.glob(f"{stem}.*.nbc")]:
            try:
                f.unlink()
                removed += 1
            except OSError:
                pass
    return removed


def _stale(index: str, source: str) -> bool:
    """Whether numba would compile the kernel of cache index ``index`` again: its source newer than
    the index and its contents not those the index was made from. numba keys its cache on the
    source's SHA-256, so a source whose time changed but whose contents did not (a checkout, a copy,
    an edit undone) keeps its kernels; only then is the source read and hashed."""
    if os.stat(index).st_mtime >= os.stat(source).st_mtime:
        return False
    import hashlib
    import pickle

    try:
        with open(index, "rb") as f:
            pickle.load(f)  # numba's version
            stamp = pickle.loads(f.read())[0]
    except Exception:  # not an index numba wrote as this reads it: compile to be sure
        return True
    return stamp != hashlib.sha256(Path(source).read_bytes()).digest()


class CompileProgress:
    """While installed (``with``), announces the first numba compilation once on ``stream`` and
    prints a line as each kernel group starts compiling; counts kernels and compile time [s]."""

    def __init__(self, stream: TextIO, estimate_s: float = COLD_COMPILE_S) -> None:
        from numba.core import event

        class _Listener(event.Listener):
            def on_start(inner, ev: event.Event) -> None:  # noqa: N805 (the outer self is used)
                self._started(ev.data["dispatcher"])

            def on_end(inner, ev: event.Event) -> None:  # noqa: N805
                self._ended()

        self.stream = stream
        self.estimate_s = estimate_s
        self.kernels = 0
        self.seconds = 0.0
        self._listener = _Listener()
        self._install = event.install_listener("numba:compile", self._listener)
        self._depth = 0
        self._t0 = 0.0
        self._groups: list[str] = []

    def __enter__(self) -> CompileProgress:
        self._install.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._install.__exit__(*exc)
        if self.kernels:
            print(
                f"compiled {self.kernels} kernels in {self.seconds:.1f} s; cached for the next runs",
                file=self.stream,
                flush=True,
            )

    def _started(self, dispatcher: object) -> None:
        self._depth += 1
        if self._depth > 1:  # a kernel that another one calls: counted with its caller
            return
        self._t0 = time.perf_counter()
        if not self._groups:
            print(
                f"compiling the dynamics kernels (first run after install, ~{self.estimate_s:.0f} s)...",
                file=self.stream,
                flush=True,
            )
        name = group(getattr(getattr(dispatcher, "py_func", None), "__module__", "") or "")
        if name not in self._groups:
            self._groups.append(name)
            print(f"  [{len(self._groups)}] {name} kernels", file=self.stream, flush=True)

    def _ended(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.kernels += 1
            self.seconds += time.perf_counter() - self._t0


def _exercise() -> None:
    """Short catalog runs that call every kernel a batch run calls (built-in stack, and the
    storyboard driving the ego)."""
    from dil.paths import catalog_dir
    from dil.run.runner import run
    from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing

    scenario = ScenarioChoice(catalog_dir() / "ccrs.xosc")
    for stack in ("builtin", "none"):
        run(RunSpec(scenario, DriverChoice(stack), timing=Timing(max_time=0.5)))


def _exercise_carla_lite() -> None:
    """A throw-away world of ``dil carla-lite``'s default map, stepped through every kernel the server
    calls (:mod:`dil.carla_lite.warmup`, which each server also runs before it listens)."""
    from dil.carla_lite.server import DEFAULT_MAP, spawn_points
    from dil.carla_lite.warmup import exercise
    from dil.road.network import RoadNetwork

    network = RoadNetwork.load(DEFAULT_MAP)
    exercise(network, spawn_points(network))


def _purge_changed(where: Path) -> None:
    """Remove every recorded module's cached kernels when a kernel module changed since the record
    (or the record predates recorded sources): kernels built with another version of a module."""
    try:
        record = json.loads((where / STAMP).read_text())
    except (OSError, ValueError):
        return  # never recorded here: numba's own rule per file is all there is to go on
    if isinstance(record, dict) and (not isinstance(record.get("sources"), dict) or sources_changed(record)):
        purge(record.get("sources") or kernel_sources())
        (where / STAMP).unlink(missing_ok=True)  # purged once: what is compiled from here on is current


def warm(stream: TextIO | None = None, *, carla_lite_elsewhere: Callable[[], object] | None = None) -> int:
    """Compile the kernels of a run and of ``dil carla-lite`` when the cache is cold, with progress on
    ``stream`` (stderr); returns the number compiled (0: the cache was warm). Prepares the process
    first (:func:`prepare_process`), as this is called before a run's first kernel.
    ``carla_lite_elsewhere``: waits for another process that compiles carla-lite's kernels (called
    once the run's are compiled); they are then loaded here, to be recorded with the run's."""
    prepare_process()
    if stream is None:
        import sys

        stream = sys.stderr
    where = cache_dir()
    if where is None or not cold(where):  # no cache at all: every process compiles as it goes
        return 0
    compile_bytecode()
    _purge_changed(where)
    import logging

    quiet = logging.getLogger("dil")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the short runs' own log lines are not the user's run
    progress = CompileProgress(stream)
    try:
        with progress:
            _exercise()
            if carla_lite_elsewhere is not None:
                carla_lite_elsewhere()
            _exercise_carla_lite()
    except Exception as e:  # never stops the user's run: its kernels then compile as it goes
        print(f"dil: the kernels were not compiled ahead ({type(e).__name__}: {e})", file=stream)
        return progress.kernels
    finally:
        quiet.setLevel(level)
    try:
        stamp = {"kernels": _used_kernels(), "sources": kernel_sources()}
        (where / STAMP).write_text(json.dumps(stamp, indent=1) + "\n")
    except OSError as e:  # a read-only cache: the kernels compile again next time, say why
        print(f"dil: the kernel record could not be written ({e})", file=stream)
    return progress.kernels


def _exercise_extra() -> None:
    """Call the kernels no catalog run calls: every vehicle model with each integrator (a step, a
    compiled simulation, one over a table of inputs and a batch step, as ``dil bench dynamics`` and
    the other models' runs call them) and the motion rig's (classic and MPC cueing at the head, the
    platform's limits, inverse and forward kinematics and rate limit, steering-wheel force
    feedback), which ``dil rig serve``, ``dil drive`` with a rig and the benchmarks otherwise compile
    on their first tick."""
    import numpy as np

    from hil_rigs.cueing import MotionCueing
    from hil_rigs.force_feedback import FeedbackParameters, ForceFeedback
    from hil_rigs.mpc_cueing import MpcCueing
    from hil_rigs.stewart import Platform, rate_limit
    from vehicle_models import METHODS, MODELS, Vehicle

    for model in MODELS:
        for method in METHODS:
            v = Vehicle(model, method=method, speed=20.0, gear=1)
            v.warm_up()
            xs, us, ps = v.x[None, :].copy(), v.u[None, :].copy(), v.p[None, :].copy()
            ws = v.model.work()[None, ...].copy()
            v.model.step_batch(xs, us, ps, v.dt, 1, ws, METHODS[method], np.zeros(1, dtype=np.int64))
            states = np.empty((1, v.model.n_states))
            v.model.simulate_inputs(v.x.copy(), us, v.p, v.dt, states, v.model.work(), METHODS[method])
    for cueing in (MotionCueing(head=(-0.3, 0.37, 0.6)), MpcCueing(head=(-0.3, 0.37, 0.6))):
        cueing.step(0.5, 0.2, 0.0, 0.0, 0.0, 0.01)
    platform = Platform()
    pose = np.zeros(6)
    platform.limit(pose)
    lengths = platform.inverse(pose)
    platform.forward(lengths)
    g = platform.geometry
    speeds = np.zeros(6)
    rate_limit(lengths.copy(), lengths, speeds, g.min_length, g.max_length, g.max_speed, g.max_accel, 1e-3)
    ForceFeedback(FeedbackParameters(), lock=7.85).step(0.1, 0.0, 1e-3)


def warm_all(stream: TextIO | None = None) -> int:
    """:func:`warm`, with ``dil carla-lite``'s kernels and those no run calls (:func:`_exercise_extra`)
    compiled at the same time in a second process, so a machine with two cores has them all for
    about the time of a run's alone (a rig PC before ``dil rig serve``, a test run before its first
    test); the first process then loads carla-lite's from the cache to record them with the run's.
    The two compile some road kernels both, of the same signatures (the same cache entries). The
    second process starts once :func:`warm` has removed kernels built with other versions of a
    module (a kernel compiled beside them could hold their code); returns the number of kernels the
    first process compiled."""
    import subprocess
    import sys

    prepare_process()
    where = cache_dir()
    if where is not None and cold(where):
        _purge_changed(where)
    extra = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import dil.kernels as k; k.prepare_process(); k._exercise_carla_lite(); k._exercise_extra()",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    ended: list[tuple[str, str]] = []

    def wait_for_extra() -> None:
        if not ended:
            ended.append(extra.communicate())

    try:
        compiled = warm(stream, carla_lite_elsewhere=wait_for_extra)
    finally:
        wait_for_extra()
    err = ended[0][1]
    if extra.returncode != 0:  # a rig's or a model's kernels then compile on first use; say why
        print(f"dil: the rig and model kernels were not compiled ahead: {err.strip()[-2000:]}", file=stream)
    return compiled


def compile_bytecode(packages: tuple[str, ...] = ("dil", "vehicle_models", "hil_rigs")) -> int:
    """Write the bytecode (``__pycache__/*.pyc``) of this installation's own packages where it is
    missing or older than its source, as installing a wheel does; returns the number of packages
    whose files are all compiled. Python writes no bytecode of its own under
    ``PYTHONDONTWRITEBYTECODE`` (set in many containers), and with an editable install every process
    then compiles some 140 modules from source (about 0.15 s of CPU per ``dil`` process); Python
    still reads bytecode that is there. A folder it cannot write keeps what it has."""
    import compileall
    import py_compile

    mode = py_compile.PycInvalidationMode.TIMESTAMP  # as Python's own: checked by the source's time
    done = 0
    for package in packages:
        spec = _find_package(package)
        if spec is None:
            continue
        try:
            done += bool(compileall.compile_dir(spec, quiet=2, invalidation_mode=mode))
        except OSError:  # read-only: the processes compile as they import, as before
            continue
    return done


def _find_package(name: str) -> str | None:
    """The folder of the installed package ``name`` (None: not installed here)."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    return locations[0] if locations else None


def preload_run(stream: TextIO | None = None) -> None:
    """Load what a run needs into this process, as a resident worker does before it serves runs:
    SciPy's BLAS table alone, the kernels compiled if the cache is cold, then short catalog runs
    that import the run's modules and load every kernel a batch run calls, and the kernels some
    runs call beyond them (:func:`_exercise_more`)."""
    warm(stream)
    import logging

    quiet = logging.getLogger("dil")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the short runs' own log lines are not a user's run
    try:
        _exercise()
        _exercise_more()
    finally:
        quiet.setLevel(level)


def _exercise_more() -> None:
    """Call the kernels that some runs call beyond :func:`_exercise`'s: a pedestrian walking along its
    lane (the catalog's cpna) and the road network's build (a run whose network is not yet in the disk
    cache of built networks, :mod:`dil.road.cache`)."""
    from dil.paths import catalog_dir, roads_dir
    from dil.road.network import RoadNetwork
    from dil.run.runner import run
    from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing

    walk = ScenarioChoice(catalog_dir() / "cpna.xosc")  # its pedestrian starts walking at about 2.6 s
    run(RunSpec(walk, DriverChoice("none"), timing=Timing(max_time=4.0)))
    RoadNetwork.load(roads_dir() / "rural.xodr")
