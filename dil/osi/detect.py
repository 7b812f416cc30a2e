"""Telling an ASAM OSI ground-truth trace from a dil log by its content, without reading either."""

from __future__ import annotations

from pathlib import Path

from mcap.exceptions import McapError
from mcap.records import Header
from mcap.stream_reader import StreamReader

MCAP_MAGIC = b"\x89MCAP0\r\n"
"""The first eight bytes of every MCAP file."""


def is_osi_trace(path: Path) -> bool:
    """An ``.osi`` file, or an MCAP file not written by dil's recorder (profile ``dil``)."""
    if path.suffix.lower() == ".osi":
        return True
    try:
        with path.open("rb") as f:
            if f.read(8) != MCAP_MAGIC:
                return False
            f.seek(0)
            for rec in StreamReader(f).records:
                return isinstance(rec, Header) and rec.profile != "dil"
    except (OSError, McapError):
        return False
    return False
