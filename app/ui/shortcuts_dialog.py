"""Help → Keyboard shortcuts: every shortcut the window has, read from its actions, so the
list cannot drift from what the keys really do."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout


def plain_action_text(text: str) -> str:
    """An action's text without its mnemonic ("&Quit", or "退出(&Q)" as Chinese menus write it) and trailing "…"."""
    return re.sub(r"\s*\(&[^&)]\)", "", text).replace("&", "").rstrip("…")


class ShortcutsDialog(QDialog):
    def __init__(self, window):
        super().__init__(window)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        rows = [
            (self.tr("Send the message"), self.tr("Enter")),
            (self.tr("New line in the message"), self.tr("Shift+Enter")),
        ]
        for action in window.actions():
            keys = action.shortcut()
            if not keys.isEmpty():
                rows.append((plain_action_text(action.text()),
                             keys.toString(QKeySequence.SequenceFormat.NativeText)))
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels([self.tr("Action"), self.tr("Keys")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (what, keys) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(what))
            item = QTableWidgetItem(keys)
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(i, 1, item)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(460, 520)

    def rows(self) -> list[tuple[str, str]]:
        return [(self.table.item(i, 0).text(), self.table.item(i, 1).text()) for i in range(self.table.rowCount())]
