"""The sidebar's list on its own: a kept cache's size beside its conversation, drawn and kept across
refills, without being taken for a rename; its context menu offers to forget the cache; its rows stay
in place while the pointer is over it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QEnterEvent, QPixmap
from PySide6.QtWidgets import QApplication

from app.core.store import Conversation
from app.ui.chat.conversation_list import ConversationList

CONVERSATIONS = [Conversation(1, "Rivers"), Conversation(2, "A very long title about the history of Rome"),
                 Conversation(3, "Nothing kept")]
MARKS = {1: ("9.6 MiB", "Cache kept: 781 tokens, q8_0; 9.6 MiB on disk, 9.6 MiB in RAM; 18.0 MiB at f16"),
         2: ("36.8 MiB", "Cache kept: 3,000 tokens, K q8_0 / V q4_0; 36.8 MiB on disk, not in RAM; 69.2 MiB at f16")}


def test_sizes_are_shown_beside_their_conversations_and_survive_a_refill(qtbot):
    sidebar = ConversationList()
    qtbot.addWidget(sidebar)
    renamed = []
    sidebar.sig_renamed.connect(lambda *args: renamed.append(args))
    sidebar.set_conversations(CONVERSATIONS, current=1)
    sidebar.set_kept(MARKS)
    assert [sidebar.kept_size(r) for r in range(3)] == ["9.6 MiB", "36.8 MiB", ""]
    assert sidebar.list.item(0).toolTip() == "Rivers\n" + MARKS[1][1]
    assert sidebar.list.item(2).toolTip() == "Nothing kept"
    assert renamed == []  # new item data is not a rename

    sidebar.set_conversations(CONVERSATIONS[1:], current=2)  # a search, a refresh
    assert [sidebar.kept_size(r) for r in range(2)] == ["36.8 MiB", ""]
    sidebar.set_kept({})
    assert [sidebar.kept_size(r) for r in range(2)] == ["", ""]
    assert sidebar.list.item(0).toolTip() == CONVERSATIONS[1].title

    sidebar.list.item(0).setText("Renamed")  # editing in place still renames
    assert renamed == [(2, "Renamed")]


def test_a_conversation_with_a_kept_cache_is_drawn_with_its_size(qtbot):
    sidebar = ConversationList()
    qtbot.addWidget(sidebar)
    sidebar.resize(220, 200)
    sidebar.show()
    sidebar.set_conversations(CONVERSATIONS, current=1)
    plain = QPixmap(sidebar.list.viewport().size())
    sidebar.list.viewport().render(plain)
    sidebar.set_kept(MARKS)
    marked = QPixmap(sidebar.list.viewport().size())
    sidebar.list.viewport().render(marked)
    assert plain.toImage() != marked.toImage()
    rect = sidebar.list.visualItemRect(sidebar.list.item(2))  # the row without a cache is drawn as before
    assert plain.copy(rect).toImage() == marked.copy(rect).toImage()


def test_the_context_menu_offers_to_forget_a_kept_cache(qtbot):
    sidebar = ConversationList()
    qtbot.addWidget(sidebar)
    sidebar.show()
    sidebar.set_conversations(CONVERSATIONS, current=1)
    sidebar.set_kept(MARKS)
    forgotten = []
    sidebar.sig_forget_kept.connect(forgotten.append)
    sidebar._on_context_menu(sidebar.list.visualItemRect(sidebar.list.item(1)).center())
    texts = [a.text() for a in sidebar.context_menu.actions() if not a.isSeparator()]
    assert texts == ["Rename", "Delete", "Forget kept cache (36.8 MiB)"]
    sidebar.context_menu.actions()[-1].trigger()
    sidebar.context_menu.close()
    assert forgotten == [2]
    sidebar._on_context_menu(sidebar.list.visualItemRect(sidebar.list.item(2)).center())
    assert [a.text() for a in sidebar.context_menu.actions()] == ["Rename", "Delete"]
    sidebar.context_menu.close()


def titles(sidebar) -> list[str]:
    return [sidebar.list.item(r).text() for r in range(sidebar.list.count())]


def test_the_rows_stay_in_place_while_the_pointer_is_over_the_list(qtbot):
    sidebar = ConversationList()
    qtbot.addWidget(sidebar)
    resorts = []
    sidebar.sig_resort.connect(lambda: resorts.append(True))
    a, b, c = Conversation(1, "A", updated=3), Conversation(2, "B", updated=2), Conversation(3, "C", updated=1)
    sidebar.set_conversations([a, b, c], current=1)
    QApplication.sendEvent(sidebar.list, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    sidebar.set_conversations([Conversation(3, "C renamed", updated=9), a, b], current=1)  # C's reply ended
    assert titles(sidebar) == ["A", "B", "C renamed"]  # nothing moves under the pointer; the title is new
    assert resorts == []
    sidebar.set_conversations([Conversation(4, "D", updated=10), Conversation(3, "C renamed", updated=9), a],
                              current=4)  # a new one (Ctrl+N) comes first; a deleted one goes
    assert titles(sidebar) == ["D", "A", "C renamed"] and sidebar.current_id() == 4

    QApplication.sendEvent(sidebar.list, QEvent(QEvent.Type.Leave))
    assert resorts == [True]  # the window fills it again from the store ...
    sidebar.set_conversations([Conversation(4, "D", updated=10), Conversation(3, "C renamed", updated=9), a],
                              current=4)
    assert titles(sidebar) == ["D", "C renamed", "A"]  # ... in the order of the latest activity
    QApplication.sendEvent(sidebar.list, QEvent(QEvent.Type.Leave))
    assert resorts == [True]  # nothing was held back: nothing to sort again
