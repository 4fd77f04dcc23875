"""Which K/V cache type pairs each ggml backend runs attention for itself, and at what cost.

A backend that lacks a kernel for a (K type, V type, head size) combination either hands the
attention op to the CPU (ggml's scheduler then copies that layer's K and V to the host on every
token) or converts the whole K and V cache to f16 on every token before its own kernel runs.
Both are much slower than a pair the backend reads directly; `attention_support` says which case
a choice falls into and what to choose instead.

Read from llama.cpp 0c1e570 as vendored in llama-cpp-python 0.3.36 (paths under
vendor/llama.cpp/):

- All backends: src/llama-graph.cpp, llm_graph_context::build_attn_mha: with flash attention on,
  an f32 K or V is cast to f16 before GGML_OP_FLASH_ATTN_EXT, so the kernels below only ever see
  f16 for an f32 cache. src/llama-context.cpp, llama_init_from_model: a quantized V cache
  requires flash attention.
- CUDA (CUDA_* tables):
  ggml/src/ggml-cuda/ggml-cuda.cu, ggml_backend_cuda_device_supports_op: FLASH_ATTN_EXT is
  supported exactly when ggml_cuda_flash_attn_ext_supported() is, otherwise the op goes to the CPU;
  MUL_MAT accepts all nine cache types as src0.
  ggml/src/ggml-cuda/fattn.cu, ggml_cuda_get_best_fattn_kernel: the head sizes (the K->ne[0]
  switch) and ggml_cuda_fattn_kv_type_supported (f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0);
  anything else returns BEST_FATTN_KERNEL_NONE. The vector kernel (the one single-token decoding
  uses) exists for head sizes 64, 128 and 256 only (FATTN_VEC_CASES_ALL_D); for a quantized pair it
  is chosen for single-token batches; for a pair of only f16/bf16 only on Ada or newer (unless more
  than 4 query heads share a KV head and the head size is 256 or the context 8192 or more), and
  before Ada only without grouped-query attention; otherwise the MMA kernel runs. The tile and MMA
  kernels always convert a non-f16 K and V to f16 first (launch_fattn with need_f16_K/V = true,
  fattn-tile.cuh, fattn-mma-f16.cuh, fattn-common.cuh).
  ggml_cuda_get_fattn_vec_case / ggml_cuda_flash_attn_ext_vec: a vector kernel exists only for the
  pairs the build compiled (GGML_CUDA_FA_<K>_<V>); any other pair is converted to f16 with the
  warning "converting K and V to f16 instead (slow)".
  ggml/CMakeLists.txt, GGML_CUDA_FA_QUANTS defaults to "q4_0-q4_0;q8_0-q8_0;f16-f16;bf16-bf16";
  ggml/cmake/common.cmake, ggml_cuda_fattn_vec_instances: "all" (or the deprecated
  GGML_CUDA_FA_ALL_QUANTS=ON) compiles every pair of FA_TYPES. llama-cpp-python's CUDA wheels
  (.github/workflows/build-wheels-cuda.yaml) set neither, so they have the default four pairs.
- Vulkan (VULKAN_* tables): ggml/src/ggml-vulkan/ggml-vulkan.cpp, ggml_backend_vk_device_supports_op:
  FLASH_ATTN_EXT takes any of the nine types for K and V independently (fa_kv_ok), but bf16 only on
  both or neither, and head sizes that are multiples of 8; the shaders take the K and V types as
  specialization constants (vulkan-shaders-gen.cpp, flash_attn*.comp via flash_attn_dequant.glsl),
  so every accepted pair has a kernel. The device also needs subgroup shuffle and vote (or
  coopmat2), a device property not modelled here. MUL_MAT takes a quantized src0 only when
  ggml_vk_dim01_contiguous(), which llama.cpp's permuted K view is not when a layer has more than
  one KV head (llama_kv_cache::get_k): without flash attention such a K runs K*Q on the CPU.
- Metal (METAL_* tables): ggml/src/ggml-metal/ggml-metal-device.m, ggml_metal_device_supports_op:
  FLASH_ATTN_EXT needs K type == V type, one of f32, f16, bf16 (with bfloat support), q8_0, q4_0,
  q4_1, q5_0, q5_1, and a K head size from a fixed list with K >= V; kernels are instantiated for
  the (K, V) head sizes in ggml/src/ggml-metal/kernels/fa_*.metal (kernel_flash_attn_ext_<type>_dk*_dv*).
  MUL_MAT accepts all nine cache types as src0 with an f32 src1.
- CPU: ggml/src/ggml-cpu/ggml-cpu.cpp, ggml_backend_cpu_device_supports_op: everything; it is the
  reference the others fall back to.

ROCm and MUSA builds share the CUDA sources but register as "ROCm"/"MUSA"; they are not claimed
here. Conditions that depend on the exact GPU generation (Volta, bfloat support on Metal) or on
the grouped-query ratio (head sizes 192, 320, 512, 576 on CUDA) are not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from app.engine.kvtypes import CACHE_TYPES, KvCacheType, cache_type
from app.i18n import translate

BACKENDS = ("CPU", "CUDA", "Vulkan", "MTL")  # ggml_backend_reg_name(); Metal registers as "MTL"
_BACKEND_NAMES = {name.lower(): name for name in BACKENDS} | {"metal": "MTL"}

_QUANTIZED = frozenset(t.name for t in CACHE_TYPES if t.quantized)
_ALL_TYPES = frozenset(t.name for t in CACHE_TYPES)

# CUDA: K/V types with FLASH_ATTN_EXT kernels (f32 is cast to f16 by the graph first).
CUDA_FA_TYPES = frozenset({"f16", "bf16", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0"})
# (head size K, head size V) that ggml_cuda_get_best_fattn_kernel accepts.
CUDA_FA_HEAD_SIZES = frozenset({
    (40, 40), (64, 64), (72, 72), (80, 80), (96, 96), (112, 112), (128, 128), (256, 256),
    (192, 128), (320, 256), (512, 512), (576, 512),
})
# Head sizes with a vector kernel, the only one that reads a quantized or bf16 cache directly.
CUDA_VEC_HEAD_SIZES = frozenset({64, 128, 256})
# Vector-kernel pairs of a build with the default GGML_CUDA_FA_QUANTS (llama-cpp-python's wheels).
CUDA_STOCK_VEC_PAIRS = frozenset({("f16", "f16"), ("q4_0", "q4_0"), ("q8_0", "q8_0"), ("bf16", "bf16")})
# ... and of a build with GGML_CUDA_FA_QUANTS=all / GGML_CUDA_FA_ALL_QUANTS=ON.
CUDA_ALL_VEC_PAIRS = frozenset(product(CUDA_FA_TYPES, CUDA_FA_TYPES))

# Vulkan: every cache type, K and V chosen independently, except that bf16 goes with bf16 only.
VULKAN_FA_TYPES = _ALL_TYPES
VULKAN_HEAD_SIZE_MULTIPLE = 8
# src0 types Vulkan's MUL_MAT takes when rows are not contiguous (the permuted K view).
VULKAN_STRIDED_MUL_MAT_TYPES = frozenset({"f32", "f16", "bf16"})

# Metal: K and V of one type, from this set (f32 is cast to f16 by the graph first).
METAL_FA_TYPES = frozenset({"f16", "bf16", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0"})
# K head sizes ggml_metal_device_supports_op accepts (with head size K >= V).
METAL_SUPPORTED_HEAD_K = frozenset({32, 40, 48, 64, 72, 80, 96, 112, 128, 192, 256, 320, 512, 576})
# (head size K, head size V) with an instantiated kernel, the same for every type.
METAL_FA_HEAD_SIZES = frozenset({
    (32, 32), (40, 40), (48, 48), (64, 64), (72, 72), (80, 80), (96, 64), (96, 96), (112, 112),
    (128, 128), (192, 128), (192, 192), (256, 256), (320, 256), (512, 512), (576, 512),
})


@dataclass(frozen=True)
class PairSupport:
    fast: bool  # the backend runs this attention itself, reading the cache as stored
    reason: str | None = None  # when not fast: one sentence for the user, in their language


_FAST = PairSupport(True)


def attention_support(
    backend: str,
    type_k: str | KvCacheType,
    type_v: str | KvCacheType,
    *,
    flash_attn: bool,
    head_dim_k: int,
    head_dim_v: int,
    cuda_all_quants: bool = False,
    n_head_kv: int | None = None,
) -> PairSupport:
    """Whether `backend` (a ggml registry name: CPU, CUDA, Vulkan, MTL) runs attention over a
    K `type_k` / V `type_v` cache itself, fast, and if not why and what to choose instead.

    `flash_attn` is whether flash attention is actually on; `cuda_all_quants` whether the CUDA
    build compiled every flash-attention pair (GGML_CUDA_FA_QUANTS=all); `n_head_kv` the most KV
    heads of any layer (None: unknown, taken as several). A head size of 0 means unknown and is
    not checked. Backends not read from the source are taken to be fast.
    """
    k, v = cache_type(type_k), cache_type(type_v)
    if not flash_attn and v.quantized:
        return PairSupport(False, translate(
            "BackendKernels",
            "A {type_v} V cache needs flash attention: turn it on, or choose f16 for V.",
        ).format(type_v=v.name))
    name = _BACKEND_NAMES.get(str(backend).strip().lower())
    if name is None or name == "CPU":
        return _FAST
    return _explain(_Query(name, k, v, flash_attn, head_dim_k, head_dim_v, cuda_all_quants, n_head_kv))


@dataclass(frozen=True)
class _Query:
    backend: str
    k: KvCacheType
    v: KvCacheType
    flash_attn: bool
    head_dim_k: int
    head_dim_v: int
    cuda_all_quants: bool
    n_head_kv: int | None

    @property
    def fa_k(self) -> str:
        """The type the flash-attention kernel sees: the graph casts f32 to f16."""
        return "f16" if self.k.name == "f32" else self.k.name

    @property
    def fa_v(self) -> str:
        return "f16" if self.v.name == "f32" else self.v.name

    @property
    def heads_known(self) -> bool:
        return self.head_dim_k > 0 and self.head_dim_v > 0

    def with_pair(self, k: KvCacheType, v: KvCacheType) -> _Query:
        return _Query(self.backend, k, v, self.flash_attn, self.head_dim_k, self.head_dim_v,
                      self.cuda_all_quants, self.n_head_kv)


# Each backend's rules: None when fast, else a short code the message is chosen by.

def _cuda_verdict(q: _Query) -> str | None:
    if not q.flash_attn:
        return None  # MUL_MAT takes every cache type
    if q.heads_known and (q.head_dim_k, q.head_dim_v) not in CUDA_FA_HEAD_SIZES:
        return "heads_cpu"
    if q.fa_k not in CUDA_FA_TYPES or q.fa_v not in CUDA_FA_TYPES:
        return "type_cpu"
    if (q.fa_k, q.fa_v) == ("f16", "f16"):
        return None
    if q.heads_known and q.head_dim_k not in CUDA_VEC_HEAD_SIZES:
        return "cuda_heads_convert"
    if q.fa_k not in _QUANTIZED and q.fa_v not in _QUANTIZED:
        return "cuda_bf16_convert"  # f16/bf16 only: the MMA kernel is preferred on most GPUs
    compiled = CUDA_ALL_VEC_PAIRS if q.cuda_all_quants else CUDA_STOCK_VEC_PAIRS
    return None if (q.fa_k, q.fa_v) in compiled else "cuda_pair_convert"


def _vulkan_verdict(q: _Query) -> str | None:
    if not q.flash_attn:
        several_heads = q.n_head_kv is None or q.n_head_kv > 1
        if several_heads and q.k.name not in VULKAN_STRIDED_MUL_MAT_TYPES:
            return "vulkan_mul_mat_cpu"
        return None
    if q.heads_known and (q.head_dim_k % VULKAN_HEAD_SIZE_MULTIPLE or q.head_dim_v % VULKAN_HEAD_SIZE_MULTIPLE):
        return "heads_cpu"
    if (q.fa_k == "bf16") != (q.fa_v == "bf16"):
        return "vulkan_bf16_cpu"
    return None


def _metal_verdict(q: _Query) -> str | None:
    if not q.flash_attn:
        return None  # MUL_MAT takes every cache type
    if q.heads_known:
        dk, dv = q.head_dim_k, q.head_dim_v
        if dk not in METAL_SUPPORTED_HEAD_K or dk < dv or (dk == 72 and dv != 72):
            return "heads_cpu"
        if (dk, dv) not in METAL_FA_HEAD_SIZES:
            return "metal_heads_fail"
    if q.fa_k not in METAL_FA_TYPES or q.fa_v not in METAL_FA_TYPES:
        return "type_cpu"
    if q.fa_k != q.fa_v:
        return "metal_mixed_cpu"
    return None


_VERDICTS = {"CUDA": _cuda_verdict, "Vulkan": _vulkan_verdict, "MTL": _metal_verdict}


def _fits(t: KvCacheType, head_dim: int) -> bool:
    return head_dim <= 0 or head_dim % t.block_elements == 0


def _nearest_fast_pairs(q: _Query) -> str:
    """The fast pairs nearest in size to the asked one: the closest at least as large and the
    closest at most as large (one when they coincide), f32 left out."""
    verdict = _VERDICTS[q.backend]
    asked = q.k.bits_per_element + q.v.bits_per_element
    candidates = []
    for order, (k, v) in enumerate(product(CACHE_TYPES, CACHE_TYPES)):
        if "f32" in (k.name, v.name) or not (_fits(k, q.head_dim_k) and _fits(v, q.head_dim_v)):
            continue
        if verdict(q.with_pair(k, v)) is not None:
            continue
        size = k.bits_per_element + v.bits_per_element
        moved = abs(k.bits_per_element - q.k.bits_per_element) + abs(v.bits_per_element - q.v.bits_per_element)
        changed = (k.name != q.k.name) + (v.name != q.v.name)
        candidates.append((abs(size - asked), moved, changed, order, size, k.name, v.name))
    larger = min((c for c in candidates if c[4] >= asked), default=None)
    smaller = min((c for c in candidates if c[4] <= asked), default=None)
    chosen = sorted({c for c in (larger, smaller) if c is not None}, key=lambda c: (c[1], -c[4], c[3]))
    pairs = [f"K {c[5]} / V {c[6]}" for c in chosen] or ["K f16 / V f16"]
    if len(pairs) == 1:
        return pairs[0]
    return translate("BackendKernels", "{first} or {second}").format(first=pairs[0], second=pairs[1])


def _pair_list(pairs) -> str:
    rank = {t.name: i for i, t in enumerate(CACHE_TYPES)}
    return ", ".join(f"{k}/{v}" for k, v in sorted(pairs, key=lambda p: (rank[p[0]], rank[p[1]])))


def _explain(q: _Query) -> PairSupport:
    code = _VERDICTS[q.backend](q)
    if code is None:
        return _FAST
    backend = "Metal" if q.backend == "MTL" else q.backend
    names = {"type_k": q.k.name, "type_v": q.v.name, "head_dim_k": q.head_dim_k, "head_dim_v": q.head_dim_v}
    if code == "heads_cpu":
        text = translate(
            "BackendKernels",
            "{backend} has no flash-attention kernel for head sizes K {head_dim_k} / V {head_dim_v}: "
            "attention runs on the CPU, much slower. Turn flash attention off (V must then be f16).",
        ).format(backend=backend, **names)
    elif code == "metal_heads_fail":
        text = translate(
            "BackendKernels",
            "Metal accepts head sizes K {head_dim_k} / V {head_dim_v} for flash attention but has no "
            "kernel for them: llama.cpp would fail. Turn flash attention off (V must then be f16).",
        ).format(**names)
    elif code == "vulkan_mul_mat_cpu":
        text = translate(
            "BackendKernels",
            "Without flash attention Vulkan cannot multiply a {type_k} K cache spread over several KV "
            "heads: attention runs on the CPU, much slower. Turn flash attention on, or choose f16 for K.",
        ).format(**names)
    else:
        pairs = _nearest_fast_pairs(q)
        if code == "type_cpu":
            kernel_types = CUDA_FA_TYPES if q.backend == "CUDA" else METAL_FA_TYPES
            missing = q.k.name if q.fa_k not in kernel_types else q.v.name
            text = translate(
                "BackendKernels",
                "{backend} has no flash-attention kernel for {type}: K {type_k} / V {type_v} runs "
                "attention on the CPU, much slower. Choose {pairs} instead.",
            ).format(backend=backend, type=missing, pairs=pairs, **names)
        elif code == "metal_mixed_cpu":
            text = translate(
                "BackendKernels",
                "Metal's flash attention needs K and V of the same type: K {type_k} / V {type_v} runs "
                "attention on the CPU, much slower. Choose {pairs} instead.",
            ).format(pairs=pairs, **names)
        elif code == "vulkan_bf16_cpu":
            text = translate(
                "BackendKernels",
                "Vulkan's flash attention takes bf16 only for both K and V: K {type_k} / V {type_v} "
                "runs attention on the CPU, much slower. Choose {pairs} instead.",
            ).format(pairs=pairs, **names)
        elif code == "cuda_heads_convert":
            text = translate(
                "BackendKernels",
                "CUDA's flash attention reads a quantized or bf16 cache directly only for head sizes "
                "{sizes}; at this model's {head_dim_k}, K {type_k} / V {type_v} is converted to f16 on "
                "every token, slower. Choose {pairs} instead.",
            ).format(sizes=", ".join(str(s) for s in sorted(CUDA_VEC_HEAD_SIZES)), pairs=pairs, **names)
        elif code == "cuda_bf16_convert":
            text = translate(
                "BackendKernels",
                "CUDA's flash attention reads bf16 directly only on some GPUs and models; elsewhere "
                "K {type_k} / V {type_v} is converted to f16 on every token, slower. f16 takes the "
                "same memory: choose {pairs} instead.",
            ).format(pairs=pairs, **names)
        else:  # cuda_pair_convert
            text = translate(
                "BackendKernels",
                "CUDA builds without GGML_CUDA_FA_QUANTS=all, such as llama-cpp-python's wheels, have "
                "flash-attention kernels only for K/V {compiled}: K {type_k} / V {type_v} is converted "
                "to f16 on every token, slower. Choose {pairs} instead.",
            ).format(compiled=_pair_list(CUDA_STOCK_VEC_PAIRS), pairs=pairs, **names)
    return PairSupport(False, text)

