"""Rebellions ATOM NPU through the RBLN SDK's Python package ``rebel`` (pip package ``rebel-compiler``):
``rebel.Runtime(path, device=N, tensor_type="np")`` and ``runtime.run(*inputs)`` on a compiled ``.rbln``
file, with the tensor descriptions from ``rebel.RBLNCompiledModel.inspect(path)``.

Written against the RBLN SDK documentation (read for SDK 0.7.2 to 0.12.0, alike on what is used here):
    https://docs.rbln.ai/latest/software/api/python/python_api.html  (RBLNCompiledModel, Runtime)
    https://docs.rbln.ai/latest/software/api/deep_dive.html  (the .rbln file, rebel.Runtime and run())
and Rebellions' own code (github.com/rebellions-sw/rbln-model-zoo and .../optimum-rbln, 2025), which is
where ``Runtime(..., device=N)``, ``RBLNCompiledModel.inspect()`` and a one-output ``run()`` returning a
bare array were seen. NOT run on real hardware, nor even imported: there is no NPU here and
``rebel-compiler`` is not on PyPI (Rebellions distributes it from its own package index to registered
users). See ``docs/npu-backends.md``.

Only compiled ``.rbln`` files are served. The RBLN compiler's documented frontends are PyTorch
(``rebel.compile_from_torch``) and TensorFlow; the API overview names no ONNX frontend, so this backend
does not compile ONNX files: compile the model where its PyTorch or TensorFlow source is, ``.save()`` the
result and serve the ``.rbln`` file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .backend import BackendError, MissingBackendError, TensorSpec, require

PACKAGE = "rebel"
OPTIONS = ("device",)


def _rebel() -> object:
    """The RBLN SDK's ``rebel`` module, or :class:`MissingBackendError` naming the package."""
    rebel = require(PACKAGE, "rebellions")
    # PyPI's unrelated "rebel" (an SQL library) installs a module of the same name: `pip install rebel`
    # satisfies the import but is not the SDK.
    if not hasattr(rebel, "Runtime") or not hasattr(rebel, "RBLNCompiledModel"):
        raise MissingBackendError(
            f"inference backend 'rebellions' needs the Python package {PACKAGE!r} of the RBLN SDK (pip "
            f"package rebel-compiler); the {PACKAGE!r} installed here ({getattr(rebel, '__file__', '?')}) "
            "is another package of the same name"
        )
    return rebel


def _field(item: object, key: str) -> object:
    # inspect() gives mappings (Rebellions' examples index it: meta["inputs"][0]["shape"]); read attributes
    # too, in case an SDK version returns objects. Not verified against a real .rbln file.
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)


def _dtype(value: object) -> np.dtype:
    # Compile-time input_info gives dtypes as strings ("float32"); a torch dtype would print "torch.float32".
    return np.dtype(value if isinstance(value, np.dtype) else str(value).removeprefix("torch."))


def _specs(items: object, kind: str, model: Path) -> tuple[TensorSpec, ...]:
    specs = []
    for i, item in enumerate(items or ()):
        # Input names are those given to the compiler (input_info); outputs may carry no name, and then
        # are called output0, output1, ... after their position, which is stable for a given file.
        name = str(_field(item, "name") or f"{kind}{i}")
        try:
            # compiled shapes are static; a non-positive size would still read as dynamic
            shape = tuple(int(d) if int(d) > 0 else -1 for d in _field(item, "shape"))
            dtype = _dtype(_field(item, "dtype"))
        except (TypeError, ValueError) as e:
            raise BackendError(f"{model}: cannot read the description of {kind} {name!r} ({e})") from None
        specs.append(TensorSpec(name, shape, dtype))
    if not specs:
        raise BackendError(f"{model}: the compiled model describes no {kind}s")
    if len({s.name for s in specs}) != len(specs):
        raise BackendError(f"{model}: {kind} tensor names are not unique")
    return tuple(specs)


class RebellionsSession:
    backend = "rebellions"

    def __init__(self, model: Path, device: int) -> None:
        rebel = _rebel()
        self._model = model
        self.device = f"RBLN NPU {device}"
        try:
            meta = rebel.RBLNCompiledModel.inspect(str(model))
        except Exception as e:
            raise BackendError(f"{model}: the RBLN SDK cannot read it ({e})") from None
        self.inputs = _specs(_field(meta, "inputs"), "input", model)
        self.outputs = _specs(_field(meta, "outputs"), "output", model)
        try:
            self._runtime = rebel.Runtime(str(model), device=device, tensor_type="np")
        except Exception as e:  # RBLNRuntimeError when the NPU is missing or does not match the model
            raise BackendError(f"{model}: the RBLN runtime cannot load it on {self.device} ({e})") from None

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        missing = [s.name for s in self.inputs if s.name not in feeds]
        if missing:
            raise BackendError(f"{self._model}: no feed for input {missing[0]!r}")
        try:
            out = self._runtime.run(*(np.ascontiguousarray(feeds[s.name]) for s in self.inputs))
        except Exception as e:
            raise BackendError(f"{self._model}: inference on {self.device} failed ({e})") from None
        # run() returns the array itself for a one-output model, a sequence of arrays otherwise.
        outputs = [out] if isinstance(out, np.ndarray) else [np.asarray(o) for o in out]
        if len(outputs) != len(self.outputs):
            raise BackendError(
                f"{self._model}: {len(outputs)} outputs came back, the file describes {len(self.outputs)}"
            )
        return outputs

    def close(self) -> None:
        # The API documents no close() for a Runtime: drop the reference and let the SDK free it.
        self._runtime = None


class RebellionsBackend:
    name = "rebellions"
    package = PACKAGE

    def check(self) -> None:
        _rebel()

    def open(self, model: Path, options: dict[str, str]) -> RebellionsSession:
        """Options: ``device`` (the NPU's device ID, as ``rbln-smi`` lists it; default 0)."""
        model = Path(model)
        unknown = [k for k in options if k not in OPTIONS]
        if unknown:
            raise BackendError(
                f"rebellions backend: unknown option {unknown[0]!r} (known: {', '.join(OPTIONS)})"
            )
        if model.suffix.lower() != ".rbln":
            raise BackendError(
                f"{model}: the rebellions backend serves compiled .rbln files; the RBLN SDK compiles PyTorch "
                "and TensorFlow models (rebel.compile_from_torch(...).save('model.rbln')), not ONNX files"
            )
        if not model.is_file():
            raise BackendError(f"{model}: no such file")
        device = options.get("device", "0")
        if not device.isdigit():
            raise BackendError(f"rebellions backend: option device={device!r} is not an NPU index")
        return RebellionsSession(model, int(device))


BACKEND = RebellionsBackend()
