"""The memory gauge in the real window: the saving against f16 as llama.cpp allocated it, the Context bar
of the conversation on screen, the bar filling while a long prompt is read, and a few cells still showing."""

from __future__ import annotations

import threading

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.core.conversation import kept_cache_name
from app.core.store import ConversationStore
from app.engine.host import EngineHost
from app.engine.kept.caches import KeptCaches
from app.engine.memory import MIB
from app.ui.kv.memory_gauge import USED_COLOR, GaugeBar
from app.ui.main_window import MainWindow
from app.ui.style import GOOD_COLOR, mib
from tests.ui.conftest import send, until


def load_from_panel(window, loop) -> None:
    panel = window.kv_panel
    loop.run_until_complete(panel.refresh_plan())
    before = window.host.report
    assert loop.run_until_complete(window.apply(panel.config()))
    assert window.host.report is not before


def test_the_compact_window_saves_against_the_full_f16_cache_as_llama_cpp_allocated_it(window, loop, gemma_model):
    panel, gauge = window.kv_panel, window.gauge
    panel.select_model(str(gemma_model))
    panel.ctx_length.spin.setValue(8192)
    panel.set_types("f16", "f16")
    panel.window_check.setChecked(True)
    load_from_panel(window, loop)
    compact = window.host.report
    assert compact.compact_window and compact.kv.total == 39 * MIB  # measured: 144 MiB with the full window
    shown_f16 = compact.f16_kv_bytes
    saving = shown_f16 - compact.kv.total
    percent = 100 * saving / shown_f16
    assert f"<b>saves {mib(saving)} ({percent:.1f} %)</b>" in gauge.saving_label.text()
    assert GOOD_COLOR in gauge.saving_label.text()
    assert gauge.f16_label.text() == mib(shown_f16)
    assert f"saves <b>{mib(saving)} ({percent:.1f} %)</b>" in panel.summary.estimate_label.text()

    # The reference is what llama.cpp allocates for f16/f16 with the full-size window: load it and compare.
    panel.window_check.setChecked(False)
    load_from_panel(window, loop)
    full = window.host.report
    assert not full.compact_window
    assert full.kv.total == shown_f16 == 144 * MIB  # to the byte
    assert "saves 0.0 MiB (0.0 %)" in gauge.saving_label.text()


def short_replies(window) -> None:
    window.conversation_settings.max_tokens.setValue(8)
    window.conversation_settings.flush()


def new_conversation_by_keyboard(loop, qtbot, window) -> int:
    before = window.session.conversation.id
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    loop.run_until_complete(until(lambda: window.session.conversation.id != before, what="Ctrl+N"))
    return window.session.conversation.id


def shown_context(window) -> tuple[str, float]:
    bar = window.gauge.context_bar.segments
    return window.gauge.context_label.text(), sum(fraction for fraction, _ in bar)


def test_the_context_bar_shows_the_conversation_on_screen(window, loop, qtbot):
    short_replies(window)
    send(loop, qtbot, window, "Name three colours.")
    a = window.session.conversation.id
    held = loop.run_until_complete(window.host.usage())
    assert held.cells_used > 0
    in_a = (f"{held.cells_used:,} / 4,096 tokens", held.cells_used / 4096)
    assert shown_context(window) == in_a

    new_conversation_by_keyboard(loop, qtbot, window)
    assert shown_context(window) == ("0 / 4,096 tokens: this conversation is empty", 0.0)

    loop.run_until_complete(window.open_conversation(a))  # the context still holds A
    assert shown_context(window) == in_a

    # Once another conversation replies, A is no longer in the context: the bar says what A would take.
    new_conversation_by_keyboard(loop, qtbot, window)
    send(loop, qtbot, window, "Name a fruit.")
    b_cells = loop.run_until_complete(window.host.usage()).cells_used
    assert shown_context(window)[0] == f"{b_cells:,} / 4,096 tokens"
    loop.run_until_complete(window.open_conversation(a))
    stats = window.session.messages[-1].stats
    taken = stats.prompt_tokens + stats.generated_tokens
    assert shown_context(window) == (
        f"Not in the context: about {taken:,} / 4,096 tokens to read at its next reply", taken / 4096)
    assert not window.gauge.window_bar.isVisibleTo(window.gauge)


