"""The recorder: an observer of the bus that writes every frame into an MCAP file.

One channel per topic; a message's data are the msgpack bytes that crossed the bus (the frame
after its ``topic NUL`` prefix), never re-encoded; log and publish times are the simulation time
at which the frame was published. The file is written in chunks (1 MiB by default), so a process
killed mid-run leaves a file readable up to its last complete chunk. In real time the frames go
through a bounded queue to a writer thread and the loop never waits; a full queue drops the frame,
counts it and says so once in the log.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from mcap.writer import CompressionType, Writer

from dil import __version__
from dil.bus.messages import SCHEMAS
from dil.bus.schema import Schema

from .jsonschema import schema_text

log = logging.getLogger("dil.recording")

PROFILE = "dil"
MESSAGE_ENCODING = "msgpack"
SCHEMA_ENCODING = "jsonschema"


class Recorder:
    """Writes frames to ``path``. ``now_ns`` gives the simulation time of the frame being recorded.

    ``threaded`` puts a bounded queue and a writer thread between the caller and the file (for the
    real-time loop); otherwise frames are written in the caller's thread (batch runs).
    """

    def __init__(
        self,
        path: str | Path,
        now_ns: Callable[[], int],
        *,
        schemas: dict[str, Schema] | None = None,
        threaded: bool = False,
        queue_size: int = 100_000,
        chunk_size: int = 1 << 20,
        skip: frozenset[str] = frozenset(),
    ) -> None:
        """``skip``: topics not written (counted in ``skipped``), e.g. display cameras the log's own
        world state draws again."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("wb")
        self._writer = Writer(self._file, chunk_size=chunk_size, compression=CompressionType.NONE)
        self._writer.start(profile=PROFILE, library=f"dil {__version__}")
        self._schemas = dict(SCHEMAS, **(schemas or {}))
        self._channels: dict[bytes, int] = {}
        self._sequence: dict[int, int] = {}
        self.now_ns = now_ns
        self.count = 0
        self.dropped = 0
        self.unknown = 0
        self.skipped = 0
        self._skip = frozenset(t.encode() for t in skip)
        self.closed = False
        self._queue: queue.Queue | None = queue.Queue(queue_size) if threaded else None
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._drain, name="dil-recorder", daemon=True)
            self._thread.start()

    # --- the observer side (called for every frame) ---------------------------------------------

    def __call__(self, frame: bytes) -> None:
        t = self.now_ns()
        if self._queue is None:
            self._write(frame, t)
            return
        try:
            self._queue.put_nowait((frame, t))
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1:
                log.warning(
                    "recorder queue full (%d frames): dropping frames; the log will say how many",
                    self._queue.maxsize,
                )

    # --- the writing side ---------------------------------------------------------------------------

    def _channel(self, topic: bytes) -> int:
        cid = self._channels.get(topic)
        if cid is None:
            name = topic.decode()
            schema = self._schemas.get(name)
            if schema is None:
                sid = self._writer.register_schema(name, SCHEMA_ENCODING, b"{}")
            else:
                sid = self._writer.register_schema(name, SCHEMA_ENCODING, schema_text(schema))
            cid = self._writer.register_channel(
                name, MESSAGE_ENCODING, sid, {"schema_version": str(schema.version) if schema else "unknown"}
            )
            self._channels[topic] = cid
            self._sequence[cid] = 0
        return cid

    def _write(self, frame: bytes, t_ns: int) -> None:
        end = frame.find(b"\0", 0, 64)
        if end <= 0:
            self.unknown += 1
            return
        if self._skip and frame[:end] in self._skip:
            self.skipped += 1
            return
        cid = self._channel(frame[:end])
        seq = self._sequence[cid]
        self._sequence[cid] = seq + 1
        self._writer.add_message(cid, t_ns, frame[end + 1 :], t_ns, seq)
        self.count += 1

    def _drain(self) -> None:
        assert self._queue is not None
        while True:
            item = self._queue.get()
            if item is None:
                return
            if item[1] < 0:
                item[0](self._writer)
            else:
                self._write(*item)

    def with_writer(self, job: Callable[[Writer], None]) -> None:
        """Run ``job(writer)`` where the log is written: now without a writer thread, else in that
        thread after the frames queued before it (channels in other encodings, e.g. OSI ground truth).
        A full queue drops the job and counts it as a dropped frame."""
        if self._queue is None:
            job(self._writer)
            return
        try:
            self._queue.put_nowait((job, -1))
        except queue.Full:
            self.dropped += 1

    # --- run information --------------------------------------------------------------------------

    def metadata(self, name: str, data: dict[str, str]) -> None:
        self._writer.add_metadata(name, {k: str(v) for k, v in data.items()})

    def attach(self, name: str, data: bytes, media_type: str = "application/octet-stream") -> None:
        now = time.time_ns()
        self._writer.add_attachment(now, self.now_ns(), name, media_type, data)

    def close(self, summary: dict[str, str] | None = None) -> None:
        """Flush, write the summary (with the drop counts) and close: a complete file."""
        if self.closed:
            return
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
        info = {
            "messages": str(self.count),
            "dropped_queue_full": str(self.dropped),
            "unframed": str(self.unknown),
        }
        if self.dropped:
            log.warning("the recorder dropped %d frames (queue full); %s says so", self.dropped, self.path)
        self.metadata("dil.recording", {**info, **(summary or {})})
        self._writer.finish()
        self._file.close()
        self.closed = True
