"""The server loads (warm numba cache) or compiles (cold cache) every kernel it can call before it
listens: a CARLA client's first tick never waits for a compilation."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

AFTER_SERVER = """
import json, sys
from dil.carla_lite.server import CarlaLiteServer, ServerOptions
from dil.carla_lite.warmup import dispatchers
from dil.kernels import _used_kernels

before = [d.py_func.__name__ for d in dispatchers() if d.overloads]
server = CarlaLiteServer(ServerOptions(port=0))
server.close()
kernels = dispatchers()
callers = [d.py_func.__code__.co_names for d in kernels]
print(json.dumps({
    "loaded_before": before,
    "all": [d.py_func.__module__ + "." + d.py_func.__name__ for d in kernels],
    "not_loaded": [
        d.py_func.__name__ for d in kernels
        if not d.overloads and not any(d.py_func.__name__ in names for names in callers)
    ],
    "used": _used_kernels(),
}))
"""
"""In a fresh interpreter: builds a server (port 0) and lists dil.carla_lite's kernels without a
compiled or loaded overload (a kernel that only other kernels call is compiled into its callers, and
loaded with them from a warm cache), and the cached kernels the process used."""


def _python(code: str, env: dict[str, str] | None = None) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_kernel_of_carla_lite_is_loaded_before_the_server_listens():
    found = _python(AFTER_SERVER)
    assert len(found["all"]) >= 15, found["all"]  # the listing sees the package's kernels
    assert found["loaded_before"] == []  # none is loaded by importing the server
    assert found["not_loaded"] == [], f"kernels the server's warm-up never calls: {found['not_loaded']}"
    used = {Path(k["source"]).name for k in found["used"]}
    assert {"autopilot.py", "contact.py", "dynamics.py", "walkers.py", "sensor_flow.py"} <= used
    assert {"collision.py", "lane_follow.py"} <= used  # the world's kernels the server calls too


def _server(env: dict[str, str]) -> subprocess.CompletedProcess:
    """``dil carla-lite`` started until it says it listens, then stopped: its stderr up to then."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dil", "carla-lite", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert "carla-lite listening on" in line, line
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, line, err)


def test_a_cold_cache_is_compiled_before_the_server_listens_with_a_notice_and_a_warm_one_silently(tmp_path):
    """A cache holding every kernel the server uses but one of carla-lite's own (copied from the shared
    cache, which the first test filled): the server compiles that one before it listens, with the
    notice a run prints; the next server finds it cached and says nothing."""
    from numba.core.caching import _CacheLocator

    used = _python(AFTER_SERVER)["used"]
    mine = [k for k in used if "/dil/carla_lite/" in k["source"]]
    assert mine
    left_out = min(mine, key=lambda k: sum(f.stat().st_size for f in _files(Path(k["index"]))))
    cache = tmp_path / "numba-cache"
    for k in used:
        if k != left_out:
            where = cache / _CacheLocator.get_suitable_cache_subpath(k["source"])
            where.mkdir(parents=True, exist_ok=True)
            for f in _files(Path(k["index"])):
                shutil.copy2(f, where / f.name)
    env = {"NUMBA_CACHE_DIR": str(cache)}
    cold = _server(env)
    assert cold.stderr.count("compiling the dynamics kernels (first run after install") == 1, cold.stderr
    assert "world and sensors kernels" in cold.stderr and "cached for the next runs" in cold.stderr
    assert list(cache.rglob(Path(left_out["index"]).name)), "the kernel left out was not cached"
    warm = _server(env)
    assert "compiling" not in warm.stderr, warm.stderr


def _files(index: Path) -> list[Path]:
    """A cached kernel's index file and its data files."""
    return [index, *index.parent.glob(index.name.removesuffix(".nbi") + ".*.nbc")]
