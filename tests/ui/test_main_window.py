"""The real window driven as a user drives it: chat, stop, KV settings, restart, bad models."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.engine.history_fit import STOP
from app.engine.memory import MIB
from tests import model_files
from tests.ui.conftest import send, until


def stored_messages(windows):
    with sqlite3.connect(windows.db_path) as db:
        return db.execute("SELECT role, content, finish_reason FROM messages ORDER BY id").fetchall()


def test_the_window_starts_on_the_starter_model(window, starter_model):
    report = window.host.report
    assert report is not None and report.model.path == str(starter_model)
    assert window.gauge.report is report
    assert window.kv_panel.summary.status_label.text() == "Loaded"
    assert not window.kv_panel.summary.apply_button.isEnabled()
    assert "f16" in window.statusBar().currentMessage()


def test_send_a_message_and_see_the_reply_stream(window, windows, loop, qtbot):
    usage_updates = []
    window.session.sig_usage.connect(usage_updates.append)
    send(loop, qtbot, window, "What is the capital of France?")
    user, reply = window.chat_view.messages
    assert (user.role, reply.role) == ("user", "assistant")
    assert reply.text.strip()
    assert len(usage_updates) > 3  # the gauge heard about cells as tokens streamed
    cells = [u.cells_used for u in usage_updates]
    assert cells == sorted(cells) and cells[-1] > cells[0]
    stats_line = reply.stats_label.text()
    assert "tok/s" in stats_line and "K f16 / V f16" in stats_line and "first token" in stats_line
    assert stored_messages(windows) == [("user", "What is the capital of France?", None),
                                        ("assistant", reply.text, "stop")]
    shown_used = int(window.gauge.context_label.text().split(" / ")[0].replace(",", ""))
    assert shown_used >= cells[-1] and window.gauge.context_label.text().endswith("/ 4,096 tokens")


def test_stop_mid_reply_keeps_what_was_written(window, windows, loop, qtbot):
    window.conversation_settings.max_tokens.setValue(400)
    window.conversation_settings.flush()
    send(loop, qtbot, window, "Write a very long story about a dragon and a knight.", wait=False)
    loop.run_until_complete(until(lambda: len(window.chat_view.reply_text) > 40, what="some reply text"))
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    loop.run_until_complete(until(lambda: not window.session.replying, what="the stop"))
    reply = window.chat_view.messages[-1]
    assert "stopped" in reply.stats_label.text()
    role, content, finish = stored_messages(windows)[-1]
    assert (role, finish) == ("assistant", "cancelled")
    assert content == reply.text and len(content) > 40
    # the chat carries on
    window.conversation_settings.max_tokens.setValue(40)
    window.conversation_settings.flush()
    send(loop, qtbot, window, "Thanks. What is 2 + 2?")
    assert stored_messages(windows)[-1][2] in ("stop", "length")


def test_changing_kv_precision_reloads_and_the_gauge_shows_measured_bytes(window, loop, qtbot):
    before = window.host.report
    maximum = next(b for b, k, v in window.kv_panel.preset_buttons if (k, v) == ("q4_0", "q4_0"))
    qtbot.mouseClick(maximum, Qt.MouseButton.LeftButton)
    loop.run_until_complete(window.kv_panel.refresh_plan())
    panel = window.kv_panel
    assert panel.k_combo.currentData() == "q4_0" and panel.v_combo.currentData() == "q4_0"
    assert "Auto: on" in panel.fa_help.text()
    assert f"{before.kv.total * 0.28125 / MIB:,.1f} MiB" in panel.summary.estimate_label.text()
    assert panel.summary.apply_button.isEnabled()
    qtbot.mouseClick(panel.summary.apply_button, Qt.MouseButton.LeftButton)
    loop.run_until_complete(until(lambda: window.host.report is not before and not panel.busy, what="the reload"))
    after = window.host.report
    assert after.kv.total == before.kv.total * 0.28125 == after.estimate.kv_bytes
    assert window.gauge.report is after
    assert f"{after.kv.total / MIB:,.1f} MiB" in window.gauge.kv_label.text()
    assert f"{after.saving_bytes / MIB:,.1f} MiB ({after.saving_percent:.1f} %)" in window.gauge.saving_label.text()
    assert window.gauge.kv_bar.segments[0][0] < window.gauge.f16_bar.segments[0][0]
    assert panel.summary.status_label.text() == "Loaded"


def test_settings_and_conversations_survive_a_restart(windows, loop, qtbot):
    first = windows.new()
    first.kv_panel.set_types("q8_0", "q8_0")
    first.kv_panel.ctx_length.spin.setValue(2048)
    loop.run_until_complete(first.kv_panel.refresh_plan())
    assert loop.run_until_complete(first.apply(first.kv_panel.config()))
    first.conversation_settings.system_prompt.setPlainText("Answer in one sentence.")
    first.conversation_settings.flush()
    panel = first.kv_panel
    panel.overflow_combo.setCurrentIndex(panel.overflow_combo.findData(STOP))
    assert first.settings.overflow_policy == STOP and first.session.overflow_policy == STOP  # one owner, read
    send(loop, qtbot, first, "Name a big city in Japan.")
    texts = [m.text for m in first.chat_view.messages]
    windows.close(first)

    second = windows.new()
    panel = second.kv_panel
    assert (panel.k_combo.currentData(), panel.v_combo.currentData(), panel.ctx_length.spin.value()) == ("q8_0", "q8_0", 2048)
    assert second.host.report.type_k == "q8_0" and second.host.report.n_ctx == 2048
    assert [m.text for m in second.chat_view.messages] == texts
    assert second.conversation_settings.system_prompt.toPlainText() == "Answer in one sentence."
    assert panel.overflow_combo.currentData() == STOP and second.session.overflow_policy == STOP
    assert second.conversations.list.count() == 1
    assert second.conversations.list.item(0).text().startswith("Name a big city")


def test_a_broken_model_shows_an_error_and_the_app_still_chats(window, loop, qtbot, tmp_path, starter_model):
    good = window.host.report
    broken = model_files.truncated_copy(starter_model, tmp_path / "broken.gguf")
    window.open_model(str(broken))
    loop.run_until_complete(until(lambda: window.banner.isVisible(), what="the error banner"))
    assert "truncated" in window.banner.label.text()
    assert window.host.report is good
    loop.run_until_complete(until(lambda: not window.kv_panel.busy, what="the panel"))
    send(loop, qtbot, window, "Say hello.")
    assert window.chat_view.messages[-1].text.strip()


def test_an_impossible_setting_is_refused_before_loading(window, loop):
    panel = window.kv_panel
    panel.set_types("f16", "q4_0")
    panel.fa_combo.setCurrentIndex(panel.fa_combo.findData("off"))
    loop.run_until_complete(panel.refresh_plan())
    assert "needs flash attention" in panel.summary.message_label.text()
    assert not panel.summary.apply_button.isEnabled()


def test_edit_and_regenerate(window, windows, loop, qtbot):
    send(loop, qtbot, window, "What is the capital of Italy?")
    first_user = window.chat_view.messages[0]
    qtbot.mouseClick(first_user.edit_button, Qt.MouseButton.LeftButton)
    assert window.composer.edit.toPlainText() == "What is the capital of Italy?"
    send(loop, qtbot, window, "What is the capital of Spain?")
    rows = stored_messages(windows)
    assert [r[0] for r in rows] == ["user", "assistant"] and rows[0][1] == "What is the capital of Spain?"
    window.conversation_settings.temperature.setValue(1.2)
    window.conversation_settings.flush()
    last = window.chat_view.messages[-1]
    assert last.regenerate_button.isVisibleTo(window)
    qtbot.mouseClick(last.regenerate_button, Qt.MouseButton.LeftButton)
    loop.run_until_complete(until(lambda: not window.session.replying, what="the new reply"))
    rows = stored_messages(windows)
    assert [r[0] for r in rows] == ["user", "assistant"]
    assert len(window.chat_view.messages) == 2
    assert rows[1][1] == window.chat_view.messages[1].text


def test_enter_sends_and_shift_enter_makes_a_new_line(window, loop, qtbot):
    edit = window.composer.edit
    qtbot.keyClicks(edit, "line one")
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(edit, "line two")
    assert edit.toPlainText() == "line one\nline two"
    assert not window.session.replying
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert window.session.replying and edit.toPlainText() == ""
    assert window.chat_view.messages[0].text == "line one\nline two"
    loop.run_until_complete(until(lambda: not window.session.replying, what="the reply"))


def test_conversation_sidebar(window, windows, loop, qtbot):
    send(loop, qtbot, window, "First conversation here.")
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    loop.run_until_complete(until(lambda: window.conversations.list.count() == 2, what="a new conversation"))
    assert window.chat_view.messages == []
    send(loop, qtbot, window, "Second one about bananas.")
    titles = [window.conversations.list.item(i).text() for i in range(2)]
    assert titles[0].startswith("Second one") and titles[1].startswith("First conversation")
    window.conversations.search.setText("banana")
    assert window.conversations.list.count() == 1
    window.conversations.search.setText("")
    item = window.conversations.list.item(1)
    item.setText("Renamed")
    assert window.store.conversation(item.data(Qt.ItemDataRole.UserRole)).title == "Renamed"
    window.conversations.list.setCurrentRow(1)
    loop.run_until_complete(until(lambda: window.chat_view.messages and
                                  window.chat_view.messages[0].text == "First conversation here.",
                                  what="switching conversations"))
    qtbot.mouseClick(window.conversations.delete_button, Qt.MouseButton.LeftButton)
    loop.run_until_complete(until(lambda: window.conversations.list.count() == 1, what="the deletion"))
    assert window.chat_view.messages[0].text == "Second one about bananas."


def test_code_blocks_are_highlighted_and_copyable(window):
    widget = window.chat_view.add_message("assistant", "Here:\n\n```python\ndef f(x):\n    return x[::-1]\n```\n")
    assert "Copy code" in widget.body.toHtml()
    widget.body.sig_copy_code.emit(0)
    assert QGuiApplication.clipboard().text() == "def f(x):\n    return x[::-1]\n"
    widget.copy_button.click()
    assert QGuiApplication.clipboard().text().startswith("Here:")


def test_closing_mid_reply_saves_the_partial_reply(windows, loop, qtbot):
    window = windows.new()
    window.conversation_settings.max_tokens.setValue(400)
    window.conversation_settings.flush()
    send(loop, qtbot, window, "Tell me a long story about the sea.", wait=False)
    loop.run_until_complete(until(lambda: len(window.chat_view.reply_text) > 20, what="some reply text"))
    closed = []
    window.sig_closed.connect(lambda: closed.append(True))
    window.close()
    loop.run_until_complete(until(lambda: closed, timeout=10, what="the window to close"))
    role, content, finish = stored_messages(windows)[-1]
    assert role == "assistant" and finish == "cancelled" and len(content) > 20
    assert not window.isVisible()


def test_a_base_model_is_continued_as_plain_text(window, loop, qtbot, gemma_model):
    window.open_model(str(gemma_model))
    loop.run_until_complete(until(lambda: window.host.report is not None and window.host.report.model.path == str(gemma_model)
                                  and not window.kv_panel.busy, what="Gemma to load"))
    assert "no chat template" in window.banner.label.text()
    assert window.kv_panel.window_check.isVisible()
    window.conversation_settings.max_tokens.setValue(24)
    window.conversation_settings.flush()
    send(loop, qtbot, window, "The capital of France is")
    assert window.chat_view.messages[-1].text.strip()


def test_show_earlier_messages_adds_a_page_above_and_keeps_the_view_still(window, loop):
    from app.core.store import StoredMessage
    from app.ui.chat.chat_view import PAGE_SIZE

    view = window.chat_view
    texts = [f"message {i}\n\nwith a second paragraph" for i in range(PAGE_SIZE + 30)]
    view.show_messages([StoredMessage(i + 1, "user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(texts)])
    assert [w.text for w in view.messages] == texts[30:] and view.hidden_count == 30
    assert "30" in view.earlier_button.text()
    bar = view.verticalScrollBar()
    loop.run_until_complete(until(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), what="the bottom"))
    bar.setValue(0)  # the user scrolls up to the top, to the button
    first = view.messages[0]
    offset = first.y() - bar.value()
    view.earlier_button.click()
    assert [w.text for w in view.messages] == texts and view.hidden_count == 0
    assert not view.earlier_button.isVisible()
    loop.run_until_complete(until(lambda: bar.value() > 0 and first.y() - bar.value() == offset,
                                  what="the view to stay on the message that was first"))
