"""A load plan: everything known about a LoadConfig before llama.cpp sees it.

The settings panel and `kvchat plan` show the same plan: the estimate, the table of all
nine cache types, warnings, and -- if the choice cannot work -- the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import psutil

from app.engine.config import DEFAULT_N_CTX, LoadConfig, ResolvedConfig, resolve
from app.engine.devices.estimate import estimate_devices
from app.engine.devices.placement import CPU
from app.engine.devices.registry import Device, gpu_offload_supported, list_devices, offload_devices
from app.engine.errors import EngineError, InsufficientMemoryError
from app.engine.gguf.info import ModelInfo, read_model_info
from app.engine.kvtypes import KvCacheType
from app.engine.memory import MAX_CTX, MemoryEstimate, TypeCapacity, capacity_table


def available_memory() -> int:
    return psutil.virtual_memory().available


def available_gpus() -> tuple[Device, ...]:
    """The GPUs llama.cpp would offload to now, with their free memory; none in a CPU-only build."""
    return offload_devices(list_devices()) if gpu_offload_supported() else ()


@dataclass(frozen=True)
class LoadPlan:
    config: LoadConfig
    model: ModelInfo | None = None
    resolved: ResolvedConfig | None = None
    estimate: MemoryEstimate | None = None
    capacity: tuple[TypeCapacity, ...] = field(default=())
    available_bytes: int = 0
    error: EngineError | None = None
    gpus: tuple[Device, ...] = ()  # the GPUs this build found, whatever the settings, with their free memory now

    @property
    def ok(self) -> bool:
        return self.resolved is not None

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.resolved.warnings if self.resolved else ()


def _fits_on_devices(resolved: ResolvedConfig, available: int):
    """For the capacity table: does a K = V type fit every device at a context, layers placed as planned."""
    def fits_for(t: KvCacheType, flash_attn: bool):
        def fits(n_ctx: int) -> bool:
            return all(d.fits for d in estimate_devices(
                resolved.model, n_ctx, t, t, resolved.placement, resolved.gpus, flash_attn=flash_attn,
                compact_window=resolved.compact_window, available_ram=available))
        return fits
    return fits_for


def plan_load(config: LoadConfig, *, reclaimable_bytes: int = 0, available_bytes: int | None = None,
              gpus: tuple[Device, ...] | None = None, reclaimable_gpu_bytes: dict[str, int] | None = None) -> LoadPlan:
    """Plan a load. `reclaimable_bytes` (RAM) and `reclaimable_gpu_bytes` (per GPU) are what
    unloading the current model would free."""
    available = (available_memory() if available_bytes is None else available_bytes) + reclaimable_bytes
    found = available_gpus() if gpus is None else gpus
    # What unloading frees is added to a GPU's free memory, up to its size (a device that does not
    # track what is allocated, like a software one, already reports it free).
    reclaim = reclaimable_gpu_bytes or {}
    gpus = tuple(replace(d, free_bytes=min(d.free_bytes + reclaim.get(d.name, 0), d.total_bytes or 2**63))
                 for d in found)
    try:
        model = read_model_info(config.model_path)
    except EngineError as exc:
        return LoadPlan(config, available_bytes=available, error=exc, gpus=found)
    compact = config.compact_window and model.has_sliding_window
    # The table is priced at the asked-for length, or the default one while that is invalid.
    valid_ctx = isinstance(config.n_ctx, int) and 0 < config.n_ctx <= MAX_CTX
    table_ctx = config.n_ctx if valid_ctx else DEFAULT_N_CTX
    capacity = capacity_table(model, table_ctx, compact_window=compact, available_bytes=available)
    try:
        resolved = resolve(config, model, available, gpus)
        if resolved.placement.offloaded_layers or resolved.placement.output_device != CPU:
            capacity = capacity_table(model, table_ctx, compact_window=compact, available_bytes=available,
                                      fits_for=_fits_on_devices(resolved, available))
    except InsufficientMemoryError as exc:
        return LoadPlan(config, model, None, exc.estimate, capacity, available, exc, found)
    except EngineError as exc:
        return LoadPlan(config, model, None, None, capacity, available, exc, found)
    return LoadPlan(config, model, resolved, resolved.estimate, capacity, available, gpus=found)
