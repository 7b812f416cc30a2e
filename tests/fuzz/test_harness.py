"""The fuzz harness itself: a crash, a hang and a traceback are each counted as such, and the
worker is started afresh after a crash or a hang."""

from __future__ import annotations

from .harness import Counts, Worker


def test_crash_hang_and_traceback_are_told_apart(tmp_path):
    worker = Worker(tmp_path / "stderr")
    counts = Counts()
    try:
        for kind, timeout in [
            ("criteria", 60.0),
            ("selftest-crash", 60.0),
            ("selftest-traceback", 60.0),
            ("selftest-hang", 3.0),
            ("criteria", 60.0),
        ]:
            status, detail = worker.run({"kind": kind, "path": str(tmp_path / "none.yaml")}, timeout)
            if kind == "selftest-hang":
                assert worker.proc is None  # killed
            counts.add(status, kind, detail)
    finally:
        worker.close()
    assert counts.summary() == {
        "cases": 5,
        "accepted": 0,
        "clean_errors": 2,
        "tracebacks": 1,
        "hangs": 1,
        "crashes": 1,
    }
    assert "status -11" in "".join(counts.failures)
