"""Kept caches on the real models: a conversation's cache restored after a switch, a reload and a restart
gives the reply (and the next-token distribution) a context that never lost it gives.

Replies are greedy with a fixed seed and a few tokens long. Where the logits matter the ChatEngine is
driven on the test thread (it is not thread-safe, but one thread owning it is all it asks), and the
logits of the last prompt token are read when the first generated token comes: the wrapper has not
evaluated that token yet. The rest goes through EngineHost, as the window does."""

from __future__ import annotations

import asyncio
import threading
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path

import llama_cpp.llama_cpp as llama_c
import numpy as np
import pytest

from app.engine.config import LoadConfig
from app.engine.history_fit import DROP_OLDEST
from app.engine.host import EngineHost
from app.engine.kept import caches as caches_module
from app.engine.kept.caches import KeptCaches, Restored
from app.engine.kept.state_file import SUFFIX, read_header, read_state
from app.engine.llm import ChatEngine
from app.engine.planner import plan_load
from app.engine.records import ChatMessage, ReplyStats, SamplingParams

pytestmark = pytest.mark.slow  # every test here loads a model

GREEDY = SamplingParams(temperature=0.0, seed=7, max_tokens=6)
DAMAGED = "its saved file was damaged and has been removed"
# A few hundred tokens with SmolLM2's template and its default system prompt.
SEA = [ChatMessage("user", "Here are my notes about the sea. "
                   + " ".join(f"Note {i}: the sea is wide, deep and full of fish." for i in range(20))
                   + " Summarise them in one sentence.")]
FRUIT = [ChatMessage("user", "Name one fruit.")]
HELD = 60  # seconds an event is waited for before the test gives up (never reached when it passes)


def follow_up(reply: str) -> list[ChatMessage]:
    return [*SEA, ChatMessage("assistant", reply), ChatMessage("user", "And what about the mountains?")]


def q8(model: Path, **changes) -> LoadConfig:
    return LoadConfig(str(model), n_ctx=2048, type_k=changes.pop("type_k", "q8_0"),
                      type_v=changes.pop("type_v", "q8_0"), **changes)


def kl_divergence(p_logits: np.ndarray, q_logits: np.ndarray) -> float:
    """KL(p || q) of the two softmax distributions, in nats."""
    p_log = p_logits.astype(np.float64) - np.logaddexp.reduce(p_logits.astype(np.float64))
    q_log = q_logits.astype(np.float64) - np.logaddexp.reduce(q_logits.astype(np.float64))
    return float(np.sum(np.exp(p_log) * (p_log - q_log)))


@dataclass(frozen=True)
class Reply:
    text: str
    stats: ReplyStats
    logits: np.ndarray  # of the last prompt token
    first_read: int  # the first chunk's prompt_read: what the cache served before any reading


class Driver:
    """A ChatEngine driven on this thread, with kept caches in `folder`."""

    def __init__(self, folder: Path | None) -> None:
        self.kept = KeptCaches(folder) if folder is not None else None
        self.engine = ChatEngine(self.kept)

    def load(self, config: LoadConfig) -> None:
        plan = plan_load(config)
        assert plan.ok, plan.error
        self.engine.load(plan.resolved)

    def chat_tokens(self, messages) -> list[int]:
        return list(self.engine.fitted_chat_tokens(messages, GREEDY, DROP_OLDEST).tokens)

    def text_tokens(self, text: str) -> list[int]:
        return self.engine.completion_tokens(text)

    def reply(self, tokens, conversation: str | None, sampling: SamplingParams = GREEDY) -> Reply:
        text, logits, first_read, last = "", None, None, None
        for chunk in self.engine.stream(tokens, sampling, threading.Event(), 0, conversation):
            if first_read is None:
                first_read = chunk.prompt_read
            if chunk.phase == "generating" and logits is None:
                logits = self._last_logits()
            text += chunk.text
            last = chunk
        assert last.finish_reason in ("stop", "length") and logits is not None
        return Reply(text, last.stats, logits, first_read)

    def _last_logits(self) -> np.ndarray:
        llm = self.engine.loaded().llm
        n_vocab = llama_c.llama_vocab_n_tokens(llama_c.llama_model_get_vocab(llm.model))
        return np.ctypeslib.as_array(llama_c.llama_get_logits_ith(llm.ctx, -1), shape=(n_vocab,)).copy()

    def close(self) -> None:
        self.engine.unload()
        if self.kept is not None:
            self.kept.close()


