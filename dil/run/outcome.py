"""How a run ended, as a validator reads it: the outcome of a verdict and the exit status it gives.

``pass`` and ``fail`` are the criteria's answer about a run that ran to its end. ``aborted`` (an
emergency stop, an operator's stop, a node's error, an interruption) and ``incomplete`` (the time
guard cut the run before the storyboard ended) are neither: the run proves nothing either way.
"""

from __future__ import annotations

PASS, FAIL, ABORTED, INCOMPLETE = "pass", "fail", "aborted", "incomplete"
OUTCOMES = (PASS, FAIL, ABORTED, INCOMPLETE)

EXIT_PASS, EXIT_FAIL, EXIT_ERROR, EXIT_NOT_JUDGED = 0, 1, 2, 3
"""Exit status of ``dil run`` and ``dil drive``: 0 pass, 1 fail, 2 bad input, 3 aborted or
incomplete (130 after Ctrl-C, without a verdict)."""


def outcome_of(verdict: dict | None) -> str:
    """The outcome of a verdict; files written before outcomes existed give pass or fail."""
    if not verdict:
        return ""
    out = verdict.get("outcome")
    if out in OUTCOMES:
        return out
    return PASS if verdict.get("passed") else FAIL


def label(verdict: dict | None) -> str:
    """``PASS``, ``FAIL``, ``ABORTED: <reason>`` or ``INCOMPLETE: <reason>`` ('' without a verdict)."""
    out = outcome_of(verdict)
    if not out:
        return ""
    reason = (verdict or {}).get("reason", "")
    return out.upper() + (f": {reason}" if reason and out in (ABORTED, INCOMPLETE) else "")


def exit_status(verdict: dict) -> int:
    return {PASS: EXIT_PASS, FAIL: EXIT_FAIL}.get(outcome_of(verdict), EXIT_NOT_JUDGED)


def aborted_verdict(reason: str, criteria_source: str = "") -> dict:
    """The verdict of a run that ended before any judgement could be made of it."""
    return {
        "passed": False,
        "outcome": ABORTED,
        "reason": reason,
        "criteria_source": criteria_source,
        "checks": [],
    }
