"""What a (model, context, K type, V type) choice costs in memory, before anything loads.

The KV figures reproduce llama.cpp's own allocation to the byte: the context is padded to
256 cells, each layer stores one row per cell for K and one for V, and models with a
sliding window keep those layers in a second cache that is either full size (llama.cpp's
default) or just the window plus one micro-batch, padded to 256. The compute buffer is an
estimate (llama.cpp sizes it from its graph); after loading, the measured values replace it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.engine.errors import KvConfigError
from app.engine.gguf.info import ModelInfo
from app.engine.kvtypes import CACHE_TYPES, F16, KvCacheType

CTX_PAD = 256  # llama.cpp rounds n_ctx (and the window cache) up to this many cells
N_UBATCH = 512  # micro-batch the engine loads with; sizes the window cache and compute buffer
MAX_CTX = 1 << 24  # upper bound this app offers, far beyond any model trained today
# Left free for the desktop, the Python runtime and this app's own window.
HEADROOM_BYTES = 256 * 1024 * 1024
MIB = 1024 * 1024


def pad_ctx(n_ctx: int) -> int:
    return -(-n_ctx // CTX_PAD) * CTX_PAD


@dataclass(frozen=True)
class CacheBytes:
    """One of llama.cpp's KV caches: all layers of one kind, each holding `cells` rows."""

    kind: str  # "full" or "window"
    cells: int
    layers: int
    k_bytes: int
    v_bytes: int

    @property
    def total(self) -> int:
        return self.k_bytes + self.v_bytes


@dataclass(frozen=True)
class KvBytes:
    caches: tuple[CacheBytes, ...]

    @property
    def k_bytes(self) -> int:
        return sum(c.k_bytes for c in self.caches)

    @property
    def v_bytes(self) -> int:
        return sum(c.v_bytes for c in self.caches)

    @property
    def total(self) -> int:
        return self.k_bytes + self.v_bytes

    @property
    def cells(self) -> int:
        """Cells of the full-attention cache: the context length in tokens."""
        return max((c.cells for c in self.caches), default=0)


class SavingAgainstF16:
    """What a K/V choice saves against an f16/f16 cache at the same place and size, for a record
    with `kv_bytes` and `f16_kv_bytes` (negative: it costs more, as f32 does). The f16/f16 reference
    is llama.cpp's default cache, the full-size window included, so a compact window's cut counts."""

    @property
    def saving_bytes(self) -> int:
        return self.f16_kv_bytes - self.kv_bytes

    @property
    def saving_percent(self) -> float:
        return 100.0 * self.saving_bytes / self.f16_kv_bytes if self.f16_kv_bytes else 0.0


def window_cells(info: ModelInfo, n_ctx: int, compact_window: bool) -> int:
    kv_size = pad_ctx(n_ctx)
    if not compact_window:
        return kv_size
    return pad_ctx(min(kv_size, info.sliding_window + N_UBATCH))


def layer_row_bytes(
    info: ModelInfo, type_k: KvCacheType, type_v: KvCacheType, *, flash_attn: bool
) -> tuple[tuple[int, int], ...]:
    """Per layer, the bytes of one cell's K row and V row."""
    # Without flash attention V is stored transposed, every layer padded to the widest one.
    v_width_max = max(info.n_embd_v_gqa(il) for il in range(info.n_layer))
    return tuple(
        (type_k.row_bytes(info.n_embd_k_gqa(il)),
         type_v.row_bytes(info.n_embd_v_gqa(il) if flash_attn else v_width_max))
        for il in range(info.n_layer)
    )


def layer_cells(info: ModelInfo, n_ctx: int, compact_window: bool) -> tuple[tuple[str, int], ...]:
    """Per layer, the cache it lives in ("full" or "window") and that cache's cells."""
    full = pad_ctx(n_ctx)
    window = window_cells(info, n_ctx, compact_window)
    return tuple(
        ("window", window) if info.swa_layers[il] and info.has_sliding_window else ("full", full)
        for il in range(info.n_layer)
    )