@dataclass(frozen=True)
class SeaRun:
    sea_tokens: int  # the first prompt's length
    sea_state: bytes  # conversation "a"'s file after its first reply
    follow_up: list[ChatMessage]
    in_place: Reply  # the follow-up read on top of the first reply, no switch
    restored: Reply  # the follow-up after a switch to another conversation and back
    fresh: Reply  # the follow-up read into a fresh context


@pytest.fixture(scope="module")
def sea(starter_model, tmp_path_factory) -> SeaRun:
    """One SmolLM2 run the tests below share: conversation a, its follow-up in place, a switch to b and
    back to a's follow-up, and the follow-up read fresh (one first prompt read, one fresh read)."""
    folder = tmp_path_factory.mktemp("sea")
    driver = Driver(folder)
    try:
        driver.load(q8(starter_model))
        tokens = driver.chat_tokens(SEA)
        first = driver.reply(tokens, "a")
        assert driver.kept.flush(HELD)
        sea_state = (folder / f"a{SUFFIX}").read_bytes()
        asked = follow_up(first.text)
        again = driver.chat_tokens(asked)
        in_place = driver.reply(again, None)  # what the context holds is a's: read on top of it
        driver.reply(driver.chat_tokens(FRUIT), "b")
        restored = driver.reply(again, "a")
        driver.load(q8(starter_model))
        fresh = driver.reply(again, None)
    finally:
        driver.close()
    return SeaRun(len(tokens), sea_state, asked, in_place, restored, fresh)


def test_switching_away_and_back_restores_the_cache_from_ram(sea):
    stats = sea.restored.stats
    assert stats.cache_source == "ram" and stats.restore_seconds is not None and stats.read_again == ""
    assert stats.cached_tokens >= sea.sea_tokens  # all of a's first prompt, and its reply's shared start
    assert stats.cached_tokens == sea.in_place.stats.cached_tokens == sea.restored.first_read
    assert stats.prompt_tokens == sea.fresh.stats.prompt_tokens and sea.fresh.stats.cached_tokens == 0


def test_a_restored_cache_gives_the_same_reply_and_logits(sea):
    assert sea.restored.text and sea.restored.text == sea.in_place.text == sea.fresh.text
    # The state went out to bytes and came back: the same cells, so the very same logits.
    assert np.array_equal(sea.restored.logits, sea.in_place.logits)
    # A fresh read makes the cells in other batches: the same distribution within float noise.
    assert int(sea.restored.logits.argmax()) == int(sea.fresh.logits.argmax())
    assert kl_divergence(sea.fresh.logits, sea.restored.logits) < 1e-4


# -- through EngineHost: restarts, reloads, damaged files, closing ------------------------------

async def collect(stream):
    async with aclosing(stream) as chunks:
        return [chunk async for chunk in chunks]


def text_of(chunks) -> str:
    return "".join(c.text for c in chunks)


def with_host(folder: Path, body):
    """Run `body(host)` with a host whose kept caches are in `folder`; the host is always closed."""

    async def wrapper():
        host = EngineHost(KeptCaches(folder))
        try:
            return await body(host)
        finally:
            await host.close()

    return asyncio.run(wrapper())


