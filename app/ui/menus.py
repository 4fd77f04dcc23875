"""The menu bar: every action of the main window with its shortcut (Help → Keyboard shortcuts
lists them from the window's actions, so the list and the keys cannot drift apart)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from app.ui.tasks import spawn
from app.ui.view_menu import ViewMenu


class Menus(QObject):
    """Each action calls one of the window's intents; the menus know nothing of the widgets behind them."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        w, bar = window, window.menuBar()

        menu = bar.addMenu(self.tr("&File"))
        self._add(menu, self.tr("&New conversation"), "Ctrl+N", lambda: spawn(w.new_conversation()))
        self._add(menu, self.tr("&Open model…"), "Ctrl+O", w.open_model_dialog)
        self._add(menu, self.tr("&Models on this computer and downloads…"), "Ctrl+Shift+O", w.open_models)
        menu.addSeparator()
        self._add(menu, self.tr("&Export conversation…"), "Ctrl+E", w.export_conversation)
        self._add(menu, self.tr("&Import conversation…"), "Ctrl+I", w.import_conversation)
        menu.addSeparator()
        self._add(menu, self.tr("&Quit"), "Ctrl+Q", w.close)

        menu = bar.addMenu(self.tr("&Chat"))
        self.stop = self._add(menu, self.tr("&Stop reply"), "Esc", w.stop_reply)
        self._add(menu, self.tr("&Regenerate reply"), "Ctrl+R", w.regenerate_reply)
        self._add(menu, self.tr("Write a &message"), "Ctrl+K", w.focus_composer)
        menu.addSeparator()
        self._add(menu, self.tr("&Find a conversation"), "Ctrl+F", w.find_conversation)
        self._add(menu, self.tr("Ne&xt conversation"), "Ctrl+PgDown", lambda: w.step_conversation(1))
        self._add(menu, self.tr("&Previous conversation"), "Ctrl+PgUp", lambda: w.step_conversation(-1))
        self._add(menu, self.tr("Re&name conversation"), "F2", w.rename_conversation)
        self.forget_kept = self._add(menu, self.tr("For&get this conversation's kept cache"), "", w.forget_kept_cache)
        menu.aboutToShow.connect(lambda: self.forget_kept.setEnabled(w.has_kept_cache()))

        self.view = ViewMenu(w.settings_keeper, bar.addMenu(self.tr("&View")), w)

        menu = bar.addMenu(self.tr("&Tools"))
        self.lab = self._add(menu, self.tr("KV &lab…"), "Ctrl+L", w.open_lab)
        self.kept_caches = self._add(menu, self.tr("&Kept caches…"), "", w.open_kept_caches)
        self.connect = self._add(menu, self.tr("&Connect to a server…"), "Ctrl+Shift+K", w.connect_to_server)
        self.disconnect = self._add(menu, self.tr("&Disconnect from the server"), "",
                                    lambda: spawn(w.disconnect_server()))
        self.disconnect.setEnabled(False)

        menu = bar.addMenu(self.tr("&Help"))
        self._add(menu, self.tr("&Keyboard shortcuts"), "F1", w.show_shortcuts)
        self.about = self._add(menu, self.tr("&About KV Chat"), "", w.show_about)

    def set_remote(self, active: bool) -> None:
        """While the chat talks to a server, the lab (it measures this computer's model) is set aside."""
        self.lab.setEnabled(not active)
        self.disconnect.setEnabled(active)

    def _add(self, menu, text: str, shortcut: str, handler) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(handler)
        menu.addAction(action)
        self.window.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action
