"""The conversation: a scrolling column of messages, with the streaming reply rendered in bursts.

Tokens arrive far faster than a person reads and re-rendering Markdown on each one would
stall the event loop, so streamed text is buffered and drawn at most every ~40 ms (longer if
drawing itself takes long).

A long conversation is shown a page at a time: opening it builds widgets for its latest
PAGE_SIZE messages only, and "Show earlier messages" adds the page before. Positions in the
view's API (`remove_from`, `count`) are positions in the whole conversation, shown or not, so
they match the conversation model's messages; `messages` holds the widgets of the shown ones.

The view follows what it is told (ChatSession's signals); the text it draws is never read back to be saved.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QAbstractSlider, QFrame, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app.core.prompt_progress import PromptProgress
from app.core.store import StoredMessage
from app.engine.records import ReplyStats
from app.ui import style
from app.ui.chat.message_widget import MessageWidget, reading_status

MIN_RENDER_INTERVAL_MS = 40
MAX_COLUMN_WIDTH = 880
"""The widest the messages get: lines longer than this are hard to read; a wider view centres the column."""
MIN_SIDE_MARGIN = 12
PAGE_SIZE = 100
"""Messages given widgets at a time: on opening a conversation, and per "Show earlier messages"."""


class ChatView(QScrollArea):
    sig_edit = Signal(int)
    """The user asked to edit the message with this store id."""
    sig_regenerate = Signal()
    """The user asked for the last reply again."""
    sig_show_version = Signal(int, int)
    """The user flipped the reply with this store id to this version."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._container = QWidget()
        self._layout = QVBoxLayout(self._container)
        self._layout.setContentsMargins(MIN_SIDE_MARGIN, 12, MIN_SIDE_MARGIN, 12)
        self._layout.setSpacing(10)
        self.earlier_button = QPushButton()
        self.earlier_button.setFlat(True)
        self.earlier_button.clicked.connect(self.show_earlier)
        self.earlier_button.setVisible(False)
        self._layout.addWidget(self.earlier_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.placeholder = QLabel(self.tr("Start a conversation: type below and press Enter."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)  # a narrow window wraps it rather than cutting it off
        self.placeholder.setStyleSheet(f"color: {style.FAINT_COLOR}; padding: 40px;")
        self._layout.addWidget(self.placeholder)
        self._layout.addStretch(1)
        self.setWidget(self._container)
        self.messages: list[MessageWidget] = []
        self._earlier: list[StoredMessage] = []  # the conversation's messages before the first widget
        self._streaming: MessageWidget | None = None
        self._stream_parts: list[str] = []  # joined only when drawn: += on a long reply is quadratic
        self._stream_dirty = False
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.timeout.connect(self._flush)
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)
        self.verticalScrollBar().actionTriggered.connect(self._on_user_scrolled)
        self._stick_to_bottom = True
        self._anchor: tuple[QWidget, int] | None = None  # a widget kept in place while earlier ones appear
        self._last_render_seconds = 0.0

    # -- building ---------------------------------------------------------------------------

    def clear(self) -> None:
        self._render_timer.stop()
        self._streaming = None
        self._stream_parts = []
        for widget in self.messages:
            self._layout.removeWidget(widget)
            widget.deleteLater()
        self.messages = []
        self._earlier = []
        self._anchor = None
        self._update_earlier_button()
        self.placeholder.setVisible(True)

    @Slot(object)
    def show_messages(self, messages: Sequence[StoredMessage]) -> None:
        """Show a conversation from its start: widgets for the latest PAGE_SIZE messages only."""
        self.clear()
        self._earlier = list(messages[:-PAGE_SIZE])
        for m in messages[-PAGE_SIZE:]:
            widget = self._make_widget(m)
            self._layout.insertWidget(self._layout.count() - 1, widget)
            self.messages.append(widget)
        self._stick_to_bottom = True
        self._update_earlier_button()
        self._update_regenerate()

    @Slot()
    def show_earlier(self) -> None:
        """Give the page of messages before the first shown one its widgets, keeping the view still."""
        if not self._earlier:
            return
        page = self._earlier[-PAGE_SIZE:]
        widgets = [self._make_widget(m) for m in page]
        del self._earlier[-PAGE_SIZE:]
        if self.messages:
            first = self.messages[0]
            self._anchor = (first, first.y() - self.verticalScrollBar().value())
        self._stick_to_bottom = False
        position = self._layout.indexOf(self.earlier_button) + 1
        for offset, widget in enumerate(widgets):
            self._layout.insertWidget(position + offset, widget)
        self.messages[:0] = widgets
        self._update_earlier_button()
        self._update_regenerate()

    @property
    def hidden_count(self) -> int:
        """Messages of the conversation before the first shown one."""
        return len(self._earlier)

    @property
    def count(self) -> int:
        """Messages in the view, shown or not (the streaming reply included)."""
        return len(self._earlier) + len(self.messages)

    def add_message(self, role: str, text: str, message_id: int | None = None, stats: ReplyStats | None = None,
                    finish_reason: str | None = None, version: int = 0, versions: int = 1) -> MessageWidget:
        """Append a message at the end of the conversation."""
        widget = self._make_widget(StoredMessage(message_id, role, text, stats, finish_reason, version, versions))
        self._layout.insertWidget(self._layout.count() - 1, widget)
        self.messages.append(widget)
        self._stick_to_bottom = True
        self._anchor = None
        self._update_regenerate()
        return widget

    def _make_widget(self, message: StoredMessage) -> MessageWidget:
        widget = MessageWidget(message.role, message.content, message.id, parent=self._container)
        widget.sig_edit.connect(self.sig_edit)
        widget.sig_regenerate.connect(self.sig_regenerate)
        widget.sig_show_version.connect(self.sig_show_version)
        if message.role == "assistant":
            widget.set_stats(message.stats, message.finish_reason)
            widget.set_versions(message.version, message.versions)
        self.placeholder.setVisible(False)
        return widget

    @Slot(int, object)
    def change_message(self, index: int, message: StoredMessage) -> None:
        """Message `index` (a position in the whole conversation) is now `message`: another version of it."""
        shown = index - len(self._earlier)
        if shown < 0:
            self._earlier[index] = message
            return
        if shown >= len(self.messages):
            return
        widget = self.messages[shown]
        widget.message_id = message.id
        widget.set_text(message.content)
        widget.set_stats(message.stats, message.finish_reason)
        widget.set_versions(message.version, message.versions)

    @Slot(int)
    def remove_from(self, index: int) -> None:
        """Remove message `index` (a position in the whole conversation) and every later one."""
        self._anchor = None
        shown_from = index - len(self._earlier)
        if shown_from < 0:
            del self._earlier[index:]
            shown_from = 0
        for widget in self.messages[shown_from:]:
            self._layout.removeWidget(widget)
            widget.deleteLater()
        del self.messages[shown_from:]
        self._update_earlier_button()
        self.placeholder.setVisible(not self.messages and not self._earlier)
        self._update_regenerate()

    @Slot(object)
    def renumber(self, new_ids: dict[int, int]) -> None:
        """The messages were saved again under new store ids (old id -> new id)."""
        self._earlier = [replace(m, id=new_ids.get(m.id, m.id)) for m in self._earlier]
        for widget in self.messages:
            if widget.message_id is not None:
                widget.message_id = new_ids.get(widget.message_id, widget.message_id)

    def _update_earlier_button(self) -> None:
        self.earlier_button.setText(self.tr("Show earlier messages ({count} not shown)").format(
            count=len(self._earlier)) if self._earlier else "")
        self.earlier_button.setVisible(bool(self._earlier))

    def _update_regenerate(self) -> None:
        streaming = self._streaming is not None
        for i, widget in enumerate(self.messages):
            widget.set_regenerate_visible(not streaming and i == len(self.messages) - 1)
            widget.set_replying(streaming)

    # -- the streaming reply ----------------------------------------------------------------

    @property
    def streaming(self) -> MessageWidget | None:
        return self._streaming

    @Slot()
    def begin_reply(self) -> MessageWidget:
        widget = self.add_message("assistant", "")
        widget.set_status(self.tr("Reading the prompt…"))
        self._streaming = widget
        self._stream_parts = []
        self._update_regenerate()
        return widget

    @Slot(str)
    def set_reply_status(self, text: str) -> None:
        """Say what the reply under way is doing (before its first text)."""
        if self._streaming is not None:
            self._streaming.set_status(text)

    @Slot(object)
    def set_reading_prompt(self, progress: PromptProgress) -> None:
        if self._streaming is not None:
            self._streaming.set_status(reading_status(progress))

    @Slot(str)
    def append_reply_text(self, text: str) -> None:
        if self._streaming is None or not text:
            return
        if not self._stream_parts:
            self._streaming.set_status("")
        self._stream_parts.append(text)
        self._stream_dirty = True
        if not self._render_timer.isActive():
            self._render_timer.start(self._interval_ms())

    @Slot(object, object, object)
    def finish_reply(self, stats: ReplyStats | None, finish_reason: str | None, message_id: int | None) -> str:
        widget = self._streaming
        if widget is None:
            return ""
        self._render_timer.stop()
        self._stream_dirty = True
        self._flush()
        widget.set_status("")
        widget.message_id = message_id
        widget.set_stats(stats, finish_reason)
        self._streaming = None
        self._update_regenerate()
        text, self._stream_parts = self.reply_text, []
        return text

    @property
    def reply_text(self) -> str:
        """What the reply under way shows so far ("" when none is under way)."""
        if len(self._stream_parts) > 1:
            self._stream_parts = ["".join(self._stream_parts)]
        return self._stream_parts[0] if self._stream_parts else ""

    def _interval_ms(self) -> int:
        return max(MIN_RENDER_INTERVAL_MS, int(self._last_render_seconds * 4000))

    @Slot()
    def _flush(self) -> None:
        if self._streaming is None or not self._stream_dirty:
            return
        started = time.perf_counter()
        self._streaming.set_text(self.reply_text)
        self._last_render_seconds = time.perf_counter() - started
        self._stream_dirty = False

    # -- the column -------------------------------------------------------------------------

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._fit_column(self.viewport().width())
        return super().viewportEvent(event)

    def _fit_column(self, width: int) -> None:
        """Messages as wide as the view, up to MAX_COLUMN_WIDTH, centred."""
        side = max(MIN_SIDE_MARGIN, (width - MAX_COLUMN_WIDTH) // 2)
        margins = self._layout.contentsMargins()
        if margins.left() != side:
            self._layout.setContentsMargins(side, margins.top(), side, margins.bottom())

    # -- scrolling --------------------------------------------------------------------------

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        bar = self.verticalScrollBar()
        self._stick_to_bottom = bar.value() >= bar.maximum() - 8

    @Slot(int)
    def _on_user_scrolled(self, action: int) -> None:
        if action != QAbstractSlider.SliderAction.SliderNoAction.value:
            self._anchor = None  # the user moves the view now

    @Slot(int, int)
    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._anchor is not None:
            widget, offset = self._anchor
            self.verticalScrollBar().setValue(widget.y() - offset)
        elif self._stick_to_bottom:
            self.verticalScrollBar().setValue(maximum)