def test_a_restart_restores_from_disk_a_reload_from_ram_and_other_types_read_again(sea, starter_model, tmp_path):
    folder = tmp_path / "kept"
    folder.mkdir()
    (folder / f"a{SUFFIX}").write_bytes(sea.sea_state)  # what the run before this start left

    async def body(host):
        await host.load(q8(starter_model))
        after_restart = await collect(host.chat(sea.follow_up, GREEDY, conversation="a"))
        await host.load(q8(starter_model))  # the same settings: a's cache comes back from RAM
        after_reload = await collect(host.chat(sea.follow_up, GREEDY, conversation="a"))
        await host.load(q8(starter_model, type_k="q4_0", type_v="q4_0"))
        other_types = await collect(host.chat(sea.follow_up, GREEDY, conversation="a"))
        assert host.kept.flush(HELD)
        return after_restart, after_reload, other_types, host.kept.listing()

    after_restart, after_reload, other_types, listing = with_host(folder, body)

    stats = after_restart[-1].stats
    assert (stats.cache_source, stats.read_again) == ("disk", "")
    assert stats.cached_tokens >= sea.sea_tokens
    assert text_of(after_restart) == sea.fresh.text

    stats = after_reload[-1].stats
    assert (stats.cache_source, stats.read_again) == ("ram", "")
    assert stats.cached_tokens == stats.prompt_tokens - 1  # only the last token is read, for its logits
    assert text_of(after_reload) == sea.fresh.text

    stats = other_types[-1].stats
    assert stats.cache_source == "" and stats.cached_tokens == 0
    assert stats.read_again == "the cache was q8_0, now q4_0"
    assert text_of(other_types)
    # The file now holds the cache made with the new types, the whole follow-up and its reply.
    header = read_header(folder / f"a{SUFFIX}")
    assert (header.key.type_k, header.key.type_v) == ("q4_0", "q4_0")
    assert header.n_tokens > stats.prompt_tokens
    assert [(r.conversation, r.type_k, r.type_v) for r in listing] == [("a", "q4_0", "q4_0")]


