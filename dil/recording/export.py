"""A log's messages as plain files: one CSV file per topic, or every message as a JSON line."""

from __future__ import annotations

import csv
import json
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import msgpack

from .reader import records


def _bytes_note(b: bytes) -> str:
    return f"<{len(b)} bytes>"


def _plain(value: object) -> object:
    """A CSV cell: byte strings as their length, lists and maps as JSON."""
    if isinstance(value, bytes):
        return _bytes_note(value)
    if isinstance(value, list | dict):
        return json.dumps(value, default=_bytes_note)
    return value


def _messages(log: Path, topics: Collection[str] | None) -> Iterator[tuple[str, int, dict[str, Any]]]:
    for topic, m in records(log):
        if topics is None or topic in topics:
            yield topic, m.log_time, msgpack.unpackb(m.data)


def csv_path(out_dir: Path, topic: str) -> Path:
    """The CSV file of ``topic`` in ``out_dir`` (slashes become underscores)."""
    return out_dir / (topic.replace("/", "_") + ".csv")


def export_jsonl(log: Path, out: Path, topics: Collection[str] | None = None) -> int:
    """Write every message of ``log`` (only ``topics`` when given) to ``out`` as one JSON object a
    line with ``topic`` and ``log_time_ns`` [ns] first; byte fields become ``"<N bytes>"``. Returns how
    many messages were written; raises :class:`dil.recording.reader.LogError` for a bad log."""
    n = 0
    with out.open("w") as f:
        for topic, log_time, msg in _messages(log, topics):
            f.write(json.dumps({"topic": topic, "log_time_ns": log_time, **msg}, default=_bytes_note) + "\n")
            n += 1
    return n


def export_csv(log: Path, out_dir: Path, topics: Collection[str] | None = None) -> dict[str, int]:
    """Write one CSV file per topic into ``out_dir`` (see :func:`csv_path`): a ``log_time_ns`` [ns]
    column, then the fields of the topic's first message. Returns messages written per topic."""
    out_dir.mkdir(parents=True, exist_ok=True)
    writers: dict[str, tuple[Any, Any, list[str]]] = {}
    counts: dict[str, int] = {}
    try:
        for topic, log_time, msg in _messages(log, topics):
            if topic not in writers:
                f = csv_path(out_dir, topic).open("w", newline="")
                w = csv.writer(f)
                keys = list(msg)
                w.writerow(["log_time_ns", *keys])
                writers[topic] = (f, w, keys)
            _, w, keys = writers[topic]
            w.writerow([log_time, *(_plain(msg.get(k)) for k in keys)])
            counts[topic] = counts.get(topic, 0) + 1
    finally:
        for f, _, _ in writers.values():
            f.close()
    return counts
