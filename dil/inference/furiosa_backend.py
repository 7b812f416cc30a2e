"""FuriosaAI Warboy NPU through the FuriosaAI SDK's Python runtime, ``furiosa-runtime`` 0.10.x (the
"current generation" runner API introduced in FuriosaRT 0.10.0): ``furiosa.runtime.sync.create_runner(
model, device=..., batch_size=..., worker_num=...)``, ``runner.model.inputs()`` / ``outputs()`` (tensor
descriptions), ``runner.run([arrays])`` and ``runner.close()``.

Written against the SDK 0.10.2 documentation (its sources: github.com/furiosa-ai/furiosa-sdk, docs/en/)
and the type stubs in the ``furiosa-native-runtime`` 0.10.4 wheel:
    https://developer.furiosa.ai/docs/latest/en/api/python/furiosa.runtime.html  (runner, devices, tensors)
    https://developer.furiosa.ai/docs/latest/en/software/compiler.html  (ENF files)
NOT run on real hardware: there is no NPU here. The wheels do install from PyPI, but
``import furiosa.runtime`` then fails for want of ``libfuriosa_hal.so`` from FuriosaAI's driver
packages, so nothing past the import was exercised. See ``docs/npu-backends.md``.

The model is an ONNX or TFLite file, which the runtime compiles on load (cached by the SDK's compiler
cache), or an ENF file compiled beforehand with ``furiosa-compiler``. For the NPU to do the work the model
must be quantized first (``furiosa.quantizer``); this backend does not quantize. RNGD is not covered: its
current SDK ships an LLM-only runtime (``furiosa-llm``), not this runner API.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from .backend import BackendError, MissingBackendError, TensorSpec, require

log = logging.getLogger("dil.inference")

PACKAGE = "furiosa.runtime.sync"
SUFFIXES = (".onnx", ".tflite", ".enf")
OPTIONS = ("device", "batch_size", "workers")
DEFAULT_DEVICE = "warboy(2)*1"
"""The runtime's documented default when neither the option nor FURIOSA_DEVICES / NPU_DEVNAME is set."""


def _sync() -> object:
    """``furiosa.runtime.sync``, or :class:`MissingBackendError` naming the package."""
    try:
        return require(PACKAGE, "furiosa")
    except BackendError:
        raise
    except Exception as e:
        # Seen with furiosa-runtime 0.10.2 installed on a machine without the driver packages: importing
        # furiosa.runtime raises RuntimeError ("libfuriosa_hal.so: cannot open shared object file"),
        # not ImportError, so require() lets it through.
        raise MissingBackendError(
            f"inference backend 'furiosa' needs the Python package {PACKAGE!r}: it is installed but its "
            f"native runtime does not load ({e}); install FuriosaAI's driver and runtime packages "
            "(furiosa-driver-warboy, furiosa-libnux)"
        ) from None


def _specs(descs: list, kind: str, model: Path) -> tuple[TensorSpec, ...]:
    """TensorSpecs from the runtime's TensorDesc objects, in the model's order."""
    specs = []
    for i, desc in enumerate(descs):
        # TensorDesc.name is documented as "str or None: only available for some model formats", so a
        # nameless tensor is called input0, input1, ... / output0, ... after its position, which is
        # stable for a given model. run() passes inputs by position, never by name.
        name = desc.name or f"{kind}{i}"
        try:
            dtype = np.dtype(desc.dtype.numpy)  # documented to raise ValueError without a numpy equivalent
        except ValueError as e:
            raise BackendError(
                f"{model}: {kind} {name!r} has type {desc.dtype}, which dil does not feed ({e})"
            ) from None
        # A compiled model has static shapes (batch_size multiplies the first dimension), so no -1 is
        # expected; a non-positive size would still read as dynamic.
        shape = tuple(int(d) if int(d) > 0 else -1 for d in desc.shape)
        specs.append(TensorSpec(name, shape, dtype))
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise BackendError(f"{model}: {kind} tensor names are not unique ({', '.join(names)})")
    return tuple(specs)


def _positive(options: dict[str, str], key: str) -> int | None:
    if key not in options:
        return None
    try:
        value = int(options[key])
    except ValueError:
        value = 0
    if value < 1:
        raise BackendError(f"furiosa backend: option {key}={options[key]!r} is not a positive integer")
    return value


class FuriosaSession:
    backend = "furiosa"

    def __init__(self, model: Path, device: str | None, batch_size: int | None, workers: int | None) -> None:
        sync = _sync()
        self._model = model
        self.device = (
            device or os.environ.get("FURIOSA_DEVICES") or os.environ.get("NPU_DEVNAME") or DEFAULT_DEVICE
        )
        kwargs = {"device": device, "batch_size": batch_size, "worker_num": workers}
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        try:
            self._runner = sync.create_runner(str(model), **kwargs)
        # FuriosaRuntimeError, or standard exceptions (TypeError, ValueError, ...) as the 0.10 docs say
        except Exception as e:
            raise BackendError(
                f"{model}: the Furiosa runtime cannot load it on {self.device} ({e})"
            ) from None
        try:
            self.inputs = _specs(self._runner.model.inputs(), "input", model)
            self.outputs = _specs(self._runner.model.outputs(), "output", model)
        except BaseException:
            self.close()
            raise

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        missing = [s.name for s in self.inputs if s.name not in feeds]
        if missing:
            raise BackendError(f"{self._model}: no feed for input {missing[0]!r}")
        # The runtime takes inputs by position and rejects negative or non-aligned strides.
        arrays = [np.ascontiguousarray(feeds[s.name]) for s in self.inputs]
        try:
            outputs = self._runner.run(arrays)
        except Exception as e:
            raise BackendError(f"{self._model}: inference on {self.device} failed ({e})") from None
        return [np.asarray(o) for o in outputs]

    def close(self) -> None:
        runner, self._runner = getattr(self, "_runner", None), None
        # close() also closes the runtime create_runner opened; False means it did not finish in time.
        if runner is not None and not runner.close():
            log.warning("%s: the Furiosa runner did not close in time", self._model)


class FuriosaBackend:
    name = "furiosa"
    package = PACKAGE

    def check(self) -> None:
        _sync()

    def open(self, model: Path, options: dict[str, str]) -> FuriosaSession:
        """Options: ``device`` (a runtime device specification: ``warboy(2)*1``, ``npu:0:0-1`` for the
        fused PEs 0 and 1 of NPU 0, ``npu:0:0``, or the deprecated ``npu0pe0-1``; default FURIOSA_DEVICES,
        else ``warboy(2)*1``), ``batch_size`` (compiled batch, multiplies the first dimension),
        ``workers`` (the runner's worker threads)."""
        model = Path(model)
        unknown = [k for k in options if k not in OPTIONS]
        if unknown:
            raise BackendError(
                f"furiosa backend: unknown option {unknown[0]!r} (known: {', '.join(OPTIONS)})"
            )
        if model.suffix.lower() not in SUFFIXES:
            raise BackendError(f"{model}: the furiosa backend takes {', '.join(SUFFIXES)} files")
        if not model.is_file():
            raise BackendError(f"{model}: no such file")
        return FuriosaSession(
            model,
            options.get("device") or None,
            _positive(options, "batch_size"),
            _positive(options, "workers"),
        )


BACKEND = FuriosaBackend()
