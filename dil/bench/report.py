"""Benchmark reports: a plain-text table on stdout and the same rows as JSON."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path

from dil import __version__


def format_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns aligned, numbers to 4 significant digits."""

    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return "-" if v is None else str(v)

    text = [[cell(v) for v in row] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in text)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in text]
    return "\n".join(lines)


def machine() -> dict[str, object]:
    """What the numbers were measured on."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def write_json(
    path: Path,
    name: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    extra: dict[str, object] | None = None,
) -> None:
    """Rows as a list of objects keyed by column, with the machine and dil version."""
    doc = {
        "benchmark": name,
        "dil_version": __version__,
        "time_unix": time.time(),
        "machine": machine(),
        "rows": [dict(zip(columns, row, strict=True)) for row in rows],
    }
    if extra:
        doc.update(extra)
    path.write_text(json.dumps(doc, indent=2) + "\n")
