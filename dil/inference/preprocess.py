"""From request payloads to the model's input tensors, and from its outputs to driving commands.

Images are decoded (raw BGR rows or JPEG), cropped, resized and colour-converted with OpenCV one by
one, then stacked into one batch and normalised and laid out by one numba kernel (a multiply-add
per channel, written straight into the model's layout); ego values and object lists become small
float arrays. The tensors' dtypes are the model's own (from the session).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numba import njit

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


@njit(cache=True)
def normalise_into(
    pixels: np.ndarray, gain: np.ndarray, offset: np.ndarray, nchw: bool, out: np.ndarray
) -> None:
    """``out = pixels * gain + offset`` per channel, from (batch, H, W, C) uint8 into ``out`` laid
    out (batch, C, H, W) when ``nchw``, else (batch, H, W, C)."""
    b, h, w, c = pixels.shape
    for n in range(b):
        for y in range(h):
            for x in range(w):
                for k in range(c):
                    v = pixels[n, y, x, k] * gain[k] + offset[k]
                    if nchw:
                        out[n, k, y, x] = v
                    else:
                        out[n, y, x, k] = v


def affine(inp: Input, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel gain and offset: ``(pixel * scale - mean) / std``."""
    mean = np.broadcast_to(np.asarray(inp.mean or 0.0, np.float64), (channels,))
    std = np.broadcast_to(np.asarray(inp.std or 1.0, np.float64), (channels,))
    return (inp.scale / std).astype(np.float32), (-mean / std).astype(np.float32)


def camera_batch(inp: Input, images: list[np.ndarray], dtype: np.dtype) -> np.ndarray:
    """(batch, C, H, W) or (batch, H, W, C) for the model, normalised as the manifest says."""
    pixels = np.stack([_one_image(inp, img) for img in images])
    b, h, w, c = pixels.shape
    gain, offset = affine(inp, c)
    nchw = inp.layout == "nchw"
    out = np.empty((b, c, h, w) if nchw else (b, h, w, c), np.float32)
    normalise_into(pixels, gain, offset, nchw, out)
    return out if out.dtype == dtype else out.astype(dtype)


def warm() -> None:
    """Compile (or load from the cache) the kernels before the first request."""
    out = np.empty((1, 1, 1, 1), np.float32)
    normalise_into(
        np.zeros((1, 1, 1, 1), np.uint8), np.ones(1, np.float32), np.zeros(1, np.float32), True, out
    )


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
