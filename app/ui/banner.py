"""Messages above the chat, for errors and notices: never a modal dialog, dismissable, and each
kept under a key so one source can replace or withdraw its own message without hiding others."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton

from app.core.conversation_io import ConversationFileError
from app.core.store import StoreError
from app.engine.errors import EngineError
from app.ui import style

_log = logging.getLogger(__name__)
EXPECTED_ERRORS = (EngineError, StoreError, OSError, ConversationFileError)  # they say what went wrong themselves


def describe(error: BaseException) -> str:
    """An error's own message, or its kind when it has none."""
    return str(error) or type(error).__name__


class Banner(QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        # Messages quote files and servers (a title, an error page): shown as text, never as markup.
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip(self.tr("Dismiss"))
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.clear_all)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self._messages: dict[str, tuple[str, bool]] = {}
        self.hide()

    def show_message(self, text: str, error: bool, key: str = "general") -> None:
        self._messages.pop(key, None)
        self._messages[key] = (text, error)  # newest last
        self._render()

    def show_failure(self, error: BaseException, message: str, key: str = "general", **values) -> None:
        """Show `message` as an error, its {reason} the error's own words (other placeholders from `values`);
        an error of a kind the app does not expect is logged with its traceback too."""
        if not isinstance(error, EXPECTED_ERRORS):
            _log.error("unexpected error", exc_info=error)
        self.show_message(message.format(reason=describe(error), **values), error=True, key=key)

    def clear(self, key: str) -> None:
        if self._messages.pop(key, None) is not None:
            self._render()

    @Slot()
    def clear_all(self) -> None:
        self._messages.clear()
        self._render()

    def _render(self) -> None:
        if not self._messages:
            self.hide()
            return
        error = any(is_error for _, is_error in self._messages.values())
        # The tint is light in both themes, so its text (the close button's too) keeps a dark colour.
        background, border = ((style.ERROR_BACKGROUND, style.ERROR_COLOR) if error else
                              (style.WARNING_BACKGROUND, style.WARNING_COLOR))
        self.setStyleSheet(f"QFrame#banner {{ background: {background}; border: 1px solid {border}; "
                           f"border-radius: 6px; }} QLabel, QToolButton {{ color: {style.BANNER_TEXT_COLOR}; }}")
        self.label.setText("\n\n".join(text for text, _ in reversed(self._messages.values())))
        self.show()
