"""An ASAM OSI ground-truth trace written by another tool, taken in as a dil run: converted to a dil
log, its mapping reported, and its KPIs and verdict computed from the converted messages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dil.osi.convert import Conversion, trace_to_log
from dil.run.criteria import Criteria, judge
from dil.run.kpi import Kpis, score_log


@dataclass(frozen=True)
class ScoredTrace:
    """A trace converted to the dil log ``conversion.log`` and scored with the default criteria."""

    conversion: Conversion
    kpis: Kpis
    verdict: dict
    """As :func:`dil.run.criteria.judge` gives it; a trace has no end of its own: pass or fail."""


def default_log_path(trace: Path) -> Path:
    """Where the converted log goes unless told: beside the trace, ``NAME.dil.mcap``."""
    return trace.with_name(trace.stem + ".dil.mcap")


def score_trace(
    trace: Path, out: Path | None = None, *, topic: str | None = None, open_loop: bool = False
) -> ScoredTrace:
    """Convert ``trace`` to the dil log ``out`` (default :func:`default_log_path`; ``topic``: the
    GroundTruth channel of an .mcap trace, default the first; ``open_loop``: the built-in stack runs on
    it) and score it. Raises :class:`dil.osi.trace.OsiTraceError` or ``ValueError`` for a bad trace."""
    conv = trace_to_log(trace, out or default_log_path(trace), topic=topic, open_loop=open_loop)
    kpis = score_log(conv.log)
    return ScoredTrace(conv, kpis, judge(kpis, Criteria(), timed_out=False))
