"""Validation: what llama.cpp would refuse or crash on is refused first, with reasons."""

import pytest

from app.engine.config import LoadConfig, default_batch_threads, default_threads, resolve, resolve_flash_attn
from app.engine.errors import InsufficientMemoryError, KvConfigError, ModelFileError
from app.engine.gguf.info import read_model_info
from app.engine.kvtypes import CACHE_TYPES, cache_type
from app.engine.memory import MIB
from tests import model_files

PLENTY = 16 * 1024 * MIB


@pytest.fixture(scope="module")
def smol(starter_model):
    return read_model_info(starter_model)


def cfg(model, **kw):
    return LoadConfig(str(model.path), **kw)


@pytest.mark.parametrize("tk", CACHE_TYPES, ids=lambda t: t.name)
@pytest.mark.parametrize("tv", CACHE_TYPES, ids=lambda t: t.name)
def test_all_81_pairs_resolve_with_auto_flash_attention(smol, tk, tv):
    r = resolve(cfg(smol, type_k=tk.name, type_v=tv.name), smol, PLENTY)
    assert r.flash_attn == tv.quantized


@pytest.mark.parametrize("tv", [t for t in CACHE_TYPES if t.quantized], ids=lambda t: t.name)
def test_quantized_v_with_flash_attention_off_is_refused(smol, tv):
    with pytest.raises(KvConfigError, match="needs flash attention.*auto or on"):
        resolve(cfg(smol, type_v=tv.name, flash_attn="off"), smol, PLENTY)


def test_auto_flash_attention():
    assert resolve_flash_attn("auto", cache_type("q4_0")) is True
    assert resolve_flash_attn("auto", cache_type("f16")) is False
    assert resolve_flash_attn("on", cache_type("f16")) is True
    assert resolve_flash_attn("off", cache_type("bf16")) is False
    with pytest.raises(KvConfigError):
        resolve_flash_attn("sometimes", cache_type("f16"))


def test_quantized_k_without_flash_attention_is_allowed(smol):
    r = resolve(cfg(smol, type_k="q4_0", type_v="f16", flash_attn="off"), smol, PLENTY)
    assert not r.flash_attn


@pytest.mark.parametrize("n_ctx", [0, -1, -4096, 1 << 30, 2.5, "4096", True])
def test_impossible_context_lengths(smol, n_ctx):
    with pytest.raises(KvConfigError, match="context length"):
        resolve(cfg(smol, n_ctx=n_ctx), smol, PLENTY)


def test_context_is_padded_and_warned_beyond_training(smol):
    r = resolve(cfg(smol, n_ctx=1000), smol, PLENTY)
    assert r.n_ctx == 1024
    assert "1,024 cells for 1,000 tokens" in r.cells_note and r.cells_note in r.warnings
    assert r.beyond_trained_warning is None
    r = resolve(cfg(smol, n_ctx=16384), smol, PLENTY)
    assert "beyond the 8,192" in r.beyond_trained_warning and r.beyond_trained_warning in r.warnings
    assert r.cells_note is None


def test_the_messages_speak_of_the_context_asked_for_not_the_cells_allocated(smol):
    r = resolve(cfg(smol, n_ctx=8200), smol, PLENTY)  # 8,448 cells
    assert r.beyond_trained_warning.startswith("8,200 tokens is beyond the 8,192")
    assert resolve(cfg(smol, n_ctx=8190), smol, PLENTY).beyond_trained_warning is None  # 8,192 cells: not beyond
    with pytest.raises(InsufficientMemoryError) as caught:
        resolve(cfg(smol, n_ctx=10_000_000), smol, PLENTY)
    assert str(caught.value).startswith("10,000,000 tokens") and "10,000,128" not in str(caught.value)


def test_thread_counts_reach_the_resolved_config_apart_and_default_per_computer(smol):
    r = resolve(cfg(smol, n_threads=3, n_threads_batch=2), smol, PLENTY)
    assert (r.n_threads, r.n_threads_batch) == (3, 2)
    r = resolve(cfg(smol), smol, PLENTY)
    assert (r.n_threads, r.n_threads_batch) == (default_threads(), default_batch_threads())


@pytest.mark.parametrize("count", [0, -1, 513, 2.5, "2", True])
def test_impossible_thread_counts_are_refused(smol, count):
    with pytest.raises(KvConfigError, match="number of threads"):
        resolve(cfg(smol, n_threads=count), smol, PLENTY)
    with pytest.raises(KvConfigError, match="number of threads"):
        resolve(cfg(smol, n_threads_batch=count), smol, PLENTY)


@pytest.mark.slow  # loads the model
def test_the_llama_is_created_with_the_generation_and_prompt_threads(smol):
    import llama_cpp.llama_cpp as llama_c

    from app.engine.llm import ChatEngine

    engine = ChatEngine()
    try:
        engine.load(resolve(cfg(smol, n_ctx=512, n_threads=1, n_threads_batch=2), smol, PLENTY))
        ctx = engine._llm.ctx
        assert (llama_c.llama_n_threads(ctx), llama_c.llama_n_threads_batch(ctx)) == (1, 2)
    finally:
        engine.unload()


def test_context_that_does_not_fit_is_refused_with_the_estimate(smol):
    with pytest.raises(InsufficientMemoryError) as caught:
        resolve(cfg(smol, n_ctx=65536, type_k="f32", type_v="f32"), smol, 512 * MIB)
    e = caught.value.estimate
    assert e is not None and not e.fits and e.kv_bytes == 65536 * 30 * 2 * 192 * 4
    assert "MiB" in str(caught.value) and "shorter context" in str(caught.value)


def test_f32_with_flash_attention_is_warned(smol):
    r = resolve(cfg(smol, type_k="f32", type_v="q8_0"), smol, PLENTY)
    assert any("twice the memory" in w for w in r.warnings)


def test_compact_window_needs_a_sliding_window_model(smol, gemma_model):
    r = resolve(cfg(smol, compact_window=True), smol, PLENTY)
    assert not r.compact_window and any("no sliding-window" in w for w in r.warnings)
    gemma = read_model_info(gemma_model)
    assert resolve(cfg(gemma, compact_window=True), gemma, PLENTY).compact_window


def test_unknown_cache_type_is_refused(smol):
    with pytest.raises(KvConfigError, match="not a KV cache type"):
        resolve(cfg(smol, type_k="q2_K"), smol, PLENTY)


def test_vocab_only_model_is_refused(tmp_path):
    info = read_model_info(model_files.vocab_only(tmp_path / "vocab.gguf"))
    with pytest.raises(ModelFileError, match="only a vocabulary"):
        resolve(LoadConfig(info.path), info, PLENTY)
