"""The model manifest: a YAML file beside an ONNX model that says what the model eats and what
its outputs mean, so a team brings its own model without code.

```yaml
name: lane-keeper
model: lane_keeper.onnx          # relative to this file
max_batch: 8                     # frames one call may carry (1 for a fixed batch dimension)
inputs:
  - name: image                  # the model's input tensor
    kind: camera                 # camera | ego | objects
    camera: front                # the sensor/<camera> it reads
    source_size: [640, 360]      # the camera image it expects, width and height [px]
    crop: [0, 150, 640, 210]     # x, y, width, height in the source image (optional)
    size: [200, 66]              # width and height the model takes [px]
    colour: rgb                  # rgb | bgr | gray
    layout: nchw                 # nchw | nhwc
    scale: 0.00392156862745098   # multiplies the 0..255 pixel values, then (x - mean) / std
    mean: [0.5, 0.5, 0.5]
    std: [0.5, 0.5, 0.5]
  - name: speed
    kind: ego
    fields: [speed]              # vehicle/state fields (or cruise_speed), in order
    scale: 0.05
outputs:
  - name: controls               # the model's output tensor
    commands:                    # output element -> driving command: value * scale + offset
      steering_wheel_angle: {index: 0, scale: 7.0}
      throttle: {index: 1}
      brake: {index: 2}
```
Loading checks the manifest against the model's own tensors (names, ranks, fixed sizes, image
layout and channels, output indices) so a mismatch is an error at load, naming the file, the
field and the value, not a failure at the first frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dacite

from dil.bus.messages import VEHICLE_STATE
from dil.config.ranges import Bound, check, closed, count
from dil.config.typed import from_dict
from dil.config.yaml_safe import ConfigError, load_yaml

from .backend import Session

COMMANDS = ("steering_wheel_angle", "throttle", "brake")
EGO_FIELDS = (*(f.name for f in VEHICLE_STATE.fields if f.kind.name == "F64"), "cruise_speed")
"""What an ``ego`` input may read: the numbers of ``vehicle/state``, and ``cruise_speed``, the speed
the scenario asks the ego to hold [m/s] (what the built-in stack's cruise control is set to)."""
OBJECT_FIELDS = ("x", "y", "yaw", "speed", "length", "width", "height")


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the file, field and value."""


@dataclass(frozen=True)
class Input:
    name: str
    kind: str
    camera: str = "front"
    source_size: tuple[int, int] = (640, 360)
    crop: tuple[int, int, int, int] | None = None
    size: tuple[int, int] = (0, 0)
    colour: str = "rgb"
    layout: str = "nchw"
    scale: float = 1.0
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    fields: tuple[str, ...] = ()
    """ego: vehicle/state fields; objects: per-object fields (from OBJECT_FIELDS)."""
    max_objects: int = 16
    """objects: rows of the (max_objects, len(fields)) array, nearest first, zero-padded."""

    @property
    def channels(self) -> int:
        return 1 if self.colour == "gray" else 3


@dataclass(frozen=True)
class Command:
    index: int
    scale: float = 1.0
    offset: float = 0.0


@dataclass(frozen=True)
class Output:
    name: str
    commands: dict[str, Command] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    name: str
    model: str
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    max_batch: int = 1
    path: Path = Path(".")
    """The manifest file (set by :func:`load_manifest`)."""

    @property
    def model_path(self) -> Path:
        return (self.path.parent / self.model).resolve()

    @property
    def cameras(self) -> tuple[str, ...]:
        return tuple(sorted({i.camera for i in self.inputs if i.kind == "camera"}))


def _fail(path: Path, where: str, what: str) -> ManifestError:
    return ManifestError(f"{path}: {where}: {what}")


RANGES: dict[str, Bound] = {
    "max_batch": count(1, 1024),
    "inputs.*.source_size.*": count(1, 16384),
    "inputs.*.crop.*": count(0, 16384),
    "inputs.*.size.*": count(0, 16384),
    "inputs.*.scale": closed(-1e6, 1e6),
    "inputs.*.mean.*": closed(-1e6, 1e6),
    "inputs.*.std.*": closed(-1e6, 1e6),
    "inputs.*.max_objects": count(1, 1024),
    "outputs.*.commands.*.index": count(0, 1_000_000),
    "outputs.*.commands.*.scale": closed(-1e6, 1e6),
    "outputs.*.commands.*.offset": closed(-1e6, 1e6),
}
"""Valid range of every number of a manifest (documented in docs/inference.md)."""


def load_manifest(path: str | Path) -> Manifest:
    """Read and check a manifest (not yet against the model: see :func:`check_against`)."""
    path = Path(path)
    try:
        doc = load_yaml(path, "manifest")
        if not isinstance(doc, dict):
            raise ManifestError(f"{path}: a manifest is a mapping with name, model, inputs, outputs")
        m = from_dict(
            Manifest, {**doc, "path": path}, str(path), dacite.Config(strict=True, cast=[tuple, Path])
        )
        check(m, RANGES, str(path))
    except ConfigError as e:
        raise ManifestError(str(e)) from None
    _check(m)
    if not m.model_path.is_file():
        raise _fail(path, "model", f"{m.model!r}: no such file ({m.model_path})")
    return m


def _check(m: Manifest) -> None:
    p = m.path
    if m.max_batch < 1:
        raise _fail(p, "max_batch", f"{m.max_batch}: must be at least 1")
    if not m.inputs or not m.outputs:
        raise _fail(p, "inputs/outputs", "a model needs at least one of each")
    for k, i in enumerate(m.inputs):
        where = f"inputs[{k}] ({i.name})"
        if i.kind not in ("camera", "ego", "objects"):
            raise _fail(p, f"{where}.kind", f"{i.kind!r}: must be camera, ego or objects")
        if i.kind == "camera":
            if i.colour not in ("rgb", "bgr", "gray"):
                raise _fail(p, f"{where}.colour", f"{i.colour!r}: must be rgb, bgr or gray")
            if i.layout not in ("nchw", "nhwc"):
                raise _fail(p, f"{where}.layout", f"{i.layout!r}: must be nchw or nhwc")
            if min(i.size) < 1:
                raise _fail(p, f"{where}.size", f"{list(i.size)}: width and height must be positive")
            sw, sh = i.source_size
            if i.crop is not None:
                x, y, w, h = i.crop
                if x < 0 or y < 0 or w < 1 or h < 1 or x + w > sw or y + h > sh:
                    raise _fail(p, f"{where}.crop", f"{list(i.crop)}: outside the {sw}x{sh} source image")
            for name in ("mean", "std"):
                v = getattr(i, name)
                if v and len(v) != i.channels:
                    raise _fail(p, f"{where}.{name}", f"{list(v)}: needs {i.channels} values")
            if any(s == 0.0 for s in i.std):
                raise _fail(p, f"{where}.std", f"{list(i.std)}: zero")
        else:
            known = EGO_FIELDS if i.kind == "ego" else OBJECT_FIELDS
            if not i.fields:
                raise _fail(p, f"{where}.fields", "empty: name the values the model takes")
            for f in i.fields:
                if f not in known:
                    raise _fail(p, f"{where}.fields", f"{f!r} is not one of {', '.join(known)}")
    seen: set[str] = set()
    for k, o in enumerate(m.outputs):
        for c, cmd in o.commands.items():
            if c not in COMMANDS:
                raise _fail(p, f"outputs[{k}].commands", f"{c!r}: must be one of {', '.join(COMMANDS)}")
            if c in seen:
                raise _fail(p, f"outputs[{k}].commands.{c}", "given twice")
            if cmd.index < 0:
                raise _fail(p, f"outputs[{k}].commands.{c}.index", f"{cmd.index}: negative")
            seen.add(c)
    if "steering_wheel_angle" not in seen:
        raise _fail(p, "outputs", "no output gives steering_wheel_angle")


def input_shape(i: Input, batch: int = -1) -> tuple[int, ...]:
    """The tensor shape the manifest implies for input ``i``."""
    if i.kind == "camera":
        w, h = i.size
        return (batch, i.channels, h, w) if i.layout == "nchw" else (batch, h, w, i.channels)
    if i.kind == "ego":
        return (batch, len(i.fields))
    return (batch, i.max_objects, len(i.fields))


def check_against(m: Manifest, session: Session) -> None:
    """The manifest and the loaded model agree, or a :class:`ManifestError` says where not."""
    p = m.path
    tensors = {t.name: t for t in session.inputs}
    for k, i in enumerate(m.inputs):
        t = tensors.get(i.name)
        if t is None:
            raise _fail(
                p, f"inputs[{k}].name", f"{i.name!r}: the model has no such input (it has {list(tensors)})"
            )
        want = input_shape(i)
        if len(t.shape) != len(want):
            raise _fail(
                p, f"inputs[{k}] ({i.name})", f"implies shape {list(want)}, the model takes {list(t.shape)}"
            )
        for d, (a, b) in enumerate(zip(t.shape[1:], want[1:], strict=True), start=1):
            if a > 0 and a != b:
                raise _fail(
                    p,
                    f"inputs[{k}] ({i.name})",
                    f"dimension {d} is {b} here but {a} in the model {list(t.shape)}",
                )
        if t.shape[0] > 0 and m.max_batch > t.shape[0]:
            raise _fail(
                p, "max_batch", f"{m.max_batch}: the model's batch dimension is fixed at {t.shape[0]}"
            )
    declared = {i.name for i in m.inputs}
    missing = [n for n in tensors if n not in declared]
    if missing:
        raise _fail(p, "inputs", f"the model also takes {missing}, which the manifest does not feed")
    outs = {t.name: t for t in session.outputs}
    for k, o in enumerate(m.outputs):
        t = outs.get(o.name)
        if t is None:
            raise _fail(
                p, f"outputs[{k}].name", f"{o.name!r}: the model has no such output (it has {list(outs)})"
            )
        width = t.shape[-1] if len(t.shape) > 1 else 1
        for c, cmd in o.commands.items():
            if width > 0 and cmd.index >= width:
                raise _fail(
                    p, f"outputs[{k}].commands.{c}.index", f"{cmd.index}: the output has {width} values"
                )
