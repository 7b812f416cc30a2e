"""The network (PyTorch), its training and its export to ONNX with the manifest."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

from .common import IMAGE, MANIFEST_HEADER, NAME, OUTPUT, SPEED, STEER_LIMIT, STEER_SCALE, manifest_document
from .data import Frames


def build_model() -> object:
    """The CNN (PilotNet's shape, smaller): 4 convolutions on the image, the speed and the cruise
    speed join the dense layers; outputs steering / ``STEER_SCALE``, throttle, brake (unclamped)."""
    import torch
    from torch import nn

    class LaneKeeperNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            c = 3 if IMAGE.colour != "gray" else 1
            self.features = nn.Sequential(
                nn.Conv2d(c, 24, 5, stride=2),
                nn.ELU(),
                nn.Conv2d(24, 32, 5, stride=2),
                nn.ELU(),
                nn.Conv2d(32, 48, 3, stride=2),
                nn.ELU(),
                nn.Conv2d(48, 64, 3),
                nn.ELU(),
                nn.Flatten(),
            )
            with torch.no_grad():
                n = self.features(torch.zeros(1, c, IMAGE.size[1], IMAGE.size[0])).shape[1]
            self.image_fc = nn.Sequential(nn.Dropout(0.2), nn.Linear(n, 64), nn.ELU())
            # the pedals are a sharply bent function of the speed against the cruise speed (the
            # built-in stack's throttle drops to 0 at its cruise speed): 16 units with their bends
            # 0.8 m/s apart in (speed - cruise) and 8 in the speed itself (what holding a speed
            # takes grows with it), a spline basis to start from, let the head follow it
            self.speed_fc = nn.Sequential(nn.Linear(2, 24), nn.ELU())
            with torch.no_grad():
                w = self.speed_fc[0].weight
                w.zero_()
                w[:16, 0], w[:16, 1] = 1.0 / SPEED.scale, -1.0 / SPEED.scale  # inputs in m/s
                w[16:, 0] = 1.0 / SPEED.scale
                self.speed_fc[0].bias.copy_(
                    -torch.cat([torch.linspace(-6.0, 6.0, 16), torch.linspace(8.0, 28.0, 8)])
                )
            self.head = nn.Sequential(nn.Linear(64 + 24, 32), nn.ELU(), nn.Linear(32, 3))

        def forward(self, image: torch.Tensor, speed: torch.Tensor) -> torch.Tensor:
            z = self.image_fc(self.features(image))
            return self.head(torch.cat([z, self.speed_fc(speed)], dim=1))

    return LaneKeeperNet()


def build_export(net: object) -> object:
    """``net`` with its commands clamped to what the vehicle accepts (the exported graph)."""
    import torch
    from torch import nn

    class Clamped(nn.Module):
        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.inner = inner
            limit = STEER_LIMIT / STEER_SCALE
            self.register_buffer("lo", torch.tensor([-limit, 0.0, 0.0]))
            self.register_buffer("hi", torch.tensor([limit, 1.0, 1.0]))

        def forward(self, image: torch.Tensor, speed: torch.Tensor) -> torch.Tensor:
            return torch.maximum(torch.minimum(self.inner(image, speed), self.hi), self.lo)

    return Clamped(net).eval()


def targets(f: Frames) -> np.ndarray:
    """Labels in the model's output units."""
    y = f.label.copy()
    y[:, 0] /= STEER_SCALE
    return y


LOSS_WEIGHTS = (1.0, 4.0, 4.0)
"""Steering (in units of ``STEER_SCALE``), throttle, brake: a throttle error of 0.02 already moves
the speed the car settles at by a few km/h."""


def train(
    net: object, data: Frames, epochs: int, seed: int, lr: float = 1e-3, log: Callable = print
) -> float:
    """Fit ``net`` to ``data`` (Adam, cosine-decayed learning rate); the last epoch's mean loss."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_all = torch.from_numpy(data.pixels)
    v_all = torch.from_numpy(np.stack([data.speed, data.cruise], axis=1) * np.float32(SPEED.scale))
    y_all = torch.from_numpy(targets(data))
    mean = torch.tensor(IMAGE.mean, dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(IMAGE.std, dtype=torch.float32).view(1, -1, 1, 1)
    w = torch.tensor(LOSS_WEIGHTS)
    batch = 128
    steps = epochs * math.ceil(len(data) / batch)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    net.train()
    loss_sum = 0.0
    for epoch in range(epochs):
        order = torch.from_numpy(rng.permutation(len(data)))
        loss_sum, n = 0.0, 0
        t0 = time.perf_counter()
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            img = (x_all[idx].permute(0, 3, 1, 2).float() * IMAGE.scale - mean) / std
            out = net(img, v_all[idx])
            loss = (((out - y_all[idx]) ** 2) * w).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            n += len(idx)
        log(f"  epoch {epoch + 1}/{epochs}: loss {loss_sum / n:.5f} ({time.perf_counter() - t0:.0f} s)")
        loss_sum /= n
    net.eval()
    return loss_sum


def export(net: object, out_dir: Path) -> Path:
    """Write ``lane_keeper.onnx`` and its manifest ``lane_keeper.yaml``; the manifest's path."""
    import torch

    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / f"{NAME}.onnx"
    model = build_export(net)
    image = torch.zeros(1, 3, IMAGE.size[1], IMAGE.size[0])
    speed = torch.zeros(1, len(SPEED.fields))
    torch.onnx.export(
        model,
        (image, speed),
        str(onnx_path),
        input_names=[IMAGE.name, SPEED.name],
        output_names=[OUTPUT],
        dynamic_axes={IMAGE.name: {0: "batch"}, SPEED.name: {0: "batch"}, OUTPUT: {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    manifest = out_dir / f"{NAME}.yaml"
    manifest.write_text(
        MANIFEST_HEADER
        + yaml.safe_dump(manifest_document(onnx_path.name), sort_keys=False, default_flow_style=None)
    )
    return manifest
