"""Reading dil logs, complete or cut short: messages in file order, metadata, attachments, and a
check of what is there and what is missing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mcap.exceptions import InvalidMagic, McapError
from mcap.records import Attachment, Channel, DataEnd, Footer, Message, Metadata
from mcap.stream_reader import StreamReader


class LogError(ValueError):
    """A file that is not a dil log at all."""


@dataclass
class LogCheck:
    path: Path
    complete: bool = False
    """The file ends with its summary and footer (the writer finished)."""
    messages: int = 0
    per_topic: dict[str, int] = field(default_factory=dict)
    first_ns: int | None = None
    last_ns: int | None = None
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)
    attachments: list[str] = field(default_factory=list)
    problem: str = ""
    """Why the file stops where it does, when it is incomplete."""

    def report(self) -> str:
        lines = [f"{self.path}: {'complete' if self.complete else 'INCOMPLETE'}"]
        if not self.complete:
            lines.append(f"  {self.problem or 'the file ends before its summary: the writer did not finish'}")
        span = (
            "" if self.first_ns is None else f", t = {self.first_ns / 1e9:.3f} .. {self.last_ns / 1e9:.3f} s"
        )
        lines.append(f"  {self.messages} messages{span}")
        for topic, n in sorted(self.per_topic.items()):
            lines.append(f"    {topic:20s} {n}")
        rec = self.metadata.get("dil.recording")
        if rec:
            lines.append(
                f"  recorder: {rec.get('messages')} written, {rec.get('dropped_queue_full')} dropped "
                "(queue full)"
            )
            if rec.get("dropped_queue_full", "0") != "0":
                lines.append("  WARNING: frames were dropped while recording")
        elif self.messages:
            lines.append("  the recorder's summary is missing")
        if "dil.run" not in self.metadata:
            lines.append("  the run description (dil.run metadata) is missing")
        return "\n".join(lines)


def records(path: str | Path, check: LogCheck | None = None) -> Iterator[tuple[str, Message]]:
    """``(topic, message)`` in file order, stopping quietly where a cut-short file ends."""
    path = Path(path)
    try:
        f = path.open("rb")
    except OSError as e:
        raise LogError(f"{path}: cannot read ({e.strerror})") from None
    channels: dict[int, str] = {}
    with f:
        reader = StreamReader(f)
        try:
            for rec in reader.records:
                if isinstance(rec, Channel):
                    channels[rec.id] = rec.topic
                elif isinstance(rec, Message):
                    yield channels.get(rec.channel_id, "?"), rec
                elif check is not None:
                    if isinstance(rec, Metadata):
                        check.metadata[rec.name] = dict(rec.metadata)
                    elif isinstance(rec, Attachment):
                        check.attachments.append(rec.name)
                    elif isinstance(rec, DataEnd | Footer):
                        check.complete = check.complete or isinstance(rec, Footer)
        except InvalidMagic as e:
            raise LogError(f"{path}: not an MCAP file ({e})") from None
        except McapError as e:
            if check is not None:
                check.problem = f"the file stops mid-record ({type(e).__name__}: {e})"
            elif not channels:
                raise LogError(f"{path}: not an MCAP file ({e})") from None
        except Exception as e:  # a truncated chunk surfaces as various decoding errors
            if check is not None:
                check.problem = f"the file stops in a damaged chunk ({type(e).__name__}: {e})"
            elif not channels:
                raise LogError(f"{path}: not an MCAP file ({e})") from None


def check(path: str | Path) -> LogCheck:
    """What a log holds and whether it is complete."""
    result = LogCheck(Path(path))
    for topic, msg in records(path, result):
        result.messages += 1
        result.per_topic[topic] = result.per_topic.get(topic, 0) + 1
        if result.first_ns is None:
            result.first_ns = msg.log_time
        result.last_ns = msg.log_time
    return result


def read_metadata(path: str | Path) -> tuple[dict[str, dict[str, str]], dict[str, bytes]]:
    """Metadata records and attachments (name to data) of a log."""
    meta: dict[str, dict[str, str]] = {}
    attachments: dict[str, bytes] = {}
    try:
        f = Path(path).open("rb")  # noqa: SIM115 (closed by the with below)
    except OSError as e:
        raise LogError(f"{path}: cannot read ({e.strerror})") from None
    with f:
        try:
            for rec in StreamReader(f).records:
                if isinstance(rec, Metadata):
                    meta[rec.name] = dict(rec.metadata)
                elif isinstance(rec, Attachment):
                    attachments[rec.name] = rec.data
        except Exception:
            pass
    return meta, attachments
