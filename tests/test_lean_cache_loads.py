"""Cached kernels load without numba's whole back end (dil.numba_setup.lean_cache_loads): the same results,
numba's lowering modules left unimported, and a compilation afterwards in the same process works."""

import os
import subprocess
import sys
import textwrap

import pytest

from dil.numba_setup import lean_cache_loads, lean_loads_checked

pytestmark = pytest.mark.subprocess  # fresh processes over a cache of their own

KERNELS = textwrap.dedent(
    """
    import numpy as np
    from numba import njit

    @njit(cache=True)
    def grid(n):
        out = np.empty((n, 3))
        for i in range(n):
            out[i, 0] = i
            out[i, 1] = np.sin(0.1 * i)
            out[i, 2] = np.sqrt(i + 1.0)
        return out

    @njit(cache=True)
    def stats(a):
        return a.sum(), a.max(), (a[:, 1] ** 2).mean()
    """
)

FIRST = "import kernels_mod as k; print(k.stats(k.grid(50)))"

SECOND = textwrap.dedent(
    """
    import sys
    from dil.numba_setup import lean_cache_loads
    print(lean_cache_loads())
    import numpy as np
    import kernels_mod as k
    print(k.stats(k.grid(50)))
    # modules numba's refresh imports and these kernels' cached code does not refer to
    unused = ("numba.np.polynomial.polynomial_functions", "numba.np.random.generator_methods",
              "numba.typed.typeddict")
    print("refreshed" if any(m in sys.modules for m in unused) else "lean")
    from numba import njit

    @njit
    def solve(n):  # compiled now: numba's compiler loads what it needs itself
        g = k.grid(n)
        m = g[:3, :].T @ g[:3, :] + np.eye(3)
        return np.linalg.solve(m, np.ones(3)).sum()

    print(round(solve(10), 9) == round(float(np.linalg.solve(
        k.grid(10)[:3].T @ k.grid(10)[:3] + np.eye(3), np.ones(3)).sum()), 9))
    """
)


def _python(code: str, folder, cache) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=folder,
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(folder)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_cached_kernels_load_lean_give_the_same_results_and_compiling_still_works(tmp_path):
    (tmp_path / "kernels_mod.py").write_text(KERNELS)
    cache = tmp_path / "cache"
    compiled = _python(FIRST, tmp_path, cache)
    assert any(cache.rglob("*.nbi")), "the first process cached nothing"
    lean, numbers, modules, later = _python(SECOND, tmp_path, cache)
    assert numbers == compiled[0]  # the same numbers, to the last digit printed
    assert lean == str(lean_loads_checked())  # in place for the numba versions it was checked against
    assert modules == ("lean" if lean == "True" else "refreshed")  # numba's unused lowering modules left out
    assert later == "True"  # a later compilation in the same process


def test_a_load_that_fails_lean_is_done_numbas_way():
    if not lean_loads_checked():  # numba's own method stays: nothing to fall back from
        assert not lean_cache_loads()
        return
    from numba.core import caching
    from numba.core.registry import cpu_target
    from numba.core.runtime import nrt

    assert lean_cache_loads()
    nrt.rtsys.initialize(cpu_target.target_context)  # as after any kernel: the lean load's one step
    calls = []

    class Context:
        def refresh(self):
            calls.append("refresh")

    class Cache:
        _guard_against_spurious_io_errors = caching.Cache._guard_against_spurious_io_errors

        def _load_overload(self, sig, target_context):
            calls.append("load")
            if "refresh" not in calls:
                raise AttributeError("needs the whole context")
            return "loaded"

    assert caching.Cache.load_overload(Cache(), None, Context()) == "loaded"
    assert calls == ["load", "refresh", "load"]
