"""dil.kernels.cold: a run compiles ahead only when numba would compile, i.e. when a kernel's source
contents changed, not when only its file's time did."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dil.kernels import STAMP, _purge_changed, cold, kernel_sources, purge, sources_changed

SOURCE = "from numba import njit\n\n\n@njit(cache=True)\ndef twice(x):\n    return 2.0 * x\n"


def _cached_kernel(folder: Path) -> tuple[Path, Path]:
    """A module with one cached kernel, called once: its source file and numba's index file."""
    source = folder / "cold_probe_kernel.py"
    source.write_text(SOURCE)
    return _cached_kernel_of(source)


def _cached_kernel_of(source: Path) -> tuple[Path, Path]:
    """``source``'s kernel called once (compiled or loaded): its source file and numba's index file."""
    folder = source.parent
    spec = importlib.util.spec_from_file_location("cold_probe_kernel", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        assert module.twice(1.5) == 3.0
    finally:
        sys.modules.pop("cold_probe_kernel", None)
    (index,) = (folder / "__pycache__").glob("cold_probe_kernel.twice-*.nbi")
    return source, index


def test_a_touched_source_keeps_its_kernels_and_an_edited_one_does_not(tmp_path):
    source, index = _cached_kernel(tmp_path)
    record = tmp_path / "record"
    record.mkdir()
    (record / STAMP).write_text(
        json.dumps({"kernels": [{"index": str(index), "source": str(source)}], "sources": {}})
    )
    assert not cold(record)
    later = index.stat().st_mtime + 100.0
    os.utime(source, (later, later))  # a checkout or a copy: a newer time, the same contents
    assert not cold(record)
    source.write_text(SOURCE + "# edited\n")
    os.utime(source, (later, later))
    assert cold(record)


def test_an_index_it_cannot_read_or_a_missing_record_is_cold(tmp_path):
    source, index = _cached_kernel(tmp_path)
    record = tmp_path / "record"
    record.mkdir()
    assert cold(record)  # no record of the kernels yet
    (record / STAMP).write_text(
        json.dumps({"kernels": [{"index": str(index), "source": str(source)}], "sources": {}})
    )
    later = index.stat().st_mtime + 100.0
    os.utime(source, (later, later))
    index.write_bytes(b"not an index")
    os.utime(index, (later - 50.0, later - 50.0))
    assert cold(record)


def _stamp(*paths: Path) -> dict:
    """A record's ``sources`` for ``paths`` as :func:`kernel_sources` writes them."""
    import hashlib

    return {
        str(p): [p.stat().st_mtime_ns, p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest()]
        for p in paths
    }


def test_a_module_with_kernels_edited_since_the_record_makes_the_cache_cold(tmp_path):
    source, index = _cached_kernel(tmp_path)
    record = tmp_path / "record"
    record.mkdir()
    other = tmp_path / "callee.py"
    other.write_text("from numba import njit\n")
    kernels = [{"index": str(index), "source": str(source)}]
    (record / STAMP).write_text(json.dumps({"kernels": kernels, "sources": _stamp(source, other)}))
    assert not cold(record)
    later = other.stat().st_mtime + 100.0
    os.utime(other, (later, later))  # touched only: the same contents
    assert not cold(record)
    other.write_text("from numba import njit\nK = 2\n")  # a module the kernel may call, edited
    assert cold(record)
    assert sources_changed({"sources": _stamp(source)}) is False
    other.unlink()
    assert sources_changed({"sources": {str(other): [0, 0, ""]}}) is True
    (record / STAMP).write_text(json.dumps({"kernels": kernels}))  # recorded before sources were
    assert cold(record)


def test_kernels_built_with_an_edited_module_are_purged_once_and_later_ones_kept(tmp_path):
    """``dil warm --all`` compiles in a second process once the purge is done; ``warm`` then checks
    again: the second check must not remove what the second process has cached since."""
    source, index = _cached_kernel(tmp_path)
    record = tmp_path / "record"
    record.mkdir()
    kernels = [{"index": str(index), "source": str(source)}]
    (record / STAMP).write_text(json.dumps({"kernels": kernels, "sources": _stamp(source)}))
    _purge_changed(record)  # nothing edited: nothing removed, the record kept
    assert index.exists() and (record / STAMP).exists()
    source.write_text(SOURCE + "# edited\n")
    _purge_changed(record)
    assert not index.exists() and not (record / STAMP).exists()
    _, index = _cached_kernel_of(source)  # what the other process compiles after the purge
    assert cold(record)  # no record: the run's kernels are compiled and recorded again
    _purge_changed(record)
    assert index.exists()


def test_the_recorded_sources_are_the_modules_that_use_numba():
    found = kernel_sources()
    names = {Path(p).relative_to(Path(p).parents[1]).as_posix() for p in found}
    assert {"road/lanes.py", "scenario/kernels.py", "vehicle/tick_kernel.py"} <= names
    assert not any(n.endswith("run/cli.py") for n in names)
    assert all(len(v) == 3 and len(v[2]) == 64 for v in found.values())


CALLEE = "from numba import njit\n\n\n@njit(cache=True)\ndef k():\n    return {k}.0\n"
CALLER = (
    "from numba import njit\n\nfrom callee_probe import k\n\n\n@njit(cache=True)\ndef f():\n    return k()\n"
)


@pytest.mark.subprocess
def test_after_a_callee_changes_purging_gives_the_callers_new_machine_code(tmp_path):
    """numba keys a cached kernel on its own file alone: a caller loaded from the cache after its
    callee's module changed still runs the old callee. :func:`purge` of both removes that."""
    (tmp_path / "callee_probe.py").write_text(CALLEE.format(k=2))
    (tmp_path / "caller_probe.py").write_text(CALLER)

    def call() -> str:
        code = "import caller_probe; print(caller_probe.f())"
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        return done.stdout.strip()

    assert call() == "2.0"
    callee = tmp_path / "callee_probe.py"
    callee.write_text(CALLEE.format(k=3))
    later = callee.stat().st_mtime + 10.0
    os.utime(callee, (later, later))
    assert call() == "2.0"  # numba's own rule: the caller's cached code still holds the old callee
    assert purge([str(tmp_path / "caller_probe.py"), str(callee)]) >= 4
    assert call() == "3.0"
