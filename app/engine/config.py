"""What the user asks for (LoadConfig) and what llama.cpp will be given (ResolvedConfig).

Everything llama.cpp would refuse, or crash on, is refused here first with a message that
says why and what to choose instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from app.engine.cpu_cores import MAX_THREADS, generation_threads, machine_topology, prompt_threads
from app.engine.devices.estimate import estimate_devices
from app.engine.devices.gpu_layers import resolve_gpu_layers
from app.engine.devices.placement import SPLIT_MODES, LayerPlacement, place_layers, used_devices
from app.engine.errors import InsufficientMemoryError, KvConfigError, ModelFileError
from app.engine.gguf.info import ModelInfo
from app.engine.kvtypes import KvCacheType, cache_type
from app.engine.memory import MAX_CTX, MIB, MemoryEstimate, estimate_memory, layer_cells, layer_row_bytes, pad_ctx
from app.i18n import translate

if TYPE_CHECKING:
    from app.engine.devices.registry import Device

FLASH_ATTN_MODES = ("auto", "on", "off")
DEFAULT_N_CTX = 4096


@dataclass(frozen=True)
class LoadConfig:
    model_path: str
    n_ctx: int = DEFAULT_N_CTX
    type_k: str = "f16"
    type_v: str = "f16"
    flash_attn: str = "auto"  # auto: on exactly when V is quantized
    compact_window: bool = False  # sliding-window models: keep only the window for those layers
    n_threads: int | None = None  # CPU threads generating a reply; None: default_threads()
    n_threads_batch: int | None = None  # and reading a prompt; None: default_batch_threads()
    # Layers on the GPU: "auto" (as many as fit in free VRAM), "all", "none", or a count that,
    # as in llama.cpp, includes the output layer (n_layer + 1 is everything).
    gpu_layers: str | int = "auto"
    kv_offload: bool = True  # each offloaded layer's K and V in VRAM (llama.cpp's offload_kqv), else in RAM
    split_mode: str = "layer"  # several GPUs: "layer" spreads layers over all, "none" uses main_gpu only
    main_gpu: int = 0


@dataclass(frozen=True)
class ResolvedConfig:
    config: LoadConfig
    model: ModelInfo
    n_ctx: int  # padded to llama.cpp's 256-cell granularity
    type_k: KvCacheType
    type_v: KvCacheType
    flash_attn: bool
    compact_window: bool
    estimate: MemoryEstimate
    placement: LayerPlacement
    gpus: tuple[Device, ...]  # the GPUs layers may go to
    n_threads: int  # CPU threads for generation: the configured count, else default_threads()
    n_threads_batch: int  # and for reading a prompt
    warnings: tuple[str, ...] = field(default=())
    beyond_trained_warning: str | None = None  # the one of `warnings` about a context past the trained one
    cells_note: str | None = None  # the one saying how many cells llama.cpp allocates, where that is not n_ctx


def default_threads() -> int:
    """Generation threads unless set: physical cores less one where there are several (cpu_cores)."""
    return generation_threads(machine_topology())


def default_batch_threads() -> int:
    """Prompt-reading threads unless set."""
    return prompt_threads(machine_topology())


def _check_threads(name: str, value) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_THREADS:
        raise KvConfigError(translate(
            "LoadConfig", "{name} must be a number of threads from 1 to {max}, not {value}.").format(
            name=name, max=MAX_THREADS, value=repr(value)))


def resolve_flash_attn(mode: str, type_v: KvCacheType) -> bool:
    """The app's "auto": on when V is quantized (required), off otherwise.

    On CPU, flash attention with an f16 cache decoded ~3x slower deep in a long context
    on SmolLM2, so it is not switched on where it is not needed.
    """
    if mode not in FLASH_ATTN_MODES:
        raise KvConfigError(translate("LoadConfig", "Flash attention must be one of {modes}, not '{mode}'.").format(
            modes=", ".join(FLASH_ATTN_MODES), mode=mode))
    if mode == "auto":
        return type_v.v_needs_flash_attn
    return mode == "on"


def _check_context(n_ctx) -> None:
    if isinstance(n_ctx, bool) or not isinstance(n_ctx, int):
        raise KvConfigError(translate(
            "LoadConfig", "The context length must be a whole number of tokens, not {value}.").format(
            value=repr(n_ctx)))
    if n_ctx < 1:
        raise KvConfigError(translate(
            "LoadConfig", "The context length must be at least 1 token; {asked} was asked for.").format(asked=n_ctx))
    if n_ctx > MAX_CTX:
        raise KvConfigError(translate(
            "LoadConfig", "The context length can be at most {max:,} tokens; {asked:,} was asked for.").format(
            max=MAX_CTX, asked=n_ctx))


def _check_block_fit(kind: str, t: KvCacheType, head_dim: int) -> None:
    if t.quantized and head_dim % t.block_elements:
        raise KvConfigError(translate(
            "LoadConfig",
            "{kind} cache type {type} packs {block} values per block, which does not divide "
            "this model's head size of {head_dim}. Choose f16, bf16 or f32 for {kind}.",
        ).format(kind=kind, type=t.name, block=t.block_elements, head_dim=head_dim))


def _check_tensor_limits(model: ModelInfo, n_ctx: int, type_k: KvCacheType, type_v: KvCacheType,
                         placement: LayerPlacement, gpus: tuple[Device, ...], *, flash_attn: bool,
                         compact_window: bool) -> None:
    """Each layer's K and V is one tensor; a GPU that cannot run an operation on a tensor that large
    (a Vulkan device's maxStorageBufferRange) makes llama.cpp abort the process, so it is refused."""
    limits = {d.name: d for d in gpus if d.max_tensor_bytes}
    if not limits:
        return
    rows = layer_row_bytes(model, type_k, type_v, flash_attn=flash_attn)
    for il, (_kind, cells) in enumerate(layer_cells(model, n_ctx, compact_window)):
        device = limits.get(placement.kv_devices[il])
        if device is None:
            continue
        for part, row in (("K", rows[il][0]), ("V", rows[il][1])):
            if cells * row > device.max_tensor_bytes:
                raise KvConfigError(translate(
                    "LoadConfig",
                    "At {n_ctx:,} tokens one layer's {part} cache is {size:,.1f} MiB, but {device} can run "
                    "operations on at most {limit:,.1f} MiB in one buffer (Vulkan's maxStorageBufferRange), and "
                    "llama.cpp would stop. Choose a shorter context or a smaller cache type, or keep the KV "
                    "cache in RAM.").format(
                    n_ctx=n_ctx, part=part, size=cells * row / MIB, device=f"{device.name} ({device.description})",
                    limit=device.max_tensor_bytes / MIB))


def does_not_fit(estimate: MemoryEstimate, n_ctx: int, type_k: KvCacheType, type_v: KvCacheType) -> str:
    short = next(d for d in estimate.devices if not d.fits)
    if not short.is_gpu:
        return translate(
            "LoadConfig",
            "{n_ctx:,} tokens with K {type_k} / V {type_v} needs about "
            "{total:,.0f} MiB of RAM (KV cache {kv:,.1f} MiB, weights "
            "{weights:,.0f} MiB, compute {compute:,.0f} MiB), "
            "but only {available:,.0f} MiB is available. "
            "Choose a shorter context or a smaller cache type.",
        ).format(
            n_ctx=n_ctx, type_k=type_k.name, type_v=type_v.name, total=short.total_bytes / MIB,
            kv=short.kv_bytes / MIB, weights=short.weights_bytes / MIB,
            compute=short.compute_bytes / MIB, available=short.free_bytes / MIB,
        )
    return translate(
        "LoadConfig",
        "{n_ctx:,} tokens with K {type_k} / V {type_v} needs about {total:,.0f} MiB on {device} "
        "(KV cache {kv:,.1f} MiB, weights {weights:,.0f} MiB, compute {compute:,.0f} MiB) plus "
        "{margin:,.0f} MiB kept free, but it has {free:,.0f} MiB free. Put fewer layers on the GPU, "
        "keep the KV cache in RAM, or choose a shorter context or a smaller cache type.",
    ).format(
        n_ctx=n_ctx, type_k=type_k.name, type_v=type_v.name, total=short.total_bytes / MIB,
        device=f"{short.name} ({short.description})" if short.description else short.name,
        kv=short.kv_bytes / MIB, weights=short.weights_bytes / MIB, compute=short.compute_bytes / MIB,
        margin=short.margin_bytes / MIB, free=short.free_bytes / MIB,
    )


def resolve(config: LoadConfig, model: ModelInfo, available_bytes: int,
            offload_devices: tuple[Device, ...] = ()) -> ResolvedConfig:
    """Validate a LoadConfig against a model, the memory available and the GPUs llama.cpp would
    offload to (devices.offload_devices); raise or return."""
    if not model.has_weights:
        raise ModelFileError(translate(
            "LoadConfig", "{file} holds only a vocabulary, no weights: it cannot generate text.").format(
            file=os.path.basename(model.path)))
    type_k = cache_type(config.type_k)
    type_v = cache_type(config.type_v)
    flash_attn = resolve_flash_attn(config.flash_attn, type_v)
    if type_v.v_needs_flash_attn and not flash_attn:
        raise KvConfigError(translate(
            "LoadConfig",
            "A {type} V cache needs flash attention: without it llama.cpp stores V transposed, "
            "which only f32, f16 and bf16 support. Set flash attention to auto or on, or choose f16 for V.",
        ).format(type=type_v.name))
    _check_context(config.n_ctx)
    _check_threads("n_threads", config.n_threads)
    _check_threads("n_threads_batch", config.n_threads_batch)
    _check_block_fit("K", type_k, model.head_dim_k)
    _check_block_fit("V", type_v, model.head_dim_v)

    warnings = []
    beyond_trained = cells_note = None
    # What the user asked for is what they are told about; the cells llama.cpp allocates are said apart.
    n_ctx = pad_ctx(config.n_ctx)
    if n_ctx != config.n_ctx:
        cells_note = translate(
            "LoadConfig", "llama.cpp allocates the cache in steps of 256 cells: {cells:,} cells for {asked:,} tokens."
        ).format(cells=n_ctx, asked=config.n_ctx)
        warnings.append(cells_note)
    if model.n_ctx_train and config.n_ctx > model.n_ctx_train:
        beyond_trained = translate(
            "LoadConfig",
            "{n_ctx:,} tokens is beyond the {trained:,} this model was trained on; "
            "replies usually degrade past that point.",
        ).format(n_ctx=config.n_ctx, trained=model.n_ctx_train)
        warnings.append(beyond_trained)
    if flash_attn and "f32" in (type_k.name, type_v.name):
        warnings.append(translate(
            "LoadConfig",
            "With flash attention on, llama.cpp converts an f32 cache to f16 before attention: "
            "the results equal f16 at twice the memory.",
        ))
    compact_window = config.compact_window and model.has_sliding_window
    if config.compact_window and not model.has_sliding_window:
        warnings.append(translate(
            "LoadConfig", "This model has no sliding-window layers; the compact window setting has no effect."))
    if not model.cache_layout_exact:
        warnings.append(translate("LoadConfig", "The KV estimate is approximate: {note}.").format(
            note=model.cache_layout_note))

    if config.split_mode not in SPLIT_MODES:
        raise KvConfigError(translate("LoadConfig", "The GPU split must be one of {modes}, not '{mode}'.").format(
            modes=", ".join(SPLIT_MODES), mode=config.split_mode))
    gpus = used_devices(offload_devices, config.split_mode, config.main_gpu)
    if offload_devices and not gpus:
        raise KvConfigError(translate(
            "LoadConfig", "There is no GPU number {main}: this computer has {count} (numbered from 0).").format(
            main=config.main_gpu, count=len(offload_devices)))

    def placed(n_gpu_layers: int) -> tuple[MemoryEstimate, LayerPlacement]:
        placement = place_layers(model.n_layer, n_gpu_layers, gpus, kv_offload=config.kv_offload,
                                 host_free_bytes=available_bytes)
        base = estimate_memory(
            model, n_ctx, type_k, type_v,
            flash_attn=flash_attn, compact_window=compact_window, available_bytes=available_bytes,
        )
        devices = estimate_devices(model, n_ctx, type_k, type_v, placement, gpus, flash_attn=flash_attn,
                                   compact_window=compact_window, available_ram=available_bytes)
        return replace(base, devices=devices), placement

    n_gpu_layers, gpu_warnings = resolve_gpu_layers(config.gpu_layers, model.n_layer, bool(gpus),
                                                    lambda n: placed(n)[0].fits)
    warnings.extend(gpu_warnings)
    estimate, placement = placed(n_gpu_layers)
    _check_tensor_limits(model, n_ctx, type_k, type_v, placement, gpus, flash_attn=flash_attn,
                         compact_window=compact_window)
    if not estimate.fits:
        raise InsufficientMemoryError(does_not_fit(estimate, config.n_ctx, type_k, type_v), estimate)
    return ResolvedConfig(
        config=config,
        model=model,
        n_ctx=n_ctx,
        type_k=type_k,
        type_v=type_v,
        flash_attn=flash_attn,
        compact_window=compact_window,
        estimate=estimate,
        placement=placement,
        gpus=gpus,
        n_threads=config.n_threads or default_threads(),
        n_threads_batch=config.n_threads_batch or default_batch_threads(),
        warnings=tuple(warnings),
        beyond_trained_warning=beyond_trained,
        cells_note=cells_note,
    )
