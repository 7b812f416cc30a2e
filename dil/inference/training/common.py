"""Constants of the shipped lane-keeping model, and the manifest's pre-processing for one frame."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from dil.paths import catalog_dir, roads_dir

from ..manifest import Input

REPO = Path(__file__).resolve().parents[3]
ROADS = roads_dir()
SCENARIOS = catalog_dir()
MODELS = Path(__file__).resolve().parents[1] / "models"
NAME = "lane_keeper"

CRUISE = 70.0 / 3.6
"""The default cruise speed [m/s] (the catalog's lane-keeping default)."""
CRUISE_RANGE = (40.0 / 3.6, 100.0 / 3.6)
"""Cruise speeds the training episodes ask for [m/s]: the model reads the scenario's."""
RATE_HZ = 20.0
"""Camera frames and model commands per second (the AI stack's default rate)."""
TICK_NS = 10_000_000
"""The hand-ticked loop's step: the vehicle node at 100 Hz (10 physics steps each), the world
at 50 Hz, camera and commands at ``RATE_HZ``."""
EGO_SIZE = (4.63, 1.83, 1.44)
"""Length, width, height of the catalog's ego vehicle [m]."""
END_MARGIN = 60.0
"""Episodes end this far before the end of the road [m]: past it the view and the lane ahead run
out."""
LOST = 1.8
"""An episode ends when the car is this far from its lane centre [m]."""

IMAGE = Input(
    name="image",
    kind="camera",
    camera="front",
    source_size=(640, 360),
    crop=(0, 176, 640, 144),  # from just above the horizon to ~3 m ahead of the camera
    size=(160, 48),
    colour="rgb",
    layout="nchw",
    scale=1.0 / 255.0,
    mean=(0.5, 0.5, 0.5),
    std=(0.25, 0.25, 0.25),
)
SPEED = Input(name="speed", kind="ego", fields=("speed", "cruise_speed"), scale=0.05)
OUTPUT = "controls"
STEER_SCALE = 0.5
"""The model's first output times this is the steering-wheel angle [rad]."""
STEER_LIMIT = 2.0
"""The exported model clamps the steering-wheel angle to +-this [rad] (lane keeping needs less than
0.6); throttle and brake are clamped to [0, 1]."""
RESIZES = (cv2.INTER_AREA, cv2.INTER_LINEAR)
"""Training frames are shrunk with either (chosen per frame), so the model does not depend on the
interpolation a runtime uses."""


# --- preprocessing: what the manifest says, for one frame ------------------------------------------


def shrink(image_bgr: np.ndarray, inp: Input, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
    """Crop, resize and colour-convert a ``bgr8`` frame for camera input ``inp``: ``uint8`` (h, w, c)."""
    if inp.crop is not None:
        x, y, w, h = inp.crop
        image_bgr = image_bgr[y : y + h, x : x + w]
    img = cv2.resize(image_bgr, tuple(inp.size), interpolation=interpolation)
    if inp.colour == "rgb":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    elif inp.colour == "gray":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[:, :, None]
    return img


def normalise(pixels: np.ndarray, inp: Input) -> np.ndarray:
    """``uint8`` (..., h, w, c) from :func:`shrink` to the model's ``float32`` tensor layout."""
    x = pixels.astype(np.float32) * np.float32(inp.scale)
    if inp.mean:
        x -= np.asarray(inp.mean, np.float32)
    if inp.std:
        x /= np.asarray(inp.std, np.float32)
    if inp.layout == "nchw":
        x = np.moveaxis(x, -1, -3)
    return np.ascontiguousarray(x)


def manifest_document(model_file: str) -> dict:
    """The manifest of the exported model, as YAML-ready data."""

    def camera(i: Input) -> dict:
        return {
            "name": i.name,
            "kind": i.kind,
            "camera": i.camera,
            "source_size": list(i.source_size),
            "crop": list(i.crop) if i.crop else None,
            "size": list(i.size),
            "colour": i.colour,
            "layout": i.layout,
            "scale": i.scale,
            "mean": list(i.mean),
            "std": list(i.std),
        }

    return {
        "name": "lane-keeper",
        "model": model_file,
        "max_batch": 8,
        "inputs": [
            camera(IMAGE),
            {"name": SPEED.name, "kind": SPEED.kind, "fields": list(SPEED.fields), "scale": SPEED.scale},
        ],
        "outputs": [
            {
                "name": OUTPUT,
                "commands": {
                    "steering_wheel_angle": {"index": 0, "scale": STEER_SCALE},
                    "throttle": {"index": 1},
                    "brake": {"index": 2},
                },
            }
        ],
    }


MANIFEST_HEADER = """\
# A camera lane-keeping and speed-keeping model for dil's embedded camera (front, 640x360, fov 90),
# learned from the built-in stack by `dil node train` (dil/inference/training/). It keeps the lane
# centre and holds the cruise speed the scenario sets (trained for 40 to 100 km/h).
"""
