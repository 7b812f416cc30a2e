"""dil: a driver-in-the-loop simulator runtime."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dil")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
