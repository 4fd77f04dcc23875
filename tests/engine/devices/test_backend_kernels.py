"""The backend kernel tables against what llama.cpp 0c1e570 (llama-cpp-python 0.3.36) compiles.

The last tests re-read the vendored llama.cpp source when KVCHAT_LLAMA_CPP_SOURCE names its root
(the directory holding ggml/ and src/), so the tables cannot drift from it unnoticed.
"""

from __future__ import annotations

import os
import re
from itertools import product
from pathlib import Path

import pytest

from app.engine.devices import backend_kernels as bk
from app.engine.devices.backend_kernels import BACKENDS, PairSupport, attention_support
from app.engine.errors import KvConfigError
from app.engine.kvtypes import cache_type_names

TYPES = cache_type_names()
QUANTIZED = ("q8_0", "q5_1", "q5_0", "q4_1", "q4_0", "iq4_nl")


def support(backend, type_k, type_v, *, flash_attn=True, head=128, **kwargs) -> PairSupport:
    return attention_support(backend, type_k, type_v, flash_attn=flash_attn, head_dim_k=head, head_dim_v=head, **kwargs)


def accepted_pairs():
    """Every pair llama.cpp accepts, with the flash-attention setting it runs under."""
    for k, v in product(TYPES, TYPES):
        yield k, v, True
        if v not in QUANTIZED:
            yield k, v, False


def test_backends_are_ggml_registry_names():
    assert BACKENDS == ("CPU", "CUDA", "Vulkan", "MTL")
    assert support("Metal", "q8_0", "q4_0") == support("MTL", "q8_0", "q4_0")
    assert support("cuda", "q8_0", "q4_0") == support("CUDA", "q8_0", "q4_0")


def test_cpu_runs_every_pair_llama_cpp_accepts():
    for k, v, fa in accepted_pairs():
        for head in (64, 80, 128, 256):
            assert support("CPU", k, v, flash_attn=fa, head=head) == PairSupport(True, None), (k, v, fa, head)


def test_an_unknown_backend_is_not_claimed_slow():
    for k, v, fa in accepted_pairs():
        assert support("SYCL", k, v, flash_attn=fa) == PairSupport(True, None)
        assert support("ROCm", k, v, flash_attn=fa, head=80) == PairSupport(True, None)


def test_a_quantized_v_without_flash_attention_is_refused_everywhere():
    for backend in (*BACKENDS, "SYCL"):
        result = support(backend, "f16", "q4_0", flash_attn=False)
        assert not result.fast
        assert "q4_0" in result.reason and "flash attention" in result.reason


def test_unknown_type_names_are_refused():
    with pytest.raises(KvConfigError):
        support("CUDA", "q4_k", "f16")


# CUDA: the stock build (GGML_CUDA_FA_QUANTS default, as llama-cpp-python's wheels) -----------------

@pytest.mark.parametrize("pair", [("f16", "f16"), ("q8_0", "q8_0"), ("q4_0", "q4_0"), ("f32", "f32"), ("f32", "f16")])
@pytest.mark.parametrize("head", [64, 128, 256])
def test_cuda_stock_reads_its_compiled_pairs_directly(pair, head):
    assert support("CUDA", *pair, head=head).fast


@pytest.mark.parametrize("pair", [("q8_0", "q4_0"), ("f16", "q8_0"), ("q4_0", "q8_0"), ("q5_1", "q5_1"),
                                  ("q4_1", "q4_1"), ("q5_0", "q8_0"), ("bf16", "q4_0")])
def test_cuda_stock_converts_other_pairs_and_all_quants_does_not(pair):
    stock = support("CUDA", *pair)
    assert not stock.fast
    assert f"K {pair[0]} / V {pair[1]}" in stock.reason
    assert "GGML_CUDA_FA_QUANTS=all" in stock.reason and "converted to f16" in stock.reason
    assert support("CUDA", *pair, cuda_all_quants=True).fast


def test_cuda_offers_the_compiled_pairs_nearest_in_size():
    assert support("CUDA", "q8_0", "q4_0").reason.endswith("Choose K q8_0 / V q8_0 or K q4_0 / V q4_0 instead.")
    assert "Choose K f16 / V f16 or K q8_0 / V q8_0 instead." in support("CUDA", "f16", "q8_0").reason


