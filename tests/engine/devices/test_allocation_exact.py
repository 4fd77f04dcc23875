"""The estimate equals what llama.cpp allocates, to the byte: 81 K/V pairs x 3 contexts x 2 models.

Each case loads the real model through ChatEngine (no generation) and compares the estimate
with the K and V bytes read back from llama.cpp's allocation report and state.
"""

import itertools

import pytest

from app.engine.config import LoadConfig, resolve
from app.engine.gguf.info import read_model_info
from app.engine.kvtypes import CACHE_TYPES
from app.engine.llm import ChatEngine
from app.engine.memory import MIB

PLENTY = 16 * 1024 * MIB
CONTEXTS = (300, 3000, 9000)  # padded to 512, 3072, 9216; 9000 is beyond SmolLM2's training
PAIRS = list(itertools.product(CACHE_TYPES, CACHE_TYPES))


@pytest.fixture(scope="module")
def engine():
    engine = ChatEngine()
    yield engine
    engine.unload()


def check_exact(engine, model_path, n_ctx, tk, tv, compact_window=False):
    info = read_model_info(model_path)
    resolved = resolve(
        LoadConfig(str(model_path), n_ctx=n_ctx, type_k=tk.name, type_v=tv.name, compact_window=compact_window),
        info,
        PLENTY,
    )
    report = engine.load(resolved)
    assert report.kv_exact, "llama.cpp's state could not be read back"
    assert report.n_ctx == resolved.n_ctx
    assert report.flash_attn == resolved.flash_attn
    assert report.kv == resolved.estimate.kv  # every cache: cells, layers, K bytes, V bytes
    assert report.compute_bytes == pytest.approx(resolved.estimate.compute_bytes, rel=0.10)
    return report


def pair_id(pair):
    return f"{pair[0].name}-{pair[1].name}"


@pytest.mark.parametrize("n_ctx", CONTEXTS)
@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_smollm2(engine, starter_model, pair, n_ctx):
    check_exact(engine, starter_model, n_ctx, *pair)


@pytest.mark.parametrize("n_ctx", CONTEXTS)
@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_gemma3_full_window(engine, gemma_model, pair, n_ctx):
    report = check_exact(engine, gemma_model, n_ctx, *pair)
    assert [c.kind for c in report.kv.caches] == ["full", "window"]


@pytest.mark.parametrize("n_ctx", CONTEXTS)
@pytest.mark.parametrize("t", CACHE_TYPES, ids=lambda t: t.name)
def test_gemma3_compact_window(engine, gemma_model, t, n_ctx):
    report = check_exact(engine, gemma_model, n_ctx, t, t, compact_window=True)
    window = next(c for c in report.kv.caches if c.kind == "window")
    assert window.cells == min(-(-n_ctx // 256) * 256, 1024)


def test_flash_attention_forced_on_for_f16(engine, starter_model, gemma_model):
    for path in (starter_model, gemma_model):
        info = read_model_info(path)
        resolved = resolve(LoadConfig(str(path), n_ctx=4096, flash_attn="on"), info, PLENTY)
        report = engine.load(resolved)
        assert report.flash_attn and report.kv == resolved.estimate.kv
