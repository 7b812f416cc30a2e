"""``dil warm`` writes the bytecode of the project's packages, which Python reads even where it writes
none of its own (``PYTHONDONTWRITEBYTECODE``), and rewrites what an edit made stale."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dil.kernels import compile_bytecode

pytestmark = pytest.mark.subprocess


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "pkgbc"
    (root / "inner").mkdir(parents=True)
    (root / "__init__.py").write_text("A = 1\n")
    (root / "inner" / "__init__.py").write_text("")
    (root / "inner" / "mod.py").write_text("B = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    return root


def _pyc(source: Path) -> Path:
    return Path(importlib.util.cache_from_source(str(source)))


def _imports_from_bytecode(root: Path) -> bool:
    """Whether a fresh interpreter under PYTHONDONTWRITEBYTECODE imports ``pkgbc.inner.mod`` from its
    bytecode (``-v`` says which file each code object came from)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(root.parent)}
    done = subprocess.run(
        [sys.executable, "-v", "-c", "import pkgbc.inner.mod"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("# code object from") and "mod." in x)
    return line.rstrip("'").endswith(".pyc")


def test_bytecode_is_written_and_read_under_dont_write_bytecode(package: Path) -> None:
    mod = package / "inner" / "mod.py"
    assert not _imports_from_bytecode(package)  # nothing written by Python itself
    assert not _pyc(mod).exists()
    assert compile_bytecode(("pkgbc",)) == 1
    assert _pyc(package / "__init__.py").exists() and _pyc(mod).exists()
    assert _imports_from_bytecode(package)


def test_an_edited_source_gets_fresh_bytecode(package: Path) -> None:
    mod = package / "inner" / "mod.py"
    compile_bytecode(("pkgbc",))
    first = _pyc(mod).read_bytes()
    mod.write_text("B = 3  # edited\n")
    os.utime(mod, (mod.stat().st_mtime + 10, mod.stat().st_mtime + 10))
    assert not _imports_from_bytecode(package)  # stale: compiled from the source again
    compile_bytecode(("pkgbc",))
    assert _pyc(mod).read_bytes() != first
    assert _imports_from_bytecode(package)


def test_a_package_that_is_not_installed_is_skipped() -> None:
    assert compile_bytecode(("no_such_package_here",)) == 0