def test_cuda_has_no_iq4_nl_kernel_so_attention_goes_to_the_cpu():
    for pair in (("iq4_nl", "iq4_nl"), ("q8_0", "iq4_nl"), ("iq4_nl", "f16")):
        for all_quants in (False, True):
            result = support("CUDA", *pair, cuda_all_quants=all_quants)
            assert not result.fast
            assert "no flash-attention kernel for iq4_nl" in result.reason and "CPU" in result.reason
    assert "Choose K q4_0 / V q4_0 instead." in support("CUDA", "iq4_nl", "iq4_nl").reason


def test_cuda_bf16_without_a_quantized_partner_is_converted_on_most_gpus():
    for pair in (("bf16", "bf16"), ("bf16", "f16"), ("f16", "bf16")):
        for all_quants in (False, True):
            result = support("CUDA", *pair, cuda_all_quants=all_quants)
            assert not result.fast and "bf16" in result.reason
    assert "choose K f16 / V f16 instead" in support("CUDA", "bf16", "bf16").reason


@pytest.mark.parametrize("head", [40, 72, 80, 96, 112])
def test_cuda_head_sizes_without_a_vector_kernel_convert_everything_but_f16(head):
    assert support("CUDA", "f16", "f16", head=head).fast
    assert support("CUDA", "f32", "f16", head=head).fast
    for k, v in (("q8_0", "q8_0"), ("q4_0", "q4_0"), ("bf16", "bf16")):
        result = support("CUDA", k, v, head=head, cuda_all_quants=True)
        assert not result.fast and f"model's {head}" in result.reason and "K f16 / V f16" in result.reason


def test_cuda_head_sizes_it_has_no_kernel_for_run_on_the_cpu():
    for dk, dv in ((128, 64), (160, 160), (32, 32), (576, 576)):
        result = attention_support("CUDA", "f16", "f16", flash_attn=True, head_dim_k=dk, head_dim_v=dv)
        assert not result.fast and f"K {dk} / V {dv}" in result.reason and "CPU" in result.reason
    assert attention_support("CUDA", "f16", "f16", flash_attn=True, head_dim_k=576, head_dim_v=512).fast
    assert attention_support("CUDA", "f16", "f16", flash_attn=True, head_dim_k=192, head_dim_v=128).fast


def test_cuda_without_flash_attention_multiplies_every_k_type():
    for k in TYPES:
        assert support("CUDA", k, "f16", flash_attn=False).fast


# Vulkan --------------------------------------------------------------------------------------------

def test_vulkan_runs_every_pair_except_bf16_beside_another_type():
    for k, v in product(TYPES, TYPES):
        result = support("Vulkan", k, v)
        mixed_bf16 = ("bf16" in (k, v)) and (k, v) != ("bf16", "bf16")
        assert result.fast == (not mixed_bf16), (k, v)
        if mixed_bf16:
            assert f"K {k} / V {v}" in result.reason and "CPU" in result.reason


def test_vulkan_suggests_swapping_bf16_for_f16():
    assert support("Vulkan", "bf16", "q8_0").reason.endswith("Choose K f16 / V q8_0 instead.")


def test_vulkan_needs_head_sizes_in_multiples_of_8():
    assert attention_support("Vulkan", "q4_0", "q4_0", flash_attn=True, head_dim_k=80, head_dim_v=80).fast
    assert attention_support("Vulkan", "f16", "f16", flash_attn=True, head_dim_k=192, head_dim_v=128).fast
    assert not attention_support("Vulkan", "f16", "f16", flash_attn=True, head_dim_k=100, head_dim_v=100).fast


def test_vulkan_without_flash_attention_multiplies_a_quantized_k_only_for_one_kv_head():
    for k in QUANTIZED:
        several = support("Vulkan", k, "f16", flash_attn=False)
        assert not several.fast and k in several.reason and "CPU" in several.reason
        assert not support("Vulkan", k, "f16", flash_attn=False, n_head_kv=8).fast
        assert support("Vulkan", k, "f16", flash_attn=False, n_head_kv=1).fast
    for k in ("f32", "f16", "bf16"):
        assert support("Vulkan", k, "f16", flash_attn=False).fast


# Metal ---------------------------------------------------------------------------------------------

