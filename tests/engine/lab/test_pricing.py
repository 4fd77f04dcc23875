"""The lab prices each measured pair at the loaded context with the same f16/f16 reference as the memory
gauge: llama.cpp's default cache, the full-size window included, so Gemma 3's compact window is a saving."""

from __future__ import annotations

from app.engine.gguf.info import read_model_info
from app.engine.kvtypes import cache_type
from app.engine.lab.results import LabPair, PairResult
from app.engine.memory import MIB, estimate_memory


def measured(type_k: str, type_v: str) -> PairResult:
    return PairResult(pair=LabPair(type_k, type_v), flash_attn=True, kv_bytes=0, f16_kv_bytes=0, kl_mean=0.01,
                      kl_p99=0.1, kl_max=0.2, top1_agreement=0.97, perplexity=10.0, perplexity_ratio=1.0,
                      prompt_tokens_per_second=100.0, generation_tokens_per_second=20.0, scored_tokens=512)


def test_the_compact_window_is_priced_against_the_full_f16_cache(gemma_model):
    gemma = read_model_info(gemma_model)
    priced = measured("q8_0", "q8_0").priced_at(gemma, 32768, compact_window=True)
    assert priced.f16_kv_bytes == 576 * MIB  # f16 K and V, every layer's cache at full size
    assert round(priced.kv_bytes / MIB, 1) == 59.0  # the window layers hold only the window's cells
    gauge = estimate_memory(gemma, 32768, cache_type("q8_0"), cache_type("q8_0"), flash_attn=True,
                            compact_window=True, available_bytes=1 << 40)
    assert (priced.kv_bytes, priced.f16_kv_bytes) == (gauge.kv.total, gauge.f16_kv_bytes)


def test_a_result_is_priced_again_at_another_context(starter_model):
    smol = read_model_info(starter_model)
    at_4k = measured("q4_0", "q4_0").priced_at(smol, 4096, compact_window=False)
    at_8k = measured("q4_0", "q4_0").priced_at(smol, 8192, compact_window=False)
    assert at_8k.kv_bytes == 2 * at_4k.kv_bytes and at_8k.f16_kv_bytes == 2 * at_4k.f16_kv_bytes == 180 * MIB
    assert at_4k.saving_percent == 100 - 28.125
