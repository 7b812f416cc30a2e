"""Finding a scenario's OpenDRIVE file when ``<LogicFile filepath>`` does not exist as written:
files are passed between machines with absolute paths of the machine they were written on
(``c:/work/xodr/straight.xodr``), so the same file name is looked for where players keep roads."""

from __future__ import annotations

import os
from pathlib import Path, PureWindowsPath

MAP_PATH_VARIABLE = "DIL_MAP_PATH"
"""Environment variable: folders (separated as PATH is) where a map name's ``NAME.xodr`` is looked for."""


def road_file_candidates(given: str, base: Path) -> list[Path]:
    """Where a missing road file named ``given`` is looked for, in order: beside the scenario, in
    ``../xodr`` and ``xodr`` beside it, and in ``../../resources/xodr`` (the layout of the reference
    player's distribution). ``base`` is the scenario's directory."""
    name = PureWindowsPath(given).name  # splits on both / and \
    if not name or name in (".", ".."):
        return []
    dirs = [base, base.parent / "xodr", base / "xodr", base.parent.parent / "resources" / "xodr"]
    return [d / name for d in dirs]


def find_road_file(given: str, base: Path) -> tuple[Path | None, bool]:
    """The road file ``given`` names: ``(path, True)`` when it exists as written (relative to
    ``base``), ``(path, False)`` when found by its file name elsewhere, ``(None, False)`` when
    nowhere."""
    as_written = (base / given).resolve()
    if as_written.is_file():
        return as_written, True
    for p in road_file_candidates(given, base):
        if p.is_file():
            return p.resolve(), False
    return None, False


def map_dirs(base: Path, extra: list[Path] | None = None) -> list[Path]:
    """Where a bare map name's OpenDRIVE file is looked for, in order: beside the scenario, its
    ``xodr`` folders (as for a missing road file), then ``extra``, then the folders of
    ``$DIL_MAP_PATH``."""
    dirs = [base, base.parent / "xodr", base / "xodr", base.parent.parent / "resources" / "xodr"]
    dirs += list(extra or [])
    dirs += [Path(p) for p in os.environ.get(MAP_PATH_VARIABLE, "").split(os.pathsep) if p.strip()]
    return dirs


def find_map_file(name: str, dirs: list[Path]) -> Path | None:
    """The OpenDRIVE file of a map name (ScenarioRunner's ``Town01``): ``NAME.xodr`` in the first
    of ``dirs`` that holds it; a CARLA layered map (``Town01_Opt``) has its base map's roads, so
    ``Town01.xodr`` serves it too. None when no folder has it."""
    names = [name] + ([name.removesuffix("_Opt")] if name.endswith("_Opt") else [])
    for n in names:
        for d in dirs:
            p = d / f"{n}.xodr"
            if p.is_file():
                return p.resolve()
    return None
