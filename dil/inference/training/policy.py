"""A manifest's model as a driver, in-process."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..manifest import Manifest, check_against, load_manifest
from .common import normalise, shrink


class ModelPolicy:
    """A manifest's model as a driver: camera frame and ego state in, command out (in-process)."""

    def __init__(self, manifest: Manifest, session: object, interpolation: int = cv2.INTER_AREA) -> None:
        self.manifest = manifest
        self.session = session
        self.interpolation = interpolation
        self._outputs = [t.name for t in session.outputs]

    @staticmethod
    def open(path: str | Path, interpolation: int = cv2.INTER_AREA) -> ModelPolicy:
        from ..onnx_backend import BACKEND

        m = load_manifest(path)
        session = BACKEND.open(m.model_path, {"threads": "1"})
        check_against(m, session)
        return ModelPolicy(m, session, interpolation)

    def feeds(self, image_bgr: np.ndarray, state: dict[str, float]) -> dict[str, np.ndarray]:
        out = {}
        for i in self.manifest.inputs:
            if i.kind == "camera":
                out[i.name] = normalise(shrink(image_bgr, i, self.interpolation), i)[None]
            elif i.kind == "ego":
                out[i.name] = np.array([[state[f] * i.scale for f in i.fields]], np.float32)
            else:
                raise ValueError(
                    f"{self.manifest.path}: input {i.name!r} reads objects, which this policy lacks"
                )
        return out

    def command(self, image_bgr: np.ndarray, state: dict[str, float]) -> tuple[float, float, float]:
        """Steering-wheel angle [rad], throttle and brake."""
        results = dict(zip(self._outputs, self.session.run(self.feeds(image_bgr, state)), strict=True))
        cmd = {"steering_wheel_angle": 0.0, "throttle": 0.0, "brake": 0.0}
        for o in self.manifest.outputs:
            values = np.asarray(results[o.name]).reshape(-1)
            for name, c in o.commands.items():
                cmd[name] = float(values[c.index]) * c.scale + c.offset
        return (
            cmd["steering_wheel_angle"],
            min(max(cmd["throttle"], 0.0), 1.0),
            min(max(cmd["brake"], 0.0), 1.0),
        )
