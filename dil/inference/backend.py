"""The interface every inference backend implements, and the registry that loads them.

A backend turns a model file into a :class:`Session`: the model's input and output tensors
(name, shape with ``-1`` for a dynamic dimension, numpy dtype) and :meth:`Session.run` on a batch.
Backends are imported only when asked for, so a missing vendor SDK is an error naming its package
at load time, never an import error at start-up. Every backend passes the same conformance suite
(``tests/inference/test_conformance.py``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np


class BackendError(RuntimeError):
    """A backend cannot load or run a model; the message names the model and the cause."""


class MissingBackendError(BackendError):
    """The backend's runtime package is not installed."""


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int, ...]
    """-1 for a dynamic dimension (usually the batch)."""
    dtype: np.dtype

    def fits(self, array: np.ndarray) -> bool:
        if array.ndim != len(self.shape) or array.dtype != self.dtype:
            return False
        return all(d < 0 or d == a for d, a in zip(self.shape, array.shape, strict=True))


class Session(Protocol):
    backend: str
    """The backend's name."""
    device: str
    """What runs the model, in words (e.g. 'CPUExecutionProvider', 'npu0:0-1')."""
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Outputs in the order of :attr:`outputs` for one batch (first dimension) of inputs."""
        ...

    def close(self) -> None: ...


class Backend(Protocol):
    name: str
    package: str
    """The Python package the backend needs (named in the error when it is missing)."""

    def check(self) -> None:
        """Raise :class:`MissingBackendError` if the runtime package cannot be imported."""
        ...

    def open(self, model: Path, options: dict[str, str]) -> Session: ...


BACKENDS: dict[str, str] = {
    "onnx": "dil.inference.onnx_backend",
    "furiosa": "dil.inference.furiosa_backend",
    "rebellions": "dil.inference.rebellions_backend",
}
"""Backend name -> module defining ``BACKEND``."""


def load_backend(name: str) -> Backend:
    if name not in BACKENDS:
        raise BackendError(f"unknown inference backend {name!r}: known are {', '.join(BACKENDS)}")
    backend = importlib.import_module(BACKENDS[name]).BACKEND
    backend.check()  # raises MissingBackendError naming the package when its runtime is absent
    return backend


def require(package: str, backend: str) -> object:
    """Import ``package`` for ``backend`` or raise :class:`MissingBackendError` naming it."""
    try:
        return importlib.import_module(package)
    except (ImportError, OSError, RuntimeError) as e:  # absent, or its native library is missing
        raise MissingBackendError(
            f"inference backend {backend!r} needs the Python package {package!r}, which is not "
            f"installed here ({e})"
        ) from None
