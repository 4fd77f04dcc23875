"""The memory arithmetic, checked against figures llama.cpp printed for these models."""

import pytest

from app.engine.gguf.info import read_model_info
from app.engine.kvtypes import CACHE_TYPES, cache_type
from app.engine.memory import MIB, capacity_table, estimate_memory, kv_cache_bytes, largest_fitting_context, pad_ctx

F16, Q8, Q4 = cache_type("f16"), cache_type("q8_0"), cache_type("q4_0")
GIB = 1024 * MIB


@pytest.fixture(scope="module")
def smol(starter_model):
    return read_model_info(starter_model)


@pytest.fixture(scope="module")
def gemma(gemma_model):
    return read_model_info(gemma_model)


def test_context_is_padded_like_llama_cpp():
    assert [pad_ctx(n) for n in (1, 256, 257, 300, 1000, 4096)] == [256, 256, 512, 512, 1024, 4096]


@pytest.mark.parametrize("n_ctx, mib", [(512, 11.25), (2048, 45.0), (8192, 180.0)])
def test_smollm2_f16_sizes_llama_cpp_logged(smol, n_ctx, mib):
    assert kv_cache_bytes(smol, n_ctx, F16, F16, flash_attn=False).total == mib * MIB


def test_quantized_fractions_are_exact(smol):
    f16 = kv_cache_bytes(smol, 4096, F16, F16, flash_attn=True).total
    assert kv_cache_bytes(smol, 4096, Q4, Q4, flash_attn=True).total / f16 == 0.28125
    assert kv_cache_bytes(smol, 4096, Q8, Q8, flash_attn=True).total / f16 == 0.53125
    mixed = kv_cache_bytes(smol, 8192, Q8, Q4, flash_attn=True)
    assert mixed.total == 73.125 * MIB
    assert mixed.k_bytes == 17 / 32 * 90 * MIB and mixed.v_bytes == 9 / 32 * 90 * MIB


def test_gemma3_window_cache(gemma):
    full = kv_cache_bytes(gemma, 8192, F16, F16, flash_attn=True)
    compact = kv_cache_bytes(gemma, 8192, F16, F16, flash_attn=True, compact_window=True)
    assert full.total == 144 * MIB
    assert compact.total == 39 * MIB
    window = next(c for c in compact.caches if c.kind == "window")
    assert (window.cells, window.layers) == (1024, 15)  # 512-token window + 512-token micro-batch
    assert kv_cache_bytes(gemma, 8192, Q4, Q4, flash_attn=True).total == 40.5 * MIB
    # The compact window alone saves more at 8k than 4-bit quantization of the full cache.
    assert compact.total < kv_cache_bytes(gemma, 8192, Q4, Q4, flash_attn=True).total


def test_estimate_totals_and_saving(smol):
    e = estimate_memory(smol, 8000, Q8, Q4, flash_attn=True, compact_window=False, available_bytes=8 * GIB)
    assert e.n_ctx == 8192
    assert e.kv_bytes == e.k_bytes + e.v_bytes == 76_677_120
    assert e.f16_kv_bytes == 180 * MIB
    assert e.saving_bytes == 180 * MIB - 76_677_120
    assert e.saving_percent == pytest.approx(59.375)
    assert e.total_bytes == e.weights_bytes + e.kv_bytes + e.compute_bytes + e.output_bytes
    assert e.fits
    assert not estimate_memory(smol, 8000, Q8, Q4, flash_attn=True, compact_window=False,
                               available_bytes=200 * MIB).fits


def test_largest_context_is_the_boundary(smol):
    available = 2 * GIB
    for t in (F16, Q8, Q4):
        fa = t.v_needs_flash_attn
        n = largest_fitting_context(smol, t, t, flash_attn=fa, compact_window=False, available_bytes=available)
        assert n % 256 == 0 and n > 0
        def fits(n_ctx, t=t, fa=fa):
            return estimate_memory(smol, n_ctx, t, t, flash_attn=fa, compact_window=False,
                                   available_bytes=available).fits

        assert fits(n) and not fits(n + 256)


def test_smaller_types_reach_further(smol):
    rows = capacity_table(smol, 4096, compact_window=False, available_bytes=4 * GIB)
    assert [r.cache_type.name for r in rows] == [t.name for t in CACHE_TYPES]
    by = {r.cache_type.name: r for r in rows}
    assert by["q4_0"].largest_ctx > by["q8_0"].largest_ctx > by["f16"].largest_ctx > by["f32"].largest_ctx
    assert by["q4_0"].kv_bytes < by["q8_0"].kv_bytes < by["f16"].kv_bytes < by["f32"].kv_bytes


def test_nothing_fits_in_no_memory(smol):
    assert largest_fitting_context(smol, F16, F16, flash_attn=False, compact_window=False, available_bytes=MIB) == 0


def test_the_compact_window_saves_against_the_full_f16_cache(gemma):
    # The reference is what llama.cpp allocates by default: f16 K and V with the full-size window cache.
    full_f16 = kv_cache_bytes(gemma, 32768, F16, F16, flash_attn=True).total
    assert full_f16 == 576 * MIB
    for k, v in ((F16, F16), (Q8, Q4)):
        e = estimate_memory(gemma, 32768, k, v, flash_attn=True, compact_window=True, available_bytes=64 * GIB)
        assert e.f16_kv_bytes == full_f16
        assert e.saving_bytes == full_f16 - e.kv_bytes > 0
    compact_f16 = estimate_memory(gemma, 32768, F16, F16, flash_attn=True, compact_window=True,
                                  available_bytes=64 * GIB)
    assert compact_f16.kv_bytes == 111 * MIB and compact_f16.saving_bytes == 465 * MIB
