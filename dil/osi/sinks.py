"""Where OSI ground truth goes: a standalone trace file, or a channel of a dil log.

Both follow the ASAM OSI trace-file conventions as implemented by ``asam-osi-utilities``: a
``.mcap`` trace holds the ``net.asam.osi.trace`` file metadata and a protobuf channel whose schema
is the ``osi3.GroundTruth`` descriptor set, with the OSI and protobuf versions in the channel's
metadata; an ``.osi`` trace is the single-channel binary format (length-prefixed messages).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import google.protobuf
import osi3
from mcap.writer import Writer
from osi3.osi_groundtruth_pb2 import GroundTruth
from osi_utilities import MultiTraceWriter, SingleTraceWriter
from osi_utilities.tracefile import MCAPChannel, prepare_required_file_metadata

from dil import __version__

TOPIC = "ground_truth"
"""The channel of OSI ground truth in a ``.mcap`` trace or a dil log."""

FILE_METADATA = "net.asam.osi.trace"


class OsiSinkError(ValueError):
    """An OSI output that cannot be opened."""


def file_metadata(description: str) -> dict[str, str]:
    meta = prepare_required_file_metadata()
    meta.update(
        {
            "min_osi_version": osi3.__version__,
            "max_osi_version": osi3.__version__,
            "description": description,
            "data_sources": f"dil {__version__}",
            "zero_time": "simulation start (timestamps are simulated time)",
            "authors": "dil",
        }
    )
    return meta


def channel_metadata() -> dict[str, str]:
    return {
        "net.asam.osi.trace.channel.osi_version": osi3.__version__,
        "net.asam.osi.trace.channel.protobuf_version": google.protobuf.__version__,
        "net.asam.osi.trace.channel.description": "ground truth of every world tick (dil)",
    }


class Sink(Protocol):
    def write(self, gt: GroundTruth) -> None: ...

    def close(self) -> None: ...


class TraceSink:
    """A standalone trace: ``.mcap`` (multi-channel) or ``.osi`` (single-channel binary)."""

    def __init__(self, path: str | Path, description: str = "dil run") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.count = 0
        suffix = self.path.suffix.lower()
        if suffix == ".mcap":
            self._writer: MultiTraceWriter | SingleTraceWriter = MultiTraceWriter()
            ok = self._writer.open(self.path, file_metadata(description), compression="none")
            if ok:
                self._writer.add_channel(TOPIC, GroundTruth, channel_metadata())
        elif suffix == ".osi":
            self._writer = SingleTraceWriter()
            ok = self._writer.open(self.path)
        else:
            raise OsiSinkError(f"{self.path}: an OSI trace must end in .mcap or .osi")
        if not ok:
            raise OsiSinkError(f"{self.path}: cannot open for writing")

    def write(self, gt: GroundTruth) -> None:
        if not self._writer.write_message(gt, TOPIC):
            raise OsiSinkError(f"{self.path}: writing the message at {gt.timestamp.seconds} s failed")
        self.count += 1

    def close(self) -> None:
        self._writer.close()


class LogSink:
    """A ``ground_truth`` channel in a dil log, written where the recorder writes (its thread in
    real time)."""

    def __init__(self, recorder: object, description: str = "dil run") -> None:
        self._recorder = recorder
        self._channel: MCAPChannel | None = None
        self.count = 0

        def setup(w: Writer) -> None:
            w.add_metadata(FILE_METADATA, file_metadata(description))
            self._channel = MCAPChannel(w)
            self._channel.add_channel(TOPIC, GroundTruth, channel_metadata())

        recorder.with_writer(setup)  # type: ignore[attr-defined]

    def write(self, gt: GroundTruth) -> None:
        def job(w: Writer) -> None:
            assert self._channel is not None
            self._channel.write_message(gt, TOPIC)

        self._recorder.with_writer(job)  # type: ignore[attr-defined]
        self.count += 1

    def close(self) -> None:
        pass  # the recorder closes the file
