"""dil: a driver-in-the-loop simulator runtime."""

from dil._version import __version__

__all__ = ["__version__"]