def kv_cache_bytes(
    info: ModelInfo,
    n_ctx: int,
    type_k: KvCacheType,
    type_v: KvCacheType,
    *,
    flash_attn: bool,
    compact_window: bool = False,
) -> KvBytes:
    """Bytes llama.cpp allocates for the KV cache of this model at this context."""
    rows = layer_row_bytes(info, type_k, type_v, flash_attn=flash_attn)
    caches = []
    for kind in ("full", "window"):
        layers = [(il, cells) for il, (k, cells) in enumerate(layer_cells(info, n_ctx, compact_window)) if k == kind]
        if not layers:
            continue
        cells = layers[0][1]
        k_bytes = cells * sum(rows[il][0] for il, _ in layers)
        v_bytes = cells * sum(rows[il][1] for il, _ in layers)
        caches.append(CacheBytes(kind, cells, len(layers), k_bytes, v_bytes))
    return KvBytes(tuple(caches))


def kv_bytes_by_device(
    info: ModelInfo,
    n_ctx: int,
    type_k: KvCacheType,
    type_v: KvCacheType,
    kv_devices: tuple[str, ...],
    *,
    flash_attn: bool,
    compact_window: bool = False,
) -> dict[str, tuple[int, int]]:
    """(K bytes, V bytes) on each device, given the device of each layer's cache."""
    rows = layer_row_bytes(info, type_k, type_v, flash_attn=flash_attn)
    by_device: dict[str, tuple[int, int]] = {}
    for il, (_, cells) in enumerate(layer_cells(info, n_ctx, compact_window)):
        k, v = by_device.get(kv_devices[il], (0, 0))
        by_device[kv_devices[il]] = (k + cells * rows[il][0], v + cells * rows[il][1])
    return by_device


def compute_buffer_parts(info: ModelInfo, n_ctx: int, *, flash_attn: bool) -> tuple[int, int, int]:
    """The peak sizes in llama.cpp's compute graph for one micro-batch: the logits, the attention
    scores (without flash attention: one f32 matrix per head against every cell, plus the mask)
    and the per-layer scratch."""
    logits = N_UBATCH * info.n_vocab * 4
    attention = 0 if flash_attn else N_UBATCH * pad_ctx(n_ctx) * (max(info.n_head) + 1) * 4
    scratch = 4 * N_UBATCH * info.n_embd * 4
    return logits, attention, scratch


def compute_buffer_estimate(info: ModelInfo, n_ctx: int, *, flash_attn: bool) -> int:
    """llama.cpp's reserved compute buffer, approximately: the larger of the logits and the
    attention scores, plus scratch. Fitted to the sizes llama.cpp reported for both test models
    within a few MiB."""
    logits, attention, scratch = compute_buffer_parts(info, n_ctx, flash_attn=flash_attn)
    return max(logits, attention) + scratch


def output_buffer_bytes(info: ModelInfo) -> int:
    """llama.cpp keeps the f32 logits of the last token of each batch."""
    return info.n_vocab * 4


# Left free on each GPU: llama.cpp's own margin when it fits a model to the devices (common/fit.h, -fitt).
VRAM_MARGIN_BYTES = 1024 * MIB


@dataclass(frozen=True)
class DeviceEstimate(SavingAgainstF16):
    name: str  # "CPU" for the computer's RAM, else ggml's device name
    description: str
    is_gpu: bool
    weights_bytes: int
    k_bytes: int
    v_bytes: int
    f16_kv_bytes: int  # f16/f16 K and V on this device, same placement, full-size window
    compute_bytes: int
    free_bytes: int  # GPU: free memory the backend reports; CPU: available RAM

    @property
    def kv_bytes(self) -> int:
        return self.k_bytes + self.v_bytes

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes + self.compute_bytes

    @property
    def margin_bytes(self) -> int:
        return VRAM_MARGIN_BYTES if self.is_gpu else HEADROOM_BYTES

    @property
    def fits(self) -> bool:
        return self.total_bytes + self.margin_bytes <= self.free_bytes


