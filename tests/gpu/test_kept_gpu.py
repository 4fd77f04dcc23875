"""On a real GPU backend: a conversation's cache, held in VRAM, is kept and restored into VRAM, after a
switch (from RAM) and after a restart (from disk), and the reply is the one a fresh read gives."""

from __future__ import annotations

import threading

from app.engine.config import LoadConfig, resolve
from app.engine.devices.dry_run import checked_against_dry_run, dry_run
from app.engine.gguf.info import read_model_info
from app.engine.history_fit import DROP_OLDEST
from app.engine.kept.caches import KeptCaches
from app.engine.llm import ChatEngine
from app.engine.memory import MIB
from app.engine.records import ChatMessage, SamplingParams

GREEDY = SamplingParams(temperature=0.0, max_tokens=12, seed=3)
A = [ChatMessage("user", "Describe, step by step, how a lighthouse keeper spent a winter night. " * 12)]
B = [ChatMessage("user", "List some fruits. " * 20)]


def loaded(engine: ChatEngine, path: str, gpus) -> ChatEngine:
    resolved = resolve(LoadConfig(path, n_ctx=2048, type_k="q8_0", type_v="q8_0", gpu_layers="all"),
                       read_model_info(path), 16 * 1024 * MIB, gpus)
    engine.load(checked_against_dry_run(resolved, dry_run(resolved)))
    assert engine.report.offloaded_layers > 0 and engine.report.gpu_devices
    return engine


def reply(engine: ChatEngine, messages, conversation: str | None):
    tokens = engine.fitted_chat_tokens(messages, GREEDY, DROP_OLDEST).tokens
    chunks = list(engine.stream(tokens, GREEDY, threading.Event(), conversation=conversation))
    return "".join(c.text for c in chunks), chunks[-1].stats


def test_a_cache_in_vram_is_kept_and_restored(gpus, starter_model, tmp_path):
    path = str(starter_model)
    engine = loaded(ChatEngine(KeptCaches(tmp_path)), path, gpus)
    first, _ = reply(engine, A, "a")
    follow_up = A + [ChatMessage("assistant", first), ChatMessage("user", "And in the morning?")]
    reply(engine, B, "b")
    switched, stats = reply(engine, follow_up, "a")
    assert stats.cache_source == "ram" and stats.cached_tokens > 150
    engine.kept.flush()
    engine.unload()
    engine.kept.close()

    again = loaded(ChatEngine(KeptCaches(tmp_path)), path, gpus)
    restarted, stats = reply(again, follow_up, "a")
    assert stats.cache_source == "disk" and stats.cached_tokens > 150
    again.unload()
    again.kept.close()

    fresh_engine = loaded(ChatEngine(), path, gpus)
    fresh, stats = reply(fresh_engine, follow_up, None)
    fresh_engine.unload()
    assert stats.cached_tokens == 0
    assert switched == restarted == fresh
