"""Sustained use: rapid send/stop, repeated reloads, conversations longer than the context,
settings changed while a reply streams."""

from __future__ import annotations

import asyncio
import gc
import itertools
import threading
from contextlib import aclosing

import llama_cpp
import psutil
import pytest
from PySide6.QtCore import Qt, QTimer

from app.engine.config import LoadConfig
from app.engine.errors import ContextOverflowError
from app.engine.history_fit import STOP
from app.engine.host import EngineHost
from app.engine.memory import MIB
from app.engine.records import ChatMessage, SamplingParams
from tests.ui.conftest import send, until

CYCLES = 200
RELOADS = 20
RSS_TOLERANCE = 64 * MIB  # allocator slack and caches; a leaked model or cache would be 100+ MiB


def check_conversation(window, all_stopped: bool = False) -> None:
    """Each reply is saved with its own text, right after its question (stopped, or short and finished)."""
    stored = window.store.messages(window.session.conversation.id)
    shown = window.chat_view.messages
    assert [(m.role, m.content) for m in stored] == [(w.role, w.text) for w in shown]
    for question, reply in zip(stored, stored[1:]):
        if reply.role == "assistant":
            assert question.role == "user" and reply.finish_reason in (("cancelled",) if all_stopped
                                                                       else ("cancelled", "stop"))
            assert question.content.split()[-1] not in reply.content  # no other cycle's number leaks in


class FirstWordsGate:
    """Holds each reply on the engine thread once its first words are out, until the test lets go.

    The engine has then streamed those words to the window and is about to take its next token:
    a stop pressed now is the stop of a reply under way, whatever the machine's speed -- the reply
    cannot end by itself first. Only llama-cpp-python's token generator is wrapped; the window,
    the session and the engine run as they do for a user."""

    HOLD_LIMIT = 300  # seconds; a bound only, so that a failed test cannot leave the engine waiting

    def __init__(self):
        self.active = True
        self.holding = threading.Event()
        self.release = threading.Event()

    def install(self, monkeypatch) -> None:
        generate = llama_cpp.Llama.generate
        gate = self

        def gated(llm, *args, **kwargs):
            tokens = generate(llm, *args, **kwargs)
            try:
                for token in tokens:
                    yield token
                    if gate.active and not gate.holding.is_set() and llm.detokenize([token]).strip():
                        gate.holding.set()
                        gate.release.wait(gate.HOLD_LIMIT)
            finally:
                tokens.close()

        monkeypatch.setattr(llama_cpp.Llama, "generate", gated)

    def next_reply(self) -> None:
        self.release.clear()
        self.holding.clear()

    def open(self) -> None:
        self.active = False
        self.release.set()


@pytest.fixture
def first_words_gate(monkeypatch):
    gate = FirstWordsGate()
    gate.install(monkeypatch)
    yield gate
    gate.open()  # before the window closes (it is set up after the window): a held engine could not finish


def test_200_rapid_send_stop_cycles(window, loop, qtbot, first_words_gate):
    """Every stop takes effect at once, every stopped reply is saved, no reply spills into the next,
    the window keeps ticking."""
    gate = first_words_gate
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)
    window.conversation_settings.max_tokens.setValue(300)  # far more than the few tokens before the hold
    window.conversation_settings.flush()
    previous = None
    after_stop = []
    for cycle in range(CYCLES):
        if cycle and cycle % 25 == 0:  # keep prompts short: a fresh conversation now and then
            check_conversation(window, all_stopped=True)
            qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
            loop.run_until_complete(until(lambda: not window.chat_view.messages, what="a new conversation"))
        gate.next_reply()
        send(loop, qtbot, window, f"Tell me a long story number {cycle}.", wait=False)
        loop.run_until_complete(until(lambda: gate.holding.is_set() and window.chat_view.reply_text
                                      or not window.session.replying, timeout=300, what="the first words"))
        streaming = window.chat_view.streaming
        assert streaming is not None and window.session.replying, f"reply {cycle} ended before its first words"
        assert streaming is not previous  # every cycle's reply is its own widget
        previous = streaming
        words_at_stop = len(window.chat_view.reply_text.split())
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
        gate.release.set()  # the engine takes its next token, and finds the stop
        loop.run_until_complete(until(lambda: not window.session.replying, what="the stop"))
        assert "stopped" in streaming.stats_label.text(), f"reply {cycle}: {streaming.stats_label.text()!r}"
        after_stop.append(len(streaming.text.split()) - words_at_stop)
    timer.stop()
    check_conversation(window, all_stopped=True)
    assert after_stop == [0] * CYCLES  # not a word after Esc: the engine was held at the stop
    assert len(ticks) > 100  # the event loop kept turning throughout
    gate.open()
    send(loop, qtbot, window, "Thank you.")
    assert window.session.messages[-1].role == "assistant"


