"""On a real GPU backend: a conversation's cache, partly in VRAM, is kept and restored into VRAM, after a
switch (from RAM) and after a restart (from disk), to the same reply. (That a restored cache gives the
reply a fresh read gives is tested on the CPU, tests/engine/kept; Mesa's software Vulkan takes
minutes for every few tokens, so this test reads and writes as few as it can.)"""

from __future__ import annotations

import threading

import pytest

from app.engine.config import LoadConfig, resolve
from app.engine.devices.dry_run import checked_against_dry_run, dry_run
from app.engine.gguf.info import read_model_info
from app.engine.history_fit import DROP_OLDEST
from app.engine.kept.caches import KeptCaches
from app.engine.llm import ChatEngine
from app.engine.memory import MIB
from app.engine.records import ChatMessage, SamplingParams

GREEDY = SamplingParams(temperature=0.0, max_tokens=2, seed=3)
A = [ChatMessage("user", "Describe how a lighthouse keeper spent a winter night.")]
B = [ChatMessage("user", "List some fruits.")]


def loaded(engine: ChatEngine, path: str, gpus) -> ChatEngine:
    resolved = resolve(LoadConfig(path, n_ctx=2048, type_k="f16", type_v="f16", gpu_layers=2),
                       read_model_info(path), 16 * 1024 * MIB, gpus)
    engine.load(checked_against_dry_run(resolved, dry_run(resolved)))
    assert engine.report.offloaded_layers > 0 and engine.report.gpu_devices[0].kv_bytes > 0  # KV layers in VRAM
    return engine


def reply(engine: ChatEngine, messages, conversation: str | None):
    tokens = engine.fitted_chat_tokens(messages, GREEDY, DROP_OLDEST).tokens
    chunks = list(engine.stream(tokens, GREEDY, threading.Event(), conversation=conversation))
    return "".join(c.text for c in chunks), chunks[-1].stats


@pytest.mark.timeout(1800)  # a guard against a hang only: Mesa's software Vulkan is slow on a busy machine
def test_a_cache_in_vram_is_kept_and_restored(gpus, starter_model, tmp_path):
    path = str(starter_model)
    engine = loaded(ChatEngine(KeptCaches(tmp_path)), path, gpus)
    first, _ = reply(engine, A, "a")
    follow_up = A + [ChatMessage("assistant", first), ChatMessage("user", "And in the morning?")]
    reply(engine, B, "b")
    switched, stats = reply(engine, follow_up, "a")
    assert stats.cache_source == "ram" and stats.cached_tokens > 20
    engine.kept.flush()
    engine.unload()
    engine.kept.close()

    again = loaded(ChatEngine(KeptCaches(tmp_path)), path, gpus)
    restarted, stats = reply(again, follow_up, "a")
    assert stats.cache_source == "disk" and stats.cached_tokens > 20
    again.unload()
    again.kept.close()
    assert switched == restarted
