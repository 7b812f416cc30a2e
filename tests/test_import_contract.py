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


# The rest of the contract: what the layering once got wrong, checked so that it does not come back.

COMMAND_LINE = ("dil.cli", "dil.__main__", "dil.arguments")
"""Modules besides ``*.cli`` and ``dil.bench`` that parse arguments."""


def _is_command_line(module: str) -> bool:
    return _is_cli(module) or module in COMMAND_LINE or module.startswith("dil.bench")


def test_only_command_line_modules_parse_arguments() -> None:
    """argparse belongs to the command line: the bus, the world and every other library package take
    typed options (e.g. :class:`dil.bus.options.BusOptions`)."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {name} imports argparse"
        for name, path in _modules().items()
        if not _is_command_line(name)
        for imported, line in _runtime_imports(path)
        if imported == "argparse" or imported.startswith("argparse.")
    ]
    assert not wrong, "\n".join(wrong)


def _imported_modules(tree: ast.Module, name: str, path: Path, modules: dict[str, Path]) -> dict[str, str]:
    """Local name -> module of this project, for ``import a.b as c`` and ``from a import b`` (b a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in modules:
                    bound[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            stem = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                if f"{stem}.{alias.name}" in modules:
                    bound[alias.asname or alias.name] = f"{stem}.{alias.name}"
    return bound


def test_no_package_uses_another_package_s_private_names() -> None:
    """A name with a leading underscore is its package's own (KPIs and reports once imported the
    condition checks' private distance helpers): share it under a public name instead, as
    :mod:`dil.scenario.separation` does. Annotation-only imports count too."""
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            stem = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and stem in modules and _top(stem) != _top(name):
                    wrong.append(
                        f"{path.relative_to(ROOT)}:{node.lineno}: {name} imports {stem}.{alias.name}"
                    )
        bound = _imported_modules(tree, name, path, modules)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in bound
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and _top(bound[node.value.id]) != _top(name)
            ):
                wrong.append(
                    f"{path.relative_to(ROOT)}:{node.lineno}: {name} uses {bound[node.value.id]}.{node.attr}"
                )
    assert not wrong, "\n".join(wrong)


def test_the_scenario_context_sits_below_the_engine() -> None:
    """The storyboard's actions and conditions see the run through ``Context`` in
    ``dil/scenario/context.py``: no module of the scenario package imports the engine (its top
    module), not even for annotations, and the engine does not define the context itself."""
    modules = _modules()
    engine = "dil.scenario.engine"
    wrong = []
    for name, path in modules.items():
        if not name.startswith("dil.scenario.") or name == engine:
            continue
        tree = ast.parse(path.read_text(), str(path))
        package = name.rpartition(".")[0] if path.name != "__init__.py" else name
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                stem = ".".join(base + ([node.module] if node.module else []))
                if stem == engine or any(f"{stem}.{a.name}" == engine for a in node.names):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name} imports {engine}")
            elif isinstance(node, ast.Import) and any(a.name == engine for a in node.names):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name} imports {engine}")
    assert not wrong, "\n".join(wrong)
    defined = {
        name
        for name, path in modules.items()
        if name.startswith("dil.scenario")
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.ClassDef) and node.name == "Context"
    }
    assert defined == {"dil.scenario.context"}


def test_the_shipped_scenarios_are_found_through_dil_paths_only() -> None:
    """``scenarios/`` is where :mod:`dil.paths` says (``DIL_SCENARIOS`` overrides it); a module that
    builds the path itself (``Path(__file__).parents[n] / "scenarios"``) ignores the override."""
    wrong = []
    for name, path in _modules().items():
        if name == "dil.paths":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            parts = []
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
                parts = [node.right]
            elif isinstance(node, ast.Call) and ast.unparse(node.func).rpartition(".")[2] in (
                "Path",
                "joinpath",
            ):
                parts = list(node.args)
            for part in parts:
                text = part.value if isinstance(part, ast.Constant) and isinstance(part.value, str) else ""
                if text.strip("/").split("/")[0] == "scenarios":
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name} builds {text!r} itself")
    assert not wrong, "\n".join(wrong)


def test_a_run_s_log_says_its_clock_truthfully(tmp_path: Path) -> None:
    """``dil drive`` runs on the wall clock and its log says so; a batch run's log says simulated."""
    from dil.paths import catalog_dir
    from dil.recording.reader import read_metadata
    from dil.run.build import build
    from dil.run.spec import DriverChoice, Outputs, RunSpec, ScenarioChoice, Timing

    said = {}
    for realtime in (True, False):
        log = tmp_path / f"{realtime}.mcap"
        spec = RunSpec(
            ScenarioChoice(catalog_dir() / "ccrs.xosc"),
            DriverChoice("driver", profile="launch") if realtime else DriverChoice("none"),
            outputs=Outputs(record=log),
            timing=Timing(realtime=realtime, max_time=1.0),
        )
        with build(spec) as built:
            assert built.recorder is not None
            built.recorder.close({"end": "built only"})
        said[realtime] = read_metadata(log)[0]["dil.run"]["clock"]
    assert said == {True: "wall", False: "simulated"}
