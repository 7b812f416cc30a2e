"""From request payloads to the model's input tensors, and from its outputs to driving commands.

Images are decoded (raw BGR rows or JPEG), cropped, resized and colour-converted with OpenCV one by
one, then stacked into one batch and normalised in one numpy expression; ego values and object
lists become small float arrays. The tensors' dtypes are the model's own (from the session).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .backend import Session
from .manifest import COMMANDS, Input, Manifest


class RequestError(ValueError):
    """A request the model cannot be fed; the reply carries the message."""


def decode_image(rec: dict) -> np.ndarray:
    """A BGR image (height, width, 3) from an ``images`` record."""
    w, h, data = rec["width"], rec["height"], rec["data"]
    if rec["encoding"] == "bgr8":
        if len(data) != w * h * 3:
            raise RequestError(f"camera {rec['camera']}: {len(data)} bytes is not a {w}x{h} bgr8 image")
        return np.frombuffer(data, np.uint8).reshape(h, w, 3)
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise RequestError(f"camera {rec['camera']}: the JPEG data does not decode")
    if img.shape[:2] != (h, w):
        raise RequestError(f"camera {rec['camera']}: the JPEG is {img.shape[1]}x{img.shape[0]}, not {w}x{h}")
    return img


def _one_image(inp: Input, img: np.ndarray) -> np.ndarray:
    sw, sh = inp.source_size
    if img.shape[1] != sw or img.shape[0] != sh:
        raise RequestError(
            f"camera {inp.camera}: the image is {img.shape[1]}x{img.shape[0]}, the model's manifest "
            f"expects {sw}x{sh} (source_size of input {inp.name!r})"
        )
    if inp.crop is not None:
        x, y, w, h = inp.crop
        img = img[y : y + h, x : x + w]
    img = cv2.resize(img, inp.size, interpolation=cv2.INTER_AREA)
    if inp.colour == "rgb":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    elif inp.colour == "gray":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[:, :, None]
    return img


def camera_batch(inp: Input, images: list[np.ndarray], dtype: np.dtype) -> np.ndarray:
    """(batch, C, H, W) or (batch, H, W, C) for the model, normalised as the manifest says."""
    x = np.stack([_one_image(inp, img) for img in images]).astype(np.float32)
    x *= inp.scale
    if inp.mean:
        x -= np.asarray(inp.mean, np.float32)
    if inp.std:
        x /= np.asarray(inp.std, np.float32)
    if inp.layout == "nchw":
        x = x.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(x, dtype=dtype)


def ego_batch(inp: Input, egos: list[dict[str, float]], dtype: np.dtype) -> np.ndarray:
    try:
        x = np.array([[e[f] for f in inp.fields] for e in egos], np.float64)
    except KeyError as e:
        raise RequestError(
            f"the request's ego state lacks {e.args[0]!r}, which input {inp.name!r} needs"
        ) from None
    return (x * inp.scale).astype(dtype)


def objects_batch(inp: Input, lists: list[list[dict]], dtype: np.dtype) -> np.ndarray:
    out = np.zeros((len(lists), inp.max_objects, len(inp.fields)), np.float64)
    for b, objs in enumerate(lists):
        nearest = sorted(objs, key=lambda o: math.hypot(o["x"], o["y"]))[: inp.max_objects]
        for k, o in enumerate(nearest):
            out[b, k] = [o[f] for f in inp.fields]
    return (out * inp.scale).astype(dtype)


def check_request(m: Manifest, req: dict) -> None:
    """Raise :class:`RequestError` if the model cannot be fed ``req`` (decoded)."""
    for inp in m.inputs:
        if inp.kind == "camera":
            img = req["images"].get(inp.camera)
            if img is None:
                raise RequestError(f"the request has no image from camera {inp.camera!r}")
            sw, sh = inp.source_size
            if img.shape[1] != sw or img.shape[0] != sh:
                raise RequestError(
                    f"camera {inp.camera}: the image is {img.shape[1]}x{img.shape[0]}, the model's "
                    f"manifest expects {sw}x{sh} (source_size of input {inp.name!r})"
                )
        elif inp.kind == "ego":
            missing = [f for f in inp.fields if f not in req["ego"]]
            if missing:
                raise RequestError(f"the request's ego state lacks {missing}, which input {inp.name!r} needs")


def feeds(m: Manifest, session: Session, requests: list[dict]) -> dict[str, np.ndarray]:
    """The model's inputs for a batch of decoded requests (``images`` already decoded to arrays,
    keyed by camera; ``ego`` a dict)."""
    dtypes = {t.name: t.dtype for t in session.inputs}
    out = {}
    for inp in m.inputs:
        if inp.kind == "camera":
            imgs = []
            for r in requests:
                if inp.camera not in r["images"]:
                    raise RequestError(f"the request has no image from camera {inp.camera!r}")
                imgs.append(r["images"][inp.camera])
            out[inp.name] = camera_batch(inp, imgs, dtypes[inp.name])
        elif inp.kind == "ego":
            out[inp.name] = ego_batch(inp, [r["ego"] for r in requests], dtypes[inp.name])
        else:
            out[inp.name] = objects_batch(inp, [r["objects"] for r in requests], dtypes[inp.name])
    return out


def commands(m: Manifest, session: Session, outputs: list[np.ndarray], batch: int) -> np.ndarray:
    """(batch, 3): steering-wheel angle [rad], throttle and brake [0..1] from the model's outputs;
    a command no output gives is 0."""
    index = {t.name: k for k, t in enumerate(session.outputs)}
    cmd = np.zeros((batch, len(COMMANDS)))
    for o in m.outputs:
        y = np.asarray(outputs[index[o.name]], np.float64).reshape(batch, -1)
        for name, c in o.commands.items():
            cmd[:, COMMANDS.index(name)] = y[:, c.index] * c.scale + c.offset
    cmd[:, 1:] = np.clip(cmd[:, 1:], 0.0, 1.0)
    if not np.isfinite(cmd).all():
        raise RequestError("the model's output is not finite")
    return cmd
