"""A linear driving model built by the tests: its outputs are known exactly.

``controls = flatten(image) @ W + speed * v + b`` for an image of (3, H, W) floats and one ego
value; W, v and b are seeded random numbers, small enough that the outputs stay moderate.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

H, W = 6, 8  # the model's image size
SOURCE = (W, H)  # no resize: the source image is already the model's size


def build(
    directory: Path,
    *,
    seed: int = 0,
    fixed_batch: int | None = None,
    name: str = "linear",
    source: tuple[int, int] = SOURCE,
) -> dict:
    """Write ``NAME.onnx`` and ``NAME.yaml`` in ``directory``; returns the weights and paths.
    ``source``: the camera image the manifest expects (resized to the model's size)."""
    import onnx  # here: every pytest-xdist worker collects this module, few build a model
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    n = 3 * H * W
    w = (rng.standard_normal((n, 3)) * 0.01).astype(np.float32)
    v = (rng.standard_normal((1, 3)) * 0.1).astype(np.float32)
    b = np.array([0.0, 0.5, 0.2], np.float32)
    batch = fixed_batch if fixed_batch is not None else "batch"
    nodes = [
        helper.make_node("Flatten", ["image"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "W"], ["a"]),
        helper.make_node("MatMul", ["speed", "V"], ["c"]),
        helper.make_node("Add", ["a", "c"], ["ac"]),
        helper.make_node("Add", ["ac", "B"], ["controls"]),
    ]
    graph = helper.make_graph(
        nodes,
        name,
        [
            helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, 3, H, W]),
            helper.make_tensor_value_info("speed", TensorProto.FLOAT, [batch, 1]),
        ],
        [helper.make_tensor_value_info("controls", TensorProto.FLOAT, [batch, 3])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(v, "V"), numpy_helper.from_array(b, "B")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    directory.mkdir(parents=True, exist_ok=True)
    onnx_path = directory / f"{name}.onnx"
    onnx.save(model, onnx_path)
    manifest = {
        "name": name,
        "model": onnx_path.name,
        "max_batch": fixed_batch or 8,
        "inputs": [
            {
                "name": "image",
                "kind": "camera",
                "camera": "front",
                "source_size": list(source),
                "size": [W, H],
                "colour": "rgb",
                "layout": "nchw",
                "scale": 1.0 / 255.0,
            },
            {"name": "speed", "kind": "ego", "fields": ["speed"], "scale": 0.1},
        ],
        "outputs": [
            {
                "name": "controls",
                "commands": {
                    "steering_wheel_angle": {"index": 0, "scale": 2.0},
                    "throttle": {"index": 1},
                    "brake": {"index": 2},
                },
            }
        ],
    }
    yaml_path = directory / f"{name}.yaml"
    yaml_path.write_text(yaml.safe_dump(manifest, sort_keys=False))
    return {"W": w, "V": v, "B": b, "onnx": onnx_path, "manifest": yaml_path, "doc": manifest}


def reference(weights: dict, bgr: np.ndarray, speed: float) -> np.ndarray:
    """The exact outputs for one BGR image of the model's size (float64 arithmetic)."""
    rgb = bgr[:, :, ::-1].astype(np.float64) / 255.0
    x = rgb.transpose(2, 0, 1).reshape(1, -1)
    return (x @ weights["W"].astype(np.float64) + speed * 0.1 * weights["V"] + weights["B"])[0]


def commands(weights: dict, bgr: np.ndarray, speed: float) -> np.ndarray:
    """Steering-wheel angle, throttle, brake the manifest maps the outputs to."""
    y = reference(weights, bgr, speed)
    return np.array([2.0 * y[0], min(max(y[1], 0.0), 1.0), min(max(y[2], 0.0), 1.0)])