@dataclass(frozen=True)
class MemoryEstimate(SavingAgainstF16):
    model: ModelInfo
    n_ctx: int  # padded, as llama.cpp will allocate it
    type_k: KvCacheType
    type_v: KvCacheType
    flash_attn: bool
    compact_window: bool
    kv: KvBytes
    f16_kv: KvBytes  # f16/f16 at the same context with the full-size window (llama.cpp's default)
    other_window_kv: KvBytes | None  # the same cache with the other window choice (sliding-window models)
    weights_bytes: int
    compute_bytes: int
    output_bytes: int
    available_bytes: int
    kv_exact: bool
    devices: tuple[DeviceEstimate, ...] = ()  # per device, the CPU's RAM first (empty: not placed yet)

    @property
    def k_bytes(self) -> int:
        return self.kv.k_bytes

    @property
    def v_bytes(self) -> int:
        return self.kv.v_bytes

    @property
    def kv_bytes(self) -> int:
        return self.kv.total

    @property
    def f16_kv_bytes(self) -> int:
        return self.f16_kv.total

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes + self.compute_bytes + self.output_bytes

    @property
    def fits(self) -> bool:
        if self.devices:
            return all(d.fits for d in self.devices)
        return self.total_bytes + HEADROOM_BYTES <= self.available_bytes

    @property
    def gpu_devices(self) -> tuple[DeviceEstimate, ...]:
        return tuple(d for d in self.devices if d.is_gpu)


def estimate_memory(
    info: ModelInfo,
    n_ctx: int,
    type_k: KvCacheType,
    type_v: KvCacheType,
    *,
    flash_attn: bool,
    compact_window: bool,
    available_bytes: int,
) -> MemoryEstimate:
    compact_window = compact_window and info.has_sliding_window
    kv = kv_cache_bytes(info, n_ctx, type_k, type_v, flash_attn=flash_attn, compact_window=compact_window)
    f16 = kv_cache_bytes(info, n_ctx, F16, F16, flash_attn=flash_attn)
    other = None
    if info.has_sliding_window:
        other = kv_cache_bytes(
            info, n_ctx, type_k, type_v, flash_attn=flash_attn, compact_window=not compact_window
        )
    return MemoryEstimate(
        model=info,
        n_ctx=pad_ctx(n_ctx),
        type_k=type_k,
        type_v=type_v,
        flash_attn=flash_attn,
        compact_window=compact_window,
        kv=kv,
        f16_kv=f16,
        other_window_kv=other,
        weights_bytes=info.weights_bytes,
        compute_bytes=compute_buffer_estimate(info, n_ctx, flash_attn=flash_attn),
        output_bytes=output_buffer_bytes(info),
        available_bytes=available_bytes,
        kv_exact=info.cache_layout_exact,
    )


def largest_fitting_context(
    info: ModelInfo,
    type_k: KvCacheType,
    type_v: KvCacheType,
    *,
    flash_attn: bool,
    compact_window: bool,
    available_bytes: int,
    fits: Callable[[int], bool] | None = None,
) -> int:
    """The longest context (a multiple of 256, at most MAX_CTX) that fits; 0 if none does.
    `fits(n_ctx)` replaces the RAM-only test (the planner's per-device one)."""

    def fits_in_ram(n_ctx: int) -> bool:
        return estimate_memory(
            info, n_ctx, type_k, type_v,
            flash_attn=flash_attn, compact_window=compact_window, available_bytes=available_bytes,
        ).fits

    fits = fits or fits_in_ram

    lo, hi = 0, MAX_CTX // CTX_PAD  # in units of CTX_PAD
    if not fits(CTX_PAD):
        return 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid * CTX_PAD):
            lo = mid
        else:
            hi = mid - 1
    return lo * CTX_PAD


@dataclass(frozen=True)
class TypeCapacity:
    """For one cache type used for both K and V: its cost at the chosen context and its reach."""

    cache_type: KvCacheType
    flash_attn: bool
    kv_bytes: int
    largest_ctx: int


def capacity_table(
    info: ModelInfo, n_ctx: int, *, compact_window: bool, available_bytes: int,
    fits_for: Callable[[KvCacheType, bool], Callable[[int], bool]] | None = None,
) -> tuple[TypeCapacity, ...]:
    """All nine types that can hold this model's rows, each as a K=V pair with the flash-attention
    setting "auto" picks (a quantized type whose blocks do not divide a head is left out)."""
    rows = []
    for t in CACHE_TYPES:
        fa = t.v_needs_flash_attn
        try:
            kv_bytes = kv_cache_bytes(info, n_ctx, t, t, flash_attn=fa, compact_window=compact_window).total
        except KvConfigError:
            continue
        rows.append(
            TypeCapacity(
                cache_type=t,
                flash_attn=fa,
                kv_bytes=kv_bytes,
                largest_ctx=largest_fitting_context(
                    info, t, t, flash_attn=fa, compact_window=compact_window, available_bytes=available_bytes,
                    fits=fits_for(t, fa) if fits_for else None,
                ),
            )
        )
    return tuple(rows)