@pytest.mark.slow
def test_a_conversation_with_a_kept_cache_shows_the_tokens_its_cache_holds(tmp_path, loop, qtbot):
    kept = KeptCaches(tmp_path / "kept")
    window = MainWindow(EngineHost(kept=kept), ConversationStore(tmp_path / "c.sqlite3"), tmp_path / "s.json")
    window.show()
    window.activateWindow()
    QTest.qWaitForWindowActive(window, 5000)
    try:
        loop.run_until_complete(window.start())
        short_replies(window)
        send(loop, qtbot, window, "Name a river.")
        a = window.session.conversation.id
        a_cells = loop.run_until_complete(window.host.usage()).cells_used
        new_conversation_by_keyboard(loop, qtbot, window)
        send(loop, qtbot, window, "Name a mountain.")  # A's cache leaves the context for the kept caches
        loop.run_until_complete(window.open_conversation(a))
        window.kept_caches.refresh()
        (cache,) = [c for c in kept.listing() if c.conversation == kept_cache_name(a)]
        assert cache.tokens == a_cells
        assert shown_context(window) == (
            f"{a_cells:,} / 4,096 tokens in its kept cache, put back at its next reply", a_cells / 4096)
        send(loop, qtbot, window, "And another one?")  # back in the context: the engine's own count again
        now = loop.run_until_complete(window.host.usage()).cells_used
        assert now > a_cells and shown_context(window) == (f"{now:,} / 4,096 tokens", now / 4096)
    finally:
        loop.run_until_complete(window.shutdown())
        shiboken6.delete(window)


class PromptSteps:
    """Holds the engine thread before each batch of a prompt's reading (the real llama.cpp eval runs after),
    so that the test sees the window between two 512-token steps. A single token (generation) passes."""

    def __init__(self, llm) -> None:
        self._llm = llm
        self._eval = llm.eval
        self.held_at: int | None = None  # the context's tokens when the engine was held
        self._arrived = threading.Event()
        self._go = threading.Event()
        self._open = False
        llm.eval = self.eval

    def eval(self, tokens):
        if len(tokens) > 1 and not self._open:
            self.held_at = self._llm.n_tokens
            self._go.clear()
            self._arrived.set()
            self._go.wait()
        return self._eval(tokens)

    @property
    def waiting(self) -> bool:
        return self._arrived.is_set()

    def release(self) -> None:
        self._arrived.clear()
        self._go.set()

    def open(self) -> None:
        self._open = True
        self.release()
        self._llm.eval = self._eval


def test_the_context_bar_fills_at_every_step_while_a_long_prompt_is_read(window, loop, qtbot):
    short_replies(window)
    progress = []
    window.session.sig_reply_reading_prompt.connect(progress.append)
    steps = PromptSteps(window.host._engine.loaded().llm)  # the real Llama of the engine thread
    shown = []
    try:
        send(loop, qtbot, window, "Summarize: " + "the river flows past the old mill and the hills. " * 150,
             wait=False)
        while True:
            loop.run_until_complete(until(lambda: steps.waiting or not window.session.replying,
                                          what="the next step of the prompt"))
            if not steps.waiting:
                break
            held = steps.held_at  # the engine waits: the window must show what the context holds now
            loop.run_until_complete(until(lambda: window.gauge.context_label.text() == f"{held:,} / 4,096 tokens",
                                          what=f"the Context bar at {held} tokens"))
            shown.append(shown_context(window)[1])
            if held:
                status = window.chat_view.streaming.status_label.text()
                last = progress[-1]
                assert last.read == held and f"{last.percent} % of {last.total:,} tokens" in status
            steps.release()
    finally:
        steps.open()
    assert len(shown) >= 3  # ~1,500 tokens, 512 at a time
    assert shown[0] == 0.0 and shown == sorted(set(shown)) and shown[-1] >= 1024 / 4096
    final = loop.run_until_complete(window.host.usage()).cells_used
    assert shown_context(window) == (f"{final:,} / 4,096 tokens", final / 4096) and final > progress[-1].read


def test_a_few_cells_of_a_long_context_still_show_on_the_bar(qtbot):
    bar = GaugeBar()
    qtbot.addWidget(bar)
    bar.resize(290, 14)
    bar.set_segments([(66 / 32768, USED_COLOR)])  # a fifth of a pixel, by proportion
    image = bar.grab().toImage()
    filled = [x for x in range(image.width()) if image.pixelColor(x, 7) == USED_COLOR]
    assert len(filled) >= 2 and filled[0] <= 2
    bar.set_segments([(0.0, USED_COLOR)])
    image = bar.grab().toImage()
    assert not [x for x in range(image.width()) if image.pixelColor(x, 7) == USED_COLOR]
