"""Which device llama.cpp puts each layer, and each layer's KV cache, on.

Reproduces llama.cpp's own rule (src/llama-model.cpp, load_tensors; src/llama-kv-cache.cpp):
of the n_layer repeating layers plus the output layer, the last `n_gpu_layers` go to the GPUs,
split among them in proportion to their free memory (float arithmetic as llama.cpp does it);
the input layer always stays on the CPU. A layer's K and V go to that layer's device when the
cache is offloaded (`offload_kqv`), else to the CPU.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from app.engine.devices.registry import Device

CPU = "CPU"
SPLIT_MODES = ("layer", "none")  # several GPUs: layers spread over all of them, or one GPU only


@dataclass(frozen=True)
class LayerPlacement:
    n_gpu_layers: int  # as llama.cpp is given it: 0 .. n_layer + 1 (the output layer counts as one)
    layer_devices: tuple[str, ...]  # per repeating layer
    output_device: str
    kv_devices: tuple[str, ...]  # per layer: where its K and V rows live

    @property
    def offloaded_layers(self) -> int:
        """Repeating layers on a GPU (the output layer not counted)."""
        return sum(d != CPU for d in self.layer_devices)

    @property
    def devices(self) -> tuple[str, ...]:
        """Every device that holds something, the CPU first."""
        seen = [CPU]
        for d in (*self.layer_devices, self.output_device, *self.kv_devices):
            if d not in seen:
                seen.append(d)
        return tuple(seen)


def used_devices(offload: Sequence[Device], split_mode: str, main_gpu: int) -> tuple[Device, ...]:
    """The GPUs layers may go to: all of them, or only the main one (src/llama.cpp, llama_model_load)."""
    if split_mode == "none":
        return (offload[main_gpu],) if 0 <= main_gpu < len(offload) else ()
    return tuple(offload)


def place_layers(
    n_layer: int,
    n_gpu_layers: int,
    devices: Sequence[Device],
    *,
    kv_offload: bool,
    host_free_bytes: int = 0,
) -> LayerPlacement:
    """`devices`: the GPUs in use, in llama.cpp's order (see `used_devices`)."""
    f32 = np.float32
    splits = []
    total = f32(0)
    for d in devices:
        # A device that reports no memory is weighed as the host's (llama.cpp issue 18577).
        free = d.free_bytes if (d.free_bytes or d.total_bytes) else host_free_bytes
        total = f32(total + f32(free))
        splits.append(total)
    if devices and total == 0:  # no device reports memory, nor the host: weigh them equally
        splits = [f32(i + 1) for i in range(len(devices))]
        total = f32(len(devices))
    splits = [f32(s / total) for s in splits] if devices else []
    start = max(n_layer + 1 - n_gpu_layers, 0)
    active = min(n_gpu_layers, n_layer + 1) if devices else 0

    def device_of(il: int) -> str:
        if il < start or il - start >= active:
            return CPU
        point = f32(f32(il - start) / f32(active))
        return devices[bisect.bisect_right(splits, point)].name

    layers = tuple(device_of(il) for il in range(n_layer))
    return LayerPlacement(
        n_gpu_layers=n_gpu_layers,
        layer_devices=layers,
        output_device=device_of(n_layer),
        kv_devices=layers if kv_offload else (CPU,) * n_layer,
    )
