"""What a process does before its first numba kernel, so that loading kernels from the cache costs
only what they need: SciPy's BLAS table alone (:func:`load_blas_alone`) and cached kernels loaded
without numba's whole back end (:func:`lean_cache_loads`); :func:`prepare_process` does both. Low in
the layers: ``dil run``, ``dil carla-lite``, ``dil rig serve``, ``dil node serve`` and the campaign
workers call it."""

from __future__ import annotations

from pathlib import Path


def load_blas_alone() -> bool:
    """Load SciPy's table of BLAS functions (``scipy.linalg.cython_blas``) from its file alone, before
    numba's CPU target starts; returns whether it did.

    When numba's target starts (the first kernel compiled or loaded from the cache in a process) it
    imports ``scipy.linalg.cython_blas`` to give ``np.dot`` and friends their BLAS. Imported the usual
    way, that runs ``scipy.linalg``'s package ``__init__`` first, which pulls ``numpy.f2py``,
    ``numpy.testing``, ``unittest`` and most of SciPy's array API layer: about 0.12 s of CPU on this
    2-core machine, a sixth of a warm ``dil run`` beyond its loop, for a table of function pointers.
    Loaded alone, the same extension module costs about 10 ms, and numba finds it in ``sys.modules``
    (BLAS-using kernels work as before). One difference remains for other code in the process: the
    attribute ``scipy.linalg.cython_blas`` appears only through ``from scipy.linalg import cython_blas``.
    Does nothing when SciPy is absent, ``scipy.linalg`` or numba's target is already loaded.
    """
    import importlib.util
    import sys

    if any(m in sys.modules for m in ("scipy.linalg", "scipy.linalg.cython_blas", "numba.np.arraymath")):
        return False
    try:
        found = importlib.util.find_spec("scipy")
        if found is None or not found.submodule_search_locations:
            return False
        folder = Path(next(iter(found.submodule_search_locations))) / "linalg"
        files = sorted(folder.glob("cython_blas.*.so")) + sorted(folder.glob("cython_blas.*.pyd"))
        if not files:
            return False
        spec = importlib.util.spec_from_file_location("scipy.linalg.cython_blas", files[0])
        if spec is None or spec.loader is None:
            return False
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[spec.name]
            raise
    except ImportError:  # numba then imports it the usual way (or runs without BLAS, as before)
        return False
    return True


LEAN_LOADS_FOR = ("0.68",)
"""numba versions (major.minor) whose cache loading :func:`lean_cache_loads` has been checked against."""


def lean_loads_checked() -> bool:
    """Whether the installed numba is one :func:`lean_cache_loads` was checked against (False: no
    numba)."""
    try:
        import numba
    except ImportError:
        return False
    return ".".join(numba.__version__.split(".")[:2]) in LEAN_LOADS_FOR


def lean_cache_loads() -> bool:
    """Load cached kernels without first importing numba's whole compiler back end; returns whether it
    is in place (idempotent).

    numba's ``Cache.load_overload`` calls ``target_context.refresh()`` before it reads a cached kernel:
    that imports and registers every lowering module numba has (``numba.np.arraymath``,
    ``numba.np.linalg``, ``numba.typed``, the random generators, ...), about 0.1 s of a fresh
    process's CPU. Loading machine code from the cache needs only numba's runtime (NRT) to be
    initialised, since the loaded library links to its functions; a compilation refreshes the context
    itself (numba's compiler pipeline does, on every compile). So this loads with the runtime
    initialised alone, and where such a load raises anything, refreshes the context and loads again
    as numba would. Only for the numba versions in :data:`LEAN_LOADS_FOR`: with any other, numba's
    own method stays."""
    if not lean_loads_checked():
        return False
    from numba.core import caching
    from numba.core.runtime import nrt

    if getattr(caching.Cache.load_overload, "_dil_lean", False):
        return True
    full = caching.Cache.load_overload

    def load_overload(self, sig, target_context):  # type: ignore[no-untyped-def]
        try:
            nrt.rtsys.initialize(target_context)
            with self._guard_against_spurious_io_errors():
                return self._load_overload(sig, target_context)
        except Exception:  # numba's own way: the whole context first
            return full(self, sig, target_context)

    load_overload._dil_lean = True  # type: ignore[attr-defined]
    caching.Cache.load_overload = load_overload
    return True


def prepare_process() -> None:
    """What a process does before its first kernel: SciPy's BLAS table alone
    (:func:`load_blas_alone`) and lean cache loads (:func:`lean_cache_loads`)."""
    load_blas_alone()
    lean_cache_loads()
