"""Esc closes a tool window as it closes a dialog. The models window and the KV lab are plain windows,
which Qt gives no Esc of their own. A line edit holding text is cleared first (a filter field), and a child
that uses Esc itself (an open list, a cell being edited) keeps it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget


class EscapeCloses(QObject):
    """Installed on the window it is a child of (the window is its parent: no Python state to outlive)."""

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        # Only the Esc no child took reaches the window itself.
        if (event.type() != QEvent.Type.KeyPress or event.key() != Qt.Key.Key_Escape
                or event.modifiers() != Qt.KeyboardModifier.NoModifier or watched is not self.parent()):
            return False
        focus = QApplication.focusWidget()
        if isinstance(focus, QLineEdit) and focus.text() and not focus.isReadOnly() and focus.window() is watched:
            focus.clear()
        else:
            watched.close()
        return True


def close_on_escape(window: QWidget) -> None:
    window.installEventFilter(EscapeCloses(window))
