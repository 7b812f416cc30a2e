"""dil.kernels.cold: a run compiles ahead only when numba would compile, i.e. when a kernel's source
contents changed, not when only its file's time did."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

from dil.kernels import STAMP, cold

SOURCE = "from numba import njit\n\n\n@njit(cache=True)\ndef twice(x):\n    return 2.0 * x\n"


def _cached_kernel(folder: Path) -> tuple[Path, Path]:
    """A module with one cached kernel, called once: its source file and numba's index file."""
    source = folder / "cold_probe_kernel.py"
    source.write_text(SOURCE)
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
    (record / STAMP).write_text(json.dumps({"kernels": [{"index": str(index), "source": str(source)}]}))
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
    (record / STAMP).write_text(json.dumps({"kernels": [{"index": str(index), "source": str(source)}]}))
    later = index.stat().st_mtime + 100.0
    os.utime(source, (later, later))
    index.write_bytes(b"not an index")
    os.utime(index, (later - 50.0, later - 50.0))
    assert cold(record)