def test_20_reloads_across_kv_settings_return_memory_to_baseline(starter_model):
    process = psutil.Process()
    pairs = itertools.cycle([("f16", "f16"), ("q8_0", "q4_0"), ("q4_0", "q4_0"), ("bf16", "q8_0"), ("f32", "f16")])

    async def body():
        host = EngineHost()
        try:
            await host.load(LoadConfig(str(starter_model), n_ctx=8192))
            await host.unload()
            gc.collect()
            baseline = process.memory_info().rss
            for i in range(RELOADS):
                k, v = next(pairs)
                await host.load(LoadConfig(str(starter_model), n_ctx=4096 + 256 * i, type_k=k, type_v=v))
                async for _chunk in host.chat([ChatMessage("user", "Hi")], SamplingParams(max_tokens=4, seed=1)):
                    pass
            await host.unload()
            gc.collect()
            return baseline, process.memory_info().rss
        finally:
            await host.close()

    baseline, after = asyncio.run(body())
    assert after - baseline < RSS_TOLERANCE, f"RSS grew by {(after - baseline) / MIB:.1f} MiB over {RELOADS} reloads"


def long_history(turns: int) -> list[ChatMessage]:
    history = [ChatMessage("system", "You are brief.")]
    for i in range(turns):
        history += [ChatMessage("user", f"Tell me fact number {i} about the ocean, in detail please."),
                    ChatMessage("assistant", f"Fact {i}: the ocean is deep, wide, salty and full of life. " * 3)]
    return history + [ChatMessage("user", "And the last fact?")]


def test_a_conversation_longer_than_the_context_keeps_the_latest_turns(starter_model):
    async def body():
        host = EngineHost()
        try:
            await host.load(LoadConfig(str(starter_model), n_ctx=512))
            history = long_history(30)  # far more than 512 tokens
            async with aclosing(host.chat(history, SamplingParams(max_tokens=32, seed=1))) as chunks:
                done = [c async for c in chunks][-1]
            assert done.phase == "done" and done.stats.dropped_messages > 0
            assert done.stats.dropped_messages % 2 == 0  # whole turns, a question with its answer
            assert done.stats.prompt_tokens + 32 <= 512
            with pytest.raises(ContextOverflowError, match="holds 512"):
                async with aclosing(host.chat(history, SamplingParams(max_tokens=32), overflow=STOP)) as chunks:
                    [c async for c in chunks]
            short = [ChatMessage("user", "Hi")]
            async with aclosing(host.chat(short, SamplingParams(max_tokens=8, seed=1))) as chunks:
                assert [c async for c in chunks][-1].stats.dropped_messages == 0
        finally:
            await host.close()

    asyncio.run(body())


def test_the_window_says_when_old_messages_are_left_out(window, loop, qtbot):
    panel = window.kv_panel
    panel.ctx_length.spin.setValue(512)
    loop.run_until_complete(panel.refresh_plan())
    loop.run_until_complete(window.apply(panel.config()))
    window.conversation_settings.max_tokens.setValue(24)
    window.conversation_settings.flush()
    question = "Tell me about the ocean, its currents, tides, creatures, depths and storms, in detail please. "
    for i in range(8):
        send(loop, qtbot, window, f"{i}: {question * 3}")
    notice = window.banner.label.text()
    assert window.banner.isVisible() and "oldest messages were left out" in notice
    assert "oldest messages left out" in window.chat_view.messages[-1].stats_label.text()
    assert len(window.store.messages(window.session.conversation.id)) == 16  # nothing is deleted, only not sent


def test_changing_settings_while_a_reply_streams_stops_it_then_reloads(window, loop, qtbot):
    window.conversation_settings.max_tokens.setValue(400)
    window.conversation_settings.flush()
    send(loop, qtbot, window, "Write a long story about a mountain.", wait=False)
    loop.run_until_complete(until(lambda: len(window.chat_view.reply_text) > 30, what="the reply"))
    panel = window.kv_panel
    panel.set_types("q8_0", "q8_0")
    loop.run_until_complete(panel.refresh_plan())
    qtbot.mouseClick(panel.summary.apply_button, Qt.MouseButton.LeftButton)
    loop.run_until_complete(until(lambda: window.host.report is not None and window.host.report.type_k == "q8_0"
                                  and not panel.busy, what="the reload"))
    stored = window.store.messages(window.session.conversation.id)
    assert stored[-1].role == "assistant" and stored[-1].finish_reason == "cancelled" and len(stored[-1].content) > 30
    send(loop, qtbot, window, "Hello.")
    assert window.session.messages[-1].stats.type_k == "q8_0"
