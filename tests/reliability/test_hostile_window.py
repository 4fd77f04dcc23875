"""The window against hostile state: a conversation deleted by another app, rows and model headers that
raise, a conversation of thousands of messages or one of a hundred megabytes, steps of closing that fail.
Whatever happens, nothing typed is lost, the window starts, stays responsive, and closes."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from gguf import GGUFWriter
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QTextBrowser

import app.core.store_schema as store_schema
from app.core.paths import cache_dir
from app.core.store import ConversationStore
from app.main import main
from app.ui import main_window as main_window_module
from app.ui.chat import chat_view as chat_view_module
from app.ui.chat.message_widget import DISPLAY_LIMIT, MessageWidget
from app.ui.main_window import MainWindow
from tests.ui.conftest import send, until

# -- helpers -------------------------------------------------------------------------------


def rows(db_path, sql, args=()):
    with sqlite3.connect(db_path) as db:
        return db.execute(sql, args).fetchall()


def conversations(db_path):
    return rows(db_path, "SELECT id, title, system_prompt, sampling FROM conversations ORDER BY id")


def messages(db_path, conversation_id):
    return rows(db_path, "SELECT role, content, finish_reason FROM messages WHERE conversation_id = ? ORDER BY id",
                (conversation_id,))


def short_replies(window, tokens: int = 8) -> None:
    window.conversation_settings.max_tokens.setValue(tokens)
    window.conversation_settings.flush()


def seed_conversation(db_path, contents, title="Seeded", stats=None) -> int:
    """A conversation written straight into the database in one transaction (user/assistant in turn)."""
    ConversationStore(db_path).close()  # the schema
    with sqlite3.connect(db_path) as db:
        cid = db.execute("INSERT INTO conversations(title, created, updated) VALUES (?, 0, 0)", (title,)).lastrowid
        db.executemany(
            "INSERT INTO messages(conversation_id, role, content, stats, created) VALUES (?, ?, ?, ?, 0)",
            [(cid, "user" if i % 2 == 0 else "assistant", text, stats if i % 2 else None)
             for i, text in enumerate(contents)])
    return cid


def block_count_two(path):
    """A llama GGUF whose llama.block_count is the string "two"."""
    writer = GGUFWriter(str(path), "llama")
    writer.add_string("llama.block_count", "two")
    writer.add_context_length(256)
    writer.add_embedding_length(64)
    writer.add_feed_forward_length(128)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list([f"t{i}" for i in range(8)])
    writer.add_token_types([1] * 8)
    writer.add_token_merges([])
    writer.add_tensor("token_embd.weight", np.zeros((8, 64), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


# -- a conversation deleted by another app (F8) -----------------------------------------------


def test_send_into_a_conversation_another_window_deleted_saves_it_again(windows, loop, qtbot):
    first = windows.new()
    short_replies(first)
    first.conversation_settings.system_prompt.setPlainText("Answer in a few words.")
    first.conversation_settings.temperature.setValue(0.7)
    first.conversation_settings.flush()
    send(loop, qtbot, first, "Name a colour.")
    old_id = first.session.conversation.id
    reply = first.chat_view.messages[-1].text

    second = windows.new(start=False)
    loop.run_until_complete(second.delete_conversation(old_id))
    assert old_id not in [c[0] for c in conversations(windows.db_path)]

    send(loop, qtbot, first, "Name a fruit.")
    assert first.composer.edit.toPlainText() == ""
    new_id = first.session.conversation.id  # SQLite may reuse the deleted row's id
    (title, system_prompt, sampling), = rows(windows.db_path, "SELECT title, system_prompt, sampling "
                                             "FROM conversations WHERE id = ?", (new_id,))
    assert title == "Name a colour." and system_prompt == "Answer in a few words."
    assert json.loads(sampling)["temperature"] == pytest.approx(0.7)
    saved = messages(windows.db_path, new_id)
    assert [(r, c) for r, c, _ in saved[:3]] == [("user", "Name a colour."), ("assistant", reply),
                                                ("user", "Name a fruit.")]
    assert saved[3][0] == "assistant" and saved[3][1] == first.chat_view.messages[-1].text
    assert "saved again as a new conversation" in first.banner.label.text()
    assert first.conversations.current_id() == new_id
    assert [w.message_id for w in first.chat_view.messages] == [m.id for m in first.session.messages]
    # the saved-again conversation is an ordinary one: editing its first message works
    qtbot.mouseClick(first.chat_view.messages[0].edit_button, Qt.MouseButton.LeftButton)
    send(loop, qtbot, first, "Name a tree.")
    assert [c for _, c, _ in messages(windows.db_path, new_id)][:1] == ["Name a tree."]
    assert len(messages(windows.db_path, new_id)) == 2


def test_the_first_message_of_a_conversation_deleted_elsewhere_is_kept(windows, loop, qtbot):
    window = windows.new()
    short_replies(window)
    old_id = window.session.conversation.id
    assert window.session.messages == []
    ConversationStore(windows.db_path).delete(old_id)  # another app, on the same file

    send(loop, qtbot, window, "Hello there.")
    new_id = window.session.conversation.id
    (title,), = rows(windows.db_path, "SELECT title FROM conversations WHERE id = ?", (new_id,))
    assert title == "Hello there."
    saved = messages(windows.db_path, new_id)
    assert saved[0][:2] == ("user", "Hello there.") and saved[1][0] == "assistant"
    assert "saved again" in window.banner.label.text()


def test_a_reply_that_ends_in_a_vanished_conversation_is_saved(windows, loop, qtbot):
    window = windows.new()
    short_replies(window, 400)
    send(loop, qtbot, window, "Write a long story about a lighthouse keeper.", wait=False)
    loop.run_until_complete(until(lambda: window.session.replying and len(window.chat_view.reply_text) > 20,
                                  what="some reply text"))
    old_id = window.session.conversation.id
    ConversationStore(windows.db_path).delete(old_id)  # while the reply streams
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    loop.run_until_complete(until(lambda: not window.session.replying, what="the stop"))

    new_id = window.session.conversation.id
    saved = messages(windows.db_path, new_id)
    assert saved[0][:2] == ("user", "Write a long story about a lighthouse keeper.")
    assert saved[1] == ("assistant", window.chat_view.messages[-1].text, "cancelled")
    assert len(saved[1][1]) > 20
    assert "saved again" in window.banner.label.text()


def test_when_saving_again_fails_the_text_stays_in_the_composer(windows, loop, qtbot, monkeypatch):
    monkeypatch.setattr(store_schema, "LOCK_TIMEOUT_SECONDS", 0.2)
    window = windows.new()
    short_replies(window)
    send(loop, qtbot, window, "Name a river.")
    ConversationStore(windows.db_path).delete(window.session.conversation.id)
    other = sqlite3.connect(windows.db_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the file: nothing can be written
    try:
        send(loop, qtbot, window, "Name a mountain.")
        assert window.composer.edit.toPlainText() == "Name a mountain."
        assert "locked" in window.banner.label.text()
    finally:
        other.execute("ROLLBACK")
        other.close()
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)  # the same text, sent again, now saves
    loop.run_until_complete(until(lambda: not window.session.replying, what="the reply"))
    saved = messages(windows.db_path, window.session.conversation.id)
    assert [c for _, c, _ in saved][::2] == ["Name a river.", "Name a mountain."]


# -- the window always starts (F6, and a model given on the command line) ------------------------


def test_the_window_starts_when_the_last_conversation_has_stats_of_wrong_types(windows):
    broken = seed_conversation(windows.db_path, ["Hi.", "Hello!"], title="Odd stats",
                               stats=json.dumps({"generated_tokens": 3, "time_to_first_token": "x"}))
    window = windows.new()
    assert window.host.report is not None  # the model loaded: start-up went on to the end
    conversation = window.session.conversation
    assert conversation is not None
    if conversation.id == broken:  # a store that reads the row safely shows it
        assert [w.text for w in window.chat_view.messages] == ["Hi.", "Hello!"]
    else:
        assert "cannot be shown" in window.banner.label.text()
    assert messages(windows.db_path, broken) == [("user", "Hi.", None), ("assistant", "Hello!", None)]


@pytest.mark.parametrize("failing", ["messages", "conversation", "conversations"])
def test_the_window_starts_when_reading_the_store_raises(windows, monkeypatch, failing):
    broken = seed_conversation(windows.db_path, ["Hi.", "Hello!"], title="Unreadable")
    real = getattr(ConversationStore, failing)

    def raising(self, *args):
        if failing == "conversations" or (args and args[0] == broken):
            raise RuntimeError("row 1 is unreadable")
        return real(self, *args)

    monkeypatch.setattr(ConversationStore, failing, raising)
    window = windows.new()
    assert "row 1 is unreadable" in window.banner.label.text()
    assert window.session.conversation is not None and window.session.conversation.id != broken
    assert window.host.report is not None
    assert messages(windows.db_path, broken)  # nothing was deleted


def start_from_the_command_line(monkeypatch, argv):
    """`kvchat ARGS` as a user runs it; the window closes itself once started. Returns (rc, window)."""
    started = []
    real_start = MainWindow.start

    async def start_then_close(self, open_model=None):
        await real_start(self, open_model)
        started.append(self)
        self.close()

    monkeypatch.setattr(MainWindow, "start", start_then_close)
    rc = main(argv)
    assert started, "the window never finished starting"
    return rc, started[0]


def test_kvchat_with_a_model_whose_header_raises_starts_the_window(monkeypatch, tmp_path):
    path = block_count_two(tmp_path / "two-layers.gguf")
    rc, window = start_from_the_command_line(monkeypatch, [str(path)])
    assert rc == 0
    assert window.host.report is None
    assert window.banner.label.text() and "load" in window.banner._messages


def test_kvchat_starts_even_when_planning_the_model_raises(monkeypatch, tmp_path, starter_model):
    def exploding_planner(*_args, **_kwargs):
        raise RuntimeError("the planner fell over")

    monkeypatch.setattr("app.engine.host.plan_load", exploding_planner)
    rc, window = start_from_the_command_line(monkeypatch, [str(starter_model)])
    assert rc == 0
    assert "the planner fell over" in window.banner.label.text()
    assert window.host.report is None


def test_kvchat_with_a_folder_named_like_a_model_starts_the_window(monkeypatch, tmp_path):
    folder = tmp_path / "folder.gguf"
    folder.mkdir()
    rc, window = start_from_the_command_line(monkeypatch, [str(folder)])
    assert rc == 0
    assert "folder" in window.banner.label.text()


def test_kvchat_starts_on_a_settings_file_that_makes_the_reader_raise(monkeypatch, tmp_path):
    settings = tmp_path / "config" / "kvchat" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("[" * 100_000)
    monkeypatch.setattr("app.ui.application.settings_path", lambda: settings)
    rc, window = start_from_the_command_line(monkeypatch, [])
    assert rc == 0
    assert "defaults are used" in window.banner.label.text()


def test_a_failure_before_the_window_exists_is_a_message_not_a_traceback(monkeypatch, capfd):
    def broken_window(*_args):
        raise RuntimeError("no display")

    monkeypatch.setattr("app.ui.application.create_window", broken_window)
    assert main([]) == 1
    err = capfd.readouterr().err
    assert "KV Chat could not start: no display" in err and "Traceback" not in err
    details = cache_dir() / "start-failure.txt"
    assert str(details) in err and "RuntimeError: no display" in details.read_text()


# -- huge conversations stay responsive (F7, the display) ------------------------------------------


def test_a_conversation_of_5000_messages_builds_widgets_for_one_page(windows, loop, qtbot):
    contents = [f"message {i}" for i in range(5000)]
    cid = seed_conversation(windows.db_path, contents, title="Long")
    window = windows.new()
    view = window.chat_view
    page = chat_view_module.PAGE_SIZE
    assert window.session.conversation.id == cid and len(window.session.messages) == 5000
    assert len(view.findChildren(MessageWidget)) == page == len(view.messages)
    assert len(view.findChildren(QTextBrowser)) == page
    assert [w.text for w in view.messages] == contents[-page:]
    assert view.earlier_button.isVisible() and f"{5000 - page}" in view.earlier_button.text()

    qtbot.mouseClick(view.earlier_button, Qt.MouseButton.LeftButton)
    assert len(view.messages) == 2 * page and view.hidden_count == 5000 - 2 * page
    assert [w.text for w in view.messages] == contents[-2 * page:]
    assert len(view.findChildren(MessageWidget)) == 2 * page

    # edit a message of the page shown last: the conversation is cut there, in the view and the store
    short_replies(window)
    edited = view.messages[0]
    assert edited.role == "user" and edited.text == contents[5000 - 2 * page]
    qtbot.mouseClick(edited.edit_button, Qt.MouseButton.LeftButton)
    send(loop, qtbot, window, "An edited question.")
    kept = 5000 - 2 * page
    assert len(window.session.messages) == kept + 2 == view.count
    assert view.hidden_count == kept and [w.role for w in view.messages] == ["user", "assistant"]
    assert view.messages[0].text == "An edited question."
    saved = messages(windows.db_path, cid)
    assert len(saved) == kept + 2 and saved[kept][1] == "An edited question."
    assert [w.message_id for w in view.messages] == [m.id for m in window.session.messages[-2:]]

    # regenerate the last reply; then the earlier pages still come, in order
    qtbot.mouseClick(view.messages[-1].regenerate_button, Qt.MouseButton.LeftButton)
    loop.run_until_complete(until(lambda: not window.session.replying, what="the new reply"))
    assert len(messages(windows.db_path, cid)) == kept + 2 == view.count
    view.show_earlier()
    assert [w.text for w in view.messages[:page]] == contents[kept - page:kept]


def test_a_100_mb_message_is_shown_bounded_and_copied_whole(windows, qapp):
    huge = "All work and no play. " * (100 * 1024 * 1024 // 22)
    seed_conversation(windows.db_path, ["Say it a lot.", huge], title="Huge")
    window = windows.new()
    widget = window.chat_view.messages[-1]
    assert widget.text == huge
    assert widget.is_cut and widget.cut_label.isVisibleTo(window)
    assert widget.body.document().characterCount() <= DISPLAY_LIMIT + 1
    assert f"{len(huge):,}" in widget.cut_label.text()
    widget.copy_button.click()
    assert len(QGuiApplication.clipboard().text()) == len(huge)
    QGuiApplication.clipboard().clear()


def test_a_streamed_reply_past_the_limit_is_drawn_bounded(window):
    view = window.chat_view
    widget = view.begin_reply()
    chunk = "token " * 1000
    for _ in range(3 * DISPLAY_LIMIT // len(chunk)):
        view.append_reply_text(chunk)
        view._flush()
    assert widget.is_cut and widget.body.document().characterCount() <= DISPLAY_LIMIT + 1
    text = view.finish_reply(None, "stop", None)
    assert len(text) >= 3 * DISPLAY_LIMIT - len(chunk) and widget.text == text
    view.remove_from(view.count - 1)


# -- the window always closes ---------------------------------------------------------------------


def test_the_window_closes_when_steps_of_closing_fail(windows, loop, monkeypatch):
    window = windows.new()
    store = window.store

    def fail(*_args, **_kwargs):
        raise RuntimeError("this step fails")

    monkeypatch.setattr(window.settings_keeper, "save", fail)
    monkeypatch.setattr(window.kv_panel, "stop", fail)
    monkeypatch.setattr(window.conversation_settings, "flush", fail)
    lab = window.open_lab()
    monkeypatch.setattr(lab, "close", fail)
    monkeypatch.setattr(window.store, "close", fail)
    closed = []
    window.sig_closed.connect(lambda: closed.append(True))
    window.close()
    loop.run_until_complete(until(lambda: closed, timeout=30, what="the window to close"))
    assert not window.isVisible()
    assert not window.host._thread.is_alive()  # the engine was shut down after the failed steps
    monkeypatch.undo()
    store.close()


def test_a_reply_that_does_not_stop_is_saved_as_far_as_it_got_and_the_window_closes(windows, loop, qtbot,
                                                                                     monkeypatch):
    monkeypatch.setattr(main_window_module, "SHUTDOWN_REPLY_WAIT_SECONDS", 0.2)
    window = windows.new()
    short_replies(window, 400)
    send(loop, qtbot, window, "Tell me a long story about a mountain.", wait=False)
    loop.run_until_complete(until(lambda: len(window.chat_view.reply_text) > 20, what="some reply text"))
    monkeypatch.setattr(window.host, "cancel", lambda: None)  # an engine that ignores Stop
    closed = []
    window.sig_closed.connect(lambda: closed.append(True))
    window.close()
    loop.run_until_complete(until(lambda: closed, timeout=30, what="the window to close"))
    role, content, finish = rows(windows.db_path, "SELECT role, content, finish_reason FROM messages "
                                 "ORDER BY id")[-1]
    assert role == "assistant" and finish == "cancelled" and len(content) > 20
