"""Headless Chromium for the console's benchmark and browser tests: Debian's package, never a
browser a tool downloads, started with what a machine without network access needs."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's chromium package (``apt-get install chromium``)."""
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""No sandbox (runs as root in CI), no GPU, and none of the background connections a closed
network refuses."""
MISSING = "needs Debian's chromium (apt-get install chromium)"