def damaged_copies(folder: Path, state: bytes) -> None:
    """Three conversations whose files are damaged three ways: a flipped state byte, cut short, not ours."""
    folder.mkdir()
    flipped = bytearray(state)
    flipped[-1000] ^= 0x10
    (folder / f"flipped{SUFFIX}").write_bytes(bytes(flipped))
    (folder / f"cut{SUFFIX}").write_bytes(state[:len(state) // 2])
    (folder / f"foreign{SUFFIX}").write_bytes(b"GGUF" + state[4:])


def test_a_damaged_file_is_read_again_said_and_replaced(sea, starter_model, tmp_path):
    folder = tmp_path / "kept"
    damaged_copies(folder, sea.sea_state)

    async def body(host):
        # The two the start-up scan can tell are gone already; the flipped byte is only found by its checksum.
        assert sorted(p.name for p in folder.iterdir()) == [f"flipped{SUFFIX}"]
        await host.load(q8(starter_model))
        replies = {}
        for name in ("flipped", "cut", "foreign"):
            replies[name] = await collect(host.chat(sea.follow_up, GREEDY, conversation=name))
        assert host.kept.flush(HELD)
        return replies

    replies = with_host(folder, body)
    for name, chunks in replies.items():
        stats = chunks[-1].stats
        assert (stats.cache_source, stats.read_again) == ("", DAMAGED), name
        assert text_of(chunks) == sea.fresh.text, name
        # The damaged file is gone; in its place, the new reply's cache.
        header, _, _ = read_state(folder / f"{name}{SUFFIX}")
        assert header.n_tokens > stats.prompt_tokens, name
    assert replies["flipped"][-1].stats.cached_tokens == 0  # read from scratch, as a fresh context would


def test_closing_the_host_writes_every_pending_state(starter_model, tmp_path, monkeypatch):
    """The first write is held until the host is closing; the second conversation's state is still waiting
    behind it then. Closing writes both before the writer stops."""
    folder = tmp_path / "kept"
    closing = threading.Event()
    real_write = caches_module.write_state
    held_first = []

    def write_when_closing(path, header, tokens, state):
        if not held_first:
            held_first.append(path.name)
            assert closing.wait(HELD)
        real_write(path, header, tokens, state)

    monkeypatch.setattr(caches_module, "write_state", write_when_closing)

    async def body():
        host = EngineHost(KeptCaches(folder))
        try:
            await host.load(q8(starter_model))
            for name in ("one", "two"):
                await collect(host.chat([ChatMessage("user", f"Say the word {name}.")], GREEDY, conversation=name))
            assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == []
        finally:
            closing.set()
            await host.close()

    asyncio.run(body())
    assert held_first == [f"one{SUFFIX}"]
    kept = KeptCaches(folder)
    try:
        for name in ("one", "two"):
            assert isinstance(kept.take(name, read_header(folder / f"{name}{SUFFIX}").key), Restored), name
    finally:
        kept.close()


# -- Gemma 3: the sliding window, full and compact -----------------------------------------------

def dragon_story(name: str, sentences: int) -> str:
    """A long text whose first sentence alone says the dragon's name: recalling it at the end needs the
    cache's oldest positions (the full-attention layers), far behind the 512-token window."""
    return f"The dragon of the valley was called {name}. " + " ".join(
        f"Sentence {i} of a long text about rivers, hills and towns." for i in range(sentences))


ASK_NAME = " The dragon of the valley was called"
NAME_ONLY = SamplingParams(temperature=0.0, seed=7, max_tokens=4)  # the name; past it greedy text is noise-prone


@pytest.mark.parametrize("compact, sentences", [(False, 36), (True, 70)], ids=["full-window", "compact-window"])
def test_gemma_switch_and_back_and_an_edit_behind_the_window(gemma_model, tmp_path, compact, sentences):
    """Past the 512-token window (compact: past the 1,024 cells its window cache holds, so the oldest
    positions are really gone from those layers), switching away and back recalls what the first sentence
    said, as the same context without the switch and a fresh read do. An edit of that sentence, restored
    into, is read again from the start rather than continued on top of dropped positions."""
    driver = Driver(tmp_path / "kept")
    try:
        driver.load(q8(gemma_model, compact_window=compact))
        text = dragon_story("Zorblax", sentences)
        tokens = driver.text_tokens(text)
        assert len(tokens) > (1024 if compact else 512)
        first = driver.reply(tokens, "a")
        later = driver.text_tokens(text + first.text + ASK_NAME)
        in_place = driver.reply(later, None, NAME_ONLY)
        driver.reply(driver.text_tokens("A short note."), "b")
        restored = driver.reply(later, "a", NAME_ONLY)

        # An edit of the first sentence, after a switch: with either window, the restored window layers
        # hold only their last 512 positions (llama.cpp saves no cell outside the window).
        driver.reply(driver.text_tokens("A short note."), "b")
        edited = driver.reply(driver.text_tokens(dragon_story("Quillon", sentences) + ASK_NAME), "a", NAME_ONLY)

        driver.load(q8(gemma_model, compact_window=compact))
        fresh = driver.reply(later, None, NAME_ONLY)
    finally:
        driver.close()

    stats = restored.stats
    assert (stats.cache_source, stats.read_again) == ("ram", "")
    assert stats.cached_tokens == in_place.stats.cached_tokens >= len(tokens) - 1
    assert restored.text.startswith(" Zorblax")
    assert restored.text == in_place.text == fresh.text
    assert int(restored.logits.argmax()) == int(in_place.logits.argmax()) == int(fresh.logits.argmax())
    # Float noise only: the fresh read differs from the context that never switched by as much. (Leaving
    # out the story's first 100 tokens instead moves this distribution by ~0.03.)
    assert kl_divergence(fresh.logits, restored.logits) < 0.01
    assert kl_divergence(in_place.logits, restored.logits) < 0.01
    if not compact:
        # The cells went out to bytes and came back in the same order: the very same logits. (A compact
        # window's state holds only the window layers' last 512 positions, where the context held 1,024
        # cells of them, so its sums differ in their last bits, as a fresh read's do.)
        assert np.array_equal(restored.logits, in_place.logits)
    # a's cache was restored (it shares the first tokens), but the window no longer holds what the
    # edit needs: the prompt is read from the start, the stats say why, and the reply knows the new name.
    assert edited.stats.cache_source == ""
    assert edited.stats.read_again == "the change is older than the window the kept cache holds"
    assert edited.stats.cached_tokens == 0 and edited.first_read == 0
    assert edited.text.startswith(" Quillon")
