"""``dil ARGS`` run by ``dil.cli.main`` in the test's process, for tests whose point is a command's
output, files or exit status rather than its process boundary (each command also runs as a real
process elsewhere in the suite: the README commands, the start-up and exit-code tests).

A process of ``dil`` pays about a second of start-up (imports, numba's cache) before it does anything;
in-process, that is paid once per test worker. What the process would have written to stderr is kept
here too: the command's own stderr, its log records of level WARNING and above (formatted as
``LEVEL name: message``) and Python warnings, so a test that reads stderr for a warning or a
traceback sees what a user would.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path


class _Text(io.TextIOWrapper):
    """A text stream with a ``buffer`` (some commands write bytes), read back with :meth:`text`."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", errors="replace", write_through=True)

    def text(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode("utf-8", "replace")  # type: ignore[attr-defined]


class _Lines(logging.Handler):
    def __init__(self, into: _Text) -> None:
        super().__init__(logging.WARNING)
        self.into = into
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.into.write(self.format(record) + "\n")


@contextlib.contextmanager
def _within(cwd: Path | str | None) -> Iterator[None]:
    if cwd is None:
        yield
        return
    before = os.getcwd()
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(before)


def dil_here(*args: str | Path, cwd: Path | str | None = None) -> subprocess.CompletedProcess:
    """Run ``dil ARGS`` in this process (in ``cwd`` if given); its exit status, stdout and stderr.

    An exception the command lets out is written to stderr as a traceback with status 1, as the
    process would end; ``SystemExit`` (argparse's refusals) gives its code.
    """
    from dil.cli import main

    argv = [str(a) for a in args]
    out, err = _Text(), _Text()
    handler = _Lines(err)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with (
            _within(cwd),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("default")
            try:
                rc = main(argv)
            except SystemExit as stop:
                rc = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
                if stop.code is not None and not isinstance(stop.code, int):
                    print(stop.code, file=err)
            except Exception:  # reported as the process would: a traceback, status 1
                traceback.print_exc(file=err)
                rc = 1
    finally:
        root.removeHandler(handler)
    for w in caught:
        err.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno))
    return subprocess.CompletedProcess(["dil", *argv], rc, out.text(), err.text())
