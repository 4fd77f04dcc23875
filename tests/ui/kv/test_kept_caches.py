"""Kept caches in the window: their sizes in the conversation list and the memory gauge, the dialog's
forgetting and budgets, the Chat menu and the list's context menu, deleting a conversation, a disk
problem in the banner, and remote mode.

The fast tests use the real window, a real EngineHost and a real KeptCaches on tmp_path with no
model loaded: the caches are states handed to KeptCaches the way the engine hands them in (bytes of
a given size), written to disk by its own writer thread. The slow test lets the starter model make them.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import shiboken6
from PySide6.QtGui import QPixmap

from app.core.conversation import kept_cache_name
from app.core.settings import Settings, save_settings
from app.core.store import ConversationStore
from app.engine.host import EngineHost
from app.engine.kept.caches import KeptCaches
from app.engine.kept.state_file import SUFFIX, StateKey
from app.engine.memory import MIB
from app.engine.remote.host import RemoteReport
from app.ui.chat.conversation_list import ID_ROLE
from app.ui.kv.kept_caches import BANNER_KEY
from app.ui.main_window import MainWindow
from app.ui.style import mib
from tests.ui.conftest import send, until


def key(type_k: str = "q8_0", type_v: str = "q8_0") -> StateKey:
    return StateKey("/models/m.gguf", 1000, 1, "0.3.36", type_k, type_v, 8192, False, True)


class KeptWindow:
    """A window over a real store, settings file and kept-cache folder, started without a model."""

    def __init__(self, tmp_path, loop, folder=None, settings: Settings | None = None, store_path=None):
        self.loop = loop
        self.folder = folder or tmp_path / "kept"
        self.settings_path = tmp_path / "settings.json"
        if settings is not None:
            save_settings(settings, self.settings_path)
        self.store = ConversationStore(store_path or tmp_path / "c.sqlite3")
        self.kept = KeptCaches(self.folder)
        self.window = MainWindow(EngineHost(kept=self.kept), self.store, self.settings_path)
        self.window.conversations.confirm_delete = False
        self.window.show()
        self.window.kept_caches.start()  # what window.start() does first, before it loads a model

    def conversation(self, title: str, tokens: int = 0, state_bytes: int = 0, type_v: str = "q8_0") -> int:
        """A stored conversation; with `tokens`, a kept cache of `state_bytes` for it (on disk when this returns)."""
        conversation = self.store.create_conversation(title)
        if tokens:
            self.kept.keep(kept_cache_name(conversation.id), key("q8_0", type_v), np.arange(tokens, dtype=np.int32),
                           np.full(state_bytes, 7, dtype=np.uint8), f16_bytes=state_bytes * 2)
            assert self.kept.flush(30)
        return conversation.id

    def open(self, conversation_id: int) -> None:
        self.loop.run_until_complete(self.window.open_conversation(conversation_id))
        self.window.kept_caches.refresh()  # the writer's last word may still be on its way: read it now

    def files(self) -> set[str]:
        return {p.stem for p in self.folder.glob(f"*{SUFFIX}")}

    def row_of(self, conversation_id: int) -> int:
        items = self.window.conversations.list
        return next(i for i in range(items.count()) if items.item(i).data(ID_ROLE) == conversation_id)

    def close(self) -> None:
        if not shiboken6.isValid(self.window):
            return
        if not self.window._closed:
            self.loop.run_until_complete(self.window.shutdown())
        if shiboken6.isValid(self.window):
            shiboken6.delete(self.window)


@pytest.fixture
def kept_window(tmp_path, loop, qtbot):
    made: list[KeptWindow] = []

    def make(**kwargs) -> KeptWindow:
        made.append(KeptWindow(tmp_path, loop, **kwargs))
        return made[-1]

    yield make
    for w in made:
        w.close()


def test_the_list_and_the_gauge_show_the_sizes_the_kept_caches_list(kept_window):
    k = kept_window()
    first = k.conversation("Rivers of Europe", tokens=781, state_bytes=int(9.6 * MIB))
    second = k.conversation("Roman history", tokens=3000, state_bytes=int(19.5 * MIB), type_v="q4_0")
    plain = k.conversation("Nothing kept")
    k.open(second)

    listing = {c.conversation: c for c in k.kept.listing()}
    assert set(listing) == {kept_cache_name(first), kept_cache_name(second)} == k.files()
    sidebar = k.window.conversations
    for conversation_id in (first, second):
        cache = listing[kept_cache_name(conversation_id)]
        assert cache.disk_bytes > 0 and cache.ram_bytes > 0
        row = k.row_of(conversation_id)
        assert sidebar.kept_size(row) == mib(cache.disk_bytes)
        assert sidebar.list.item(row).toolTip().endswith(
            f"Cache kept: {cache.tokens:,} tokens, {'q8_0' if conversation_id == first else 'K q8_0 / V q4_0'}; "
            f"{mib(cache.disk_bytes)} on disk, {mib(cache.ram_bytes)} in RAM; {mib(cache.f16_bytes)} at f16")
    assert sidebar.kept_size(k.row_of(plain)) == ""
    assert "Cache kept" not in sidebar.list.item(k.row_of(plain)).toolTip()

    gauge = k.window.gauge.kept_label
    caches = listing.values()
    assert not gauge.isHidden()
    assert gauge.text() == (
        f"<b>Kept caches</b>: 2 conversations · <a href=\"kept\">Manage…</a><br>"
        f"{mib(sum(c.disk_bytes for c in caches))} on disk · {mib(sum(c.ram_bytes for c in caches))} in RAM · "
        f"{mib(sum(c.f16_bytes for c in caches))} at f16")
    pixmap = QPixmap(sidebar.list.viewport().size())
    sidebar.list.viewport().render(pixmap)  # the size is drawn beside the title without a fault
    assert not pixmap.isNull()


def test_a_new_cache_reaches_the_list_without_being_asked(kept_window, loop):
    k = kept_window()
    conversation_id = k.conversation("Later")
    k.open(conversation_id)
    assert k.window.conversations.kept_size(k.row_of(conversation_id)) == ""
    k.kept.keep(kept_cache_name(conversation_id), key(), np.arange(10, dtype=np.int32),
                np.zeros(MIB, dtype=np.uint8), f16_bytes=2 * MIB)
    loop.run_until_complete(until(lambda: k.window.conversations.kept_size(k.row_of(conversation_id)) != "",
                                  what="the list to follow the kept caches"))


def test_the_dialog_forgets_the_selected_caches_then_all_and_their_files_go(kept_window):
    k = kept_window()
    a = k.conversation("Alpha", tokens=100, state_bytes=MIB)
    b = k.conversation("Beta", tokens=200, state_bytes=2 * MIB)
    c = k.conversation("Gamma", tokens=300, state_bytes=3 * MIB)
    k.open(c)
    k.window.gauge.kept_label.linkActivated.emit("kept")  # "Manage…" on the gauge's line
    dialog = k.window.kept_caches.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.table.rowCount() == 3
    titles = [dialog.table.item(r, 0).text() for r in range(3)]
    assert titles == ["Gamma", "Beta", "Alpha"]  # the most recently used first
    assert dialog.table.item(1, 1).text() == "200" and dialog.table.item(1, 2).text() == "q8_0"
    beta = next(x for x in k.kept.listing() if x.conversation == kept_cache_name(b))
    assert [dialog.table.item(1, col).text() for col in (3, 4, 5)] == [
        mib(beta.ram_bytes), mib(beta.disk_bytes), mib(beta.f16_bytes)]

    assert not dialog.forget_button.isEnabled()
    dialog.table.selectRow(1)
    assert dialog.selected_names() == [kept_cache_name(b)]
    dialog.forget_button.click()
    assert k.files() == {kept_cache_name(a), kept_cache_name(c)}
    assert {x.conversation for x in k.kept.listing()} == k.files()
    assert [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())] == ["Gamma", "Alpha"]
    assert k.window.conversations.kept_size(k.row_of(b)) == ""
    assert k.window.conversations.kept_size(k.row_of(a)) != ""
    assert "One kept cache forgotten" in k.window.statusBar().currentMessage()

    dialog.forget_all_button.click()
    assert k.files() == set() and k.kept.listing() == ()
    assert dialog.table.isHidden() and dialog.empty.isVisible() and not dialog.forget_all_button.isEnabled()
    assert all(k.window.conversations.kept_size(r) == "" for r in range(3))
    assert "none yet" in k.window.gauge.kept_label.text()
    assert "2 kept caches forgotten" in k.window.statusBar().currentMessage()


def test_the_chat_menu_and_the_lists_context_menu_forget_a_conversations_cache(kept_window):
    k = kept_window()
    a = k.conversation("Alpha", tokens=100, state_bytes=MIB)
    b = k.conversation("Beta", tokens=100, state_bytes=MIB)
    nothing = k.conversation("Nothing kept")
    k.open(a)
    menus = k.window.menus
    chat_menu = menus.forget_kept.associatedObjects()[0]
    chat_menu.aboutToShow.emit()
    assert menus.forget_kept.isEnabled()
    menus.forget_kept.trigger()
    assert k.files() == {kept_cache_name(b)}
    chat_menu.aboutToShow.emit()
    assert not menus.forget_kept.isEnabled()  # nothing left to forget here

    sidebar = k.window.conversations
    sidebar._on_context_menu(sidebar.list.visualItemRect(sidebar.list.item(k.row_of(nothing))).center())
    assert [a.text() for a in sidebar.context_menu.actions() if a.text()] == ["Rename", "Delete"]
    sidebar.context_menu.close()
    k.open(nothing)
    sidebar._on_context_menu(sidebar.list.visualItemRect(sidebar.list.item(k.row_of(b))).center())
    forget = [a for a in sidebar.context_menu.actions() if a.text().startswith("Forget kept cache")]
    (cache,) = k.kept.listing()
    assert [a.text() for a in forget] == [f"Forget kept cache ({mib(cache.disk_bytes)})"]
    forget[0].trigger()
    sidebar.context_menu.close()
    assert k.files() == set()


def test_budgets_are_saved_applied_at_once_and_at_the_next_start(kept_window, tmp_path):
    k = kept_window()
    old = k.conversation("Old", tokens=100, state_bytes=3 * MIB)
    new = k.conversation("New", tokens=100, state_bytes=3 * MIB)
    k.open(new)
    dialog = k.window.kept_caches.open_dialog()
    assert (dialog.ram_budget.value(), dialog.disk_budget.value()) == (1024, 4096)  # the defaults
    assert not dialog.apply_button.isEnabled()
    dialog.ram_budget.setValue(0)
    dialog.disk_budget.setValue(4)  # room for one of the two files
    assert dialog.apply_button.isEnabled()
    dialog.apply_button.click()

    saved = json.loads(k.settings_path.read_text())
    assert (saved["kept_ram_mib"], saved["kept_disk_mib"]) == (0, 4)
    assert k.kept.budgets == (0, 4 * MIB)
    assert k.files() == {kept_cache_name(new)}  # the least recently used file went
    assert [c.ram_bytes for c in k.kept.listing()] == [0]
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 3).text() == "—"
    assert dialog.ram_budget.text() == "keep none" and not dialog.apply_button.isEnabled()
    assert k.window.conversations.kept_size(k.row_of(old)) == ""
    k.close()

    again = KeptWindow(tmp_path, k.loop)  # the next start: KeptCaches made with the defaults, the settings win
    try:
        assert again.kept.budgets == (0, 4 * MIB)
    finally:
        again.close()


def test_deleting_a_conversation_forgets_its_kept_cache(kept_window):
    k = kept_window()
    keep = k.conversation("Keep", tokens=100, state_bytes=MIB)
    gone = k.conversation("Delete me", tokens=100, state_bytes=MIB)
    k.open(gone)
    k.window.conversations.delete_button.click()
    k.loop.run_until_complete(until(lambda: k.store.conversation(gone) is None, what="the deletion"))
    assert k.files() == {kept_cache_name(keep)}
    assert [c.conversation for c in k.kept.listing()] == [kept_cache_name(keep)]


def test_caches_of_conversations_no_longer_stored_are_forgotten_at_start_unless_the_store_is_in_memory(tmp_path, loop):
    folder = tmp_path / "kept"
    store = ConversationStore(tmp_path / "c.sqlite3")
    stored = store.create_conversation("Stored").id
    earlier = KeptCaches(folder)
    for name in (kept_cache_name(stored), kept_cache_name(stored + 100)):
        earlier.keep(name, key(), np.arange(5, dtype=np.int32), np.zeros(1000, dtype=np.uint8), 2000)
    earlier.close()
    store.close()
    k = KeptWindow(tmp_path, loop, folder=folder)
    try:
        assert k.files() == {kept_cache_name(stored)}
    finally:
        k.close()
    # A store that could only be opened in memory (the file is unusable) does not see the conversations
    # on disk: their caches stay for the next start.
    k = KeptWindow(tmp_path, loop, folder=folder, store_path=":memory:")
    try:
        assert k.files() == {kept_cache_name(stored)}
    finally:
        k.close()


def test_a_disk_problem_is_said_once_in_the_banner_and_withdrawn_when_it_is_gone(kept_window, tmp_path):
    folder = tmp_path / "not-a-folder"
    folder.write_text("a file where the folder should be")
    k = kept_window(folder=folder)
    banner = k.window.banner
    problem = k.kept.problem
    assert problem and "cannot be used" in problem
    assert banner.isVisible() and banner.label.text() == problem

    banner.clear_all()  # the user dismisses it
    k.window.kept_caches.refresh()
    k.window.kept_caches.refresh()
    assert banner.isHidden()  # said once, not again for the same problem

    conversation_id = k.conversation("Cannot be saved", tokens=10, state_bytes=1000)
    k.open(conversation_id)
    assert k.kept.problem != problem and "could not be saved" in k.kept.problem
    assert banner.label.text() == k.kept.problem  # a new problem is said

    folder.unlink()
    folder.mkdir()  # the disk is usable again: the next write succeeds and the notice goes
    k.kept.keep(kept_cache_name(conversation_id), key(), np.arange(10, dtype=np.int32),
                np.zeros(1000, dtype=np.uint8), 2000)
    assert k.kept.flush(30)
    k.window.kept_caches.refresh()
    assert k.kept.problem is None and BANNER_KEY not in banner._messages and banner.isHidden()


def test_in_remote_mode_the_kept_caches_are_not_shown_and_the_dialog_says_why(kept_window):
    k = kept_window()
    conversation_id = k.conversation("Local", tokens=100, state_bytes=MIB)
    k.open(conversation_id)
    row = k.row_of(conversation_id)
    assert k.window.conversations.kept_size(row) != ""
    report = RemoteReport(url="http://127.0.0.1:9", model="m", models=("m",), server="llama.cpp server")
    k.window.remote_mode.sig_connected.emit(report)  # what connecting to a server tells the window

    assert k.window.conversations.kept_size(row) == ""
    assert k.window.gauge.isHidden()
    menus = k.window.menus
    menus.forget_kept.associatedObjects()[0].aboutToShow.emit()
    assert not menus.forget_kept.isEnabled()
    dialog = k.window.open_kept_caches()
    assert dialog.note.isVisible() and "talking to a server" in dialog.note.text()
    assert k.files() == {kept_cache_name(conversation_id)}  # kept for when the chat comes back

    k.window.remote_mode.sig_disconnected.emit()
    assert k.window.conversations.kept_size(row) != "" and dialog.note.isHidden()


def test_a_window_without_kept_caches_shows_none_of_it(tmp_path, loop, qtbot):
    window = MainWindow(EngineHost(), ConversationStore(tmp_path / "c.sqlite3"), tmp_path / "s.json")
    try:
        window.kept_caches.start()
        assert window.gauge.kept_label.isHidden()
        assert not window.menus.kept_caches.isEnabled() and window.open_kept_caches() is None
        assert not window.has_kept_cache()
    finally:
        loop.run_until_complete(window.shutdown())
        shiboken6.delete(window)


@pytest.mark.slow
def test_a_reply_keeps_its_cache_and_the_list_shows_its_size(tmp_path, loop, qtbot):
    kept = KeptCaches(tmp_path / "kept")
    window = MainWindow(EngineHost(kept=kept), ConversationStore(tmp_path / "c.sqlite3"), tmp_path / "s.json")
    window.show()
    try:
        loop.run_until_complete(window.start())
        window.conversation_settings.max_tokens.setValue(8)
        window.conversation_settings.flush()
        send(loop, qtbot, window, "Name a river.")
        name = kept_cache_name(window.session.conversation.id)
        assert kept.flush(30)
        loop.run_until_complete(until(lambda: window.conversations.kept_size(0) != "", what="the kept cache"))
        window.kept_caches.refresh()
        (cache,) = kept.listing()
        report = window.host.report
        assert cache.conversation == name and (tmp_path / "kept" / f"{name}{SUFFIX}").is_file()
        assert (cache.type_k, cache.type_v) == (report.type_k, report.type_v) and cache.tokens > 0
        assert window.conversations.kept_size(0) == mib(cache.disk_bytes)
        assert f"{cache.tokens:,} tokens" in window.conversations.list.item(0).toolTip()
        assert f"{mib(cache.disk_bytes)} on disk" in window.gauge.kept_label.text()
        assert "1 conversation ·" in window.gauge.kept_label.text()
    finally:
        loop.run_until_complete(window.shutdown())
        shiboken6.delete(window)
