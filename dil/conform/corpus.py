"""The corpus: ``.xosc`` files named on the command line or found under folders, each with a label
unique within the run (its path relative to the folder it was found under)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


class CorpusError(ValueError):
    """A path on the command line that is not a scenario file or a folder: the message names it."""


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    label: str
    """The path relative to the folder it was found under (the file name for a file named directly)."""

    @property
    def slug(self) -> str:
        """The label as a file name (for the traces the harness writes)."""
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", self.label.removesuffix(".xosc"))


def discover(paths: list[Path]) -> list[CorpusFile]:
    """Every ``.xosc`` under the folders (recursively, sorted) and every file named, in the order given,
    each once."""
    out: list[CorpusFile] = []
    seen: set[Path] = set()
    for p in paths:
        if p.is_dir():
            found = [(f, f.relative_to(p).as_posix()) for f in sorted(p.rglob("*.xosc")) if f.is_file()]
            if not found:
                raise CorpusError(f"{p}: a folder without .xosc files")
        elif p.is_file():
            found = [(p, p.name)]
        else:
            raise CorpusError(f"{p}: no such file or folder")
        for f, label in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                out.append(CorpusFile(f, label))
    labels: dict[str, int] = {}
    for i, cf in enumerate(out):  # two files of one name from different places
        n = labels.get(cf.label, 0)
        labels[cf.label] = n + 1
        if n:
            out[i] = CorpusFile(cf.path, f"{cf.label}#{n + 1}")
    return out
