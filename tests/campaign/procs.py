"""Whether a process runs, as the campaign tests see their workers."""

from pathlib import Path


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and has not ended (a zombie has ended), from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")
