"""What each device will hold -- weights, K, V, compute -- before anything loads.

The KV figures are exact (the layer placement and row sizes llama.cpp uses); the weights are
the file's tensor bytes of the layers placed there; the compute buffer is the formula of
memory.py, put where llama.cpp runs the graph. A dry run of llama.cpp's allocator
(dry_run.py) measures the compute buffers exactly, and the loaded model's report replaces all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.engine.devices.placement import CPU, LayerPlacement
from app.engine.gguf.info import ModelInfo
from app.engine.kvtypes import F16, KvCacheType
from app.engine.memory import (
    N_UBATCH,
    DeviceEstimate,
    compute_buffer_estimate,
    compute_buffer_parts,
    kv_bytes_by_device,
    output_buffer_bytes,
)

if TYPE_CHECKING:
    from app.engine.devices.registry import Device

def weights_by_device(info: ModelInfo, placement: LayerPlacement) -> dict[str, int]:
    w = info.weights
    by_device = {CPU: w.input_bytes}
    for il, device in enumerate(placement.layer_devices):
        by_device[device] = by_device.get(device, 0) + w.layer_bytes[il]
    out = placement.output_device
    by_device[out] = by_device.get(out, 0) + w.output_bytes + (w.tied_output_bytes if out != CPU else 0)
    return by_device


def _compute_device(placement: LayerPlacement) -> str:
    """Where the graph's large buffers go: the output layer's device, else the busiest GPU."""
    if placement.output_device != CPU:
        return placement.output_device
    gpus = [d for d in placement.layer_devices if d != CPU]
    return max(set(gpus), key=gpus.count) if gpus else CPU


def estimate_devices(
    info: ModelInfo,
    n_ctx: int,
    type_k: KvCacheType,
    type_v: KvCacheType,
    placement: LayerPlacement,
    gpus: Sequence[Device],
    *,
    flash_attn: bool,
    compact_window: bool,
    available_ram: int,
) -> tuple[DeviceEstimate, ...]:
    """One estimate per device that holds anything, the CPU's RAM first."""
    kv = kv_bytes_by_device(info, n_ctx, type_k, type_v, placement.kv_devices,
                            flash_attn=flash_attn, compact_window=compact_window)
    f16 = kv_bytes_by_device(info, n_ctx, F16, F16, placement.kv_devices, flash_attn=flash_attn)  # full window
    weights = weights_by_device(info, placement)
    compute = {CPU: output_buffer_bytes(info)}
    compute_device = _compute_device(placement)
    if compute_device == CPU:
        compute[CPU] += compute_buffer_estimate(info, n_ctx, flash_attn=flash_attn)
    else:
        logits, attention, scratch = compute_buffer_parts(info, n_ctx, flash_attn=flash_attn)
        attention_device = compute_device if CPU not in placement.kv_devices else CPU  # attention runs by its cache
        compute[CPU] += N_UBATCH * info.n_embd * 4  # the input embeddings, looked up on the CPU
        if attention_device == CPU:
            compute[compute_device] = logits + scratch
            compute[CPU] += attention
        else:
            compute[compute_device] = max(logits, attention) + scratch
    by_name = {d.name: d for d in gpus}
    estimates = []
    for name in placement.devices:
        device = by_name.get(name)
        k, v = kv.get(name, (0, 0))
        estimates.append(DeviceEstimate(
            name=name,
            description=device.description if device else "",
            is_gpu=device is not None,
            weights_bytes=weights.get(name, 0),
            k_bytes=k,
            v_bytes=v,
            f16_kv_bytes=sum(f16.get(name, (0, 0))),
            compute_bytes=compute.get(name, 0),
            free_bytes=device.free_bytes if device else available_ram,
        ))
    return tuple(estimates)
