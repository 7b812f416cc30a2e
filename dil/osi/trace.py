"""Reading OSI ground-truth traces written by other tools (``.mcap`` or ``.osi``) through
``asam-osi-utilities``, with every problem named by file, channel, time and field.

Fatal (:class:`OsiTraceError`): a file that is not an OSI trace, holds no ``GroundTruth`` channel, or
carries another major OSI version. Counted warnings (:class:`TraceWarnings`), the messages read so
far kept: a file cut short (reading stops there), timestamps that do not increase (the message is
skipped), frames without the host vehicle (skipped).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from osi3.osi_groundtruth_pb2 import GroundTruth
from osi_utilities import MessageType, MultiTraceReader, ReadStatus, SingleTraceReader

from .detect import MCAP_MAGIC

OSI_MAJOR = 3


class OsiTraceError(ValueError):
    """A file that cannot be read as an OSI ground-truth trace at all."""


@dataclass
class TraceWarnings:
    """Problems that skip or stop, counted by kind, each kind's first occurrence kept in words."""

    counts: dict[str, int] = field(default_factory=dict)
    first: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, text: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.first.setdefault(kind, text)

    def report(self) -> str:
        return "\n".join(
            f"warning: {n} x {kind}; first: {self.first[kind]}" for kind, n in self.counts.items()
        )


def _t_ns(gt: GroundTruth) -> int:
    return gt.timestamp.seconds * 1_000_000_000 + gt.timestamp.nanos


def _channel(reader: MultiTraceReader, path: Path, topic: str | None) -> str:
    specs = [s for s in reader.list_channel_specifications() if s.message_type == MessageType.GROUND_TRUTH]
    if topic is not None:
        if topic not in [s.topic for s in specs]:
            raise OsiTraceError(
                f"{path}: channel {topic!r} is not an OSI GroundTruth channel "
                f"(GroundTruth channels: {', '.join(s.topic for s in specs) or 'none'})"
            )
        return topic
    if not specs:
        raise OsiTraceError(
            f"{path}: no OSI GroundTruth channel "
            f"(channels: {', '.join(reader.get_available_topics()) or 'none'})"
        )
    for s in specs:
        version = s.metadata.get("net.asam.osi.trace.channel.osi_version", "")
        if version and not version.startswith(f"{OSI_MAJOR}."):
            raise OsiTraceError(
                f"{path}: channel {s.topic}: metadata net.asam.osi.trace.channel.osi_version = {version!r}; "
                f"this reader handles OSI {OSI_MAJOR}.x"
            )
    return specs[0].topic


def read_ground_truth(
    path: str | Path, warnings: TraceWarnings, topic: str | None = None
) -> Iterator[tuple[int, GroundTruth]]:
    """``(t_ns, GroundTruth)`` in file order, with increasing times."""
    path = Path(path)
    try:
        head = path.open("rb").read(8)
    except OSError as e:
        raise OsiTraceError(f"{path}: cannot read ({e.strerror})") from None
    logging.getLogger("osi_utilities").setLevel(logging.ERROR)
    if path.suffix.lower() == ".mcap" or head == MCAP_MAGIC:
        if head != MCAP_MAGIC:
            raise OsiTraceError(f"{path}: not an MCAP file (it does not start with the MCAP magic bytes)")
        reader: MultiTraceReader | SingleTraceReader = MultiTraceReader(log_incompatible_messages=False)
        if not reader.open(path):
            raise OsiTraceError(f"{path}: cannot open as an MCAP trace (damaged summary or header)")
        channel = _channel(reader, path, topic)
        reader.set_topics([channel])
    elif path.suffix.lower() == ".osi":
        reader = SingleTraceReader()
        reader.set_message_type(MessageType.GROUND_TRUTH)
        if not reader.open(path):
            raise OsiTraceError(f"{path}: cannot open as an .osi trace")
        channel = "(single channel)"
    else:
        raise OsiTraceError(f"{path}: an OSI trace must be a .mcap or .osi file")
    last: int | None = None
    n = 0
    with reader:
        while True:
            try:
                result = reader.read_message()
            except Exception as e:  # the container library's own errors on damaged data
                result = None
                warnings.add("file cut short", f"{path}: channel {channel}: after t = {_s(last)}: {e}")
            if result is None:
                break
            if result.status != ReadStatus.OK or result.message is None:
                if n == 0:
                    raise OsiTraceError(
                        f"{path}: channel {channel}: the first message cannot be read as GroundTruth: "
                        f"{result.error_message}"
                    )
                warnings.add(
                    "file cut short",
                    f"{path}: channel {channel}: reading stops after t = {_s(last)} "
                    f"({result.error_message}); {n} messages kept",
                )
                break
            gt = result.message
            t = _t_ns(gt)
            major = gt.version.version_major if gt.HasField("version") else None
            if major is not None and major != OSI_MAJOR:
                raise OsiTraceError(
                    f"{path}: channel {channel}: message at t = {t * 1e-9:.3f} s: field version = "
                    f"{major}.{gt.version.version_minor}.{gt.version.version_patch}; this reader handles "
                    f"OSI {OSI_MAJOR}.x"
                )
            if not gt.HasField("timestamp"):
                warnings.add(
                    "message without timestamp", f"{path}: channel {channel}: message {n}: field timestamp"
                )
                continue
            if last is not None and t <= last:
                warnings.add(
                    "non-increasing timestamp",
                    f"{path}: channel {channel}: field timestamp {t * 1e-9:.6f} s after {last * 1e-9:.6f} s "
                    "(message skipped)",
                )
                continue
            last = t
            n += 1
            yield t, gt
    if n == 0:
        raise OsiTraceError(f"{path}: channel {channel}: no GroundTruth messages")


def _s(t: int | None) -> str:
    return "start" if t is None else f"{t * 1e-9:.3f} s"
