"""The everyday loop in the real window (offscreen, the starter model, a real SQLite file): a reply's
versions, a new conversation's settings, Esc in the search box, and messages that fit the column."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QLabel, QToolButton

from app.core.store import StoredMessage
from app.engine.records import ReplyStats, SamplingParams
from app.ui.chat.chat_view import MAX_COLUMN_WIDTH
from tests.ui.conftest import send, until


def settings(window, **values) -> None:
    form = window.conversation_settings
    for name, value in values.items():
        getattr(form, name).setValue(value)
    form.flush()


def test_regenerate_keeps_the_reply_and_the_arrows_flip_between_versions(windows, loop, qtbot):
    window = windows.new()
    settings(window, max_tokens=4)
    send(loop, qtbot, window, "Count from one to thirty, in words.")
    first = window.chat_view.messages[-1]
    first_text = first.text
    assert not first.versions_box.isVisibleTo(window)  # written once: no arrows
    settings(window, max_tokens=24)  # a longer second version: the two texts differ whatever the model says
    qtbot.mouseClick(first.regenerate_button, Qt.MouseButton.LeftButton)
    loop.run_until_complete(until(lambda: not window.session.replying, what="the new reply"))
    reply = window.chat_view.messages[-1]
    second_text = reply.text
    assert len(window.chat_view.messages) == 2 and second_text != first_text
    assert reply.versions_box.isVisibleTo(window) and reply.version_label.text() == "2/2"
    assert reply.previous_version_button.isEnabled() and not reply.next_version_button.isEnabled()

    qtbot.mouseClick(reply.previous_version_button, Qt.MouseButton.LeftButton)
    assert reply.text == first_text and reply.version_label.text() == "1/2"
    assert "max tokens reached" in reply.stats_label.text()  # the stats are that version's
    assert window.session.history()[-1].content == first_text  # the next prompt goes on from it
    windows.close(window)

    again = windows.new()  # restarted: the flip was saved
    reply = again.chat_view.messages[-1]
    assert reply.text == first_text and reply.version_label.text() == "1/2"
    qtbot.mouseClick(reply.next_version_button, Qt.MouseButton.LeftButton)
    assert reply.text == second_text and again.session.messages[-1].content == second_text


def test_a_new_conversation_starts_from_the_default_settings(window, loop, qtbot):
    settings(window, max_tokens=20, temperature=1.5)
    first = window.session.conversation.id
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    loop.run_until_complete(until(lambda: window.session.conversation.id != first, what="a new conversation"))
    form = window.conversation_settings
    assert form.sampling() == SamplingParams() and form.max_tokens.value() == SamplingParams().max_tokens
    assert window.store.conversation(window.session.conversation.id).sampling == SamplingParams()
    assert window.store.conversation(first).sampling.max_tokens == 20  # the first one keeps its own


def test_esc_in_the_search_box_clears_it_then_goes_back_to_the_composer(window, qtbot):
    sidebar = window.conversations
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert sidebar.search.hasFocus()
    qtbot.keyClicks(sidebar.search, "rivers")
    qtbot.keyClick(sidebar.search, Qt.Key.Key_Escape)
    assert sidebar.search.text() == "" and sidebar.search.hasFocus()
    qtbot.keyClick(sidebar.search, Qt.Key.Key_Escape)
    assert window.composer.edit.hasFocus()


def long_conversation() -> list[StoredMessage]:
    stats = ReplyStats(prompt_tokens=2048, cached_tokens=2000, generated_tokens=512, time_to_first_token=0.71,
                       tokens_per_second=12.3, type_k="q8_0", type_v="q4_0", dropped_messages=3,
                       cache_source="disk", restore_seconds=0.014)
    words = "A reply long enough to fill every line of the chat column, and then some more. " * 6
    return [StoredMessage(1, "user", "A question, " * 20), StoredMessage(2, "assistant", words, stats, "length", 1, 3),
            StoredMessage(3, "user", "Short."), StoredMessage(4, "assistant", "Short too.", stats, "cancelled")]


def settle_layout() -> None:
    for _ in range(5):  # posted layout requests, and the resizes they cause, all delivered
        QApplication.processEvents()


def outside(view, widget) -> list[str]:
    """The message and the visible buttons and labels in it that reach beyond the view's sides."""
    port = view.viewport()
    left, right = port.mapToGlobal(QPoint(0, 0)).x(), port.mapToGlobal(QPoint(port.width(), 0)).x()
    found = []
    for part in [widget, *widget.findChildren(QToolButton), *widget.findChildren(QLabel)]:
        if not part.isVisibleTo(widget) and part is not widget:
            continue
        rect = QRect(part.mapToGlobal(QPoint(0, 0)), part.size())
        if rect.left() < left or rect.right() >= right:
            found.append(f"{type(part).__name__} {part.objectName() or part.text()[:20] if part is not widget else ''} "
                         f"{rect.left()}..{rect.right()} outside {left}..{right}")
    return found


def test_messages_fit_the_column_of_a_small_window_and_stay_readable_on_a_wide_one(window):
    view = window.chat_view
    view.show_messages(long_conversation())
    view.messages[-1].set_regenerate_visible(True)
    window.resize(1024, 640)
    settle_layout()
    assert window.width() == 1024
    assert view.messages[1].versions_box.isVisibleTo(window)
    for widget in view.messages:
        assert outside(view, widget) == []
        assert widget.width() <= view.viewport().width()

    window.resize(2560, 1440)
    settle_layout()
    assert view.viewport().width() > MAX_COLUMN_WIDTH + 200
    for widget in view.messages:
        assert outside(view, widget) == []
        assert widget.width() <= MAX_COLUMN_WIDTH
        left = widget.mapTo(view.viewport(), QPoint(0, 0)).x()
        assert abs(left - (view.viewport().width() - left - widget.width())) <= 1  # centred
    composer = window.composer.edit.mapToGlobal(QPoint(0, 0)).x()
    assert abs(composer - view.messages[0].mapToGlobal(QPoint(0, 0)).x()) <= 16  # the same column
