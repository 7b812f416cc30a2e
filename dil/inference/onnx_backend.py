"""ONNX Runtime: the reference backend. Execution providers are chosen by option, in order of
preference, with a fallback list: ``providers=tensorrt,cuda,cpu`` uses the first the installed
build offers (the ``onnxruntime`` wheel has the CPU provider; ``onnxruntime-gpu`` adds CUDA and
TensorRT)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .backend import BackendError, TensorSpec, require

PROVIDERS = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(uint8)": np.uint8,
    "tensor(int8)": np.int8,
    "tensor(int32)": np.int32,
    "tensor(int64)": np.int64,
}


def _spec(arg: object) -> TensorSpec:  # an onnxruntime NodeArg
    if arg.type not in _DTYPES:
        raise BackendError(f"tensor {arg.name!r} has type {arg.type}, which dil does not feed")
    shape = tuple(d if isinstance(d, int) and d > 0 else -1 for d in arg.shape)
    return TensorSpec(arg.name, shape, np.dtype(_DTYPES[arg.type]))


class OnnxSession:
    backend = "onnx"

    def __init__(self, model: Path, providers: list[str], threads: int, spin: bool = True) -> None:
        ort = require("onnxruntime", "onnx")
        available = ort.get_available_providers()
        chosen = [PROVIDERS[p] for p in providers if PROVIDERS[p] in available]
        if not chosen:
            raise BackendError(
                f"{model}: none of the providers {', '.join(providers)} is in this onnxruntime build "
                f"(it has {', '.join(available)})"
            )
        opts = ort.SessionOptions()
        if threads > 0:
            opts.intra_op_num_threads = threads
        if not spin:  # idle pool threads sleep instead of spinning for the next request
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self._sess = ort.InferenceSession(str(model), sess_options=opts, providers=chosen)
        except Exception as e:  # onnxruntime raises its own exception types for bad files
            raise BackendError(f"{model}: onnxruntime cannot load it ({e})") from None
        active = self._sess.get_providers()
        accelerators = [p for p in chosen if p != "CPUExecutionProvider"]
        if accelerators and not set(accelerators) & set(active) and "CPUExecutionProvider" not in chosen:
            # onnxruntime falls back to the CPU when a provider's libraries fail to load; asked for
            # an accelerator alone, running on the CPU under its name would mislabel every figure
            raise BackendError(
                f"{model}: onnxruntime could not start {', '.join(accelerators)} (it fell back to "
                f"{', '.join(active)}): its CUDA, cuDNN or TensorRT libraries did not load"
            )
        self.device = ",".join(active)
        self.inputs = tuple(_spec(a) for a in self._sess.get_inputs())
        self.outputs = tuple(_spec(a) for a in self._sess.get_outputs())
        self._names = [o.name for o in self.outputs]

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        return self._sess.run(self._names, feeds)

    def close(self) -> None:
        self._sess = None


class OnnxBackend:
    name = "onnx"
    package = "onnxruntime"

    def check(self) -> None:
        require(self.package, self.name)

    def open(self, model: Path, options: dict[str, str]) -> OnnxSession:
        """Options: ``providers`` (comma-separated, from tensorrt, cuda, cpu; default cpu),
        ``threads`` (intra-op threads; 0 lets onnxruntime choose), ``spin`` (1, the default: idle
        pool threads spin waiting for work, lowest latency on a machine of its own; 0: they sleep,
        for a node sharing its CPUs with a real-time loop)."""
        providers = [p.strip() for p in options.get("providers", "cpu").split(",") if p.strip()]
        unknown = [p for p in providers if p not in PROVIDERS]
        if unknown:
            known = ", ".join(PROVIDERS)
            raise BackendError(f"onnx backend: unknown provider {unknown[0]!r} (known: {known})")
        spin = options.get("spin", "1")
        if spin not in ("0", "1"):
            raise BackendError(f"onnx backend: spin={spin!r}: must be 0 or 1")
        return OnnxSession(Path(model), providers, int(options.get("threads", "0")), spin == "1")


BACKEND = OnnxBackend()