def test_metal_runs_equal_types_only_and_no_iq4_nl():
    for k, v in product(TYPES, TYPES):
        kernel = {"f32": "f16"}.get(k, k), {"f32": "f16"}.get(v, v)
        expected = kernel[0] == kernel[1] and "iq4_nl" not in kernel
        result = support("MTL", k, v)
        assert result.fast == expected, (k, v)
        if not expected:
            assert f"K {k} / V {v}" in result.reason and "CPU" in result.reason


def test_metal_suggests_equal_pairs():
    assert support("MTL", "q8_0", "q4_0").reason.endswith("Choose K q8_0 / V q8_0 or K q5_1 / V q5_1 instead.")
    assert "Choose K q4_0 / V q4_0 instead." in support("MTL", "iq4_nl", "iq4_nl").reason


def test_metal_head_sizes():
    def fast(dk, dv):
        return attention_support("MTL", "q8_0", "q8_0", flash_attn=True, head_dim_k=dk, head_dim_v=dv).fast

    assert all(fast(dk, dv) for dk, dv in ((40, 40), (80, 80), (112, 112), (96, 64), (576, 512), (320, 256)))
    assert not fast(100, 100)  # not in supports_op's list: the CPU runs it
    assert not fast(64, 128)  # V larger than K
    fails = attention_support("MTL", "f16", "f16", flash_attn=True, head_dim_k=128, head_dim_v=64)
    assert not fails.fast and "would fail" in fails.reason  # accepted, but no kernel instantiated


def test_metal_without_flash_attention_multiplies_every_k_type():
    for k in TYPES:
        assert support("MTL", k, "f16", flash_attn=False).fast


def test_suggested_pairs_are_fast_themselves():
    pattern = re.compile(r"K (\w+) / V (\w+)")
    for backend, (k, v) in product(("CUDA", "Vulkan", "MTL"), product(TYPES, TYPES)):
        result = support(backend, k, v)
        if result.fast:
            continue
        suggestion = result.reason.rsplit("hoose ", 1)[1]
        for sk, sv in pattern.findall(suggestion):
            assert support(backend, sk, sv).fast, (backend, k, v, sk, sv)


def test_a_head_size_that_quantized_types_cannot_divide_gets_no_quantized_suggestion():
    # head size 40: q8_0 blocks of 32 do not fit, so only unquantized pairs are offered
    result = attention_support("MTL", "f16", "bf16", flash_attn=True, head_dim_k=40, head_dim_v=40)
    assert not result.fast and "q" not in result.reason.rsplit("hoose ", 1)[1]


# The tables against the source ---------------------------------------------------------------------

SOURCE = os.environ.get("KVCHAT_LLAMA_CPP_SOURCE")
needs_source = pytest.mark.skipif(not SOURCE, reason="set KVCHAT_LLAMA_CPP_SOURCE to llama.cpp's source root")


def read(relative: str) -> str:
    path = Path(SOURCE) / relative
    assert path.is_file(), f"{path} is missing: KVCHAT_LLAMA_CPP_SOURCE must be llama.cpp's root"
    return path.read_text(encoding="utf-8")


