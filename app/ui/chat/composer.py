"""Where the user writes: Enter sends, Shift+Enter starts a new line, the button sends or stops."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QToolButton, QVBoxLayout, QWidget

from app.ui.chat.chat_view import MAX_COLUMN_WIDTH, MIN_SIDE_MARGIN


class ComposerEdit(QPlainTextEdit):
    sig_submit = Signal()
    """Enter was pressed without Shift."""
    sig_escape = Signal()
    """Esc was pressed."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.sig_escape.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.sig_submit.emit()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    sig_send = Signal(str)
    """The user sent this text."""
    sig_stop = Signal()
    """The user asked to stop the reply."""
    sig_cancel_edit = Signal()
    """The user gave up editing an earlier message."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.edit = ComposerEdit()
        self.edit.setPlaceholderText(self._default_placeholder())
        self.edit.setFixedHeight(84)
        self.edit.sig_submit.connect(self._on_submit)
        self.edit.sig_escape.connect(self._on_escape)
        self.button = QPushButton(self.tr("Send"))
        self.button.setMinimumWidth(84)
        self.button.clicked.connect(self._on_button_clicked)
        self.editing_label = QLabel()
        self.cancel_edit_button = QToolButton()
        self.cancel_edit_button.setText(self.tr("Cancel edit"))
        self.cancel_edit_button.clicked.connect(self._on_cancel_edit)
        editing = QHBoxLayout()
        editing.addWidget(self.editing_label)
        editing.addStretch(1)
        editing.addWidget(self.cancel_edit_button)
        self._editing_row = QWidget()
        self._editing_row.setLayout(editing)
        self._editing_row.setVisible(False)

        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(self.button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(MIN_SIDE_MARGIN, 4, MIN_SIDE_MARGIN, 10)
        layout.addWidget(self._editing_row)
        layout.addLayout(row)
        self._replying = False
        self._blocked = False

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # As wide as the messages above it: a wide window centres both in the same column.
        side = max(MIN_SIDE_MARGIN, (self.width() - MAX_COLUMN_WIDTH) // 2)
        margins = self.layout().contentsMargins()
        if margins.left() != side:
            self.layout().setContentsMargins(side, margins.top(), side, margins.bottom())

    @Slot(bool)
    def set_replying(self, replying: bool) -> None:
        """While a reply streams the button stops it; Enter still does nothing until it ends."""
        self._replying = replying
        self.button.setText(self.tr("Stop") if replying else self.tr("Send"))
        self.button.setToolTip(self.tr("Stop the reply (Esc)") if replying else self.tr("Send (Enter)"))

    def set_blocked(self, reason: str | None) -> None:
        """Say why sending must wait (None: it need not)."""
        self.edit.setReadOnly(reason is not None)
        self.button.setEnabled(reason is None)
        self.edit.setPlaceholderText(reason or self._default_placeholder())
        self._blocked = reason is not None

    def _default_placeholder(self) -> str:
        return self.tr("Message  (Enter to send, Shift+Enter for a new line)")

    @Slot(str)
    def restore_text(self, text: str) -> None:
        """Put back text that could not be sent, so nothing typed is lost."""
        self.edit.setPlainText(text)

    @Slot(object)
    def set_editing(self, text: str | None) -> None:
        """Show that the next send replaces an earlier message (None ends that)."""
        self._editing_row.setVisible(text is not None)
        if text is not None:
            self.editing_label.setText(
                "<i>" + self.tr("Editing an earlier message: sending replaces it and what followed.") + "</i>")
            self.edit.setPlainText(text)
            self.edit.setFocus()

    @Slot()
    def escape(self) -> None:
        """What Esc means here: stop the reply being written, or leave editing an earlier message."""
        self._on_escape()

    @Slot()
    def focus_input(self) -> None:
        self.edit.setFocus()

    @Slot()
    def _on_escape(self) -> None:
        if self._replying:
            self.sig_stop.emit()
        elif self._editing_row.isVisible():
            self._on_cancel_edit()

    @Slot()
    def _on_cancel_edit(self) -> None:
        self.edit.clear()  # the earlier message's text, put here to edit, goes with the edit
        self.sig_cancel_edit.emit()

    @Slot()
    def _on_button_clicked(self) -> None:
        if self._replying:
            self.sig_stop.emit()
        else:
            self._on_submit()

    @Slot()
    def _on_submit(self) -> None:
        text = self.edit.toPlainText().strip()
        if self._replying or self._blocked or not text:
            return
        self.edit.clear()
        self.sig_send.emit(text)
