"""Finding a scenario's OpenDRIVE file when ``<LogicFile filepath>`` does not exist as written:
files are passed between machines with absolute paths of the machine they were written on
(``c:/work/xodr/straight.xodr``), so the same file name is looked for where players keep roads."""

from __future__ import annotations

from pathlib import Path, PureWindowsPath


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