def between(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[i:text.index(end, i + len(start))]


def type_cases(text: str) -> set[str]:
    return {t.lower() for t in re.findall(r"case GGML_TYPE_(\w+):", text)}


@needs_source
def test_cuda_tables_match_the_source():
    cmake = read("ggml/CMakeLists.txt")
    default = re.search(r'set\s*\(\s*GGML_CUDA_FA_QUANTS\s+"([^"]+)"', cmake).group(1)
    common = read("ggml/cmake/common.cmake")
    assert "set(FA_COMBINATIONS f16-f16)" in common  # f16-f16 is always compiled
    stock = {tuple(p.split("-")) for p in default.split(";")} | {("f16", "f16")}
    assert stock == bk.CUDA_STOCK_VEC_PAIRS
    fa_types = set(re.search(r"set\(FA_TYPES ([^)]*)\)", common).group(1).split())
    assert fa_types == bk.CUDA_FA_TYPES

    fattn = read("ggml/src/ggml-cuda/fattn.cu")
    supported = between(fattn, "static bool ggml_cuda_fattn_kv_type_supported", "\n}")
    assert type_cases(supported) == bk.CUDA_FA_TYPES | {"f32"}
    vec_d = between(fattn, "#define FATTN_VEC_CASES_ALL_D", "typedef")
    assert {int(d) for d in re.findall(r"FATTN_VEC_CASE\(\s*(\d+)", vec_d)} == bk.CUDA_VEC_HEAD_SIZES
    lookup = between(fattn, "ggml_cuda_get_fattn_vec_case(const int64_t", "return nullptr;")
    listed = {(k.lower(), v.lower()) for k, v in re.findall(r"FATTN_VEC_CASES_ALL_D\((\w+),\s*(\w+)\)", lookup)}
    assert listed == bk.CUDA_ALL_VEC_PAIRS

    switch = between(fattn, "switch (K->ne[0]) {", "default:")
    heads = set()
    for cases, body in re.findall(r"((?:\s*case\s+\d+:)+)(.*?)break;", switch, re.DOTALL):
        same = "V->ne[0] != K->ne[0]" in body
        for dk in map(int, re.findall(r"\d+", cases)):
            heads.add((dk, dk if same else int(re.search(r"V->ne\[0\] != (\d+)", body).group(1))))
    assert heads == bk.CUDA_FA_HEAD_SIZES

    supports_op = read("ggml/src/ggml-cuda/ggml-cuda.cu")
    assert re.search(r"case GGML_OP_FLASH_ATTN_EXT:\s*return ggml_cuda_flash_attn_ext_supported\(", supports_op)


@needs_source
def test_vulkan_tables_match_the_source():
    vulkan = read("ggml/src/ggml-vulkan/ggml-vulkan.cpp")
    fa = between(vulkan, "uint32_t HSK = op->src[1]->ne[0];", "case GGML_OP_GET_ROWS")  # supports_op's case
    assert type_cases(between(fa, "auto fa_kv_ok", "};")) == bk.VULKAN_FA_TYPES
    assert "(op->src[1]->type == GGML_TYPE_BF16) != (op->src[2]->type == GGML_TYPE_BF16)" in fa
    assert "if (op->src[1]->type != op->src[2]->type)" not in fa  # K and V may differ
    multiples = re.findall(r"\(HS[KV] % (\d+)\) != 0", fa)
    assert multiples and {int(m) for m in multiples} == {bk.VULKAN_HEAD_SIZE_MULTIPLE}

    strided = re.search(r"if \(!\(ggml_vk_dim01_contiguous\(op->src\[0\]\)((?: \|\| op->src\[0\]->type == "
                        r"GGML_TYPE_\w+)+)\)", vulkan).group(1)
    assert {t.lower() for t in re.findall(r"GGML_TYPE_(\w+)", strided)} == bk.VULKAN_STRIDED_MUL_MAT_TYPES


@needs_source
def test_metal_tables_match_the_source():
    device = read("ggml/src/ggml-metal/ggml-metal-device.m")
    fa = between(device, "case GGML_OP_FLASH_ATTN_EXT:", "case GGML_OP_LIGHTNING_INDEXER:")
    assert {int(d) for d in re.findall(r"op->src\[0\]->ne\[0\] != (\d+)", fa)} == bk.METAL_SUPPORTED_HEAD_K
    assert "op->src[1]->type != op->src[2]->type" in fa
    assert "op->src[1]->ne[0] < op->src[2]->ne[0]" in fa
    assert type_cases(fa) == bk.METAL_FA_TYPES | {"f32"}

    kernels: dict[str, set[tuple[int, int]]] = {}
    for metal in sorted((Path(SOURCE) / "ggml/src/ggml-metal/kernels").glob("fa_*.metal")):
        for name, dk, dv in re.findall(r'host_name\("kernel_flash_attn_ext_(\w+?)_dk(\d+)_dv(\d+)"\s*\)',
                                       metal.read_text(encoding="utf-8")):
            if not name.startswith("vec_"):
                kernels.setdefault(name, set()).add((int(dk), int(dv)))
    assert set(kernels) == bk.METAL_FA_TYPES | {"f32"}
    for name, heads in kernels.items():
        assert heads == bk.METAL_FA_HEAD_SIZES, name


@needs_source
def test_the_graph_casts_an_f32_cache_to_f16_for_flash_attention():
    graph = read("src/llama-graph.cpp")
    for side in ("k", "v"):
        cast = rf"if \({side}->type == GGML_TYPE_F32\) \{{\s*{side} = ggml_cast\(ctx0, {side}, GGML_TYPE_F16\);"
        assert re.search(cast, graph), side
