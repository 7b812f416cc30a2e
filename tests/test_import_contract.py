"""The import contract (docs/architecture.md): layers point down, no cycles between packages, and only
command-line modules import command-line modules.

``lint-imports`` checks the contract in pyproject.toml; the pure-Python checks below read every
module's imports with :mod:`ast` so they hold without import-linter, and also catch a new package
that the contract does not name yet."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dil", "hil_rigs", "vehicle_models")
DISPATCHERS = ("dil.cli", "dil.__main__")
"""The top-level command, which hands each subcommand to its package's command-line module."""


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_imports(path: Path, root: Path = ROOT) -> Iterator[tuple[str, int]]:
    """(imported module, line) of every import that runs (not those under ``if TYPE_CHECKING:``)."""
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            yield stem, node.lineno
            for alias in node.names:  # ``from .training import cli`` imports the module training.cli
                yield f"{stem}.{alias.name}", node.lineno


def _modules() -> dict[str, Path]:
    return {
        _module_name(p): p
        for pkg in PACKAGES
        for p in sorted((ROOT / pkg).rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def _is_cli(module: str) -> bool:
    return module.rpartition(".")[2] == "cli"


def _top(module: str) -> str:
    """The package a module belongs to for the layering: ``dil.run.kpi`` -> ``dil.run``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "dil" and len(parts) > 1 else parts[0]


def _edges() -> dict[tuple[str, str], tuple[str, int]]:
    """(importer module, imported module) -> (importer, line) for imports between known modules."""
    modules = _modules()
    out: dict[tuple[str, str], tuple[str, int]] = {}
    for name, path in modules.items():
        for imported, line in _runtime_imports(path):
            if imported in modules:
                out[(name, imported)] = (str(path.relative_to(ROOT)), line)
    return out


@pytest.mark.subprocess
def test_lint_imports_keeps_every_contract() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None, "lint-imports is not installed: pip install -e '.[dev]'"
    p = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    for contract in _contracts().values():
        assert f"{contract['name']} KEPT" in p.stdout, p.stdout


def test_only_command_line_modules_import_command_line_modules() -> None:
    allowed = {tuple(i.split(" -> ")) for i in _contracts()["no-cli-imports"].get("ignore_imports", [])}
    wrong = []
    for (importer, imported), (where, line) in sorted(_edges().items()):
        if (
            not _is_cli(imported)
            or importer in ("dil.cli", "dil.__main__")
            or (importer, imported) in allowed
        ):
            continue
        wrong.append(f"{where}:{line}: {importer} imports the command-line module {imported}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles_between_packages() -> None:
    """Command-line modules left out: they sit on top and may import any package."""
    graph: dict[str, set[str]] = {}
    for importer, imported in _edges():
        a, b = _top(importer), _top(imported)
        if a != b and not _is_cli(importer) and importer != "dil.__main__":
            graph.setdefault(a, set()).add(b)
    cycles = []
    for start in sorted(graph):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    cycles.append(" -> ".join([*path, start]))
                elif nxt not in path and nxt > start:  # each cycle once, from its smallest package
                    stack.append((nxt, [*path, nxt]))
    assert not cycles, "import cycles between packages:\n" + "\n".join(cycles)


def test_every_package_has_a_layer() -> None:
    """A new package or top-level module must be placed in the layers, or the contract would not
    look at it."""
    layers = _contracts()["layers"]["layers"]
    named = {m.strip() for layer in layers for m in layer.replace(":", "|").split("|")}
    packages = {f"dil.{p.parent.name}" for p in (ROOT / "dil").glob("*/__init__.py")}
    packages |= {f"dil.{p.stem}" for p in (ROOT / "dil").glob("*.py")} - {"dil.__init__", *DISPATCHERS}
    packages |= {"hil_rigs", "vehicle_models"}
    assert sorted(packages - named) == [], "missing from the layers of [tool.importlinter]"


def test_the_checks_see_a_cycle_and_a_cli_import(tmp_path: Path) -> None:
    """The import reader itself: relative imports resolve, TYPE_CHECKING imports are left out."""
    pkg = tmp_path / "dil" / "demo"
    pkg.mkdir(parents=True)
    f = pkg / "lib.py"
    f.write_text(
        "from typing import TYPE_CHECKING\nfrom . import cli\nfrom ..run import runner\n"
        "if TYPE_CHECKING:\n    from ..scenario import engine\n"
    )
    found = sorted(m for m, _ in _runtime_imports(f, tmp_path))
    assert "dil.demo.cli" in found and "dil.run.runner" in found
    assert not any(m.startswith("dil.scenario") for m in found)
