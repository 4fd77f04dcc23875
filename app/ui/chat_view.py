"""The conversation: a scrolling column of messages, with the streaming reply rendered in bursts.

Tokens arrive far faster than a person reads and re-rendering Markdown on each one would
stall the event loop, so streamed text is buffered and drawn at most every ~40 ms (longer if
drawing itself takes long).
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.engine.records import ReplyStats
from app.ui.message_widget import MessageWidget

MIN_RENDER_INTERVAL_MS = 40


class ChatView(QScrollArea):
    sig_edit = Signal(int)
    """The user asked to edit the message with this store id."""
    sig_regenerate = Signal()
    """The user asked for the last reply again."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._container = QWidget()
        self._layout = QVBoxLayout(self._container)
        self._layout.setContentsMargins(12, 12, 12, 12)
        self._layout.setSpacing(10)
        self.placeholder = QLabel(self.tr("Start a conversation: type below and press Enter."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #888; padding: 40px;")
        self._layout.addWidget(self.placeholder)
        self._layout.addStretch(1)
        self.setWidget(self._container)
        self.messages: list[MessageWidget] = []
        self._streaming: MessageWidget | None = None
        self._stream_text = ""
        self._stream_dirty = False
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.timeout.connect(self._flush)
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)
        self._stick_to_bottom = True
        self._last_render_seconds = 0.0

    # -- building ---------------------------------------------------------------------------

    def clear(self) -> None:
        self._render_timer.stop()
        self._streaming = None
        for widget in self.messages:
            self._layout.removeWidget(widget)
            widget.deleteLater()
        self.messages = []
        self.placeholder.setVisible(True)

    def add_message(self, role: str, text: str, message_id: int | None = None,
                    stats: ReplyStats | None = None, finish_reason: str | None = None) -> MessageWidget:
        widget = MessageWidget(role, text, message_id, parent=self._container)
        widget.sig_edit.connect(self.sig_edit)
        widget.sig_regenerate.connect(self.sig_regenerate)
        if role == "assistant":
            widget.set_stats(stats, finish_reason)
        self._layout.insertWidget(self._layout.count() - 1, widget)
        self.messages.append(widget)
        self.placeholder.setVisible(False)
        self._stick_to_bottom = True
        self._update_regenerate()
        return widget

    def remove_from(self, index: int) -> None:
        """Remove message `index` and every later one."""
        for widget in self.messages[index:]:
            self._layout.removeWidget(widget)
            widget.deleteLater()
        del self.messages[index:]
        self.placeholder.setVisible(not self.messages)
        self._update_regenerate()

    def _update_regenerate(self) -> None:
        streaming = self._streaming is not None
        for i, widget in enumerate(self.messages):
            widget.set_regenerate_visible(not streaming and i == len(self.messages) - 1)
            widget.edit_button.setEnabled(not streaming)

    # -- the streaming reply ----------------------------------------------------------------

    @property
    def streaming(self) -> MessageWidget | None:
        return self._streaming

    def begin_reply(self) -> MessageWidget:
        widget = self.add_message("assistant", "")
        widget.set_status(self.tr("Reading the prompt…"))
        self._streaming = widget
        self._stream_text = ""
        self._update_regenerate()
        return widget

    def set_reading_prompt(self, prompt_tokens: int, cached_tokens: int | None = None) -> None:
        if self._streaming is not None:
            self._streaming.set_status(
                self.tr("Reading the prompt ({tokens:,} tokens)…").format(tokens=prompt_tokens))

    def append_reply_text(self, text: str) -> None:
        if self._streaming is None or not text:
            return
        if not self._stream_text:
            self._streaming.set_status("")
        self._stream_text += text
        self._stream_dirty = True
        if not self._render_timer.isActive():
            self._render_timer.start(self._interval_ms())

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
        text, self._stream_text = self._stream_text, ""
        return text

    @property
    def reply_text(self) -> str:
        """What the reply under way has written so far ("" when none is under way)."""
        return self._stream_text

    def _interval_ms(self) -> int:
        return max(MIN_RENDER_INTERVAL_MS, int(self._last_render_seconds * 4000))

    @Slot()
    def _flush(self) -> None:
        if self._streaming is None or not self._stream_dirty:
            return
        started = time.perf_counter()
        self._streaming.set_text(self._stream_text)
        self._last_render_seconds = time.perf_counter() - started
        self._stream_dirty = False

    # -- scrolling --------------------------------------------------------------------------

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        bar = self.verticalScrollBar()
        self._stick_to_bottom = bar.value() >= bar.maximum() - 8

    @Slot(int, int)
    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._stick_to_bottom:
            self.verticalScrollBar().setValue(maximum)
