"""The audit trail: every operator action and every refused connection, one JSON line each,
with the time, the operator, the client's address and what came of it."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

log = logging.getLogger("dil.console")


class Audit:
    """Appends to ``path`` (flushed per line) and keeps the most recent entries for the page."""

    def __init__(self, path: Path, keep: int = 100) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self.recent: deque[dict[str, Any]] = deque(maxlen=keep)
        self.count = 0

    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        """``kind``: ``action`` (accepted or refused) or ``auth`` (a refused connection)."""
        now = time.time_ns()
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now / 1e9))
            + f".{now // 1_000_000 % 1000:03d}Z",
            "t_wall_ns": now,
            "kind": kind,
            **fields,
        }
        line = json.dumps(entry, sort_keys=False)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()
            self.recent.append(entry)
            self.count += 1
        level = logging.INFO if fields.get("result") == "sent" else logging.WARNING
        log.log(level, "audit: %s", line)
        return entry

    def close(self) -> None:
        with self._lock:
            self._file.close()
