"""Start-up: the dispatcher lists every command without importing them, imports only the chosen one,
and a cold kernel cache is compiled before the run's loop with a notice (and silently when warm)."""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dil import __version__
from dil.cli import BENCHMARKS, COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numba", "numpy", "zmq", "cv2", "msgpack", "importlib.metadata")


def _dil(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dil", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def warm_cache() -> None:
    """The kernels of a run compiled into the shared numba cache (``dil warm``; a second when they are):
    for the tests of a warm run, which a fresh clone's first tests would otherwise find cold."""
    done = _dil("warm", timeout=1200)
    assert done.returncode == 0, done.stderr


def _python(code: str) -> list[str]:
    """The words a fresh interpreter prints running ``code``."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def _loaded_after(code: str) -> list[str]:
    """The modules (of ``HEAVY`` and dil's command modules) a fresh interpreter holds after ``code``."""
    wanted = (
        f"m in {HEAVY!r} or (m.startswith(('dil.', 'hil_rigs.')) and m.endswith('.cli') and m != 'dil.cli')"
    )
    return _python(f"import sys\n{code}\nprint(*sorted(m for m in sys.modules if {wanted}))")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Name -> help of the subcommands directly under ``parser``."""
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: a.help for a in action._choices_actions}


def test_help_lists_every_command_with_its_help():
    shown = _dil("--help")
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())  # argparse wraps long help over lines
    for name, help_, _ in COMMANDS:
        assert f" {name} " in text and " ".join(help_.split()) in text, name
    bench = _dil("bench", "--help")
    text = " ".join(bench.stdout.split())
    for name, help_, _ in BENCHMARKS:
        assert f" {name} " in text and " ".join(help_.split()) in text, name


def test_the_dispatcher_table_says_what_the_command_modules_say():
    """The names and helps the dispatcher shows without importing are those of the real parsers."""
    full = build_parser()
    assert _subcommands(full) == {name: help_ for name, help_, _ in COMMANDS}
    bench = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction)).choices["bench"]
    assert _subcommands(bench) == {name: help_ for name, help_, _ in BENCHMARKS}


def test_help_and_version_import_nothing_heavy():
    assert _loaded_after("import dil.cli") == []
    assert _loaded_after("from dil.cli import build_parser\nbuild_parser([])") == []
    version = _dil("--version")
    assert version.returncode == 0 and version.stdout == f"dil {__version__}\n"


def test_a_command_imports_only_its_own_module():
    code = "from dil.cli import build_parser\nbuild_parser({})"
    loaded = _loaded_after(code.format(["log", "check", "x.mcap"]))
    assert [m for m in loaded if m.endswith(".cli")] == ["dil.recording.cli"], loaded
    assert [m for m in _loaded_after(code.format(["keys", "k"])) if m.endswith(".cli")] == []
    assert _bench_modules_after(["bench", "startup", "--repeat", "1"]) == ["dil.bench.startup"]


def _bench_modules_after(argv: list[str]) -> list[str]:
    wanted = "m.startswith('dil.bench.') and m != 'dil.bench.report'"
    code = f"from dil.cli import build_parser\nbuild_parser({argv!r})"
    return _python(f"import sys\n{code}\nprint(*sorted(m for m in sys.modules if {wanted}))")


TOP_LEVEL = (
    "import json\n"
    "from dil.kernels import _exercise, _exercise_carla_lite, _used_kernels\n"
    "_exercise()\n"
    "_exercise_carla_lite()\n"
    "print(json.dumps(_used_kernels()))"
)
"""Prints the kernels a run and ``dil carla-lite`` load themselves from a warm cache (those they call
from Python; a kernel only other kernels call is compiled into them and loaded with them)."""


def _cold_but_two(cache: Path) -> list[str]:
    """Fill ``cache`` (a ``NUMBA_CACHE_DIR``) with the kernels a run loads, copied from the warm shared
    cache (:func:`warm_cache`), less the smallest of the vehicle dynamics and of the road network: a
    cache that is cold for those two alone. Returns the two kernels' index file names."""
    from numba.core.caching import _CacheLocator

    probe = subprocess.run(
        [sys.executable, "-c", TOP_LEVEL], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    assert probe.returncode == 0, probe.stderr
    kernels = json.loads(probe.stdout)
    left_out = []
    for package in ("vehicle_models", "dil/road"):
        mine = [k for k in kernels if f"/{package}/" in k["source"]]
        assert mine, (package, kernels)
        left_out.append(min(mine, key=lambda k: sum(f.stat().st_size for f in _files(Path(k["index"])))))
    for k in kernels:
        if k not in left_out:
            where = cache / _CacheLocator.get_suitable_cache_subpath(k["source"])
            where.mkdir(parents=True, exist_ok=True)
            for f in _files(Path(k["index"])):
                shutil.copy2(f, where / f.name)
    return [Path(k["index"]).name for k in left_out]


def _files(index: Path) -> list[Path]:
    """A cached kernel's index file and its data files."""
    return [index, *index.parent.glob(index.name.removesuffix(".nbi") + ".*.nbc")]


def test_a_cold_kernel_cache_is_compiled_before_the_loop_with_a_notice_and_a_warm_one_silently(
    tmp_path, warm_cache
):
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    compiled = _cold_but_two(cache)
    env = {"NUMBA_CACHE_DIR": str(cache)}
    run = ("run", "scenarios/catalog/ccrs.xosc", "--no-record", "--out", str(tmp_path / "out"))
    cold = _dil(*run, env=env, timeout=1200)
    assert cold.returncode == 0, cold.stderr
    assert cold.stderr.count("compiling the dynamics kernels (first run after install") == 1, cold.stderr
    assert "vehicle dynamics kernels" in cold.stderr and "road network kernels" in cold.stderr
    assert "cached for the next runs" in cold.stderr
    # every kernel the run used was compiled before its loop started: none is newer than the record
    (stamp,) = cache.glob("*/dil-kernels.json")
    recorded = json.loads(stamp.read_text())["kernels"]
    indexes = list(cache.rglob("*.nbi"))
    assert len(recorded) >= 10 and {k["index"] for k in recorded} == {str(p) for p in indexes}
    assert max(p.stat().st_mtime for p in indexes) <= stamp.stat().st_mtime
    assert {p.name for p in indexes} >= set(compiled)  # the two left out were compiled and cached

    warm = _dil(*run, env=env)
    assert warm.returncode == 0, warm.stderr
    assert "compiling" not in warm.stderr, warm.stderr
    assert json.loads((tmp_path / "out" / "ccrs" / "result.json").read_text())["verdict"]["passed"]
    ahead = _dil("warm", env=env)
    assert ahead.returncode == 0 and ahead.stdout.startswith("no kernels compiled now"), ahead.stderr


def test_a_warm_run_loads_scipys_blas_table_alone_and_no_module_it_does_not_use(tmp_path, warm_cache):
    """``dil run`` loads SciPy's BLAS table without ``scipy.linalg``'s package (which pulls f2py,
    numpy.testing and unittest), and none of the console, campaign, recording, OSI, CARLA or camera
    modules a plain batch run does not use."""
    code = (
        "import contextlib, io, sys\n"
        "from dil.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main(['run', 'ccrs', '--stack', 'none', '--no-record', '--out', {str(tmp_path)!r}])\n"
        "print(rc, *sorted(sys.modules))"
    )
    rc, *loaded = _python(code)
    assert rc == "1"  # ccrs with nobody braking: the collision fails the verdict
    assert "scipy.linalg.cython_blas" in loaded
    # its cached kernels load without numba's whole back end (dil.numba_setup.lean_cache_loads) where
    # that is in place for the installed numba
    from dil.numba_setup import lean_loads_checked

    assert ("numba.np.polynomial.polynomial_functions" in loaded) is not lean_loads_checked()
    unused = ("scipy.linalg", "numpy.f2py", "numpy.testing", "unittest", "cv2", "zmq", "dil.console")
    unused += ("dil.campaign", "dil.recording", "dil.osi", "dil.world.carla_backend", "dil.stack.remote")
    below = tuple(u + "." for u in unused)
    assert [m for m in loaded if m in unused or m.startswith(below)] == ["scipy.linalg.cython_blas"]


def test_kernels_using_blas_still_compile_and_run_after_the_table_is_loaded_alone():
    """numba finds the table loaded alone: ``np.dot`` of matrices compiles and gives numpy's product."""
    code = (
        "import numpy as np\n"
        "from dil.kernels import load_blas_alone\n"
        "first, again = load_blas_alone(), load_blas_alone()\n"
        "from numba import njit\n"
        "a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)\n"
        "same = bool((njit(lambda x, y: np.dot(x, y))(a, b) == a @ b).all())\n"
        "import sys\n"
        "f2py = 'numpy.f2py' in sys.modules\n"
        "from scipy.linalg import cython_blas\n"
        "alone = cython_blas is sys.modules[cython_blas.__name__]\n"
        "print(first, again, same, f2py, alone)"
    )
    assert _python(code) == ["True", "False", "True", "False", "True"]


def test_a_run_makes_no_collection_while_it_imports_and_builds_and_collects_in_its_loop(tmp_path, warm_cache):
    """The collector's automatic passes are off while ``dil run`` imports and builds (they would walk
    some 100,000 lasting objects again and again), back on in its loop, and left as they were after."""
    code = (
        "import contextlib, gc, io\n"
        "from dil.cli import main\n"
        "import dil.realtime.loop as loop\n"
        "full = []\n"
        "gc.callbacks.append(lambda phase, info: phase == 'start' and full.append(1))\n"
        "seen = {}\n"
        "ticks = loop.Loop._ticks\n"
        "def counted(self, *a):\n"
        "    seen['before'], seen['on'] = len(full), gc.isenabled()\n"
        "    return ticks(self, *a)\n"
        "loop.Loop._ticks = counted\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main(['run', 'ccrs', '--stack', 'none', '--no-record', '--out', {str(tmp_path)!r}])\n"
        "print(rc, seen['before'], seen['on'], gc.isenabled())"
    )
    rc, before, on_in_loop, on_after = _python(code)
    # before the first tick: the loop's own pass and those of its nodes' start, after the freeze (with
    # the collector on during the imports and the build: some 130 passes)
    assert (rc, on_in_loop, on_after) == ("1", "True", "True") and 1 <= int(before) <= 5, before
